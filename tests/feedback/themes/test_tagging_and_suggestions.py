"""Bulk tagging (organisers only, never onto themes the event does not work on), paper notes imported into a
workshop (previewed, all or nothing, attributed to the workshop), theme suggestions (API, abstention, learning)
and that a suggestion never becomes a tag without a person."""

from __future__ import annotations

import io

from input_support import capture, facilitator, make_setup
from staff_support import csrf_token, login_as, post_form

from feedback.tables import InputItem, InputRevision, InputTag, TagChoice, Theme
from feedback.themes import services
from feedback.themes.learning import retrain
from feedback.themes.suggestions import suggest

# --- bulk tagging -----------------------------------------------------------------------------------------

BULK = "/staff/input/bulk"  # the input browser's bulk step, through feedback.themes.bulk


async def test_an_organiser_tags_and_untags_many_items_at_once(client):
    setup = await make_setup()
    first = await capture(setup, "Lønnen er skæv")
    second = await capture(setup, "Belysning på stien", theme_ids=[setup.theme_ids[1]])
    await login_as(client, "organiser")
    page = f"/staff/input?event={setup.event_id}"
    fields = [("item", str(first["id"])), ("item", str(second["id"])), ("theme", str(setup.theme_ids[0])),
              ("operation", "tag"), ("view", f"event={setup.event_id}")]
    response = await post_form(client, page, BULK, fields)
    assert response.status_code == 303 and response.headers["location"] == page
    rows = await InputTag.select().where(InputTag.theme == setup.theme_ids[0])
    assert sorted(row["input_item"] for row in rows) == sorted([first["id"], second["id"]])
    assert {row["chosen"] for row in rows} == {TagChoice.person.value}
    assert await InputRevision.exists().where(InputRevision.action == "retag")

    untag = [("item", str(second["id"])), ("theme", str(setup.theme_ids[0])), ("operation", "untag")]
    await post_form(client, page, BULK, untag)
    rows = await InputTag.select().where(InputTag.theme == setup.theme_ids[0])
    assert [row["input_item"] for row in rows] == [first["id"]]


async def test_bulk_tagging_refuses_a_theme_the_event_does_not_work_on(client):
    setup = await make_setup()
    item = await capture(setup, "Noget helt andet")
    await login_as(client, "organiser")
    page = f"/staff/input?event={setup.event_id}"
    fields = [("item", str(item["id"])), ("theme", str(setup.other_theme_id)), ("operation", "tag"),
              ("view", f"event={setup.event_id}")]
    await post_form(client, page, BULK, fields)
    assert not await InputTag.exists().where(InputTag.theme == setup.other_theme_id)
    assert "left as it was" in (await client.get(page)).text


async def test_a_facilitator_cannot_bulk_tag(client):
    setup = await make_setup()
    item = await capture(setup, "Lønnen er skæv")
    await facilitator(client, setup.workshop_id)
    token = await csrf_token(client, "/staff")
    response = await client.post(BULK, data={
        "_csrf_token": token, "item": str(item["id"]), "theme": str(setup.theme_ids[0]), "operation": "tag"})
    assert response.status_code == 403
    assert not await InputTag.exists().where(InputTag.input_item == item["id"])


# --- paper notes ------------------------------------------------------------------------------------------

async def codes_of(setup) -> list[str]:
    return [row["code"] for row in await Theme.select(Theme.code).where(Theme.id.is_in(setup.theme_ids))
            .order_by(Theme.id)]


async def test_notes_are_previewed_then_stored_as_imported_input_of_the_workshop(client):
    setup = await make_setup()
    first, second = await codes_of(setup)
    await login_as(client, "organiser")
    page = f"/staff/workshops/{setup.workshop_id}/notes"
    data = (f"text,kind,themes,table\nMere lys på stien,proposal,{second},Table 1\n"
            f"Lige løn,idea,{first}; {second},\n").encode()
    token = await csrf_token(client, page)
    preview = await client.post(page, data={"_csrf_token": token}, files={"file": ("notes.csv", data, "text/csv")})
    assert preview.status_code == 200 and "Mere lys på stien" in preview.text
    assert await InputItem.count() == 0  # nothing stored before saving
    save_token = preview.text.split('name="token" value="')[1].split('"')[0]
    response = await client.post(f"{page}/save", data={"_csrf_token": token, "token": save_token})
    assert response.status_code == 303
    items = await InputItem.select().where(InputItem.workshop == setup.workshop_id).order_by(InputItem.id)
    assert [item["text"] for item in items] == ["Mere lys på stien", "Lige løn"]
    assert {item["source"] for item in items} == {"import"}
    assert items[0]["workshop_table"] == setup.table_ids[0]
    revisions = await InputRevision.select(InputRevision.staff_user).where(
        InputRevision.input_item.is_in([item["id"] for item in items]))
    assert {row["staff_user"] for row in revisions} == {None}  # never the person importing
    assert await InputTag.count().where(InputTag.input_item == items[1]["id"]) == 2


async def test_an_excel_file_works_too(client):
    from openpyxl import Workbook

    setup = await make_setup()
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["text", "kind"])
    sheet.append(["Fra papirlappen", "concern"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    await login_as(client, "organiser")
    page = f"/staff/workshops/{setup.workshop_id}/notes"
    token = await csrf_token(client, page)
    preview = await client.post(page, data={"_csrf_token": token},
                                files={"file": ("notes.xlsx", buffer.getvalue(), "application/octet-stream")})
    assert preview.status_code == 200 and "Fra papirlappen" in preview.text


async def test_bad_rows_are_listed_by_number_and_nothing_is_stored(client):
    setup = await make_setup()
    await login_as(client, "organiser")
    page = f"/staff/workshops/{setup.workshop_id}/notes"
    data = (b"text,kind,themes,table\nFin note,idea,,\n,idea,,\nNote,dance,,\nNote,idea,NOPE,\n"
            b"Note,idea,,Table 9\n")
    token = await csrf_token(client, page)
    response = await client.post(page, data={"_csrf_token": token}, files={"file": ("n.csv", data, "text/csv")})
    assert response.status_code == 422
    for row in ("Row 3", "Row 4", "Row 5", "Row 6"):
        assert row in response.text
    assert "Row 2" not in response.text
    bad_header = await client.post(page, data={"_csrf_token": token},
                                   files={"file": ("n.csv", b"words\nx\n", "text/csv")})
    assert bad_header.status_code == 422 and "Row 1" in bad_header.text
    not_excel = await client.post(page, data={"_csrf_token": token},
                                  files={"file": ("n.xlsx", b"PK\x03\x04broken", "application/octet-stream")})
    assert not_excel.status_code == 422
    expired = await client.post(f"{page}/save", data={"_csrf_token": token, "token": "made-up"})
    assert expired.status_code == 422
    assert await InputItem.count() == 0


async def test_a_facilitator_of_another_workshop_cannot_import_notes(client):
    setup = await make_setup()
    await facilitator(client, setup.other_workshop_id)
    assert (await client.get(f"/staff/workshops/{setup.workshop_id}/notes")).status_code == 403


# --- suggestions ------------------------------------------------------------------------------------------

async def test_the_suggestion_api_ranks_the_policy_themes_and_abstains(client):
    await services.load_builtin("randers", "test")
    await login_as(client, "facilitator")
    url = "/api/v1/policies/randers-koensligestilling/suggestions"
    said = {"text": "Bedre belysning på stien om aftenen, det er utrygt", "language": "da"}
    assert (await client.post(url, json=said)).status_code == 403, "a session's API write carries its CSRF token"
    client.headers["X-CSRFToken"] = await csrf_token(client, "/staff")  # as the capture page's script sends it
    response = await client.post(url, json=said)
    assert response.status_code == 200, response.text
    suggestions = response.json()["suggestions"]
    assert 1 <= len(suggestions) <= 3
    assert suggestions[0]["code"] == "R3.1" and suggestions[0]["path"] == ["R3", "R3.1"]
    assert suggestions[0]["name"] == "Tryghed i byen"
    assert [s["score"] for s in suggestions] == sorted((s["score"] for s in suggestions), reverse=True)
    for text, language in (("qqq zzz xx", "en"), ("What time is lunch?", "en"), ("Vi tog en kaffe", "da")):
        nothing = await client.post(url, json={"text": text, "language": language})
        assert nothing.json() == {"suggestions": []}, text
    assert await InputTag.count() == 0  # asking never stores a tag

    assert (await client.post(url, json={"text": "x", "language": "fi"})).status_code == 422
    assert (await client.post(url, json={"text": " ", "language": "da"})).status_code == 422
    assert (await client.post("/api/v1/policies/nope/suggestions", json={"text": "x", "language": "da"})
            ).status_code == 404


async def test_the_api_needs_staff(client):
    await services.load_builtin("lerum", "test")
    response = await client.post("/api/v1/policies/lerum-omraden/suggestions", json={"text": "x", "language": "sv"})
    assert response.status_code == 401
    assert (await client.get("/api/v1/policies")).status_code == 401


async def test_the_policies_api_lists_trees_in_back_office_order(client):
    policy_id = await services.load_builtin("randers", "test")
    r3 = (await Theme.select(Theme.id).where(Theme.code == "R3").first())["id"]
    await services.move_theme(r3, "up", "test")
    await login_as(client, "organiser")
    body = (await client.get("/api/v1/policies")).json()
    [policy] = body["policies"]
    assert policy["code"] == "randers-koensligestilling" and policy["kind"] == "municipal"
    codes = [theme["code"] for theme in policy["themes"]]
    assert codes[:3] == ["R1", "R1.1", "R1.2"] and codes.index("R3") < codes.index("R2")
    assert {"id", "code", "name", "parent_id", "position"} <= set(policy["themes"][0])
    assert policy_id
    assert "/api/v1/policies/{code}/suggestions" in (await client.get("/schema/openapi.json")).text


async def test_learning_from_confirmed_tags_improves_a_seeded_case():
    """A word the themes never mention ("vagtplan") is learned from confirmed tags."""
    from feedback import tagging
    from samrad.core import db

    setup = await make_setup()
    policy_id = (await Theme.select(Theme.policy).where(Theme.id == setup.theme_ids[0]).first())["policy"]
    text = "Vagtplanen skal laves om"
    before = await suggest(policy_id, text, "da")
    assert before == [] or before[0].theme_id != setup.theme_ids[1]
    for sentence in ("Vagtplanen er urimelig", "vagtplan og weekender", "Vagtplanerne skifter hele tiden"):
        item = await capture(setup, sentence)
        async with db.atomic():
            await tagging.set_tags(item["id"], [setup.theme_ids[1]])
    assert await retrain(policy_id)
    assert not await retrain(policy_id)  # nothing new: no training
    after = await suggest(policy_id, text, "da")
    assert after and after[0].theme_id == setup.theme_ids[1]


async def test_capture_stores_an_accepted_suggestion_with_its_rank_and_score_only_when_sent():
    setup = await make_setup()
    item = await capture(setup, "Lige løn", theme_ids=[setup.theme_ids[0]],
                         suggestions=[{"theme_id": setup.theme_ids[0], "rank": 1, "score": 0.42}])
    [tag] = await InputTag.select().where(InputTag.input_item == item["id"])
    assert (tag["chosen"], tag["suggestion_rank"], tag["suggestion_score"]) == ("suggestion", 1, 0.42)
    untagged = await capture(setup, "Lige løn for lige arbejde")
    assert not await InputTag.exists().where(InputTag.input_item == untagged["id"])

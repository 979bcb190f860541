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


async def test_a_workshop_on_a_parent_theme_is_offered_that_theme_for_a_text_about_its_child():
    await services.load_builtin("randers", "test")
    codes = {row["code"]: row["id"] for row in await Theme.select(Theme.id, Theme.code)}
    policy = (await Theme.select(Theme.policy).where(Theme.code == "R3").first())["policy"]
    text = "Bedre belysning på stien om aftenen, det er utrygt"

    finest = await suggest(policy, text, "da")
    assert finest[0].code == "R3.1"
    parent_only = await suggest(policy, text, "da", among=[codes["R3"]])
    assert [(s.code, s.path, s.score) for s in parent_only] == [("R3", ["R3"], finest[0].score)]
    both = await suggest(policy, text, "da", among=[codes["R3"], codes["R3.1"]])
    assert [s.code for s in both] == ["R3.1"]  # the finer one, and never its parent beside it
    assert all(s.code == "R1" for s in await suggest(policy, text, "da", among=[codes["R1"]]))


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


# --- more bad note files ------------------------------------------------------------------------------------

def _workbook(*rows: list) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _damaged(part: str, content: bytes | None) -> bytes:
    """A real workbook with one of its parts replaced (or, with None, left out)."""
    import zipfile

    original = zipfile.ZipFile(io.BytesIO(_workbook(["text", "kind"], ["Fra papirlappen", "idea"])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as damaged:
        for name in original.namelist():
            if name != part or content is not None:
                damaged.writestr(name, content if name == part else original.read(name))
    return buffer.getvalue()


BAD_NOTES = [
    ("n.csv", b"", "The file is empty."),
    ("n.csv", b"text,kind,author\nx,idea,Jens\n", "does not know: author"),
    ("n.csv", b"text,kind\n", "The file has no notes"),
    ("n.csv", b"text,kind\nx\x00,idea\n", "not text (NUL)"),
    ("n.csv", b"\xff\xfetext", "not UTF-8"),
    ("n.csv", b"text\n" + b"x" * 2_000_001, "larger than 2 MB"),
    ("n.csv", b"text,kind,language\nx,idea,fi\n", "Row 2: The language must be da, sv or en."),
    ("n.xlsx", _workbook(["text", "kind"], ["Fin note", "idea"], ["Note", "dance"]), "Row 3: Choose one of the kinds."),
    ("n.xlsx", _workbook(["words"], ["x"]), "Row 1 must name the columns"),
    ("n.xlsx", _damaged("xl/worksheets/sheet1.xml", b"<not xml"), "could not be read as an Excel workbook"),
    ("n.xlsx", _damaged("xl/workbook.xml", b"<?xml version='1.0'?><x/>"), "could not be read as an Excel"),
    ("n.xlsx", _damaged("xl/_rels/workbook.xml.rels", None), "could not be read as an Excel workbook"),
    ("n.xlsx", _damaged("[Content_Types].xml", b"<not xml"), "could not be read as an Excel workbook"),
]


async def test_every_bad_note_file_gets_its_reason_and_stores_nothing(client):
    """A damaged workbook fails inside openpyxl in many ways: each is a message (422), never a server error."""
    setup = await make_setup()
    await login_as(client, "organiser")
    page = f"/staff/workshops/{setup.workshop_id}/notes"
    token = await csrf_token(client, page)
    for filename, data, reason in BAD_NOTES:
        response = await client.post(page, data={"_csrf_token": token},
                                     files={"file": (filename, data, "application/octet-stream")})
        assert response.status_code == 422, (filename, reason)
        assert reason in response.text, (reason, response.text[-3000:])
    assert await InputItem.count() == 0


# --- who may bulk tag -------------------------------------------------------------------------------------

async def test_only_organisers_and_administrators_bulk_tag(client, other_client):
    setup = await make_setup()
    item = await capture(setup, "Lønnen er skæv")
    fields = {"item": str(item["id"]), "theme": str(setup.theme_ids[0]), "operation": "tag"}
    assert (await client.post(BULK, data=fields)).status_code in {303, 401, 403}  # no session, no CSRF
    await login_as(client, "checkin")
    token = await csrf_token(client, "/staff")
    assert (await client.post(BULK, data={"_csrf_token": token, **fields})).status_code == 403
    assert not await InputTag.exists()
    await login_as(other_client, "admin")
    response = await post_form(other_client, f"/staff/input?event={setup.event_id}", BULK, fields)
    assert response.status_code == 303
    [tag] = await InputTag.select()
    assert (tag["input_item"], tag["chosen"], tag["suggestion_rank"]) == (item["id"], "person", None)


# --- suggestions in moderation and capture ------------------------------------------------------------------

async def randers_workshop(setup, *codes: str) -> dict[str, int]:
    """The built-in Randers policy, with the setup's workshop working on ``codes``: theme ids by code."""
    from feedback.tables import WorkshopTheme

    policy_id = await services.load_builtin("randers", "test")
    ids = {row["code"]: row["id"] for row in await Theme.select(Theme.id, Theme.code).where(
        Theme.policy == policy_id)}
    for code in codes:
        await WorkshopTheme(workshop=setup.workshop_id, theme=ids[code],
                            link_key=f"{setup.workshop_id}:{ids[code]}").save()
    return ids


async def test_moderation_offers_the_best_themes_with_a_confidence_and_records_the_one_accepted(client):
    setup = await make_setup()
    ids = await randers_workshop(setup, "R1.1", "R3.1")
    said = await capture(setup, "Bedre belysning på stien om aftenen, det er utrygt", language="da")
    await facilitator(client, setup.workshop_id)
    page = await client.get(f"/staff/input/{said['id']}")
    assert page.status_code == 200
    value = page.text.split('name="suggested" value="')[1].split('"')[0]
    theme_id, rank, score = value.split(":")
    assert (int(theme_id), rank) == (ids["R3.1"], "1") and 0 < float(score) <= 1
    assert "Safety in public spaces (high confidence)" in page.text
    assert not await InputTag.exists(), "showing a suggestion stores nothing"

    response = await post_form(client, f"/staff/input/{said['id']}", f"/staff/input/{said['id']}/retag",
                               [("theme_ids", str(setup.theme_ids[0])), ("suggested", value)])
    assert response.status_code == 303
    tags = {row["theme"]: row for row in await InputTag.select().where(InputTag.input_item == said["id"])}
    assert tags[setup.theme_ids[0]]["chosen"] == TagChoice.person.value
    accepted = tags[ids["R3.1"]]
    assert (accepted["chosen"], accepted["suggestion_rank"]) == (TagChoice.suggestion.value, 1)
    assert abs(accepted["suggestion_score"] - float(score)) < 1e-6
    again = await client.get(f"/staff/input/{said['id']}")
    assert f'value="{ids["R3.1"]}:' not in again.text, "a theme the item has is not suggested again"


async def test_moderation_refuses_a_forged_suggestion_and_says_when_nothing_fits(client):
    setup = await make_setup()
    ids = await randers_workshop(setup, "R1.1", "R3.1")
    said = await capture(setup, "What time is lunch?", language="en")
    await facilitator(client, setup.workshop_id)
    page = await client.get(f"/staff/input/{said['id']}")
    assert 'name="suggested"' not in page.text and "No suggested theme" in page.text
    url = f"/staff/input/{said['id']}"
    for forged in (f"{ids['R3.2']}:1:0.5", f"{ids['R3.1']}:4:0.5", f"{ids['R3.1']}:1:nan", "x:1:0.5", "7"):
        response = await post_form(client, url, f"{url}/retag", [("suggested", forged)])
        assert response.status_code == 422, forged
    assert not await InputTag.exists()


async def test_the_capture_page_gives_its_script_the_confidence_words(client):
    setup = await make_setup()
    await randers_workshop(setup, "R3.1")
    await facilitator(client, setup.workshop_id)
    page = await client.get(f"/staff/workshops/{setup.workshop_id}/capture")
    assert 'data-confidence="[[0.15, &#34;high confidence&#34;], [0.1, &#34;medium confidence&#34;]' in page.text


async def test_an_archived_theme_is_no_longer_offered_and_keeps_its_input():
    from feedback import tagging
    from feedback.capture import services as capture_services

    setup = await make_setup()
    item = await capture(setup, "Lige løn", theme_ids=[setup.theme_ids[0]])
    await services.archive_theme(setup.theme_ids[0], "test")
    context = await capture_services.load_workshop(setup.workshop_id)
    assert setup.theme_ids[0] not in context.theme_ids and setup.theme_ids[1] in context.theme_ids
    assert setup.theme_ids[0] not in await tagging.allowed_theme_ids(setup.event_id, setup.workshop_id)
    assert await InputTag.exists().where((InputTag.input_item == item["id"]) & (InputTag.theme == setup.theme_ids[0]))


async def test_the_api_answers_a_bearer_token_and_asking_never_trains(client):
    from feedback.tables import ThemeModel
    from samrad.core.accounts import create_api_token

    await services.load_builtin("randers", "test")
    email = await login_as(client, "facilitator")
    token = await create_api_token(email, "capture app")
    client.cookies.clear()
    headers = {"Authorization": f"Bearer {token}"}
    response = await client.post("/api/v1/policies/randers-koensligestilling/suggestions", headers=headers,
                                 json={"text": "Mörka gångvägar och otrygghet på natten", "language": "sv"})
    assert response.status_code == 200 and response.json()["suggestions"][0]["path"] == ["R3", "R3.1"]
    assert (await client.get("/api/v1/policies", headers=headers)).status_code == 200
    assert await ThemeModel.count() == 0 and await InputTag.count() == 0  # a request never trains, never tags


async def test_both_operations_and_their_shapes_are_in_the_openapi_schema(client):
    schema = (await client.get("/schema/openapi.json")).json()
    listed = schema["paths"]["/api/v1/policies"]["get"]
    suggested = schema["paths"]["/api/v1/policies/{code}/suggestions"]["post"]
    assert {"200", "401", "403"} <= set(listed["responses"])
    assert {"200", "401", "403", "404", "422"} <= set(suggested["responses"])
    components = schema["components"]["schemas"]

    def body(reference: dict) -> dict:
        return components[reference["$ref"].rsplit("/", 1)[1]]

    answer = body(suggested["responses"]["200"]["content"]["application/json"]["schema"])
    assert set(answer["properties"]) == {"suggestions"}
    assert set(body(answer["properties"]["suggestions"]["items"])["properties"]) == {
        "theme_id", "code", "name", "path", "score"}
    assert set(body(suggested["requestBody"]["content"]["application/json"]["schema"])["properties"]) == {
        "text", "language"}
    policies = body(listed["responses"]["200"]["content"]["application/json"]["schema"])
    policy = body(policies["properties"]["policies"]["items"])
    assert {"code", "kind", "themes"} <= set(policy["properties"])
    assert {"id", "code", "name", "parent_id", "position"} <= set(body(policy["properties"]["themes"]["items"])[
        "properties"])

"""The back office through HTTP: organisers build a tree with forms, bad input gets the form back with a
message (422), facilitators are kept out, files come in and go out, an event says which themes it works on."""

from __future__ import annotations

from registration_support import make_event
from staff_support import csrf_token, login_as, post_form
from themes_support import make_tree

from feedback.tables import EventTheme, Policy, Theme


def theme_form(code: str, **fields: str) -> dict[str, str]:
    return {"code": code, "colour": "#1f5f8b", "name_en": f"Theme {code}", "name_da": f"Tema {code}", **fields}


async def test_an_organiser_builds_and_orders_a_tree_with_forms(client):
    await login_as(client, "organiser")
    response = await post_form(client, "/staff/themes", "/staff/themes/policies",
                               {"code": "equality", "kind": "municipal", "name_en": "Equality policy"})
    assert response.status_code == 303
    policy_page = response.headers["location"]
    policy_id = int(policy_page.rsplit("/", 1)[1])
    response = await post_form(client, policy_page, f"{policy_page}/themes", theme_form("W"))
    assert response.status_code == 303
    top = (await Theme.select(Theme.id).where(Theme.code == "W").first())["id"]
    assert (await post_form(client, policy_page, f"{policy_page}/themes",
                            theme_form("W1", parent=str(top), keywords_en="pay; careers"))).status_code == 303
    child = await Theme.select().where(Theme.code == "W1").output(load_json=True).first()
    assert child["parent"] == top and child["level"] == 2 and child["keywords"] == {"en": ["pay", "careers"]}
    await post_form(client, policy_page, f"{policy_page}/themes", theme_form("S"))
    s_id = (await Theme.select(Theme.id).where(Theme.code == "S").first())["id"]
    assert (await post_form(client, policy_page, f"/staff/themes/{s_id}/order", {"direction": "up"})).status_code == 303
    page = await client.get(policy_page)
    assert page.status_code == 200 and page.text.index("Theme S") < page.text.index("Theme W")
    assert (await Policy.select(Policy.id).first())["id"] == policy_id


async def test_bad_theme_input_shows_the_form_again_with_messages(client):
    ids = await make_tree()
    await login_as(client, "organiser")
    page = f"/staff/themes/policies/{ids['policy']}"
    response = await post_form(client, page, f"{page}/themes", theme_form("bad code", colour="#12"))
    assert response.status_code == 422
    assert "error-summary" in response.text and "#rrggbb" in response.text and "1 to 40 letters" in response.text
    response = await post_form(client, page, f"{page}/themes", theme_form("X", parent=str(ids["A1a"])))
    assert response.status_code == 422 and "three levels" in response.text
    response = await post_form(client, page, f"{page}/themes", {"code": "Y", "colour": "#1f5f8b"})
    assert response.status_code == 422 and "at least one language" in response.text
    assert await Theme.count() == 4


async def test_a_theme_with_input_cannot_be_deleted_through_the_page(client):
    from feedback.tables import InputItem, InputTag

    ids = await make_tree()
    event = await make_event()
    item = InputItem(event=event["id"], text="x")
    await item.save()
    await InputTag(input_item=item.id, theme=ids["B"], tag_key=f"{item.id}:{ids['B']}").save()
    await login_as(client, "organiser")
    page = f"/staff/themes/policies/{ids['policy']}"
    response = await post_form(client, page, f"/staff/themes/{ids['B']}/delete", {})
    assert response.status_code == 409 and "archived" in response.text
    assert (await post_form(client, page, f"/staff/themes/{ids['B']}/archive", {})).status_code == 303
    assert await Theme.exists().where((Theme.id == ids["B"]) & Theme.archived_at.is_not_null())


async def test_moving_a_theme_through_the_page_refuses_a_fourth_level(client):
    ids = await make_tree()
    await login_as(client, "organiser")
    page = f"/staff/themes/{ids['A']}"
    response = await post_form(client, page, f"{page}/parent", {"parent": str(ids["B"])})
    assert response.status_code == 422 and "fourth level" in response.text
    response = await post_form(client, f"/staff/themes/{ids['B']}", f"/staff/themes/{ids['B']}/parent",
                               {"parent": str(ids["A"])})
    assert response.status_code == 303


async def test_facilitators_and_the_anonymous_are_kept_out(client):
    ids = await make_tree()
    assert (await client.get("/staff/themes")).status_code in {401, 303}
    await login_as(client, "facilitator")
    assert (await client.get("/staff/themes")).status_code == 403
    assert (await client.get(f"/staff/themes/policies/{ids['policy']}")).status_code == 403
    token = await csrf_token(client, "/staff")
    response = await client.post("/staff/themes/builtin", data={"_csrf_token": token, "name": "lerum"})
    assert response.status_code == 403 and await Policy.count() == 1


async def test_files_in_and_out_through_the_pages(client):
    await login_as(client, "organiser")
    response = await post_form(client, "/staff/themes", "/staff/themes/builtin", {"name": "randers"})
    assert response.status_code == 303
    policy_page = response.headers["location"]
    exported = await client.get(f"{policy_page}/export.json")
    assert exported.status_code == 200 and exported.headers["content-disposition"].endswith('.json"')
    csv_file = await client.get(f"{policy_page}/export.csv")
    assert csv_file.text.lstrip("\ufeff").startswith("code,parent,colour")

    token = await csrf_token(client, "/staff/themes")
    bad = await client.post("/staff/themes/import", data={"_csrf_token": token},
                            files={"file": ("t.json", b"{oops", "application/json")})
    assert bad.status_code == 422 and "not valid JSON" in bad.text
    again = await client.post("/staff/themes/import", data={"_csrf_token": token},
                              files={"file": ("t.json", exported.content, "application/json")})
    assert again.status_code == 422 and "exists already" in again.text

    response = await post_form(client, "/staff/themes", "/staff/themes/policies",
                               {"code": "sheet", "kind": "areas", "name_en": "From a sheet"})
    sheet_page = response.headers["location"]
    token = await csrf_token(client, sheet_page)
    bad_csv = await client.post(f"{sheet_page}/import-csv", data={"_csrf_token": token},
                                files={"file": ("t.csv", b"code,parent,name_en\nA,,A\nB,Q,B\n", "text/csv")})
    assert bad_csv.status_code == 422 and "Row 3" in bad_csv.text
    assert not await Theme.exists().where(Theme.policy == int(sheet_page.rsplit("/", 1)[1]))
    good = await client.post(f"{sheet_page}/import-csv", data={"_csrf_token": token},
                             files={"file": ("t.csv", csv_file.content, "text/csv")})
    assert good.status_code == 303
    assert await Theme.count().where(Theme.policy == int(sheet_page.rsplit("/", 1)[1])) == 10


async def test_an_event_says_which_themes_it_works_on(client):
    ids = await make_tree()
    event = await make_event()
    await login_as(client, "organiser")
    page = f"/staff/events/{event['id']}/themes"
    response = await client.get(page)
    assert response.status_code == 200 and "Theme A1a" in response.text
    response = await post_form(client, page, page, [("theme", str(ids["A1"])), ("theme", str(ids["B"]))])
    assert response.status_code == 303
    linked = await EventTheme.select(EventTheme.theme).where(EventTheme.event == event["id"])
    assert sorted(row["theme"] for row in linked) == sorted([ids["A1"], ids["B"]])
    response = await post_form(client, page, page, [("theme", "999999")])
    assert response.status_code == 422


async def test_only_the_events_team_chooses_its_themes(client):
    ids = await make_tree()
    event = await make_event()
    await login_as(client, "organiser", teams=())
    page = f"/staff/events/{event['id']}/themes"
    assert (await client.get(page)).status_code == 403
    token = await csrf_token(client, "/staff/themes")
    response = await client.post(page, data={"_csrf_token": token, "theme": str(ids["A1"])})
    assert response.status_code == 403
    assert not await EventTheme.exists().where(EventTheme.event == event["id"])


async def test_an_organiser_edits_a_policy_and_a_theme_and_restores_an_archived_one(client):
    ids = await make_tree()
    await login_as(client, "organiser")
    policy_page = f"/staff/themes/policies/{ids['policy']}"
    response = await post_form(client, policy_page, policy_page, {
        "code": "equality-2027", "kind": "charter", "name_da": "Ligestilling", "name_sv": "Jämställdhet",
        "name_en": "Equality", "description_en": "What we promised."})
    assert response.status_code == 303
    policy = await Policy.select().where(Policy.id == ids["policy"]).output(load_json=True).first()
    assert (policy["code"], policy["kind"], policy["name"]["sv"]) == ("equality-2027", "charter", "Jämställdhet")

    page = f"/staff/themes/{ids['B']}"
    response = await post_form(client, page, page, theme_form(
        "B2", colour="#FFEB3B", name_sv="Tema B", keywords_da="løn; chikane", keywords_sv="lön\nkränkning",
        keywords_en="pay, harassment"))
    assert response.status_code == 303
    theme = await Theme.select().where(Theme.id == ids["B"]).output(load_json=True).first()
    assert (theme["code"], theme["colour"], theme["theme_key"]) == ("B2", "#ffeb3b", f"{ids['policy']}:B2")
    assert theme["keywords"] == {"da": ["løn", "chikane"], "sv": ["lön", "kränkning"], "en": ["pay", "harassment"]}
    taken = await post_form(client, page, page, theme_form("A1"))  # another theme's code
    assert taken.status_code == 422 and "already has this code" in taken.text
    assert (await Theme.select(Theme.code).where(Theme.id == ids["B"]).first())["code"] == "B2"

    await post_form(client, policy_page, f"/staff/themes/{ids['A']}/archive", {})
    assert await Theme.count().where(Theme.archived_at.is_not_null()) == 3
    response = await post_form(client, policy_page, f"/staff/themes/{ids['A']}/archive", {"restore": "1"})
    assert response.status_code == 303 and not await Theme.exists().where(Theme.archived_at.is_not_null())

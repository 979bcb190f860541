"""Follow-up actions (details, status with a dated public history, links that never change an item, quotes of
published input only) and the public "you said, we did" pages per event and per theme."""

from __future__ import annotations

import pytest
import staff_support
from follow_up_support import make_event, make_item, make_policy
from staff_support import csrf_from, login_as, post_form

from feedback.follow_up import actions, services
from feedback.follow_up.services import ActionDetails, FollowUpError, StatusChange
from feedback.tables import FollowUp, FollowUpChange, FollowUpInput, InputItem

client = staff_support.client


@pytest.fixture
async def world():
    themes = await make_policy()
    event = await make_event("Dialogue", published=True)
    items = {
        "pay": await make_item(event["id"], "Equal pay for equal work", themes=(themes["A"],)),
        "bikes": await make_item(event["id"], "Safer bike paths", themes=(themes["B"],), kind="concern"),
        "hidden": await make_item(event["id"], "Named person said something", themes=(themes["A"],),
                                  status="hidden"),
        "held": await make_item(event["id"], "Held for moderation text", themes=(themes["A"],), status="held"),
    }
    return {"themes": themes, "event": event, "items": items}


async def new_action(world, **change) -> int:
    details = ActionDetails(theme=world["themes"]["A"], title={"en": "Pay audit", "da": "Lønanalyse"},
                            description={"en": "HR publishes pay by gender."})
    return await services.create_action(details, StatusChange(status="planned", progress=0, **change), "tester")


async def test_status_changes_are_kept_in_a_dated_history(world):
    action_id = await new_action(world, note={"en": "Agreed at the meeting."})
    assert await services.change_status(action_id, StatusChange("in_progress", 30, note={"en": "Figures in."}), "t")
    assert not await services.change_status(action_id, StatusChange("in_progress", 30), "t")
    assert await services.change_status(action_id, StatusChange("done", 100), "t")
    history = (await actions.history([action_id]))[action_id]
    assert [(change["status"], change["progress"]) for change in history] == [
        ("planned", 0), ("in_progress", 30), ("done", 100)]
    assert history[1]["note"] == {"en": "Figures in."} and history[0]["created_at"] <= history[2]["created_at"]
    row = await actions.action(action_id)
    assert (row["status"], row["progress"]) == ("done", 100)


@pytest.mark.parametrize("change, field", [
    (StatusChange("finished", 10), "status"), (StatusChange("planned", 101), "progress"),
    (StatusChange("planned", -1), "progress"), (StatusChange("declined", 0), "reason"),
])
async def test_bad_status_changes_are_refused_and_write_nothing(world, change, field):
    action_id = await new_action(world)
    with pytest.raises(FollowUpError) as refused:
        await services.change_status(action_id, change, "t")
    assert field in refused.value.errors
    assert await FollowUpChange.count().where(FollowUpChange.follow_up == action_id) == 1


async def test_declined_needs_and_keeps_a_reason(world):
    action_id = await new_action(world)
    await services.change_status(action_id, StatusChange("declined", 0, reason={"en": "No budget this year."}), "t")
    assert (await actions.action(action_id))["status_reason"] == {"en": "No budget this year."}


async def test_bad_details_are_refused(world):
    with pytest.raises(FollowUpError) as refused:
        await services.create_action(ActionDetails(theme=999999, title={}), StatusChange("planned", 0), "t")
    assert {"title", "theme"} <= refused.value.errors.keys()
    assert await FollowUp.count() == 0


async def test_linking_never_changes_the_item_and_quotes_only_published_input(world):
    items = world["items"]
    action_id = await new_action(world)
    before = await InputItem.select().where(InputItem.id.is_in(list(items.values()))).order_by(InputItem.id)
    assert await services.link_items(action_id, [items["pay"], items["hidden"], items["pay"]], "t") == 2
    assert await services.link_items(action_id, [items["pay"]], "t") == 0
    assert await InputItem.select().where(InputItem.id.is_in(list(items.values()))).order_by(InputItem.id) == before
    assert await services.show_item(action_id, items["pay"], True, "t")
    with pytest.raises(FollowUpError):
        await services.show_item(action_id, items["hidden"], True, "t")
    assert (await actions.quoted_items([action_id]))[action_id] == [{"text": "Equal pay for equal work",
                                                                     "kind": "idea"}]
    assert await services.unlink_item(action_id, items["pay"], "t")
    assert await FollowUpInput.count().where(FollowUpInput.follow_up == action_id) == 1


async def test_an_item_hidden_after_being_quoted_disappears_from_the_public_page(client, world):
    items = world["items"]
    action_id = await new_action(world)
    await services.link_items(action_id, [items["pay"]], "t")
    await services.show_item(action_id, items["pay"], True, "t")
    page = await client.get(f"/events/{world['event']['slug']}/follow-up")
    assert "Equal pay for equal work" in page.text
    await InputItem.update({InputItem.status: "hidden"}).where(InputItem.id == items["pay"])
    page = await client.get(f"/events/{world['event']['slug']}/follow-up")
    assert "Equal pay for equal work" not in page.text


async def test_the_public_event_page_shows_counts_actions_and_history(client, world):
    items, themes = world["items"], world["themes"]
    action_id = await new_action(world, note={"en": "We start in May.", "da": "Vi starter i maj."})
    await services.link_items(action_id, [items["pay"], items["held"]], "t")
    await services.show_item(action_id, items["pay"], True, "t")
    response = await client.get(f"/events/{world['event']['slug']}/follow-up?lang=en")
    assert response.status_code == 200
    text = response.text
    assert "Pay audit" in text and "We start in May." in text and "Equal pay for equal work" in text
    assert "Named person" not in text and "Held for moderation" not in text
    assert "2 pieces of input were published." in text
    assert f"/follow-up/themes/{themes['A']}" in text
    danish = await client.get(f"/events/{world['event']['slug']}/follow-up?lang=da")
    assert "Lønanalyse" in danish.text and "Vi starter i maj." in danish.text


async def test_actions_not_public_stay_off_the_public_pages(client, world):
    action_id = await new_action(world)
    await services.link_items(action_id, [world["items"]["pay"]], "t")
    await FollowUp.update({FollowUp.public: False}).where(FollowUp.id == action_id)
    text = (await client.get(f"/events/{world['event']['slug']}/follow-up")).text
    assert "Pay audit" not in text
    text = (await client.get(f"/follow-up/themes/{world['themes']['A']}")).text
    assert "Pay audit" not in text


async def test_the_public_theme_page(client, world):
    action_id = await new_action(world)
    await services.change_status(action_id, StatusChange("in_progress", 50, note={"en": "Half way."}), "t")
    response = await client.get(f"/follow-up/themes/{world['themes']['A']}?lang=en")
    assert response.status_code == 200
    assert "Pay audit" in response.text and "Half way." in response.text
    assert "1 piece of input was published." in response.text
    assert (await client.get("/follow-up/themes/999999")).status_code == 404


async def test_unpublished_events_have_no_public_page(client):
    event = await make_event("Draft", published=False)
    assert (await client.get(f"/events/{event['slug']}/follow-up")).status_code == 404
    assert (await client.get("/events/no-such-event/follow-up")).status_code == 404


# --- organiser pages --------------------------------------------------------------------------------------

async def test_an_organiser_creates_an_action_and_changes_its_status(client, world):
    await login_as(client, "organiser")
    response = await post_form(client, "/staff/actions/new", "/staff/actions/new", {
        "title_en": "Bike paths", "title_da": "Cykelstier", "theme": str(world["themes"]["B"]),
        "status": "proposed", "progress": "0", "public": "1", "note_en": "Heard at the dialogue.",
    })
    assert response.status_code == 303
    path = response.headers["location"]
    action_id = int(path.rsplit("/", 1)[1])
    response = await post_form(client, path, f"{path}/status", {
        "status": "in_progress", "progress": "20", "note_en": "Survey started.",
    })
    assert response.status_code == 303
    page = await client.get(path)
    assert "Survey started." in page.text and "Heard at the dialogue." in page.text
    assert [c["status"] for c in (await actions.history([action_id]))[action_id]] == ["proposed", "in_progress"]


@pytest.mark.parametrize("fields, message", [
    ({"title_en": "", "theme": "", "status": "planned", "progress": "0"}, "Give the action a title"),
    ({"title_en": "X", "theme": "abc", "status": "planned", "progress": "0"}, "Choose the policy theme"),
    ({"title_en": "X", "theme": "THEME", "status": "planned", "progress": "200"}, "from 0 to 100"),
    ({"title_en": "X", "theme": "THEME", "status": "nope", "progress": "5"}, "Choose one of the statuses"),
    ({"title_en": "X", "theme": "THEME", "status": "planned", "progress": "5", "due_on": "soon"}, "YYYY-MM-DD"),
    ({"title_en": "X" * 201, "theme": "THEME", "status": "planned", "progress": "5"}, "under 200"),
    ({"title_en": "X", "theme": "THEME", "status": "declined", "progress": "5"}, "Say why"),
    ({"title_en": "X", "theme": "THEME", "status": "planned", "progress": "5", "responsible_unit": "x"},
     "responsible unit"),
])
async def test_the_action_form_reshows_with_an_error_summary(client, world, fields, message):
    await login_as(client, "organiser")
    fields = {key: value.replace("THEME", str(world["themes"]["A"])) for key, value in fields.items()}
    response = await post_form(client, "/staff/actions/new", "/staff/actions/new", fields)
    assert response.status_code == 422
    assert "error-summary" in response.text and message in response.text
    assert await FollowUp.count() == 0


async def test_bad_status_form_on_an_action_page(client, world):
    await login_as(client, "organiser")
    action_id = await new_action(world)
    response = await post_form(client, f"/staff/actions/{action_id}", f"/staff/actions/{action_id}/status",
                               {"status": "done", "progress": "lots"})
    assert response.status_code == 422 and "from 0 to 100" in response.text
    assert (await client.get("/staff/actions/999999")).status_code == 404


async def test_quote_and_unlink_from_the_action_page(client, world):
    await login_as(client, "organiser")
    action_id = await new_action(world)
    await services.link_items(action_id, [world["items"]["pay"], world["items"]["hidden"]], "t")
    page = await client.get(f"/staff/actions/{action_id}")
    token = csrf_from(page.text)
    response = await client.post(f"/staff/actions/{action_id}/items/{world['items']['pay']}",
                                 data={"_csrf_token": token, "step": "show"})
    assert response.status_code == 303
    assert (await actions.quoted_items([action_id]))[action_id][0]["text"] == "Equal pay for equal work"
    response = await client.post(f"/staff/actions/{action_id}/items/{world['items']['hidden']}",
                                 data={"_csrf_token": token, "step": "show"})
    assert "Only published input" in (await client.get(response.headers["location"])).text
    response = await client.post(f"/staff/actions/{action_id}/items/{world['items']['hidden']}",
                                 data={"_csrf_token": token, "step": "unlink"})
    assert response.status_code == 303
    assert await FollowUpInput.count().where(FollowUpInput.follow_up == action_id) == 1
    response = await client.post(f"/staff/actions/{action_id}/items/{world['items']['hidden']}",
                                 data={"_csrf_token": token, "step": "unlink"})
    assert response.status_code == 404


async def test_facilitators_cannot_manage_actions(client, world):
    await login_as(client, "facilitator")
    assert (await client.get("/staff/actions")).status_code == 403

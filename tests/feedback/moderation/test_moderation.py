"""Moderation: approve and hide, merging duplicates, edits for anonymity with a history that shows organisers
the original and facilitators only that an edit happened, re-tagging, moving, the queues, who may moderate
what, and the retention of originals."""

from __future__ import annotations

from datetime import timedelta

import staff_support
from input_support import capture, facilitator, item, make_setup, organiser
from staff_support import csrf_from, post_form

from feedback.moderation import services
from feedback.tables import InputItem, InputRevision
from samrad.core.clock import now_utc

client = staff_support.client
other_client = staff_support.other_client


async def participant_item(client, setup, text: str) -> dict:
    response = await client.post(f"/api/v1/join/{setup.join_code}/input", json={"text": text})
    assert response.status_code in {201, 202}, response.text
    return await item(response.json()["id"])


async def act(client, item_id: int, action: str, fields: dict | None = None):
    return await post_form(client, f"/staff/input/{item_id}", f"/staff/input/{item_id}/{action}", fields or {})


async def test_the_workshop_queue_shows_held_input_first(client):
    setup = await make_setup(moderation="pre")
    await capture(setup, "Published by the facilitator")
    held = await participant_item(client, setup, "Waiting for a moderator")
    await facilitator(client, setup.workshop_id)

    page = await client.get(f"/staff/workshops/{setup.workshop_id}/queue")

    assert page.status_code == 200
    assert held["status"] == "held"
    assert page.text.index("Waiting for a moderator") < page.text.index("Published by the facilitator")
    assert "1 item waits for approval." in page.text
    assert "<kbd>j</kbd>" in page.text


async def test_approving_publishes_and_is_kept_in_the_history(client):
    setup = await make_setup(moderation="pre")
    held = await participant_item(client, setup, "Please approve me")
    user_id = await facilitator(client, setup.workshop_id)

    response = await act(client, held["id"], "approve", {"back": f"/staff/workshops/{setup.workshop_id}/queue"})

    assert response.status_code == 303
    assert response.headers["location"] == f"/staff/workshops/{setup.workshop_id}/queue"
    assert (await item(held["id"]))["status"] == "published"
    revision = await InputRevision.select().where(InputRevision.action == "approve").first()
    assert revision["staff_user"] == user_id and revision["changes"]
    participant_page = await client.get(f"/j/{setup.join_code}")
    assert "Please approve me" in participant_page.text


async def test_hiding_takes_the_item_away_from_participants(client):
    setup = await make_setup()
    shown = await capture(setup, "Hide me please")
    await facilitator(client, setup.workshop_id)
    assert (await act(client, shown["id"], "hide")).status_code == 303
    assert (await item(shown["id"]))["status"] == "hidden"
    assert "Hide me please" not in (await client.get(f"/j/{setup.join_code}")).text


async def test_merging_keeps_one_item_and_the_others_texts_in_its_history(client):
    setup = await make_setup()
    keep = await capture(setup, "More benches in the park", theme_ids=[setup.theme_ids[0]])
    first = await capture(setup, "Benches in the park, please", theme_ids=[setup.theme_ids[1]])
    second = await capture(setup, "We need benches")
    await facilitator(client, setup.workshop_id)
    queue = f"/staff/workshops/{setup.workshop_id}/queue"

    response = await post_form(client, queue, "/staff/input/merge", [
        ("keep", str(keep["id"])), ("merge", str(keep["id"])), ("merge", str(first["id"])),
        ("merge", str(second["id"])), ("back", queue)])

    assert response.status_code == 303 and response.headers["location"] == queue
    for merged in (first, second):
        row = await item(merged["id"])
        assert (row["status"], row["merged_into"]) == ("merged", keep["id"])
    kept = await item(keep["id"])
    assert kept["status"] == "published" and set(kept["theme_ids"]) == set(setup.theme_ids)
    history = await client.get(f"/staff/input/{keep['id']}")
    assert "Benches in the park, please" in history.text and "We need benches" in history.text
    queue_page = await client.get(queue)
    assert "We need benches" not in queue_page.text


async def test_merge_needs_an_item_to_keep_and_another_to_merge(client):
    setup = await make_setup()
    keep = await capture(setup, "Alone")
    await facilitator(client, setup.workshop_id)
    queue = f"/staff/workshops/{setup.workshop_id}/queue"
    alone = await post_form(client, queue, "/staff/input/merge", {"keep": str(keep["id"]), "merge": str(keep["id"])})
    no_keep = await post_form(client, queue, "/staff/input/merge", {"merge": str(keep["id"]), "back": queue})
    assert alone.status_code == 422 and "Choose at least one other item" in alone.text
    assert no_keep.status_code == 303
    assert (await item(keep["id"]))["status"] == "published"


async def test_an_anonymity_edit_shows_the_original_to_organisers_only(app, client, other_client):
    setup = await make_setup()
    said = await capture(setup, "Anna Hansen from HR said pay is unequal")
    await facilitator(client, setup.workshop_id)

    response = await act(client, said["id"], "edit", {"text": "Someone from HR said pay is unequal",
                                                      "kind": "experience", "anonymity": "1"})

    assert response.status_code == 303
    stored = await item(said["id"])
    assert stored["text"] == "Someone from HR said pay is unequal" and stored["kind"] == "experience"
    facilitator_view = await client.get(f"/staff/input/{said['id']}")
    assert "Edited for anonymity" in facilitator_view.text
    assert "Anna Hansen" not in facilitator_view.text
    assert "organisers only" in facilitator_view.text
    await organiser(other_client, setup.event_id)
    organiser_view = await other_client.get(f"/staff/input/{said['id']}")
    assert "Anna Hansen from HR said pay is unequal" in organiser_view.text
    # Walls and participants only ever see the edited text.
    assert "Anna Hansen" not in (await client.get(f"/j/{setup.join_code}")).text


async def test_edits_refuse_bad_text_and_kind(client):
    setup = await make_setup()
    said = await capture(setup, "Keep me")
    await facilitator(client, setup.workshop_id)
    empty = await act(client, said["id"], "edit", {"text": "  ", "kind": "idea"})
    long = await act(client, said["id"], "edit", {"text": "x" * 2001, "kind": "idea"})
    kind = await act(client, said["id"], "edit", {"text": "Keep me", "kind": "rant"})
    assert empty.status_code == long.status_code == kind.status_code == 422
    assert "The text cannot be empty." in empty.text and "Choose one of the kinds." in kind.text
    assert (await item(said["id"]))["text"] == "Keep me"


async def test_retagging_is_kept_in_the_history_and_checks_the_themes(client):
    setup = await make_setup()
    said = await capture(setup, "Tag me", theme_ids=[setup.theme_ids[0]])
    await facilitator(client, setup.workshop_id)
    assert (await act(client, said["id"], "retag", {"theme_ids": str(setup.theme_ids[1])})).status_code == 303
    assert (await item(said["id"]))["theme_ids"] == [setup.theme_ids[1]]
    revision = await InputRevision.select().where(InputRevision.action == "retag").output(load_json=True).first()
    assert revision["changes"]["themes"] == [[setup.theme_ids[0]], [setup.theme_ids[1]]]
    bad = await act(client, said["id"], "retag", {"theme_ids": str(setup.other_theme_id)})
    junk = await act(client, said["id"], "retag", {"theme_ids": "abc"})
    assert bad.status_code == junk.status_code == 422


async def test_moving_to_another_workshop_of_the_same_event(client):
    setup = await make_setup()
    other_event = await make_setup()
    said = await capture(setup, "Wrong room", table=setup.table_ids[0])
    await organiser(client, setup.event_id)
    assert (await act(client, said["id"], "move", {"workshop": str(setup.other_workshop_id)})).status_code == 303
    moved = await item(said["id"])
    assert (moved["workshop"], moved["workshop_table"]) == (setup.other_workshop_id, None)
    elsewhere = await act(client, said["id"], "move", {"workshop": str(other_event.workshop_id)})
    assert elsewhere.status_code == 422
    assert (await item(said["id"]))["workshop"] == setup.other_workshop_id


async def test_a_facilitator_cannot_moderate_outside_their_workshops(client):
    setup = await make_setup()
    said = await capture(setup, "Not yours")
    await facilitator(client, setup.other_workshop_id)
    token = csrf_from((await client.get(f"/staff/workshops/{setup.other_workshop_id}/queue")).text)
    assert (await client.get(f"/staff/workshops/{setup.workshop_id}/queue")).status_code == 404
    assert (await client.get(f"/staff/input/{said['id']}")).status_code == 404
    for action in ("approve", "hide", "edit", "retag", "move"):
        response = await client.post(f"/staff/input/{said['id']}/{action}",
                                     data={"_csrf_token": token, "text": "x", "kind": "idea"})
        assert response.status_code == 404, action
    merge = await client.post("/staff/input/merge", data={"_csrf_token": token, "keep": str(said["id"]),
                                                          "merge": str(said["id"])})
    assert merge.status_code == 404
    assert (await item(said["id"]))["status"] == "published"
    # Nor move an item of their own workshop into one they do not run.
    own = await capture(setup, "Mine")
    await InputItem.update({InputItem.workshop: setup.other_workshop_id}).where(InputItem.id == own["id"])
    moved = await client.post(f"/staff/input/{own['id']}/move",
                              data={"_csrf_token": token, "workshop": str(setup.workshop_id)})
    assert moved.status_code == 422


async def test_the_event_queue_is_for_the_events_organisers(client, other_client):
    setup = await make_setup()
    await capture(setup, "In the first workshop")
    other = await capture(setup, "In the other workshop")
    await InputItem.update({InputItem.workshop: setup.other_workshop_id}).where(InputItem.id == other["id"])
    await organiser(client, setup.event_id)
    page = await client.get(f"/staff/events/{setup.event_id}/queue")
    assert page.status_code == 200
    assert "In the first workshop" in page.text and "In the other workshop" in page.text
    await facilitator(other_client, setup.workshop_id)
    assert (await other_client.get(f"/staff/events/{setup.event_id}/queue")).status_code == 403


async def test_the_anonymous_and_check_in_staff_are_kept_out(client):
    setup = await make_setup()
    said = await capture(setup, "Staff only")
    response = await client.get(f"/staff/input/{said['id']}")
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/login")
    await staff_support.login_as(client, "checkin")
    assert (await client.get(f"/staff/workshops/{setup.workshop_id}/queue")).status_code == 403


async def test_the_input_settings_choose_pre_or_post_moderation(client):
    setup = await make_setup()
    await organiser(client, setup.event_id)
    page = f"/staff/events/{setup.event_id}/input-settings"
    saved = await post_form(client, page, page, {"moderation": "pre", "voting": "1", "participant_input": "1"})
    bad = await post_form(client, page, page, {"moderation": "sometimes"})
    assert saved.status_code == 303 and bad.status_code == 422
    assert "Choose when participants" in bad.text
    response = await client.post(f"/api/v1/join/{setup.join_code}/input", json={"text": "A calm idea"})
    assert response.status_code == 202


async def test_facilitators_cannot_change_the_input_settings(client):
    setup = await make_setup()
    await facilitator(client, setup.workshop_id)
    assert (await client.get(f"/staff/events/{setup.event_id}/input-settings")).status_code == 403


async def test_originals_are_purged_with_the_events_retention(client, settings):
    setup = await make_setup()
    said = await capture(setup, "Name Person said this")
    user = await facilitator(client, setup.workshop_id)
    await services.edit(await item(said["id"]), "Someone said this", "idea", user, anonymity=True)

    assert await services.purge_original_texts(now_utc(), settings) == 0
    later = now_utc() + timedelta(days=settings.retention_days + 2)
    assert await services.purge_original_texts(later, settings) == 1
    assert await services.purge_original_texts(later, settings) == 0

    revision = await InputRevision.select().where(InputRevision.action == "anonymise").output(load_json=True).first()
    assert revision["changes"]["text"] == [None, "Someone said this"] and revision["changes"]["purged"]
    assert "Name Person" not in str(await InputRevision.select(InputRevision.changes))

"""The wall's event stream: a snapshot first, new published input within a second, hidden input removed,
held input never; the workshop's stream and the event's."""

from __future__ import annotations

import asyncio
import time

from wall_support import capture, hide, hold_event, make_theme, make_wall, open_stream, streaming_client, wall_stream

from feedback import live
from feedback.moderation import services as moderation


async def test_stream_starts_with_the_published_input_newest_first(app):
    wall = await make_wall()
    first = await capture(wall["workshop_id"], "More benches along the river")
    second = await capture(wall["workshop_id"], "Light the path to the station")
    async with wall_stream(app, f"/workshops/{wall['workshop_id']}/wall") as events:
        snapshot = await events.next()
    assert snapshot.name == "snapshot"
    assert [item["id"] for item in snapshot.data["items"]] == [second["id"], first["id"]]
    assert snapshot.data["items"][0]["text"] == "Light the path to the station"


async def test_new_input_arrives_within_a_second_and_hidden_input_is_removed(app):
    theme = await make_theme("safety", "#ffcc00", name="Safety")
    wall = await make_wall(themes=(theme,))
    async with wall_stream(app, f"/workshops/{wall['workshop_id']}/wall") as events:
        assert (await events.next()).data == {"items": []}
        started = time.monotonic()
        item = await capture(wall["workshop_id"], "Crossings near the school", theme_ids=(theme,), kind="proposal")
        arrived = await events.next(timeout=1.0)
        assert time.monotonic() - started < 1.0
        assert arrived.name == "input"
        assert arrived.data["id"] == item["id"]
        assert arrived.data["text"] == "Crossings near the school"
        assert arrived.data["kind"] == "proposal"
        assert arrived.data["kind_label"] == "Proposal"
        assert arrived.data["themes"] == [
            {"id": theme, "code": "safety", "name": "Safety", "colour": "#ffcc00", "text_colour": "#000000"}
        ]
        assert (arrived.data["colour"], arrived.data["text_colour"]) == ("#ffcc00", "#000000")

        await hide(item["id"])
        removed = await events.next(timeout=1.0)
    assert removed.name == "removed"
    assert removed.data == {"id": item["id"]}


async def test_held_input_never_reaches_the_wall_until_approved(app):
    wall = await make_wall()
    await hold_event(wall["event_id"])
    held = await capture(wall["workshop_id"], "Held words", participant=True)
    assert held["status"] == "held"
    async with wall_stream(app, f"/workshops/{wall['workshop_id']}/wall") as events:
        assert (await events.next()).data == {"items": []}
        await capture(wall["workshop_id"], "Another held one", participant=True)
        visible = await capture(wall["workshop_id"], "Said at table two")  # a facilitator's: published at once
        arrived = await events.next(timeout=1.0)
        assert (arrived.name, arrived.data["id"]) == ("input", visible["id"])

        assert await moderation.approve(await moderation.item_or_none(held["id"]), None)
        approved = await events.next(timeout=1.0)
        assert (approved.name, approved.data["id"], approved.data["text"]) == ("input", held["id"], "Held words")


async def test_held_input_is_not_on_the_page(client):
    wall = await make_wall()
    await hold_event(wall["event_id"])
    await capture(wall["workshop_id"], "Waiting for a moderator", participant=True)
    await capture(wall["workshop_id"], "Published by the facilitator")
    for path in (f"/workshops/{wall['workshop_id']}/wall", f"/events/{wall['slug']}/wall"):
        page = (await client.get(path)).text
        assert "Published by the facilitator" in page
        assert "Waiting for a moderator" not in page


async def test_the_event_wall_follows_every_workshop_of_the_event(app):
    from registration_support import make_workshop

    wall = await make_wall()
    other_workshop = await make_workshop(wall["event_id"])
    elsewhere = await make_wall()
    async with wall_stream(app, f"/events/{wall['slug']}/wall") as events:
        await events.next()
        await capture(elsewhere["workshop_id"], "Another event's input")
        first = await capture(wall["workshop_id"], "From the first workshop")
        second = await capture(other_workshop, "From the second workshop")
        received = [await events.next(timeout=1.0), await events.next(timeout=1.0)]
        assert [(event.name, event.data["id"]) for event in received] == [
            ("input", first["id"]), ("input", second["id"])
        ]
        await hide(second["id"])
        assert (await events.next(timeout=1.0)).data == {"id": second["id"]}


async def test_a_workshop_wall_ignores_other_workshops(app):
    from registration_support import make_workshop

    wall = await make_wall()
    neighbour = await make_workshop(wall["event_id"])
    async with wall_stream(app, f"/workshops/{wall['workshop_id']}/wall") as events:
        await events.next()
        await capture(neighbour, "Said in the room next door")
        mine = await capture(wall["workshop_id"], "Said here")
        assert (await events.next(timeout=1.0)).data["id"] == mine["id"]


async def test_moving_an_item_removes_it_from_the_old_workshops_wall(app):
    from registration_support import make_workshop

    wall = await make_wall()
    other = await make_workshop(wall["event_id"])
    item = await capture(wall["workshop_id"], "Belongs next door")
    async with wall_stream(app, f"/workshops/{wall['workshop_id']}/wall") as events:
        assert [entry["id"] for entry in (await events.next()).data["items"]] == [item["id"]]
        assert await moderation.move(await moderation.item_or_none(item["id"]), other, None)
        assert (await events.next_named("removed", timeout=1.0)).data == {"id": item["id"]}


async def test_a_reconnect_starts_from_a_fresh_snapshot(app):
    wall = await make_wall()
    kept = await capture(wall["workshop_id"], "Still here")
    gone = await capture(wall["workshop_id"], "Hidden while the wall was away")
    path = f"/workshops/{wall['workshop_id']}/wall/stream"
    async with streaming_client(app) as http:
        async with open_stream(http, path) as events:
            assert len((await events.next()).data["items"]) == 2
        await hide(gone["id"])
        added = await capture(wall["workshop_id"], "Added while the wall was away")
        async with open_stream(http, path) as events:
            snapshot = await events.next()
    assert [item["id"] for item in snapshot.data["items"]] == [added["id"], kept["id"]]


async def test_unknown_walls_and_draft_events_answer_404(client):
    draft = await make_wall(published=False)
    for path in ("/workshops/999999/wall", "/workshops/999999/wall/stream", "/events/nothing-here/wall",
                 "/events/nothing-here/wall/stream", f"/workshops/{draft['workshop_id']}/wall",
                 f"/workshops/{draft['workshop_id']}/wall/stream", f"/events/{draft['slug']}/wall"):
        assert (await client.get(path)).status_code == 404, path


async def test_announcing_never_raises_into_the_caller(app, monkeypatch, caplog):
    wall = await make_wall()
    item = await capture(wall["workshop_id"], "Secret words of a participant")

    async def broken(*args, **kwargs):
        raise ConnectionError("backend down")

    plugin = live._running[-1]
    monkeypatch.setattr(plugin, "wait_published", broken)
    await live.announce_input(item["id"])
    await live.announce_removed(item["id"], wall["event_id"], wall["workshop_id"])
    assert "ConnectionError" in caplog.text
    assert "Secret words" not in caplog.text


async def test_without_a_running_app_announcing_does_nothing():
    wall = await make_wall()
    assert live._running == []
    await capture(wall["workshop_id"], "Captured by a script")  # announces; no wall to tell
    await asyncio.wait_for(live.announce_removed(1, wall["event_id"], None), 1)


async def test_a_large_item_travels_as_its_id_and_still_reaches_the_wall(app):
    wall = await make_wall()
    text = "Flere træer " + "🌳" * 1800  # under 2,000 characters, over 7,000 bytes: the message carries the id
    assert len(text.encode()) > live.MAX_MESSAGE_BYTES
    async with wall_stream(app, f"/workshops/{wall['workshop_id']}/wall") as events:
        await events.next()
        item = await capture(wall["workshop_id"], text)
        arrived = await events.next(timeout=1.0)
    assert (arrived.name, arrived.data["id"], arrived.data["text"]) == ("input", item["id"], text)


async def test_a_quiet_stream_pings_so_the_wall_knows_its_connection_lives(app, client, monkeypatch):
    """A connection that dies without closing sends nothing: the wall reconnects after ``SILENCE_SECONDS``
    without a word, so a quiet stream must still say something well before that."""
    from feedback.wall import routes

    keepalive = routes.KEEPALIVE_SECONDS
    assert routes.SILENCE_SECONDS >= 2 * keepalive  # one lost ping never drops a live connection
    monkeypatch.setattr(routes, "KEEPALIVE_SECONDS", 0.2)
    wall = await make_wall()
    async with wall_stream(app, f"/workshops/{wall['workshop_id']}/wall") as events:
        assert (await events.next()).name == "snapshot"
        ping = await events.next(timeout=2.0)
    assert (ping.name, ping.data) == ("ping", {})
    page = await client.get(f"/workshops/{wall['workshop_id']}/wall")
    assert f'data-silence-seconds="{routes.SILENCE_SECONDS}"' in page.text

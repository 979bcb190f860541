"""The public pages come from the page cache, and are never stale after a commit.

Every change below goes through the app the way people make it (the registration form, the manage link, the
staff pages), and the page that shows it is read from the cache before and after: the content version moves
in the change's own transaction, so the next read renders again. Test data made with ``make_event`` is
saved before a page is first read (it is written outside ``atomic()``, as no code of the app does).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import public_support
import pytest
import staff_support
from public_support import csrf_token, make_event, register_via_form, soon
from staff_support import login_as

from events.tables import Event

settings = public_support.settings
query_counter = public_support.query_counter
client = staff_support.client
other_client = staff_support.other_client

SECURITY_HEADERS = ("content-security-policy", "x-content-type-options", "x-frame-options", "referrer-policy")


def cache_of(app):
    return app.state.page_cache


@pytest.fixture(autouse=True)
def still_clock(app):
    """The cache's clock held in the middle of a minute: no test meets the end of a clock period between two
    requests (an entry that expires re-renders; that is not what these tests are about)."""
    app.state.page_cache.clock = lambda: 1_800_000_030.0


async def _edit_title(client, event_id: int, title: str):
    """The staff edit form, submitted with the event's other values unchanged."""
    row = await Event.select().where(Event.id == event_id).output(load_json=True).first()
    zone = ZoneInfo(row["timezone"])
    page = f"/staff/events/{event_id}/edit"
    fields = {
        "title_en": title,
        "title_da": row["title"].get("da", ""),
        "timezone": row["timezone"],
        "starts_at": row["starts_at"].astimezone(zone).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": row["ends_at"].astimezone(zone).strftime("%Y-%m-%dT%H:%M"),
        "venue": "",
    }
    return await staff_support.post_form(client, page, page, fields)


# --- served from the cache --------------------------------------------------------------------------------


async def test_a_second_read_is_served_from_the_cache_for_one_query(app, client, query_counter):
    await make_event("cached", title={"en": "Cached conference"}, capacity=30)

    for path in ("/", "/events/cached", "/calendar.ics", "/events/cached/calendar.ics"):
        first = await client.get(path)
        with query_counter() as count:
            second = await client.get(path)

        assert first.status_code == second.status_code == 200, path
        assert second.content == first.content, path
        assert count.value == 1, f"{path}: a cached page costs the version read only, not {count.value}"
    assert cache_of(app).hits == 4


async def test_each_language_gets_its_own_page(app, client, query_counter):
    await make_event("sprog", title={"en": "Language day", "da": "Sprogdag", "sv": "Språkdag"})

    danish = await client.get("/events/sprog", headers={"accept-language": "da"})
    swedish = await client.get("/events/sprog", headers={"accept-language": "sv"})
    with query_counter() as count:
        danish_again = await client.get("/events/sprog", headers={"accept-language": "da"})
        swedish_again = await client.get("/events/sprog", headers={"accept-language": "sv"})
    by_link = await client.get("/events/sprog?lang=sv")

    assert '<html lang="da">' in danish.text and "<h1>Sprogdag</h1>" in danish.text
    assert '<html lang="sv">' in swedish.text and "<h1>Språkdag</h1>" in swedish.text
    assert danish_again.content == danish.content and swedish_again.content == swedish.content
    assert count.value == 2, "both languages were served from the cache"
    assert len(cache_of(app).entries) == 3, "da, sv, and the ?lang=sv address (the query string is in the key)"
    assert '<html lang="sv">' in by_link.text
    assert by_link.headers["set-cookie"].startswith("samrad_lang=sv"), "the frame still remembers ?lang="


async def test_the_query_string_is_part_of_the_key(client):
    await make_event("talk", kind="meeting", title={"en": "A meeting"})
    await make_event("course", kind="training", title={"en": "A training"})

    everything = await client.get("/")
    meetings = await client.get("/?kind=meeting")

    assert "A training" in everything.text and "A meeting" in everything.text
    assert "A meeting" in meetings.text and "A training" not in meetings.text


# --- never stale after a commit ---------------------------------------------------------------------------


async def test_a_registration_moves_seats_left_on_the_event_page_and_the_listing(client):
    await make_event("seats", title={"en": "Seats conference"}, capacity=5)
    assert "There are 5 seats left." in (await client.get("/events/seats")).text
    assert "5 seats left" in (await client.get("/")).text
    assert "5 seats left" in (await client.get("/events/seats")).text  # from the cache

    await register_via_form(client, "seats")

    assert "There are 4 seats left." in (await client.get("/events/seats")).text
    listing = (await client.get("/")).text
    assert "4 seats left" in listing and "5 seats left" not in listing


async def test_a_staff_edit_of_the_title_shows_at_once(client, other_client):
    event = await make_event("renamed", title={"en": "Old title"})
    for path in ("/events/renamed", "/", "/calendar.ics"):
        assert "Old title" in (await other_client.get(path)).text

    await login_as(client, "organiser")
    response = await _edit_title(client, event["id"], "New title")
    assert response.status_code == 303

    for path in ("/events/renamed", "/", "/calendar.ics", "/events/renamed/calendar.ics"):
        text = (await other_client.get(path)).text
        assert "New title" in text and "Old title" not in text, path


async def test_a_registrant_cancelling_through_the_manage_link_gives_the_seat_back(client):
    await make_event("freed", capacity=2)
    manage = await register_via_form(client, "freed")
    assert "There is 1 seat left." in (await client.get("/events/freed")).text
    assert "1 seat left" in (await client.get("/")).text

    token = await csrf_token(client, f"{manage}/cancel")
    response = await client.post(f"{manage}/cancel", data={"_csrf_token": token})
    assert response.status_code == 303

    assert "There are 2 seats left." in (await client.get("/events/freed")).text
    assert "2 seats left" in (await client.get("/")).text


async def test_staff_cancelling_the_event_shows_on_its_page_and_in_the_listing(client, other_client):
    event = await make_event("called-off", title={"en": "Called off"})
    assert "This event is cancelled" not in (await other_client.get("/events/called-off")).text
    assert "Cancelled" not in (await other_client.get("/")).text

    await login_as(client, "organiser")
    page = f"/staff/events/{event['id']}/cancel"
    assert (await staff_support.post_form(client, page, page, {"confirm": "1"})).status_code == 303

    assert "This event is cancelled" in (await other_client.get("/events/called-off")).text
    assert "Cancelled" in (await other_client.get("/")).text
    feed = (await other_client.get("/events/called-off/calendar.ics")).text
    assert "STATUS:CANCELLED" in feed


async def test_a_page_cached_before_a_rollback_stays_cached(app, client):
    """A write that fails moves nothing: the cache keeps serving what is still true."""
    from samrad.core import db

    await make_event("steady")
    await client.get("/events/steady")
    try:
        async with db.atomic():
            await Event.update({Event.title: {"en": "Never committed"}}).where(Event.slug == "steady")
            raise RuntimeError("roll back")
    except RuntimeError:
        pass

    again = await client.get("/events/steady")
    assert "Never committed" not in again.text
    assert cache_of(app).hits == 1


# --- ETag and 304 -----------------------------------------------------------------------------------------


async def test_if_none_match_answers_304_without_a_body_until_a_commit(client):
    await make_event("tagged", capacity=10)
    first = await client.get("/events/tagged")
    etag = first.headers["etag"]
    assert etag.startswith('"') and len(etag) > 20

    unchanged = await client.get("/events/tagged", headers={"if-none-match": etag})
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged.headers["etag"] == etag
    for header in SECURITY_HEADERS:
        assert header in unchanged.headers, header
    assert "set-cookie" not in unchanged.headers

    other = await client.get("/events/tagged", headers={"if-none-match": '"something-else", W/' + etag})
    assert other.status_code == 304, "a list of tags, and W/, match as RFC 9110 says"
    assert (await client.get("/events/tagged", headers={"if-none-match": '"nope"'})).status_code == 200

    await register_via_form(client, "tagged")
    changed = await client.get("/events/tagged", headers={"if-none-match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert "There are 9 seats left." in changed.text


async def test_calendar_feeds_keep_their_cache_control_and_answer_304(client):
    from events.listing.routes import FEED_CACHE

    await make_event("series", dates=[soon(7), soon(14), soon(21)], recurrence_rule="FREQ=WEEKLY;COUNT=3")
    for path in ("/calendar.ics", "/events/series/feed.ics", "/events/series/calendar.ics"):
        first = await client.get(path)
        assert first.status_code == 200 and first.headers["cache-control"] == FEED_CACHE, path
        again = await client.get(path, headers={"if-none-match": first.headers["etag"]})
        assert again.status_code == 304, path
        assert again.headers["cache-control"] == FEED_CACHE, path
        assert again.headers["etag"] == first.headers["etag"], path


# --- what a cached page must not carry --------------------------------------------------------------------


async def test_a_cached_page_never_replays_a_cookie_and_carries_no_csrf_token(client, other_client):
    await make_event("cookies")
    first = await client.get("/events/cookies")  # no cookies yet: the CSRF middleware sets one on this answer

    for path in ("/events/cookies", "/"):
        await other_client.get(path)
        other_client.cookies.clear()
        cached = await other_client.get(path)
        assert cached.status_code == 200
        assert "set-cookie" not in cached.headers, path
        assert "_csrf_token" not in cached.text and "csrf" not in cached.text.lower(), path
    assert "samrad_session" not in first.headers.get("set-cookie", "")


async def test_cached_pages_carry_the_security_headers_and_the_headers_of_a_fresh_page(client):
    await make_event("headers")
    fresh = await client.get("/events/headers")
    cached = await client.get("/events/headers")

    for header in SECURITY_HEADERS:
        assert cached.headers[header] == fresh.headers[header], header
    assert "cache-control" not in cached.headers, "HTML pages send no Cache-Control, cached or not"
    assert cached.headers["content-type"] == fresh.headers["content-type"]
    assert cached.headers["etag"] == fresh.headers["etag"]


async def test_only_successful_pages_are_kept(app, client, query_counter):
    await client.get("/events/no-such-event")
    with query_counter() as count:
        missing = await client.get("/events/no-such-event")

    assert missing.status_code == 404
    assert count.value > 1, "a 404 is rendered again, not served from the cache"
    assert "etag" not in missing.headers
    assert not cache_of(app).entries

"""The public pages people find first: the listing, the event page and the calendar files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import public_support
import recurring_ical_events
from public_support import make_event, make_venue, soon

settings = public_support.settings
query_counter = public_support.query_counter

# --- listing ----------------------------------------------------------------------------------------------


def _titles_in_order(html: str, titles: list[str]) -> list[str]:
    positions = sorted((html.find(title), title) for title in titles if title in html)
    return [title for _, title in positions]


async def test_listing_shows_upcoming_published_dates_soonest_first(client):
    await make_event("later", title={"en": "Later meeting"}, starts_at=soon(20))
    await make_event("sooner", title={"en": "Sooner meeting"}, starts_at=soon(2))
    await make_event("hidden", title={"en": "Draft meeting"}, starts_at=soon(3), published=False)
    await make_event("gone", title={"en": "Last month"}, starts_at=soon(-30))

    response = await client.get("/")

    assert response.status_code == 200
    assert _titles_in_order(response.text, ["Later meeting", "Sooner meeting"]) == ["Sooner meeting", "Later meeting"]
    assert "Draft meeting" not in response.text
    assert "Last month" not in response.text
    assert 'href="/events/sooner"' in response.text
    assert 'href="/calendar.ics"' in response.text


async def test_listing_shows_an_ongoing_event_until_it_ends(client):
    started = datetime.now(UTC) - timedelta(hours=1)
    await make_event("now-on", title={"en": "Happening now"}, starts_at=started, duration=timedelta(hours=3))

    response = await client.get("/")

    assert "Happening now" in response.text


async def test_listing_shows_a_series_once_at_its_next_date(client):
    # Replaces test_listing_lists_each_date_of_a_series (three cards of the same café): issue "Fast by design"
    # asks for the series once, with its next date, how often it meets and a link to all its dates.
    await make_event(
        "cafe", kind="cafe", title={"en": "Rainbow café"}, registration_mode="dropin",
        recurrence_rule="FREQ=WEEKLY", dates=[soon(days) for days in (1, 8, 15)],
    )
    await make_event("talk", title={"en": "Budget talk"}, starts_at=soon(3))

    html = (await client.get("/")).text

    cards = html.split('class="card event-card"')[1:]
    assert len(cards) == 2
    cafe = next(card for card in cards if "Rainbow café" in card)
    local = soon(1).astimezone(ZoneInfo("Europe/Copenhagen"))
    assert f'datetime="{soon(1).isoformat()}"' in cafe and soon(8).isoformat() not in html
    assert f"Every {local:%A}, {local:%H:%M} · 3 upcoming dates" in cafe
    assert '<a href="/events/cafe#dates">All dates<span class="visually-hidden">: Rainbow café</span></a>' in cafe
    assert "Drop in, no registration needed" in cafe
    assert _titles_in_order(html, ["Budget talk", "Rainbow café"]) == ["Rainbow café", "Budget talk"]
    assert "4 dates found" in html and "(2 events)" in html


async def test_listing_filters_by_kind(client):
    await make_event(title={"en": "Equality training"}, kind="training")
    await make_event(title={"en": "Policy conference"}, kind="conference")

    response = await client.get("/", params={"kind": "training"})

    assert "Equality training" in response.text
    assert "Policy conference" not in response.text
    assert '<option value="training" selected>' in response.text


async def test_listing_filters_by_local_date_range(client):
    day = soon(10).date()
    # 23:30 UTC is already the next day in Copenhagen: the filter works on local dates.
    late_evening_utc = datetime(day.year, day.month, day.day, 23, 30, tzinfo=UTC)
    await make_event(title={"en": "Next-day breakfast"}, starts_at=late_evening_utc)
    await make_event(title={"en": "Same-day lunch"}, starts_at=datetime(day.year, day.month, day.day, 11, tzinfo=UTC))
    await make_event(title={"en": "Far future"}, starts_at=soon(40))

    same_day = await client.get("/", params={"from": day.isoformat(), "to": day.isoformat()})
    next_day = (day + timedelta(days=1)).isoformat()
    following = await client.get("/", params={"from": next_day, "to": next_day})

    assert "Same-day lunch" in same_day.text
    assert "Next-day breakfast" not in same_day.text
    assert "Far future" not in same_day.text
    assert "Next-day breakfast" in following.text
    assert "Same-day lunch" not in following.text


async def test_listing_explains_filters_it_cannot_use(client):
    await make_event(title={"en": "Still listed"})

    response = await client.get("/", params={"from": "31/12/2026", "kind": "party"})

    assert response.status_code == 200
    assert "Enter a date like" in response.text
    assert 'aria-describedby="filter-from-error"' in response.text
    assert "Choose one of the kinds" in response.text
    assert "Still listed" in response.text


async def test_listing_rejects_an_end_date_before_the_start(client):
    response = await client.get("/", params={"from": "2030-05-10", "to": "2030-05-01"})

    assert response.status_code == 200
    assert "The end date must be on or after the start date." in response.text


async def test_listing_paginates_twenty_to_a_page_with_links(client):
    for number in range(45):
        await make_event(f"many-{number:02d}", title={"en": f"Gathering {number:02d}"}, starts_at=soon(1 + number))

    first = await client.get("/")
    second = await client.get("/", params={"page": "2"})
    third = await client.get("/", params={"page": "3"})

    assert first.text.count('class="card event-card"') == 20
    assert "Gathering 00" in first.text and "Gathering 20" not in first.text
    assert "Gathering 20" in second.text and "Gathering 39" in second.text
    assert third.text.count('class="card event-card"') == 5
    assert 'href="/?page=2" rel="next"' in first.text
    assert 'rel="prev"' not in first.text
    assert 'href="/" rel="prev"' in second.text and 'href="/?page=3" rel="next"' in second.text
    assert 'href="/?page=2" aria-current="page"' in second.text
    assert "45 dates found" in first.text


async def test_listing_pagination_keeps_the_filters(client):
    for number in range(25):
        await make_event(title={"en": f"Training {number}"}, kind="training", starts_at=soon(1 + number))

    response = await client.get("/", params={"kind": "training"})

    assert 'href="/?kind=training&amp;page=2" rel="next"' in response.text


async def test_listing_past_the_last_page_offers_the_first(client):
    await make_event()

    response = await client.get("/", params={"page": "9"})

    assert response.status_code == 200
    assert "past the end of the list" in response.text


async def test_listing_badges_tell_where_registration_stands(client):
    now = datetime.now(UTC)
    await make_event(title={"en": "Roomy"}, capacity=30, booked=10)
    await make_event(title={"en": "Queue"}, capacity=5, booked=5, waitlist_enabled=True)
    await make_event(title={"en": "Packed"}, capacity=5, booked=5, waitlist_enabled=False)
    await make_event(title={"en": "Walk in"}, registration_mode="dropin", kind="cafe")
    await make_event(title={"en": "Too late"}, registration_closes_at=now - timedelta(days=1))
    await make_event(title={"en": "Too early"}, registration_opens_at=now + timedelta(days=1))
    await make_event(title={"en": "Called off"}, status="cancelled")

    html = (await client.get("/")).text

    def badge_after(title: str) -> str:
        start = html.index(title)
        return html[html.index('class="badge', start):][:80]

    assert "20 seats left" in badge_after("Roomy")
    assert "Waiting list" in badge_after("Queue")
    assert "Full" in badge_after("Packed")
    assert "Drop in, no registration needed" in badge_after("Walk in")
    assert "Registration closed" in badge_after("Too late")
    assert "Registration not open yet" in badge_after("Too early")
    assert "Cancelled" in badge_after("Called off")


async def test_listing_speaks_the_visitors_language(client):
    await make_event(title={"en": "Town meeting", "da": "Borgermøde", "sv": "Medborgarmöte"}, capacity=10)

    danish = await client.get("/", headers={"Accept-Language": "da-DK,da;q=0.9"})
    swedish = await client.get("/", params={"lang": "sv"})

    assert "Borgermøde" in danish.text and "Town meeting" not in danish.text
    assert '<html lang="da">' in danish.text
    assert "Medborgarmöte" in swedish.text


async def test_listing_stays_at_a_few_queries_with_many_events(client, query_counter):
    from events.tables import Event, Occurrence

    start = soon(1)
    events = [
        Event(slug=f"bulk-{n}", kind="meeting", title={"en": f"Bulk {n}"}, starts_at=start + timedelta(hours=n),
              ends_at=start + timedelta(hours=n + 1), ical_uid=f"bulk-{n}@test", capacity=50)
        for n in range(1200)
    ]
    for batch in range(0, len(events), 200):
        await Event.insert(*events[batch:batch + 200])
    rows = await Event.select(Event.id, Event.starts_at, Event.ends_at)
    dates = [Occurrence(event=row["id"], starts_at=row["starts_at"], ends_at=row["ends_at"]) for row in rows]
    for batch in range(0, len(dates), 200):
        await Occurrence.insert(*dates[batch:batch + 200])

    with query_counter() as count:
        response = await client.get("/", params={"page": "30", "kind": "meeting"})

    assert response.status_code == 200
    assert "1200 dates found" in response.text
    assert response.text.count('class="card event-card"') == 20
    assert 1 <= count.value <= 4


# --- event page -------------------------------------------------------------------------------------------


async def test_event_page_shows_what_people_need_to_decide(client):
    venue = await make_venue(quiet_room=False)
    winter = datetime(datetime.now(UTC).year + 1, 1, 15, 8, 0, tzinfo=UTC)
    await make_event(
        "policy-day", title={"en": "Policy day"}, starts_at=winter, duration=timedelta(hours=7), venue=venue["id"],
        capacity=100, booked=40, categories=("citizen", "staff", "council"), quotas={"council": 20},
    )

    response = await client.get("/events/policy-day")

    html = response.text
    assert response.status_code == 200
    assert "<h1>Policy day</h1>" in html
    assert "09:00–16:00" in html  # 08:00 UTC is 09:00 in Copenhagen in January
    assert "Kulturhuset" in html and "Storegade 1" in html
    assert "Step-free access: yes" in html and "Hearing loop: yes" in html and "Quiet room: no" in html
    assert "Lift to all floors." in html
    assert "60 seats left" in html
    assert "Citizen" in html and "Staff member" in html and "user council" in html
    assert "20 seats left for this group" in html
    assert "09:00 Welcome" in html and "And why it matters." in html
    assert 'href="/events/policy-day/register"' in html
    assert 'href="/events/policy-day/calendar.ics"' in html
    assert "feed.ics" not in html


async def test_event_page_in_swedish_uses_swedish_content_and_dates(client):
    await make_event("mote", title={"en": "Meeting", "sv": "Möte"}, starts_at=datetime(2031, 3, 4, 17, tzinfo=UTC))

    html = (await client.get("/events/mote", params={"lang": "sv"})).text

    assert "<h1>Möte</h1>" in html
    assert "tisdag 4 mars 2031" in html
    assert "18:00–21:00" in html


async def test_event_page_for_a_series_lists_dates_and_offers_the_feed(client):
    await make_event(
        "rainbow-cafe", kind="cafe", registration_mode="dropin", recurrence_rule="FREQ=WEEKLY",
        dates=[soon(days) for days in (2, 9, 16)], title={"en": "Rainbow café"},
    )

    html = (await client.get("/events/rainbow-cafe")).text

    assert "Just come" in html
    assert "Upcoming dates" in html
    assert html.count("<time") >= 4  # the next date plus the three in the list
    assert 'href="/events/rainbow-cafe/feed.ics"' in html
    assert "Get a reminder by email" in html


async def test_event_page_says_when_registration_opens(client):
    opens = datetime.now(UTC) + timedelta(days=3)
    await make_event("soon-open", registration_opens_at=opens)

    html = (await client.get("/events/soon-open")).text

    assert "Registration opens" in html
    assert 'href="/events/soon-open/register"' not in html


async def test_event_page_offers_the_waiting_list_when_full(client):
    await make_event("packed", capacity=2, booked=2, waitlist_enabled=True)

    html = (await client.get("/events/packed")).text

    assert "Join the waiting list" in html


async def test_unknown_or_unpublished_event_is_a_friendly_404(client):
    await make_event("draft", published=False)

    for path in ("/events/no-such-event", "/events/draft", "/events/draft/calendar.ics"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "Page not found" in response.text


# --- calendar files ---------------------------------------------------------------------------------------


async def test_add_to_calendar_file_is_a_publish_event_in_local_time(client):
    start = datetime(2031, 6, 10, 7, 0, tzinfo=UTC)
    await make_event("summer", title={"en": "Summer meeting"}, starts_at=start)

    response = await client.get("/events/summer/calendar.ics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert "attachment" in response.headers["content-disposition"]
    calendar = icalendar.Calendar.from_ical(response.content)
    assert calendar["METHOD"] == "PUBLISH"
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("DTSTART") == start
    assert str(event.decoded("DTSTART").tzinfo) == "Europe/Copenhagen"
    assert "/manage/" not in response.text


async def test_all_events_feed_parses_and_expands_series_to_their_dates(client):
    dates = [soon(days, hour=16) for days in (3, 10, 17)]
    await make_event("cafe-series", kind="cafe", registration_mode="dropin", recurrence_rule="FREQ=WEEKLY;COUNT=3",
                     dates=dates, duration=timedelta(hours=2))
    await make_event("single", starts_at=soon(5))
    await make_event("secret-draft", published=False)

    response = await client.get("/calendar.ics")

    assert response.status_code == 200
    calendar = icalendar.Calendar.from_ical(response.content)
    assert calendar["METHOD"] == "PUBLISH"
    expanded = recurring_ical_events.of(calendar).between(soon(0), soon(30))
    starts = sorted(event.decoded("DTSTART") for event in expanded)
    assert starts == sorted([*dates, soon(5)])
    assert b"secret-draft" not in response.content


async def test_series_feed_holds_only_that_series(client):
    await make_event("weekly", recurrence_rule="FREQ=WEEKLY;COUNT=2", dates=[soon(1), soon(8)])
    await make_event("other")

    response = await client.get("/events/weekly/feed.ics")

    calendar = icalendar.Calendar.from_ical(response.content)
    assert len(calendar.walk("VEVENT")) == 1
    assert len(list(recurring_ical_events.of(calendar).between(soon(0), soon(30)))) == 2

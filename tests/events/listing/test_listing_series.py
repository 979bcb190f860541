"""The listing shows a series once, and reads its pages from an index: what people see, and that every page
holds exactly the entries a plain reading of the rules gives, whatever drafts, series and ongoing dates sit
between them (issue "Fast by design")."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import public_support
import pytest
from babel.dates import format_date
from public_support import make_event, soon

from events.listing import queries
from events.listing.queries import ListingFilter

settings = public_support.settings
COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def cards(html: str) -> list[str]:
    return html.split('class="card event-card"')[1:]


async def make_cafe(dates: list[datetime], **fields):
    return await make_event(
        "cafe", kind="cafe", title={"en": "Rainbow café", "da": "Regnbuecafé", "sv": "Regnbågskafé"},
        registration_mode="dropin", recurrence_rule="FREQ=WEEKLY", dates=dates, **fields,
    )


# --- what people see --------------------------------------------------------------------------------------


async def test_a_cancelled_next_date_gives_way_to_the_next_held_one(client):
    from events.tables import Occurrence

    await make_cafe([soon(days) for days in (1, 8, 15)])
    await Occurrence.update({Occurrence.cancelled: True}).where(Occurrence.starts_at == soon(1))

    (cafe,) = cards((await client.get("/")).text)

    assert f'datetime="{soon(8).isoformat()}"' in cafe
    assert "2 upcoming dates" in cafe and "Cancelled" not in cafe


async def test_a_date_filter_shows_a_series_at_its_first_date_in_the_range(client):
    await make_cafe([soon(days) for days in (1, 8, 15)])
    await make_event("talk", title={"en": "Budget talk"}, starts_at=soon(9))

    def local_day(days: int) -> str:
        return soon(days).astimezone(COPENHAGEN).date().isoformat()

    two = (await client.get("/", params={"from": local_day(7), "to": local_day(16)})).text
    last = (await client.get("/", params={"from": local_day(15), "to": local_day(15)})).text
    none = (await client.get("/", params={"from": local_day(2), "to": local_day(6)})).text

    (cafe, talk) = cards(two)
    assert "Rainbow café" in cafe and "Budget talk" in talk
    assert f'datetime="{soon(8).isoformat()}"' in cafe and soon(1).isoformat() not in two
    assert "2 dates in the chosen period" in cafe
    assert "3 dates found" in two and "(2 events)" in two
    (cafe,) = cards(last)
    assert f'datetime="{soon(15).isoformat()}"' in cafe and "1 date in the chosen period" in cafe
    assert "Rainbow café" not in none and "No upcoming events match these filters." in none


@pytest.mark.parametrize("locale, every", [("da", "Hver"), ("sv", "Varje")])
async def test_the_series_text_speaks_the_page_language(client, locale, every):
    await make_cafe([soon(days, hour=16) for days in (1, 8)])

    html = (await client.get("/", params={"lang": locale})).text

    local = soon(1, hour=16).astimezone(COPENHAGEN)
    weekday = format_date(local.date(), "EEEE", locale=locale)
    assert f'<html lang="{locale}">' in html
    assert f"{every} {weekday} kl. {local:%H:%M}" in html
    assert ("Regnbuecafé" if locale == "da" else "Regnbågskafé") in html
    assert "Every" not in html and "All dates" not in html and 'href="/events/cafe#dates"' in html


async def test_a_rule_that_is_not_weekly_says_recurring(client):
    await make_event("monthly", title={"en": "Monthly board"}, recurrence_rule="FREQ=MONTHLY;BYDAY=1TU",
                     dates=[soon(days) for days in (3, 31, 59)])

    (board,) = cards((await client.get("/")).text)

    assert "Recurring · 3 upcoming dates" in board and "Every" not in board


async def test_the_kind_filter_shows_a_series_once(client):
    await make_cafe([soon(days) for days in (1, 8, 15)])
    await make_event(kind="training", starts_at=soon(2))

    html = (await client.get("/", params={"kind": "cafe"})).text

    assert len(cards(html)) == 1 and "3 dates found" in html and "3 upcoming dates" in html


async def test_the_api_still_lists_every_date_of_a_series(client):
    await make_cafe([soon(days) for days in (1, 8, 15)])

    data = (await client.get("/api/v1/events")).json()

    assert [item["starts_at"] for item in data["items"]] == [
        soon(days).isoformat().replace("+00:00", "Z") for days in (1, 8, 15)
    ]
    assert data["total"] == 3 and data["total_exact"] is True


async def test_counting_stops_early_and_says_more_than(client, monkeypatch):
    monkeypatch.setattr(queries, "COUNT_UP_TO", 30)
    monkeypatch.setattr(queries, "COUNT_PAGES_AHEAD", 1)
    for number in range(130):
        await make_event(f"many-{number:03d}", title={"en": f"Gathering {number:03d}"},
                         starts_at=soon(1) + timedelta(hours=number))

    first = (await client.get("/")).text
    deep = (await client.get("/", params={"page": "5"})).text
    last = (await client.get("/", params={"page": "7"})).text

    # Page 1 counts to 30 plus a page ahead: 50 of the 130, so "more than", and no last page is named.
    assert "More than 49 dates found" in first and "(page 1)" in first
    assert 'href="/?page=2" rel="next"' in first and 'href="/?page=3"' in first and 'href="/?page=4"' not in first
    assert "Gathering 019" in first and "Gathering 020" not in first
    assert "Gathering 080" in deep and "Gathering 099" in deep and len(cards(deep)) == 20
    assert "More than 100 dates found" in deep and 'href="/?page=6" rel="next"' in deep
    # The last page reaches the end: the count is exact again.
    assert "130 dates found" in last and "(page 7 of 7)" in last and len(cards(last)) == 10
    assert 'rel="next"' not in last


# --- every page is right ----------------------------------------------------------------------------------


def expected_entries(events: list[dict], filters: ListingFilter, now: datetime) -> tuple[list[tuple], int]:
    """The listing by its rules, read plainly: dates of published events inside the window, a series (an event
    with a rule) as its first held date there (or its first), in (start, event, date) order; and the dates."""
    def midnight(day: date) -> datetime:
        return datetime.combine(day, time(0), COPENHAGEN).astimezone(UTC)

    lo = now - queries.LONGEST_LISTED_DATE
    if filters.date_from:
        lo = max(lo, midnight(filters.date_from))
    hi = midnight(filters.date_to + timedelta(days=1)) if filters.date_to else None
    entries, dates = [], 0
    for event in events:
        if not event["published"] or (filters.kind and event["kind"] != filters.kind):
            continue
        inside = [row for row in event["dates"]
                  if row["starts_at"] >= lo and row["ends_at"] > now and (hi is None or row["starts_at"] < hi)]
        dates += len(inside)
        if event["rule"] and inside:
            inside = [min(inside, key=lambda row: (row["cancelled"], row["starts_at"], row["id"]))]
        entries += [(row["starts_at"], event["id"], row["id"]) for row in inside]
    return sorted(entries), dates


async def listed(filters: ListingFilter, per_page: int, now: datetime) -> tuple[list[tuple], list]:
    """Every page in turn (and one past the end), as (start, event, date) rows, with each page's counts."""
    rows, counts, number = [], [], 1
    while True:
        page = await queries.upcoming_dates(filters, page=number, per_page=per_page, now=now)
        counts.append((page.total, page.exact, page.dates))
        if not page.items:
            return rows, counts
        rows += [(item["starts_at"], item["event_id"], item["occurrence_id"]) for item in page.items]
        number += 1


async def mixed_programme(now: datetime) -> list[dict]:
    """Singles, drafts (single and series), two series with cancelled, past and ongoing dates, a long date
    that started ten days ago and one that ended yesterday, interleaved in time."""
    from events.tables import Event, Occurrence

    hour = timedelta(hours=1)
    plan = [  # (kind, published, rule, [(start in hours from now, length in hours, cancelled)])
        *[("meeting" if n % 3 else "training", True, "", [(24 * n + 5, 2, False)]) for n in range(1, 13)],
        ("meeting", False, "", [(24 * 2 + 17, 2, False)]),
        ("meeting", False, "", [(24 * 6 + 17, 2, False)]),
        ("cafe", False, "FREQ=WEEKLY", [(24 * d + 3, 2, False) for d in (3, 4, 9)]),
        ("cafe", True, "FREQ=WEEKLY", [(24 * d + 11, 2, d == 1) for d in (1, 5, 7, 11)]),
        ("cafe", True, "FREQ=WEEKLY", [(-24 * 40, 2, False), (-2, 3, True), (24 * 8 + 11, 2, False)]),
        ("training", True, "", [(-1, 3, False)]),
        ("conference", True, "", [(-24 * 10, 24 * 15, False)]),
        ("meeting", True, "", [(-48, 2, False)]),
        ("training", True, "", [(24 * 5 + 11, 2, False)]),  # the same start as a café date
    ]
    events = []
    for number, (kind, published, rule, dates) in enumerate(plan):
        first = now + dates[0][0] * hour
        event = Event(slug=f"mixed-{number}", kind=kind, title={"en": f"Mixed {number}"}, starts_at=first,
                      ends_at=first + dates[0][1] * hour, published=published, recurrence_rule=rule,
                      ical_uid=f"mixed-{number}@test")
        await event.save()
        rows = []
        for start, length, cancelled in dates:
            date_row = Occurrence(event=event.id, starts_at=now + start * hour, ends_at=now + (start + length) * hour,
                                  cancelled=cancelled)
            await date_row.save()
            rows.append({"id": date_row.id, "starts_at": date_row.starts_at, "ends_at": date_row.ends_at,
                         "cancelled": cancelled})
        events.append({"id": event.id, "kind": kind, "published": published, "rule": rule, "dates": rows})
    return events


@pytest.mark.parametrize("count_up_to", [queries.COUNT_UP_TO, 4])
async def test_every_page_holds_the_entries_the_rules_give(monkeypatch, count_up_to):
    monkeypatch.setattr(queries, "COUNT_UP_TO", count_up_to)
    monkeypatch.setattr(queries, "COUNT_PAGES_AHEAD", 1)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    events = await mixed_programme(now)
    today = now.astimezone(COPENHAGEN).date()
    cases = [
        ListingFilter(),
        ListingFilter(kind="cafe"),
        ListingFilter(kind="meeting"),
        ListingFilter(date_from=today + timedelta(days=4)),
        ListingFilter(date_from=today, date_to=today + timedelta(days=6)),
        ListingFilter(kind="training", date_to=today + timedelta(days=8)),
    ]
    for filters in cases:
        expected, dates = expected_entries(events, filters, now)
        for per_page in (1, 3, 20):
            rows, counts = await listed(filters, per_page, now)

            assert rows == expected, (filters, per_page)
            for total, exact, counted_dates in counts:
                # Exact, or a lower bound that says "more than" a number below the real count.
                if exact:
                    assert (total, counted_dates) == (len(expected), dates), (filters, per_page, counts)
                else:
                    assert counted_dates is None and total <= len(expected), (filters, per_page, counts)
                    assert queries.Page([], total, 1, per_page, exact=False).at_least < len(expected)
            assert counts[0][1] or len(expected) > count_up_to, (filters, per_page, counts)

"""Calendar files, read back by independent parsers (vobject, and recurring-ical-events for expansion)."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
import vobject
from mailcal_support import make_event, make_occurrences, make_registration, make_venue, outbox_rows

from events.contracts import Notice
from events.messaging.calendar import (
    event_ics,
    feed_ics,
    invite_ics,
    load_event_for_calendar,
    load_events_for_calendar,
    occurrence_cancel_ics,
    occurrence_uid,
)
from events.messaging.notifications import notify
from samrad.core import db

STOCKHOLM = ZoneInfo("Europe/Stockholm")
COPENHAGEN = ZoneInfo("Europe/Copenhagen")

# A weekly LGBTQ café on Sundays at 17:00 in Katrineholm, March to November 2026, with a summer break.
# Daylight saving time starts on 29 March and ends on 25 October 2026 (the last Sundays of those months).
CAFE_FIRST = datetime(2026, 3, 1, 17, 0, tzinfo=STOCKHOLM)
CAFE_UNTIL = date(2026, 11, 29)
SUMMER_BREAK = (date(2026, 6, 21), date(2026, 8, 9))


def _sundays() -> list[datetime]:
    days, current = [], CAFE_FIRST
    while current.date() <= CAFE_UNTIL:
        days.append(current)
        current = datetime.combine(current.date() + timedelta(days=7), time(17, 0), tzinfo=STOCKHOLM)
    return days


def _in_break(value: datetime) -> bool:
    return SUMMER_BREAK[0] <= value.date() <= SUMMER_BREAK[1]


async def _cafe(**fields) -> tuple[dict, list[int]]:
    venue = await make_venue(name="Kulturhuset Ebeneser", address="Djulögatan 23", city="Katrineholm")
    event = await make_event(
        starts_at=CAFE_FIRST.astimezone(UTC), duration=timedelta(hours=2), venue=venue["id"], kind="cafe",
        timezone="Europe/Stockholm", recurrence_rule="FREQ=WEEKLY;BYDAY=SU;UNTIL=20261129",
        registration_mode="dropin", sensitive=True, ical_sequence=1,
        title={"en": "MOGAI café", "sv": "MOGAI-café"}, **fields,
    )
    sundays = _sundays()
    ids = await make_occurrences(
        event["id"], [day.astimezone(UTC) for day in sundays], timedelta(hours=2),
        cancelled={day.astimezone(UTC) for day in sundays if _in_break(day)},
    )
    return event, ids


def _expand(ics: bytes, start: date = date(2026, 1, 1), end: date = date(2027, 1, 1)) -> list[datetime]:
    calendar = icalendar.Calendar.from_ical(ics)
    return sorted(item["DTSTART"].dt for item in recurring_ical_events.of(calendar).between(start, end))


async def test_weekly_cafe_keeps_local_time_across_dst_and_skips_the_summer_break():
    event, _ids = await _cafe()
    loaded = await load_event_for_calendar(event["id"])

    ics = event_ics(loaded)

    starts = _expand(ics)
    expected = [day for day in _sundays() if not _in_break(day)]
    assert [start.date() for start in starts] == [day.date() for day in expected]
    assert all(start.astimezone(STOCKHOLM).time() == time(17, 0) for start in starts)
    by_date = {start.date(): start for start in starts}
    # The UTC offset changes with DST; the local time does not.
    assert by_date[date(2026, 3, 22)].astimezone(UTC).hour == 16
    assert by_date[date(2026, 3, 29)].astimezone(UTC).hour == 15
    assert by_date[date(2026, 10, 18)].astimezone(UTC).hour == 15
    assert by_date[date(2026, 10, 25)].astimezone(UTC).hour == 16
    assert date(2026, 7, 5) not in by_date

    # Read independently with vobject: the same dates, and the RFC 5545 details.
    parsed = vobject.readOne(ics.decode())
    vevent = parsed.vevent
    rruleset = vevent.getrruleset(addRDate=True)
    vobject_starts = sorted(rruleset)
    assert [value.date() for value in vobject_starts] == [day.date() for day in expected]
    assert all(value.astimezone(STOCKHOLM).time() == time(17, 0) for value in vobject_starts)
    text = ics.decode()
    assert "DTSTART;TZID=Europe/Stockholm:20260301T170000" in text
    assert "UNTIL=20261129T225959Z" in text.replace("\r\n ", "")
    exdates = [line for line in text.replace("\r\n ", "").splitlines() if line.startswith("EXDATE")]
    assert exdates and all(line.startswith("EXDATE;TZID=Europe/Stockholm:") for line in exdates)
    assert "BEGIN:VTIMEZONE" in text and "TZID:Europe/Stockholm" in text
    assert parsed.method.value == "PUBLISH"


async def test_missing_weeks_of_the_rule_are_excluded_too():
    """A date the rule produces but no occurrence row has (never planned) is not in the calendar."""
    event, ids = await _cafe()
    from events.tables import Occurrence

    gone = _sundays()[3]
    await Occurrence.delete().where(Occurrence.starts_at == gone.astimezone(UTC))
    loaded = await load_event_for_calendar(event["id"])

    starts = {start.date() for start in _expand(event_ics(loaded))}

    assert gone.date() not in starts
    assert _sundays()[4].date() in starts
    assert len(ids) == len(_sundays())


async def test_cancel_has_same_uid_and_higher_sequence():
    event = await make_event(ical_sequence=4, venue=(await make_venue())["id"])
    loaded = await load_event_for_calendar(event["id"])

    request = vobject.readOne(invite_ics(loaded, {"email": "a@example.org"}, "REQUEST").decode())
    cancel = vobject.readOne(invite_ics(loaded, {"email": "a@example.org"}, "CANCEL").decode())

    assert request.method.value == "REQUEST"
    assert cancel.method.value == "CANCEL"
    assert request.vevent.uid.value == cancel.vevent.uid.value == event["ical_uid"]
    assert int(request.vevent.sequence.value) == 4
    assert int(cancel.vevent.sequence.value) == 5
    assert cancel.vevent.status.value == "CANCELLED"
    assert request.vevent.organizer.value == "mailto:noreply@kommune.example"
    assert request.vevent.attendee.value == "mailto:a@example.org"
    assert request.vevent.location.value == "Kulturhuset, Storegade 1, Randers"
    assert f"/events/{event['slug']}" in request.vevent.description.value


async def test_single_event_in_summer_has_local_time_with_tzid():
    start = datetime(2026, 8, 23, 9, 0, tzinfo=COPENHAGEN)
    event = await make_event(starts_at=start.astimezone(UTC), duration=timedelta(hours=7))
    loaded = await load_event_for_calendar(event["id"])

    text = event_ics(loaded).decode()

    assert "DTSTART;TZID=Europe/Copenhagen:20260823T090000" in text
    assert "DTEND;TZID=Europe/Copenhagen:20260823T160000" in text
    assert "RRULE" not in text
    parsed = vobject.readOne(text)
    assert parsed.vevent.dtstart.value == start
    assert _expand(text.encode()) == [start]


async def test_one_cancelled_date_for_a_series_holder_uses_recurrence_id():
    event, ids = await _cafe()
    loaded = await load_event_for_calendar(event["id"])
    occurrence = next(row for row in loaded["occurrences"] if row["id"] == ids[5])

    text = occurrence_cancel_ics(loaded, occurrence).decode()
    cancel = vobject.readOne(text)

    assert cancel.method.value == "CANCEL"
    assert cancel.vevent.uid.value == event["ical_uid"]
    assert cancel.vevent.recurrence_id.value == _sundays()[5]
    assert f"RECURRENCE-ID;TZID=Europe/Stockholm:{_sundays()[5]:%Y%m%dT%H%M%S}" in text
    assert int(cancel.vevent.sequence.value) == 2
    assert not hasattr(cancel.vevent, "rrule")


async def test_feed_has_name_refresh_interval_and_every_timezone():
    cafe, _ids = await _cafe()
    conference = await make_event(starts_at=datetime(2026, 8, 23, 7, 0, tzinfo=UTC))
    events = await load_events_for_calendar([conference["id"], cafe["id"]])

    ics = feed_ics(events, "Samråd events", "https://events.example/calendar.ics")

    text = ics.decode()
    assert "METHOD:PUBLISH" in text
    assert "NAME:Samråd events" in text
    assert "X-WR-CALNAME:Samråd events" in text
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in text
    assert "X-PUBLISHED-TTL:PT1H" in text
    calendar = icalendar.Calendar.from_ical(ics)
    assert sorted(str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")) == ["Europe/Copenhagen", "Europe/Stockholm"]
    assert [str(item["UID"]) for item in calendar.walk("VEVENT")] == [conference["ical_uid"], cafe["ical_uid"]]
    parsed = vobject.readOne(text)
    assert len(parsed.vevent_list) == 2
    expanded = _expand(ics)
    assert datetime(2026, 8, 23, 9, 0, tzinfo=COPENHAGEN) in expanded
    assert len(expanded) == 1 + len([day for day in _sundays() if not _in_break(day)])


async def test_cancelled_event_is_published_as_cancelled():
    event = await make_event(status="cancelled")
    text = event_ics(await load_event_for_calendar(event["id"])).decode()
    assert "STATUS:CANCELLED" in text


async def _notify(notice, registration_id, **kwargs):
    async with db.atomic():
        return await notify(notice, registration_id, **kwargs)


def _ics_of(row) -> bytes | None:
    for item in row["attachments"]:
        if item["content_type"] == "text/calendar":
            return base64.b64decode(item["data_b64"])
    return None


async def test_no_manage_token_or_ticket_in_any_calendar_file():
    event, ids = await _cafe()
    conference = await make_event()
    people = [
        await make_registration(conference["id"]),
        await make_registration(event["id"]),
        await make_registration(event["id"], occurrence=ids[1]),
    ]
    token = "very-secret-manage-token"
    for person in people:
        for notice in (Notice.confirmed, Notice.changed, Notice.link_resent, Notice.reminder):
            await _notify(notice, person["id"], manage_token=token)
    await _notify(Notice.event_cancelled, people[1]["id"], occurrence_id=ids[2])

    rows = await outbox_rows()
    calendars = [_ics_of(row) for row in rows]
    assert len([ics for ics in calendars if ics]) == len(rows)
    for row, ics in zip(rows, calendars, strict=True):
        assert token in row["text_body"] or row["kind"] in {"notice.reminder", "notice.event_cancelled"}
        text = ics.decode()
        assert token not in text
        assert "/manage/" not in text
        registration = next(p for p in people if p["email"] == row["to_address"])
        assert registration["ticket_code"] not in text


async def test_sign_up_for_one_date_gets_an_invite_for_that_date():
    event, ids = await _cafe()
    person = await make_registration(event["id"], occurrence=ids[4], locale="sv")

    await _notify(Notice.confirmed, person["id"], manage_token="t")

    [row] = await outbox_rows()
    parsed = vobject.readOne(_ics_of(row).decode())
    assert parsed.method.value == "REQUEST"
    assert parsed.vevent.uid.value == occurrence_uid(event, ids[4])
    assert parsed.vevent.dtstart.value == _sundays()[4]
    assert not hasattr(parsed.vevent, "rrule")
    assert parsed.vevent.summary.value == "MOGAI-café"
    # A drop-in has no tickets.
    assert person["ticket_code"] not in row["text_body"]


async def test_cancelling_one_date_reaches_whole_series_and_that_dates_sign_ups_only():
    event, ids = await _cafe()
    series_holder = await make_registration(event["id"])
    same_date = await make_registration(event["id"], occurrence=ids[6])
    other_date = await make_registration(event["id"], occurrence=ids[7])

    for person in (series_holder, same_date, other_date):
        await _notify(Notice.event_cancelled, person["id"], occurrence_id=ids[6])

    rows = {row["to_address"]: row for row in await outbox_rows()}
    series_cancel = vobject.readOne(_ics_of(rows[series_holder["email"]]).decode())
    assert series_cancel.method.value == "CANCEL"
    assert series_cancel.vevent.uid.value == event["ical_uid"]
    assert series_cancel.vevent.recurrence_id.value == _sundays()[6]
    date_cancel = vobject.readOne(_ics_of(rows[same_date["email"]]).decode())
    assert date_cancel.vevent.uid.value == occurrence_uid(event, ids[6])
    assert not hasattr(date_cancel.vevent, "recurrence_id")
    assert _ics_of(rows[other_date["email"]]) is None
    assert "The other dates go ahead" in rows[series_holder["email"]]["text_body"]


async def test_registering_again_after_cancelling_outranks_the_cancel():
    event = await make_event(ical_sequence=2)
    first = await make_registration(event["id"], email="Same@Example.org", status="cancelled")
    await _notify(Notice.cancelled, first["id"])
    again = await make_registration(event["id"], email="same@example.org")
    await _notify(Notice.confirmed, again["id"], manage_token="t")

    cancel_row, request_row = await outbox_rows()
    cancel = vobject.readOne(_ics_of(cancel_row).decode())
    request = vobject.readOne(_ics_of(request_row).decode())
    assert int(request.vevent.sequence.value) > int(cancel.vevent.sequence.value)


async def test_registration_ics_follows_the_registration():
    from events.messaging.calendar import registration_ics

    event = await make_event(ical_sequence=1)
    confirmed = await make_registration(event["id"])
    waiting = await make_registration(event["id"], status="waitlisted")
    cancelled = await make_registration(event["id"], status="cancelled")

    request = vobject.readOne((await registration_ics(confirmed["id"])).decode())
    cancel = vobject.readOne((await registration_ics(cancelled["id"])).decode())

    assert request.method.value == "REQUEST"
    assert request.vevent.attendee.value == f"mailto:{confirmed['email']}"
    assert cancel.method.value == "CANCEL"
    assert int(cancel.vevent.sequence.value) > int(request.vevent.sequence.value)
    assert await registration_ics(waiting["id"]) is None

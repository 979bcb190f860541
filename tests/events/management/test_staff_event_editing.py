"""Organisers create, edit and cancel events, and cancel single dates of a series, through the staff pages.

Everything goes through HTTP like a browser (CSRF token from the page, 303 after a POST); emails and calendar
files are read back from the outbox and parsed with ``icalendar`` / ``recurring_ical_events``.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
import staff_support
from registration_support import make_event, make_occurrence, make_workshop, outbox, person, soon
from staff_support import login_as, post_form

from events.registration import services
from events.tables import Event, EventAudience, Occurrence, Registration
from samrad.core.tables import AuditEntry, OutboxMessage

client = staff_support.client

STOCKHOLM = ZoneInfo("Europe/Stockholm")
COPENHAGEN = ZoneInfo("Europe/Copenhagen")


# --- helpers ----------------------------------------------------------------------------------------------

async def make_venue(name: str = "Kulturhuset") -> int:
    from events.tables import Venue

    row = Venue(name=name, address="Storegade 1", city="Randers")
    await row.save()
    return row.id


async def event_row(event_id: int) -> dict:
    return await Event.select().where(Event.id == event_id).output(load_json=True).first()


async def register(event_id: int, number: int, **fields) -> services.RegistrationResult:
    return await services.register(event_id, person(number, **fields), None)


def calendars(message: dict) -> list[icalendar.Calendar]:
    return [
        icalendar.Calendar.from_ical(base64.b64decode(item["data_b64"]))
        for item in message["attachments"] if item["content_type"].startswith("text/calendar")
    ]


def only_vevent(calendar: icalendar.Calendar) -> icalendar.Event:
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    return events[0]


async def outbox_of(kind: str) -> list[dict]:
    return await outbox(kind=kind)  # rendered as the worker would send them


def local(value: datetime, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def new_event_fields(**overrides) -> dict:
    start = (soon(30).astimezone(COPENHAGEN)).replace(hour=9)
    fields = {
        "kind": "conference",
        "title_da": "Ligestillingsdag",
        "title_sv": "",
        "title_en": "Equality day",
        "summary_en": "Talks and workshops.",
        "description_en": "A day about equality.\n\nWith lunch.",
        "programme_en": "09:00 Welcome",
        "slug": "",
        "timezone": "Europe/Copenhagen",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M"),
        "venue": "",
        "registration_mode": "required",
        "capacity": "120",
        "waitlist_enabled": "1",
    }
    fields.update(overrides)
    return fields


def edit_fields(event: dict, **overrides) -> dict:
    zone = ZoneInfo(event["timezone"])
    fields = {
        "title_en": (event["title"] or {}).get("en", ""),
        "title_da": (event["title"] or {}).get("da", ""),
        "timezone": event["timezone"],
        "starts_at": local(event["starts_at"], zone),
        "ends_at": local(event["ends_at"], zone),
        "venue": "" if event.get("venue") is None else str(event["venue"]),
    }
    fields.update(overrides)
    return fields


# --- create -----------------------------------------------------------------------------------------------

async def test_an_organiser_creates_an_event_with_one_date(client):
    await login_as(client, "organiser")
    venue = await make_venue()
    page = await client.get("/staff/events/new")
    assert page.status_code == 200
    for field in ("title_da", "title_sv", "title_en", "slug", "starts_at", "ends_at", "venue", "capacity"):
        assert f'<label for="{field}"' in page.text, field

    fields = new_event_fields(venue=str(venue))
    response = await post_form(client, "/staff/events/new", "/staff/events/new", fields)
    assert response.status_code == 303
    event = await Event.select().where(Event.slug == "ligestillingsdag").output(load_json=True).first()
    assert event is not None
    assert response.headers["location"] == f"/staff/events/{event['id']}/settings"
    assert event["title"] == {"da": "Ligestillingsdag", "en": "Equality day"}
    assert event["description"] == {"en": "A day about equality.\n\nWith lunch."}
    assert event["capacity"] == 120 and event["waitlist_enabled"] and event["venue"] == venue
    assert local(event["starts_at"], COPENHAGEN) == fields["starts_at"]
    assert re.fullmatch(r"[0-9a-f-]{36}@127\.0\.0\.1", event["ical_uid"]), event["ical_uid"]
    assert event["recurrence_rule"] == "" and event["status"] == "scheduled"
    dates = await Occurrence.select().where(Occurrence.event == event["id"])
    assert [(d["starts_at"], d["ends_at"]) for d in dates] == [(event["starts_at"], event["ends_at"])]
    audiences = await EventAudience.select(EventAudience.category).where(EventAudience.event == event["id"])
    assert [a["category"] for a in audiences] == ["citizen"]
    audit = await AuditEntry.select(AuditEntry.action, AuditEntry.subject).where(AuditEntry.action == "event.create")
    assert audit == [{"action": "event.create", "subject": f"event:{event['id']}"}]

    assert not event["published"], "a new event is a draft"
    assert (await client.get("/events/ligestillingsdag")).status_code == 404
    edit = f"/staff/events/{event['id']}/edit"
    assert (await post_form(client, edit, f"/staff/events/{event['id']}/publish", {})).status_code == 303
    public = await client.get("/events/ligestillingsdag")
    assert public.status_code == 200 and "Equality day" in public.text
    listing = await client.get("/")
    assert "Equality day" in listing.text


async def test_a_second_event_with_the_same_title_gets_its_own_address(client):
    await login_as(client, "organiser")
    for _ in range(2):
        response = await post_form(client, "/staff/events/new", "/staff/events/new", new_event_fields())
        assert response.status_code == 303
    slugs = sorted(row["slug"] for row in await Event.select(Event.slug))
    assert slugs == ["ligestillingsdag", "ligestillingsdag-2"]


async def test_a_cafe_series_gets_its_weekly_dates_and_rule(client):
    await login_as(client, "organiser")
    # A Thursday series in Stockholm across the end of summer time (last Sunday of October).
    year = datetime.now(UTC).year + 1
    fields = new_event_fields(
        kind="cafe", title_da="", title_en="Rainbow café", slug="rainbow-cafe", timezone="Europe/Stockholm",
        starts_at=f"{year}-10-13T17:00", ends_at=f"{year}-10-13T20:00", weekdays=["TH"], until=f"{year}-11-06",
        registration_mode="dropin", capacity="", sensitive="1",
    )
    response = await post_form(client, "/staff/events/new", "/staff/events/new", fields)
    assert response.status_code == 303, response.text[:2000]
    event = await Event.select().where(Event.slug == "rainbow-cafe").output(load_json=True).first()
    assert event["recurrence_rule"].startswith("FREQ=WEEKLY;BYDAY=TH;UNTIL=")
    assert event["recurrence_rule"].endswith("Z")
    assert event["registration_mode"] == "dropin" and event["capacity"] is None and event["sensitive"]
    dates = await Occurrence.select().where(Occurrence.event == event["id"]).order_by(Occurrence.starts_at)
    local_starts = [d["starts_at"].astimezone(STOCKHOLM) for d in dates]
    thursdays = [day for day in (date(year, 10, 13) + timedelta(days=n) for n in range(25)) if day.weekday() == 3]
    assert [d.date() for d in local_starts] == thursdays and len(thursdays) in {3, 4}
    assert {(d.hour, d.minute) for d in local_starts} == {(17, 0)}
    assert {d["ends_at"] - d["starts_at"] for d in dates} == {timedelta(hours=3)}
    assert event["starts_at"] == dates[0]["starts_at"]

    assert (await client.get("/events/rainbow-cafe/feed.ics")).status_code == 404, "a draft has no public feed"
    edit = f"/staff/events/{event['id']}/edit"
    assert (await post_form(client, edit, f"/staff/events/{event['id']}/publish", {})).status_code == 303
    feed = await client.get("/events/rainbow-cafe/feed.ics")
    assert feed.status_code == 200
    calendar = icalendar.Calendar.from_ical(feed.content)
    expanded = recurring_ical_events.of(calendar).between(datetime(year, 10, 1), datetime(year, 12, 1))
    assert sorted(e.decoded("dtstart").astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M") for e in expanded) == [
        f"{day.isoformat()} 17:00" for day in thursdays]


async def _second_event_slug() -> str:
    await make_event(slug="taken-slug")
    return "taken-slug"


BAD_INPUTS = [
    ("missing title", {"title_da": "", "title_en": ""}, "title", "title_da"),
    ("bad slug", {"slug": "Not a Slug!"}, "slug", "slug"),
    ("duplicate slug", {"slug": "taken-slug"}, "slug", "slug"),
    ("end before start", {"ends_at": "START-1h"}, "ends_at", "ends_at"),
    ("unknown venue", {"venue": "999999"}, "venue", "venue"),
    ("bad time zone", {"timezone": "Mars/Olympus"}, "timezone", "timezone"),
    ("bad capacity", {"capacity": "-3"}, "capacity", "capacity"),
    ("text capacity", {"capacity": "many"}, "capacity", "capacity"),
    ("bad start", {"starts_at": "tomorrow"}, "starts_at", "starts_at"),
    ("weekdays without end", {"kind": "cafe", "weekdays": ["TH"]}, "until", "until"),
    ("weekly conference", {"weekdays": ["TH"], "until": "2099-01-01"}, "weekdays", "weekday-MO"),
]


@pytest.mark.parametrize(("case", "overrides", "field", "anchor"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
async def test_every_bad_input_is_explained_next_to_its_field_and_nothing_is_saved(
    client, case, overrides, field, anchor
):
    await login_as(client, "organiser")
    await make_event(slug="taken-slug")
    fields = new_event_fields(slug="fresh-slug")
    if overrides.get("ends_at") == "START-1h":
        start = datetime.fromisoformat(fields["starts_at"])
        overrides = {"ends_at": (start - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")}
    fields.update(overrides)
    events_before = await Event.count()
    response = await post_form(client, "/staff/events/new", "/staff/events/new", fields)

    assert response.status_code == 422, (case, response.status_code)
    assert 'class="error-summary"' in response.text
    assert f'href="#{anchor}"' in response.text, case
    assert f'id="{field}-error"' in response.text, case
    assert re.search(rf'id="{anchor}"[^>]*', response.text), case
    assert 'value="Equality day"' in response.text or case == "missing title", "the input is kept"
    if "slug" in overrides:
        assert f'value="{overrides["slug"]}"' in response.text
    assert await Event.count() == events_before
    assert await Occurrence.count().where(Occurrence.event.is_null()) == 0


# --- edit -------------------------------------------------------------------------------------------------

async def test_moving_an_event_sends_everyone_an_updated_invitation(client):
    start = soon(20, hour=8)
    event = await make_event(starts_at=start, timezone="Europe/Stockholm", capacity=10)
    await login_as(client, "organiser")
    first = await register(event["id"], 1)
    await register(event["id"], 2)
    waiting_event = await event_row(event["id"])
    confirmation = (await outbox_of("notice.confirmed"))[0]
    old_sequence = int(only_vevent(calendars(confirmation)[0])["SEQUENCE"])

    new_start = (start + timedelta(days=1)).astimezone(STOCKHOLM).replace(hour=13, minute=30)
    fields = edit_fields(waiting_event, starts_at=new_start.strftime("%Y-%m-%dT%H:%M"),
                         ends_at=(new_start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page = f"/staff/events/{event['id']}/edit"
    response = await post_form(client, page, page, fields)
    assert response.status_code == 303 and response.headers["location"] == page
    after = await client.get(page)
    assert "2 people registered have been sent the new details" in after.text

    changed = await outbox_of("notice.event_changed")
    assert sorted(m["to_address"] for m in changed) == ["person1@example.org", "person2@example.org"]
    for message in changed:
        (calendar,) = calendars(message)
        assert str(calendar["METHOD"]) == "REQUEST"
        vevent = only_vevent(calendar)
        assert int(vevent["SEQUENCE"]) > old_sequence
        assert vevent["DTSTART"].params["TZID"] == "Europe/Stockholm"
        assert vevent.decoded("dtstart").replace(tzinfo=None) == new_start.replace(tzinfo=None)
        assert "13:30" in message["text_body"]
    row = await event_row(event["id"])
    assert row["starts_at"] == new_start.astimezone(UTC) and row["ical_sequence"] == waiting_event["ical_sequence"] + 1
    (occurrence,) = await Occurrence.select().where(Occurrence.event == event["id"])
    assert occurrence["starts_at"] == new_start.astimezone(UTC)
    assert occurrence["ends_at"] == (new_start + timedelta(hours=2)).astimezone(UTC)
    assert (await Registration.select(Registration.status).where(Registration.id == first.registration_id)
            .first())["status"] == "confirmed"


async def test_a_new_venue_is_announced_too(client):
    old, new = await make_venue("Old hall"), await make_venue("New hall")
    event = await make_event(venue=old)
    await login_as(client, "organiser")
    await register(event["id"], 1)
    page = f"/staff/events/{event['id']}/edit"
    response = await post_form(client, page, page, edit_fields(await event_row(event["id"]), venue=str(new)))
    assert response.status_code == 303
    (message,) = await outbox_of("notice.event_changed")
    assert "New hall" in str(only_vevent(calendars(message)[0])["LOCATION"])


async def test_changing_only_the_texts_saves_without_emailing_anyone(client):
    event = await make_event()
    await login_as(client, "organiser")
    await register(event["id"], 1)
    before = await event_row(event["id"])
    emails_before = await OutboxMessage.count()
    page = f"/staff/events/{event['id']}/edit"
    form = await client.get(page)
    assert form.status_code == 200 and 'value="Equality conference' in form.text

    response = await post_form(client, page, page, edit_fields(
        before, title_en="Equality conference, revised", summary_sv="Föredrag", description_en="New text"))
    assert response.status_code == 303
    after = await event_row(event["id"])
    assert after["title"]["en"] == "Equality conference, revised"
    assert after["summary"] == {"sv": "Föredrag"} and after["description"] == {"en": "New text"}
    assert after["ical_sequence"] == before["ical_sequence"]
    assert await OutboxMessage.count() == emails_before
    page_after = await client.get(page)
    assert "The changes have been saved." in page_after.text and "sent the new details" not in page_after.text


async def test_a_bad_edit_keeps_the_input_and_changes_nothing(client):
    event = await make_event()
    await login_as(client, "organiser")
    before = await event_row(event["id"])
    page = f"/staff/events/{event['id']}/edit"
    fields = edit_fields(before, title_en="Kept title", ends_at=local(before["starts_at"] - timedelta(hours=1),
                                                                       COPENHAGEN))
    response = await post_form(client, page, page, fields)
    assert response.status_code == 422
    assert 'href="#ends_at"' in response.text and 'id="ends_at-error"' in response.text
    assert 'value="Kept title"' in response.text
    assert await event_row(event["id"]) == before


# --- cancel the event -------------------------------------------------------------------------------------

async def test_cancelling_an_event_tells_everyone_and_frees_the_seats(client):
    event = await make_event(capacity=1)
    await login_as(client, "organiser")
    confirmed = await register(event["id"], 1)
    waiting = await register(event["id"], 2)
    assert waiting.status == "waitlisted"
    page = f"/staff/events/{event['id']}/cancel"
    confirm = await client.get(page)
    assert confirm.status_code == 200 and '<label for="confirm">' in confirm.text

    unconfirmed = await post_form(client, page, page, {})
    assert unconfirmed.status_code == 422 and 'href="#confirm"' in unconfirmed.text
    assert (await event_row(event["id"]))["status"] == "scheduled"

    response = await post_form(client, page, page, {"confirm": "1"})
    assert response.status_code == 303
    row = await event_row(event["id"])
    assert row["status"] == "cancelled" and row["booked"] == 0
    cancelled = await outbox_of("notice.event_cancelled")
    assert sorted(m["to_address"] for m in cancelled) == ["person1@example.org", "person2@example.org"]
    first_cancel = next(m for m in cancelled if m["to_address"] == "person1@example.org")
    (calendar,) = calendars(first_cancel)
    assert str(calendar["METHOD"]) == "CANCEL"
    vevent = only_vevent(calendar)
    assert str(vevent["UID"]) == event["ical_uid"] and int(vevent["SEQUENCE"]) > event.get("ical_sequence", 0)
    statuses = await Registration.select(Registration.id, Registration.status, Registration.active_key).where(
        Registration.event == event["id"])
    assert {(r["status"], r["active_key"]) for r in statuses} == {("cancelled", None)}
    assert await outbox_of("notice.promoted") == [] and await outbox_of("notice.cancelled") == []
    assert confirmed.registration_id in {r["id"] for r in statuses}

    public = await client.get(f"/events/{event['slug']}")
    assert "This event is cancelled" in public.text
    edit = await client.get(f"/staff/events/{event['id']}/edit")
    assert "This event is cancelled" in edit.text
    again = await post_form(client, page, page, {"confirm": "1"})
    assert again.status_code == 303
    assert len(await outbox_of("notice.event_cancelled")) == 2, "cancelling twice tells nobody twice"


async def test_workshop_seats_of_a_cancelled_event_are_freed_without_promotion_emails(client, app):
    from workshops.services import WorkshopSeatPlan
    from workshops.tables import Workshop, WorkshopSeat

    plan = WorkshopSeatPlan()
    event = await make_event(capacity=10)
    await login_as(client, "organiser")
    workshop = await make_workshop(event["id"], capacity=1)
    await services.register(event["id"], person(1, workshop_ids=(workshop,)), plan)
    await services.register(event["id"], person(2, workshop_ids=(workshop,)), plan)
    page = f"/staff/events/{event['id']}/cancel"
    assert (await post_form(client, page, page, {"confirm": "1"})).status_code == 303
    assert await WorkshopSeat.count() == 0
    assert (await Workshop.select(Workshop.booked).where(Workshop.id == workshop).first())["booked"] == 0
    assert await outbox_of("notice.workshop_seat") == []


# --- cancel one date of a series --------------------------------------------------------------------------

async def _series(**fields) -> tuple[dict, list[int]]:
    first = soon(10, hour=15)
    event = await make_event(
        kind="cafe", starts_at=first, recurrence_rule="FREQ=WEEKLY;COUNT=3", capacity=None, **fields)
    await Occurrence.delete().where(Occurrence.event == event["id"])
    dates = [await make_occurrence(event["id"], first + timedelta(weeks=week)) for week in range(3)]
    return event, dates


async def test_cancelling_one_date_of_a_series_reaches_calendars_and_sign_ups(client):
    event, dates = await _series()
    await login_as(client, "organiser")
    holder = await register(event["id"], 1)  # the whole series
    cancelled_date = (await Occurrence.select().where(Occurrence.id == dates[1]).first())
    page = f"/staff/dates/{dates[1]}/cancel"
    listing = await client.get(f"/staff/events/{event['id']}/dates")
    assert listing.status_code == 200 and page in listing.text

    assert (await post_form(client, page, page, {})).status_code == 422
    response = await post_form(client, page, page, {"confirm": "1"})
    assert response.status_code == 303 and response.headers["location"] == f"/staff/events/{event['id']}/dates"
    assert (await Occurrence.select(Occurrence.cancelled).where(Occurrence.id == dates[1]).first())["cancelled"]
    assert (await event_row(event["id"]))["status"] == "scheduled"

    (message,) = await outbox_of("notice.event_cancelled")
    assert message["to_address"] == "person1@example.org"
    (calendar,) = calendars(message)
    assert str(calendar["METHOD"]) == "CANCEL"
    vevent = only_vevent(calendar)
    assert vevent.decoded("recurrence-id") == cancelled_date["starts_at"]
    assert (await Registration.select(Registration.status).where(Registration.id == holder.registration_id)
            .first())["status"] == "confirmed", "the rest of the series goes ahead"

    feed = await client.get(f"/events/{event['slug']}/feed.ics")
    series = only_vevent(icalendar.Calendar.from_ical(feed.content))
    exdates = [item.dt for exdate in ([series["EXDATE"]] if not isinstance(series["EXDATE"], list)
                                      else series["EXDATE"]) for item in exdate.dts]
    assert [value.astimezone(UTC) for value in exdates] == [cancelled_date["starts_at"]]
    expanded = recurring_ical_events.of(icalendar.Calendar.from_ical(feed.content)).between(
        soon(0), soon(40))
    assert len(expanded) == 2

    # Put back: the date returns to the feed and the holder gets the updated series.
    dates_page = f"/staff/events/{event['id']}/dates"
    back = await post_form(client, dates_page, f"/staff/dates/{dates[1]}/reinstate", {})
    assert back.status_code == 303
    assert not (await Occurrence.select(Occurrence.cancelled).where(Occurrence.id == dates[1]).first())["cancelled"]
    feed = await client.get(f"/events/{event['slug']}/feed.ics")
    assert "EXDATE" not in feed.text
    (update,) = await outbox_of("notice.event_changed")
    assert int(only_vevent(calendars(update)[0])["SEQUENCE"]) > int(vevent["SEQUENCE"]) - 1


async def test_reminder_sign_ups_for_a_cancelled_cafe_date_are_told(client):
    event, dates = await _series(registration_mode="dropin", sensitive=True)
    await login_as(client, "organiser")
    for number, occurrence in ((1, dates[0]), (2, dates[1])):
        await services.register(event["id"], person(number, occurrence_id=occurrence), None)
    page = f"/staff/dates/{dates[1]}/cancel"
    assert (await post_form(client, page, page, {"confirm": "1"})).status_code == 303

    (message,) = await outbox_of("notice.event_cancelled")
    assert message["to_address"] == "person2@example.org"
    assert "the date below has been cancelled" in message["text_body"]
    (calendar,) = calendars(message)
    assert str(calendar["METHOD"]) == "CANCEL"
    rows = {r["email"]: r["status"] for r in await Registration.select(Registration.email, Registration.status)}
    assert rows == {"person1@example.org": "confirmed", "person2@example.org": "cancelled"}
    public = await client.get(f"/events/{event['slug']}")
    assert "Cancelled" in public.text


# --- who may do this --------------------------------------------------------------------------------------

async def test_the_anonymous_are_sent_to_log_in(client):
    event = await make_event()
    for path in ("/staff/events/new", f"/staff/events/{event['id']}/edit", f"/staff/events/{event['id']}/cancel",
                 f"/staff/events/{event['id']}/dates"):
        response = await client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/staff/login"), path


@pytest.mark.parametrize("role", ["facilitator", "checkin"])
async def test_facilitators_and_door_staff_cannot_change_events(client, role):
    await login_as(client, role)
    event = await make_event()
    await register(event["id"], 1)
    token = staff_support.csrf_from((await client.get("/staff")).text)
    for path in ("/staff/events/new", f"/staff/events/{event['id']}/edit", f"/staff/events/{event['id']}/cancel"):
        assert (await client.get(path)).status_code == 403, path
        response = await client.post(path, data={"_csrf_token": token, "confirm": "1", **new_event_fields()})
        assert response.status_code == 403, path
    row = await event_row(event["id"])
    assert row["status"] == "scheduled" and await Event.count() == 1
    assert await outbox_of("notice.event_cancelled") == []


# --- workshop waiting list --------------------------------------------------------------------------------

async def test_a_workshop_seat_from_the_waiting_list_gets_its_own_email():
    from workshops.services import WorkshopSeatPlan

    plan = WorkshopSeatPlan()
    event = await make_event(capacity=10)
    workshop = await make_workshop(event["id"], capacity=1, title="Inclusive leadership")
    first = await services.register(event["id"], person(1, workshop_ids=(workshop,)), plan)
    await services.register(event["id"], person(2, workshop_ids=(workshop,)), plan)
    await services.cancel(first.manage_token, plan)

    (message,) = await outbox(kind="notice.workshop_seat")
    assert message["to_address"] == "person2@example.org"
    assert message["subject"].startswith("You have a place in a workshop")
    assert "a place has become free in a workshop you were waiting for" in message["text_body"]
    assert "Inclusive leadership" in message["text_body"] and "Inclusive leadership" in message["html_body"]
    assert "Your changes have been saved" not in message["text_body"]
    assert await outbox(kind="notice.changed") == []


async def test_the_only_date_of_an_event_is_not_cancelled_on_its_own(client):
    event = await make_event()
    await login_as(client, "organiser")
    await register(event["id"], 1)
    (occurrence,) = await Occurrence.select(Occurrence.id).where(Occurrence.event == event["id"])
    page = f"/staff/dates/{occurrence['id']}/cancel"
    response = await post_form(client, page, page, {"confirm": "1"})
    assert response.status_code == 409 and "cancelled as a whole" in response.text
    assert not (await Occurrence.select(Occurrence.cancelled).where(Occurrence.id == occurrence["id"])
                .first())["cancelled"]
    assert await outbox_of("notice.event_cancelled") == []


async def test_events_created_at_the_same_moment_get_different_addresses():
    """Concurrent creates with one title: each gets its own slug, none fails."""
    import asyncio

    from events.management.forms import EventDetails, NewEvent
    from events.management.services import create_event
    from events.tables import Event

    begins = datetime.now(UTC) + timedelta(days=10)
    details = EventDetails(
        title={"da": "Dialogmøde", "sv": "", "en": ""}, summary={}, description={}, programme={},
        timezone="Europe/Copenhagen", starts_at=begins, ends_at=begins + timedelta(hours=2), venue_id=None,
    )
    data = NewEvent(
        details=details, kind="meeting", slug="dialogmode", registration_mode="required", capacity=20,
        waitlist_enabled=True, sensitive=False, weekdays=(), until=None,
    )
    ids = await asyncio.gather(
        *(create_event(data, slug_given=False, base_url="https://kommune.example", actor="test") for _ in range(5))
    )
    slugs = {row["slug"] for row in await Event.select(Event.slug).where(Event.id.is_in(list(ids)))}
    assert len(slugs) == 5

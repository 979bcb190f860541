"""iCalendar files: personal invites (iMIP REQUEST/CANCEL), add-to-calendar files and subscription feeds.

Rules (see the handbook's calendar section):

* The UID is ``Event.ical_uid`` for the life of the event; ``SEQUENCE`` is ``Event.ical_sequence``, raised by
  whoever changes the event significantly. A cancellation is ``METHOD:CANCEL`` with the same UID and a higher
  SEQUENCE, so clients never take it for stale.
* Start and end carry the event's TZID, with a VTIMEZONE for every TZID used.
* Series (``Event.recurrence_rule``): ``RRULE`` with ``UNTIL`` in UTC, ``EXDATE`` (same TZID and value type as
  DTSTART) for cancelled dates and for dates of the rule that have no occurrence, ``RDATE`` for dates outside
  the rule. One cancelled date for someone holding the whole series is a CANCEL with ``RECURRENCE-ID``.
* A sign-up for one date of a series (a drop-in café) gets an invite for that date alone, with its own
  stable UID derived from the event's UID and the occurrence id.
* No secret manage link and no ticket code ever goes into a calendar file: people share calendars. The
  description holds the event's summary and its public URL.

Event rows are plain dicts (Piccolo ``select()`` rows); ``venue`` may be a nested dict, and ``occurrences``
a list of occurrence rows. ``load_event_for_calendar`` and ``load_events_for_calendar`` build them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from email.utils import parseaddr
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from icalendar import Calendar, vCalAddress, vDuration, vRecur, vText
from icalendar import Event as VEvent

from events.tables import Event, EventStatus, Occurrence, Registration, RegistrationStatus, Venue
from samrad.core.accounts import normalise_email
from samrad.core.clock import aware, now_utc
from samrad.core.i18n import _, pick
from samrad.core.settings import Settings, get_settings

PRODID = "-//Samråd//Samråd events//EN"
REQUEST, CANCEL, PUBLISH = "REQUEST", "CANCEL", "PUBLISH"
FEED_REFRESH = timedelta(hours=1)
CALENDAR_MEDIA_TYPE = "text/calendar; charset=utf-8"

CalendarEvent = Mapping[str, Any]


# --- loading ----------------------------------------------------------------------------------------------

_EVENT_COLUMNS = (
    Event.id, Event.slug, Event.kind, Event.title, Event.summary, Event.timezone, Event.starts_at,
    Event.ends_at, Event.recurrence_rule, Event.status, Event.ical_uid, Event.ical_sequence,
    Event.organiser_email, Event.updated_at, Event.published, Event.registration_mode, Event.sensitive,
)
_VENUE_COLUMNS = (Venue.id, Venue.name, Venue.address, Venue.city)


async def load_events_for_calendar(event_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Event rows (in the order of ``event_ids``) with ``venue`` and, for series, ``occurrences``."""
    if not event_ids:
        return []
    events = (
        await Event.select(*_EVENT_COLUMNS, Event.venue.all_columns())  # type: ignore[attr-defined]
        .where(Event.id.is_in(list(event_ids)))
        .output(load_json=True, nested=True)
    )
    series_ids = [row["id"] for row in events if row["recurrence_rule"]]
    occurrences: dict[int, list[dict[str, Any]]] = {event_id: [] for event_id in series_ids}
    if series_ids:
        rows = (
            await Occurrence.select(Occurrence.id, Occurrence.event, Occurrence.starts_at, Occurrence.ends_at,
                                    Occurrence.cancelled)
            .where(Occurrence.event.is_in(series_ids))
            .order_by(Occurrence.starts_at)
        )
        for row in rows:
            occurrences[row["event"]].append(row)
    by_id = {}
    for row in events:
        if isinstance(row.get("venue"), dict) and row["venue"].get("id") is None:
            row["venue"] = None
        row["occurrences"] = occurrences.get(row["id"], [])
        by_id[row["id"]] = row
    return [by_id[event_id] for event_id in event_ids if event_id in by_id]


async def load_event_for_calendar(event_id: int) -> dict[str, Any] | None:
    rows = await load_events_for_calendar([event_id])
    return rows[0] if rows else None


# --- helpers ----------------------------------------------------------------------------------------------

def _zone(event: CalendarEvent) -> ZoneInfo:
    return ZoneInfo(event.get("timezone") or "Europe/Copenhagen")


def _local(value: datetime, zone: ZoneInfo) -> datetime:
    return aware(value).astimezone(zone)


def public_event_url(event: CalendarEvent, settings: Settings | None = None) -> str:
    settings = settings or get_settings()
    return f"{settings.base_url}/events/{event['slug']}"


def venue_text(venue: Mapping[str, Any] | None) -> str:
    if not venue:
        return ""
    parts = [venue.get("name") or "", venue.get("address") or "", venue.get("city") or ""]
    return ", ".join(part for part in parts if part)


def _organizer(event: CalendarEvent, settings: Settings) -> vCalAddress:
    name, address = parseaddr(settings.mail_from)
    address = (event.get("organiser_email") or "").strip() or address
    organizer = vCalAddress(f"mailto:{address}")
    organizer.params["cn"] = vText(settings.municipality_name or name)
    return organizer


def _description(event: CalendarEvent, url: str) -> str:
    summary = pick(event.get("summary"))
    return f"{summary}\n\n{url}" if summary else url


def series_rule(event: CalendarEvent) -> vRecur | None:
    """The event's RRULE with UNTIL in UTC (RFC 5545 asks for UTC when DTSTART has a TZID)."""
    raw = (event.get("recurrence_rule") or "").strip()
    if not raw:
        return None
    raw = raw.removeprefix("RRULE:")
    rule = vRecur.from_ical(raw)
    if "UNTIL" in rule:
        zone = _zone(event)
        until = rule["UNTIL"][0]
        if isinstance(until, datetime):
            until = until.replace(tzinfo=zone) if until.tzinfo is None else until
        else:
            # A bare date means "including that day": the end of it, local time.
            until = datetime.combine(until, time(23, 59, 59), tzinfo=zone)
        rule["UNTIL"] = [until.astimezone(UTC)]
    return rule


def _rule_starts(event: CalendarEvent, rule: vRecur, until: datetime) -> list[datetime]:
    """Start times the rule produces up to ``until`` (for comparing with the occurrence rows).

    dateutil steps through wall-clock time with the zone attached, so 17:00 stays 17:00 across DST.
    """
    start = _local(event["starts_at"], _zone(event))
    expanded = rrulestr(rule.to_ical().decode(), dtstart=start)
    starts = []
    for item in expanded:
        if item > until:
            break
        starts.append(item)
    return starts


def _series_exceptions(event: CalendarEvent, rule: vRecur) -> tuple[list[datetime], list[datetime]]:
    """(EXDATEs, RDATEs) in local time: cancelled or missing dates of the rule, and extra dates."""
    occurrences = list(event.get("occurrences") or [])
    if not occurrences:
        return [], []
    zone = _zone(event)
    active = {_local(row["starts_at"], zone) for row in occurrences if not row.get("cancelled")}
    cancelled = {_local(row["starts_at"], zone) for row in occurrences if row.get("cancelled")}
    last = max(_local(row["starts_at"], zone) for row in occurrences)
    generated = set(_rule_starts(event, rule, last))
    exdates = sorted((generated - active) | (cancelled & generated))
    rdates = sorted(active - generated)
    return exdates, rdates


def _base_component(
    event: CalendarEvent,
    *,
    settings: Settings,
    sequence: int,
    stamp: datetime,
    uid: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    with_series: bool = True,
    cancelled: bool = False,
) -> VEvent:
    zone = _zone(event)
    url = public_event_url(event, settings)
    component = VEvent()
    component.add("uid", uid or event["ical_uid"])
    component.add("dtstamp", stamp)
    component.add("sequence", sequence)
    component.add("dtstart", _local(start or event["starts_at"], zone))
    component.add("dtend", _local(end or event["ends_at"], zone))
    component.add("summary", pick(event.get("title")))
    component.add("description", _description(event, url))
    component.add("url", url)
    location = venue_text(event.get("venue") if isinstance(event.get("venue"), Mapping) else None)
    if location:
        component.add("location", location)
    component.add("organizer", _organizer(event, settings))
    if cancelled or event.get("status") == EventStatus.cancelled.value:
        component.add("status", "CANCELLED")
    else:
        component.add("status", "CONFIRMED")
    component.add("transp", "OPAQUE")
    if event.get("updated_at"):
        component.add("last-modified", aware(event["updated_at"]).astimezone(UTC))
    if with_series and (rule := series_rule(event)) is not None:
        component.add("rrule", rule)
        exdates, rdates = _series_exceptions(event, rule)
        if exdates:
            component.add("exdate", exdates)
        if rdates:
            component.add("rdate", rdates)
    return component


def _timezone_span(components: Sequence[VEvent]) -> tuple[date, date]:
    """The years the VTIMEZONEs must describe: from the first start to a year past the last end.

    Open-ended series get ten years; clients take the rules of later years from their own time zone data.
    """
    starts, ends = [], []
    for component in components:
        starts.append(component.decoded("dtstart").date())
        ends.append(component.decoded("dtend").date())
        if "rrule" in component:
            until = component["rrule"].get("UNTIL")
            ends.append(until[0].date() if until else starts[-1].replace(year=starts[-1].year + 10))
        for rdate in component.get("rdate", []) if "rdate" in component else []:
            ends.extend(item.dt.date() for item in rdate.dts)
    if not starts:
        today = now_utc().date()
        return today, today
    return date(min(starts).year, 1, 1), date(max(ends).year + 2, 1, 1)


def _calendar(method: str, components: Sequence[VEvent], *, name: str | None = None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    if name:
        calendar.add("name", name)
        calendar.add("x-wr-calname", name)
    for component in components:
        calendar.add_component(component)
    first, last = _timezone_span(components)
    calendar.add_missing_timezones(first_date=first, last_date=last)
    return calendar


def _attendee(registration: Mapping[str, Any]) -> vCalAddress | None:
    email = (registration.get("email") or "").strip()
    if not email or registration.get("anonymised_at"):
        return None
    attendee = vCalAddress(f"mailto:{email}")
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("ACCEPTED")
    attendee.params["rsvp"] = vText("FALSE")
    return attendee


def _occurrence_of(event: CalendarEvent, registration: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The occurrence row a registration is for, when it is a sign-up for one date of a series."""
    if not registration or not registration.get("occurrence"):
        return None
    occurrence = registration["occurrence"]
    if isinstance(occurrence, Mapping):
        return occurrence if occurrence.get("id") is not None else None
    for row in event.get("occurrences") or []:
        if row["id"] == occurrence:
            return row
    return None


async def invite_sequence_offset(registration: Mapping[str, Any]) -> int:
    """How far a person's invites must outrank their own earlier CANCELs for the same event.

    Someone who cancelled (CANCEL at SEQUENCE n+1) and registers again needs a REQUEST above n+1, or their
    calendar ignores it. Each earlier cancelled registration of the same address adds two.
    """
    email = normalise_email(registration.get("email") or "")
    if not email:
        return 0
    earlier = await Registration.select(Registration.email).where(
        (Registration.event == registration["event"])
        & (Registration.status == RegistrationStatus.cancelled.value)
        & (Registration.id < registration["id"])
    )
    return 2 * sum(1 for row in earlier if normalise_email(row["email"] or "") == email)


async def invite_sequence_offsets(event_id: int, registrations: Sequence[Mapping[str, Any]]) -> dict[int, int]:
    """``invite_sequence_offset`` for many registrations of one event with one read (by registration id)."""
    if not registrations:
        return {}
    cancelled = await Registration.select(Registration.id, Registration.email).where(
        (Registration.event == event_id) & (Registration.status == RegistrationStatus.cancelled.value)
    )
    earlier = [(row["id"], normalise_email(row["email"] or "")) for row in cancelled]
    offsets = {}
    for registration in registrations:
        email = normalise_email(registration.get("email") or "")
        if email:
            count = sum(1 for row_id, other in earlier if other == email and row_id < registration["id"])
            offsets[registration["id"]] = 2 * count
    return offsets


def occurrence_uid(event: CalendarEvent, occurrence_id: int) -> str:
    """The stable UID of an invite to a single date of a series."""
    return f"occurrence-{occurrence_id}-{event['ical_uid']}"


# --- public API -------------------------------------------------------------------------------------------

def invite_ics(
    event: CalendarEvent,
    registration: Mapping[str, Any] | None = None,
    method: str = REQUEST,
    *,
    sequence_offset: int = 0,
    settings: Settings | None = None,
) -> bytes:
    """A personal invitation (``REQUEST``) or its withdrawal (``CANCEL``) for an email (iMIP).

    ``sequence_offset`` lets a new registration after an earlier cancellation of the same person outrank
    that CANCEL (see ``invite_sequence_offset``).
    """
    settings = settings or get_settings()
    method = method.upper()
    if method not in {REQUEST, CANCEL}:
        raise ValueError("method must be REQUEST or CANCEL")
    sequence = int(event.get("ical_sequence") or 0) + sequence_offset + (1 if method == CANCEL else 0)
    stamp = now_utc()
    occurrence = _occurrence_of(event, registration)
    if occurrence is not None:
        component = _base_component(
            event, settings=settings, sequence=sequence, stamp=stamp,
            uid=occurrence_uid(event, occurrence["id"]), start=occurrence["starts_at"], end=occurrence["ends_at"],
            with_series=False, cancelled=method == CANCEL or bool(occurrence.get("cancelled")),
        )
    else:
        component = _base_component(event, settings=settings, sequence=sequence, stamp=stamp,
                                    cancelled=method == CANCEL)
    if registration is not None and (attendee := _attendee(registration)) is not None:
        component.add("attendee", attendee)
    return _calendar(method, [component]).to_ical()


def occurrence_cancel_ics(
    event: CalendarEvent,
    occurrence: Mapping[str, Any],
    registration: Mapping[str, Any] | None = None,
    *,
    sequence_offset: int = 0,
    settings: Settings | None = None,
) -> bytes:
    """Cancel one date of a series for someone who holds the whole series: CANCEL with RECURRENCE-ID."""
    settings = settings or get_settings()
    zone = _zone(event)
    sequence = int(event.get("ical_sequence") or 0) + sequence_offset + 1
    component = _base_component(
        event, settings=settings, sequence=sequence, stamp=now_utc(),
        start=occurrence["starts_at"], end=occurrence["ends_at"], with_series=False, cancelled=True,
    )
    component.add("recurrence-id", _local(occurrence["starts_at"], zone))
    if registration is not None and (attendee := _attendee(registration)) is not None:
        component.add("attendee", attendee)
    return _calendar(CANCEL, [component]).to_ical()


def event_ics(event: CalendarEvent, *, settings: Settings | None = None) -> bytes:
    """"Add to calendar" for one event (or a whole series): ``METHOD:PUBLISH``."""
    settings = settings or get_settings()
    component = _base_component(event, settings=settings, sequence=int(event.get("ical_sequence") or 0),
                                stamp=now_utc())
    return _calendar(PUBLISH, [component]).to_ical()


def feed_ics(
    events: Iterable[CalendarEvent],
    name: str | None = None,
    url: str | None = None,
    *,
    settings: Settings | None = None,
) -> bytes:
    """A subscription feed (RFC 7986): NAME, REFRESH-INTERVAL, VTIMEZONEs, series with RRULE/EXDATE."""
    settings = settings or get_settings()
    name = name or _("Events – %(municipality)s", municipality=settings.municipality_name)
    stamp = now_utc()
    components = [
        _base_component(event, settings=settings, sequence=int(event.get("ical_sequence") or 0), stamp=stamp)
        for event in events
    ]
    calendar = _calendar(PUBLISH, components, name=name)
    calendar.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(FEED_REFRESH))
    if url:
        calendar.add("source", url, parameters={"VALUE": "URI"})
        calendar.add("url", url)
    return calendar.to_ical()


async def registration_ics(registration_id: int, *, settings: Settings | None = None) -> bytes | None:
    """The person's own calendar file (the manage page's download): their invite while they hold a place,
    its CANCEL once cancelled, None while on the waiting list or after anonymisation."""
    registration = await Registration.select(
        Registration.id, Registration.event, Registration.occurrence, Registration.status, Registration.email,
        Registration.anonymised_at,
    ).where(Registration.id == registration_id).first()
    if registration is None or registration["anonymised_at"] is not None:
        return None
    if registration["status"] == RegistrationStatus.waitlisted.value:
        return None
    event = await load_event_for_calendar(registration["event"])
    if event is None:
        return None
    if registration["occurrence"] is not None and _occurrence_of(event, registration) is None:
        occurrence = await Occurrence.select(
            Occurrence.id, Occurrence.starts_at, Occurrence.ends_at, Occurrence.cancelled
        ).where(Occurrence.id == registration["occurrence"]).first()
        registration = {**registration, "occurrence": occurrence}
    method = CANCEL if registration["status"] == RegistrationStatus.cancelled.value else REQUEST
    offset = await invite_sequence_offset(registration)
    return invite_ics(event, registration, method, sequence_offset=offset, settings=settings)

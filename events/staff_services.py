"""What organisers and check-in staff do with events: overviews, settings, totals for caterers, the door.

Reads are grouped so a page costs a few queries whatever the number of registrations (counts come from one
GROUP BY). Its own writes are the settings (``update_settings``) and the event itself: creating one (a café
as a weekly series of Occurrence rows), editing its texts, time and venue, cancelling it or one date of a
series. A new time or venue and every cancellation are announced through
``notifications.announce_event_update`` in the same transaction (raising the calendar SEQUENCE). Seats still
only move through ``events.capacity`` and ``events.services`` (raising a capacity or a quota promotes the
waiting list through ``services.promote_waitlisted`` in the same transaction).

Sensitive events (an LGBTQ café) never produce lists of people here: only counts.
Caterers and venues get totals of access needs and diets, never who needs what.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from piccolo.query.functions.aggregate import Count

from events import capacity, services
from events.notifications import Notice, announce_event_update
from events.queries import Page
from events.services import QUESTIONS, RegistrationError, SeatPlan
from events.tables import (
    AudienceCategory,
    Event,
    EventAudience,
    EventKind,
    EventStatus,
    Occurrence,
    Registration,
    RegistrationMode,
    RegistrationStatus,
    Venue,
)
from samrad.core import db
from samrad.core.i18n import N_, _, ngettext
from samrad.core.settings import LOCALES
from samrad.core.tables import AuditEntry

REGISTRATIONS_PER_PAGE = 50
NAME_SEARCH_LIMIT = 20
# Drop-in dates offered for counting: recent ones (to correct a count afterwards) and the next few.
HEADCOUNT_PAST = timedelta(days=28)
HEADCOUNT_AHEAD = timedelta(days=14)
MAX_CAPACITY = 100_000
# Past events on the staff list: the most recent ones (reports on older events belong in exports).
PAST_EVENTS_SHOWN = 100

FieldErrors = dict[str, str]


def now_utc() -> datetime:
    return datetime.now(UTC)


# --- overviews --------------------------------------------------------------------------------------------

@dataclass
class Counts:
    confirmed: int = 0
    waitlisted: int = 0
    cancelled: int = 0
    checked_in: int = 0

    @property
    def active(self) -> int:
        return self.confirmed + self.waitlisted


async def counts_by_event(event_ids: Sequence[int]) -> dict[int, Counts]:
    """Registrations per status and check-ins for many events, in two queries."""
    counts: dict[int, Counts] = {event_id: Counts() for event_id in event_ids}
    if not event_ids:
        return counts
    by_status = await Registration.select(Registration.event, Registration.status, Count()).where(
        Registration.event.is_in(list(event_ids))
    ).group_by(Registration.event, Registration.status)
    for row in by_status:
        if row["status"] in {s.value for s in RegistrationStatus}:
            setattr(counts[row["event"]], row["status"], row["count"])
    checked_in = await Registration.select(Registration.event, Count()).where(
        Registration.event.is_in(list(event_ids)) & Registration.checked_in_at.is_not_null()
        & (Registration.status == RegistrationStatus.confirmed.value)
    ).group_by(Registration.event)
    for row in checked_in:
        counts[row["event"]].checked_in = row["count"]
    return counts


_EVENT_COLUMNS = (
    Event.id, Event.slug, Event.kind, Event.title, Event.timezone, Event.starts_at, Event.ends_at,
    Event.capacity, Event.booked, Event.waitlist_enabled, Event.published, Event.status,
    Event.registration_mode, Event.sensitive, Event.recurrence_rule,
)


async def event_overview(*, include_past: bool = False, now: datetime | None = None) -> list[dict[str, Any]]:
    """Events for the staff lists, soonest first, each with ``counts`` and ``next_date`` (a series' next date).

    Upcoming means: a single event that has not ended, or a series with a date still to come.
    """
    now = now or now_utc()
    next_dates = await _next_dates(now)
    query = Event.select(*_EVENT_COLUMNS).output(load_json=True).order_by(Event.starts_at)
    if not include_past:
        query = query.where((Event.ends_at > now) | Event.id.is_in(list(next_dates) or [0]))
    events = await query
    upcoming_rows, past_rows = [], []
    for event in events:
        upcoming = event["id"] in next_dates or event["ends_at"] > now
        if not include_past and not upcoming:
            continue
        event["next_date"] = next_dates.get(event["id"])
        event["upcoming"] = upcoming
        (upcoming_rows if upcoming else past_rows).append(event)
    upcoming_rows.sort(key=lambda e: e["next_date"]["starts_at"] if e["next_date"] else e["starts_at"])
    rows = upcoming_rows + past_rows[::-1][:PAST_EVENTS_SHOWN]
    counts = await counts_by_event([event["id"] for event in rows])
    for event in rows:
        event["counts"] = counts[event["id"]]
    return rows


async def _next_dates(now: datetime) -> dict[int, dict[str, Any]]:
    """The next date that has not ended, per event (first one wins: ordered by start)."""
    found: dict[int, dict[str, Any]] = {}
    rows = await Occurrence.select(
        Occurrence.id, Occurrence.event, Occurrence.starts_at, Occurrence.ends_at, Occurrence.headcount
    ).where((Occurrence.ends_at > now) & Occurrence.cancelled.eq(False)).order_by(Occurrence.starts_at)
    for row in rows:
        found.setdefault(row["event"], row)
    return found


async def staff_event(event_id: int) -> dict[str, Any] | None:
    """One event with its audiences (``audiences``: category -> row) for the staff pages."""
    event = await Event.select().where(Event.id == event_id).output(load_json=True).first()
    if event is None:
        return None
    audiences = await EventAudience.select().where(EventAudience.event == event_id).order_by(EventAudience.id)
    event["audiences"] = {row["category"]: row for row in audiences}
    event["dropin"] = event["registration_mode"] == RegistrationMode.dropin
    event["next_date"] = await Occurrence.select(
        Occurrence.id, Occurrence.starts_at, Occurrence.ends_at, Occurrence.headcount
    ).where(
        (Occurrence.event == event_id) & (Occurrence.ends_at > now_utc()) & Occurrence.cancelled.eq(False)
    ).order_by(Occurrence.starts_at).first() if event["recurrence_rule"] else None
    return event


@dataclass
class CategoryCount:
    category: str
    confirmed: int = 0
    waitlisted: int = 0
    quota: int | None = None
    allowed: bool = True


async def counts_by_category(event: Mapping[str, Any]) -> list[CategoryCount]:
    """Confirmed and waiting registrations per audience category, with each category's quota."""
    rows = await Registration.select(Registration.category, Registration.status, Count()).where(
        (Registration.event == event["id"]) & (Registration.status != RegistrationStatus.cancelled.value)
    ).group_by(Registration.category, Registration.status)
    found: dict[str, CategoryCount] = {
        category: CategoryCount(category, quota=audience["quota"])
        for category, audience in event["audiences"].items()
    }
    for row in rows:
        entry = found.setdefault(row["category"], CategoryCount(row["category"], allowed=False))
        setattr(entry, row["status"], row["count"])
    order = [c.value for c in AudienceCategory]
    return sorted(found.values(), key=lambda c: order.index(c.category) if c.category in order else len(order))


STATUS_FILTERS = ("active", *(s.value for s in RegistrationStatus))


def _status_where(event_id: int, status: str):
    where = Registration.event == event_id
    if status == "active":
        return where & (Registration.status != RegistrationStatus.cancelled.value)
    return where & (Registration.status == status)


async def registrations_page(event: Mapping[str, Any], status: str, page: int) -> Page:
    """The people registered for a non-sensitive event, in registration order (the waiting-list order)."""
    if event["sensitive"]:
        raise PermissionError("sensitive events have no lists of people")
    where = _status_where(event["id"], status) & Registration.anonymised_at.is_null()
    total = await Registration.count().where(where)
    per_page = REGISTRATIONS_PER_PAGE
    page = min(max(page, 1), max(1, -(-total // per_page)))
    rows = await Registration.select(
        Registration.id, Registration.name, Registration.category, Registration.organisation,
        Registration.status, Registration.checked_in_at, Registration.created_at,
        Registration.org_unit.name.as_alias("unit_name"),
    ).where(where).order_by(Registration.id).limit(per_page).offset((page - 1) * per_page)
    return Page(rows, total, page, per_page)


async def staff_cancel(event: Mapping[str, Any], registration_id: int, seats: SeatPlan | None, actor: str) -> list[int]:
    """Cancel a registration of this event on the person's behalf; returns who was promoted."""
    if event["sensitive"]:
        raise PermissionError("sensitive events have no lists of people")
    belongs = await Registration.exists().where(
        (Registration.id == registration_id) & (Registration.event == event["id"])
    )
    if not belongs:
        raise RegistrationError("not_found")
    return await services.cancel_by_staff(registration_id, seats, actor)


# --- totals for caterers and venues -----------------------------------------------------------------------

@dataclass
class NeedsTotals:
    """How many confirmed participants need what: counts only, never names."""

    participants: int = 0
    waiting: int = 0
    access: list[tuple[str, int]] = field(default_factory=list)
    diets: list[tuple[str, int]] = field(default_factory=list)
    other_access: list[str] = field(default_factory=list)
    without_diet: int = 0


def _diet_key(text: str) -> str:
    return " ".join(text.split()).casefold()


async def needs_totals(event: Mapping[str, Any]) -> NeedsTotals:
    rows = await Registration.select(
        Registration.status, Registration.access_needs, Registration.access_other, Registration.diet
    ).where(
        (Registration.event == event["id"]) & (Registration.status != RegistrationStatus.cancelled.value)
        & Registration.anonymised_at.is_null()
    ).output(load_json=True)
    totals = NeedsTotals()
    access: Counter[str] = Counter()
    diets: Counter[str] = Counter()
    labels: dict[str, str] = {}
    others: set[str] = set()
    for row in rows:
        if row["status"] != RegistrationStatus.confirmed:
            totals.waiting += 1
            continue
        totals.participants += 1
        access.update(need for need in (row["access_needs"] or []) if need in services.ACCESS_NEEDS)
        if row["access_other"].strip() and not event["sensitive"]:
            others.add(" ".join(row["access_other"].split()))
        if key := _diet_key(row["diet"]):
            diets[key] += 1
            labels.setdefault(key, " ".join(row["diet"].split()))
        else:
            totals.without_diet += 1
    totals.access = [(need, access[need]) for need in services.ACCESS_NEEDS if access[need]]
    totals.diets = sorted(((labels[key], n) for key, n in diets.items()), key=lambda item: (-item[1], item[0]))
    totals.other_access = sorted(others, key=str.casefold)
    return totals


# --- the door ---------------------------------------------------------------------------------------------

async def find_by_name(event: Mapping[str, Any], query: str) -> list[dict[str, Any]]:
    """Registrations of a non-sensitive event whose name contains every word of ``query``, in any case.

    Names are matched in Python with Unicode case folding (SQLite's LIKE folds ASCII only, and "Ø" must find
    "ø"); an event's names are a few thousand short strings at most, read in one query.
    """
    if event["sensitive"]:
        raise PermissionError("sensitive events have no lists of people")
    words = [word.casefold() for word in query.split()[:4]]
    if not words:
        return []
    candidates = await Registration.select(Registration.id, Registration.name).where(
        (Registration.event == event["id"]) & (Registration.status != RegistrationStatus.cancelled.value)
        & Registration.anonymised_at.is_null()
    )
    ids = [row["id"] for row in candidates if all(word in row["name"].casefold() for word in words)]
    if not ids:
        return []
    return await Registration.select(
        Registration.id, Registration.name, Registration.category, Registration.status,
        Registration.checked_in_at, Registration.org_unit.name.as_alias("unit_name"), Registration.organisation,
    ).where(Registration.id.is_in(ids[:NAME_SEARCH_LIMIT])).order_by(Registration.name)


async def check_in_registration(event: Mapping[str, Any], registration_id: int) -> dict[str, Any] | None:
    """Check in someone found by name: the same rules as scanning their ticket."""
    row = await Registration.select(Registration.ticket_code).where(
        (Registration.id == registration_id) & (Registration.event == event["id"])
    ).first()
    if row is None:
        return None
    return await services.check_in(row["ticket_code"], event["id"])


async def headcount_dates(event: Mapping[str, Any], now: datetime | None = None) -> list[dict[str, Any]]:
    """The dates of a drop-in event that can be counted now: the last four weeks and the next two."""
    now = now or now_utc()
    return await Occurrence.select().where(
        (Occurrence.event == event["id"]) & (Occurrence.starts_at >= now - HEADCOUNT_PAST)
        & (Occurrence.starts_at <= now + HEADCOUNT_AHEAD)
    ).order_by(Occurrence.starts_at).output(load_json=True)


async def occurrence_with_event(occurrence_id: int) -> tuple[dict[str, Any], dict[str, Any]] | None:
    occurrence = await Occurrence.select().where(Occurrence.id == occurrence_id).output(load_json=True).first()
    if occurrence is None:
        return None
    event = await staff_event(occurrence["event"])
    assert event is not None
    return occurrence, event


# --- settings ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class EventSettings:
    capacity: int | None
    waitlist_enabled: bool
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    questions: tuple[str, ...]
    audiences: Mapping[str, int | None]  # allowed category -> quota (None: no quota)
    published: bool


class SettingsConflict(Exception):
    """The settings contradict the registrations that exist (field -> translated message)."""

    def __init__(self, errors: FieldErrors) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


_TRUE = {"1", "true", "on", "yes"}


def local_input_value(value: datetime | None, zone: str) -> str:
    """A stored UTC time as the value of a ``datetime-local`` input in the event's time zone."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def settings_form_values(event: Mapping[str, Any]) -> dict[str, Any]:
    """The settings form filled in from the event as it is."""
    values: dict[str, Any] = {
        "capacity": "" if event["capacity"] is None else str(event["capacity"]),
        "waitlist_enabled": "1" if event["waitlist_enabled"] else "",
        "registration_opens_at": local_input_value(event["registration_opens_at"], event["timezone"]),
        "registration_closes_at": local_input_value(event["registration_closes_at"], event["timezone"]),
        "questions": list(event["questions"] or []),
        "published": "1" if event["published"] else "",
        "audiences": list(event["audiences"]),
    }
    for category, audience in event["audiences"].items():
        values[f"quota_{category}"] = "" if audience["quota"] is None else str(audience["quota"])
    return values


def _whole_number(raw: str, name: str, errors: FieldErrors, message: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) > MAX_CAPACITY:
        errors[name] = message
        return None
    return int(raw)


def _local_datetime(raw: str, zone: str, name: str, errors: FieldErrors) -> datetime | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        local = datetime.fromisoformat(raw)
    except ValueError:
        errors[name] = _("Enter a date and time like 2027-03-01 09:00.")
        return None
    if local.tzinfo is not None:
        errors[name] = _("Enter a date and time like 2027-03-01 09:00.")
        return None
    return local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def parse_settings(fields: Mapping[str, Any], event: Mapping[str, Any]) -> EventSettings | FieldErrors:
    """The settings form's values, or what is wrong with them (field -> translated message)."""
    errors: FieldErrors = {}

    def text(name: str) -> str:
        value = fields.get(name, "")
        return value if isinstance(value, str) else ""

    def texts(name: str) -> list[str]:
        value = fields.get(name, [])
        return [value] if isinstance(value, str) else [v for v in value if isinstance(v, str)]

    dropin = event["registration_mode"] == RegistrationMode.dropin
    capacity_value = None
    if not dropin:
        capacity_value = _whole_number(
            text("capacity"), "capacity", errors,
            _("Enter the number of seats as a whole number (0 to %(max)s), or leave it empty for no limit.",
              max=MAX_CAPACITY),
        )
    opens_at = _local_datetime(text("registration_opens_at"), event["timezone"], "registration_opens_at", errors)
    closes_at = _local_datetime(text("registration_closes_at"), event["timezone"], "registration_closes_at", errors)
    if opens_at and closes_at and closes_at <= opens_at:
        errors["registration_closes_at"] = _("Registration must close after it opens.")
    questions = texts("questions")
    if any(question not in QUESTIONS for question in questions):
        errors["questions"] = _("Choose questions from the list.")
    categories = texts("audiences")
    known = {c.value for c in AudienceCategory}
    if any(category not in known for category in categories):
        errors["audiences"] = _("Choose groups from the list.")
    elif not categories:
        errors["audiences"] = _("Choose at least one group that may register.")
    audiences: dict[str, int | None] = {}
    for category in (c.value for c in AudienceCategory):
        quota = _whole_number(
            text(f"quota_{category}"), f"quota_{category}", errors,
            _("Enter the quota as a whole number of seats, or leave it empty for no quota."),
        )
        if category in categories:
            audiences[category] = quota
        elif quota is not None:
            errors[f"quota_{category}"] = _("A quota needs the group to be allowed to register: tick the group.")
    if capacity_value is not None:
        over = [c for c, quota in audiences.items() if quota is not None and quota > capacity_value]
        for category in over:
            errors[f"quota_{category}"] = _("The quota cannot be larger than the capacity.")
    if errors:
        return errors
    return EventSettings(
        capacity=capacity_value,
        waitlist_enabled=text("waitlist_enabled").lower() in _TRUE,
        registration_opens_at=opens_at,
        registration_closes_at=closes_at,
        questions=tuple(q for q in QUESTIONS if q in questions),
        audiences=audiences,
        published=text("published").lower() in _TRUE,
    )


@dataclass(frozen=True)
class SettingsResult:
    promoted: list[int]


async def update_settings(
    event_id: int, settings: EventSettings, seats: SeatPlan | None, actor: str
) -> SettingsResult:
    """Save an event's settings; more seats (capacity or quota) go to the waiting list at once.

    Holds the event row first (the lock order of ``events.capacity``), so the checks against the seats already
    booked see the latest counts and no registration slips in between.
    """
    async with db.atomic():
        await capacity.lock_event(event_id)
        event = await Event.select(Event.id, Event.booked, Event.capacity, Event.status).where(
            Event.id == event_id
        ).first()
        if event is None:
            raise RegistrationError("not_found")
        audiences = {
            row["category"]: row
            for row in await EventAudience.select().where(EventAudience.event == event_id)
        }
        active, confirmed = await _by_category(event_id)
        _check_against_bookings(event, audiences, settings, active, confirmed)

        await Event.update(
            {
                Event.capacity: settings.capacity,
                Event.waitlist_enabled: settings.waitlist_enabled,
                Event.registration_opens_at: settings.registration_opens_at,
                Event.registration_closes_at: settings.registration_closes_at,
                Event.questions: list(settings.questions),
                Event.published: settings.published,
                Event.updated_at: now_utc(),
            }
        ).where(Event.id == event_id)
        for category, row in audiences.items():
            if category not in settings.audiences:
                await EventAudience.delete().where(EventAudience.id == row["id"])
            elif row["quota"] != settings.audiences[category]:
                # A quota's counter only runs while there is a quota: a new quota starts from the seats held.
                quota = settings.audiences[category]
                booked = row["booked"] if row["quota"] is not None else confirmed[category]
                await EventAudience.update(
                    {EventAudience.quota: quota, EventAudience.booked: booked if quota is not None else 0}
                ).where(EventAudience.id == row["id"])
        new = [
            EventAudience(event=event_id, category=category, quota=quota)
            for category, quota in settings.audiences.items()
            if category not in audiences
        ]
        if new:
            await EventAudience.insert(*new)
        await AuditEntry.insert(
            AuditEntry(actor=actor, action="event.settings", subject=f"event:{event_id}", count=1)
        )
        promoted = await services.promote_waitlisted(event_id, seats)
    return SettingsResult(promoted)


async def _by_category(event_id: int) -> tuple[Counter[str], Counter[str]]:
    """Active (confirmed or waiting) and confirmed registrations per category."""
    rows = await Registration.select(Registration.category, Registration.status, Count()).where(
        (Registration.event == event_id) & (Registration.status != RegistrationStatus.cancelled.value)
    ).group_by(Registration.category, Registration.status)
    active: Counter[str] = Counter()
    confirmed: Counter[str] = Counter()
    for row in rows:
        active[row["category"]] += row["count"]
        if row["status"] == RegistrationStatus.confirmed:
            confirmed[row["category"]] += row["count"]
    return active, confirmed


def _check_against_bookings(
    event: Mapping[str, Any], audiences: Mapping[str, Mapping[str, Any]], settings: EventSettings,
    active: Counter[str], confirmed: Counter[str],
) -> None:
    errors: FieldErrors = {}
    if settings.capacity is not None and settings.capacity < event["booked"]:
        errors["capacity"] = ngettext(
            "%(num)s person already has a seat: the capacity cannot be lower.",
            "%(num)s people already have a seat: the capacity cannot be lower.",
            event["booked"],
        )
    for category, row in audiences.items():
        if category not in settings.audiences and active[category]:
            errors["audiences"] = _(
                "A group with registrations cannot be removed. Cancel those registrations first, or keep the "
                "group."
            )
        quota = settings.audiences.get(category)
        held = row["booked"] if row["quota"] is not None else confirmed[category]
        if quota is not None and quota < held:
            errors[f"quota_{category}"] = ngettext(
                "%(num)s person of this group already has a seat: the quota cannot be lower.",
                "%(num)s people of this group already have a seat: the quota cannot be lower.",
                held,
            )
    if errors:
        raise SettingsConflict(errors)


SETTINGS_SAVED = N_("The settings have been saved.")


# --- event details: create, edit, cancel, cancel one date -------------------------------------------------

TEXT_FIELDS: dict[str, int] = {"title": 200, "summary": 500, "description": 20_000, "programme": 20_000}
TIMEZONES = (
    "Europe/Copenhagen", "Europe/Stockholm", "Europe/Oslo", "Europe/Helsinki", "Europe/Berlin",
    "Atlantic/Faroe", "America/Nuuk",
)
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_LENGTH = 120
# A weekly series is made of its Occurrence rows: a bound keeps a typo in the year from making thousands.
MAX_SERIES_DATES = 260
_SLUG_LETTERS = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "ä": "a", "ö": "o", "ü": "u", "ß": "ss"})


class EventConflict(Exception):
    """The change cannot be made as things are now (field -> translated message, or one ``problem``)."""

    def __init__(self, errors: FieldErrors | None = None, problem: str = "") -> None:
        super().__init__(", ".join(errors or {}) or "conflict")
        self.errors = errors or {}
        self.problem = problem


@dataclass(frozen=True)
class EventDetails:
    """What the details form saves. ``starts_at``/``ends_at`` are None for a series (its dates are rows)."""

    title: dict[str, str]
    summary: dict[str, str]
    description: dict[str, str]
    programme: dict[str, str]
    timezone: str
    starts_at: datetime | None
    ends_at: datetime | None
    venue_id: int | None


@dataclass(frozen=True)
class NewEvent:
    details: EventDetails
    kind: str
    slug: str
    registration_mode: str
    capacity: int | None
    waitlist_enabled: bool
    sensitive: bool
    published: bool
    weekdays: tuple[str, ...]
    until: date | None


@dataclass(frozen=True)
class DetailsResult:
    significant: bool
    notified: int


def _field_text(fields: Mapping[str, Any], name: str) -> str:
    value = fields.get(name, "")
    return value if isinstance(value, str) else ""


def _field_texts(fields: Mapping[str, Any], name: str) -> list[str]:
    value = fields.get(name, [])
    return [value] if isinstance(value, str) else [v for v in value if isinstance(v, str)]


def slugify(text: str) -> str:
    """A URL name from a title: lowercase a-z, 0-9 and single hyphens ("Café Æblegård" -> "cafe-aeblegaard")."""
    text = text.casefold().translate(_SLUG_LETTERS)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:SLUG_LENGTH].strip("-")


async def venue_choices() -> list[dict[str, Any]]:
    return await Venue.select(Venue.id, Venue.name, Venue.city).order_by(Venue.name)


def details_form_values(event: Mapping[str, Any]) -> dict[str, Any]:
    """The details form filled in from the event as it is."""
    values: dict[str, Any] = {
        "timezone": event["timezone"],
        "starts_at": local_input_value(event["starts_at"], event["timezone"]),
        "ends_at": local_input_value(event["ends_at"], event["timezone"]),
        "venue": "" if event["venue"] is None else str(event["venue"]),
    }
    for name in TEXT_FIELDS:
        for locale in LOCALES:
            values[f"{name}_{locale}"] = (event[name] or {}).get(locale, "")
    return values


def new_event_form_values() -> dict[str, Any]:
    return {
        "kind": EventKind.conference.value, "registration_mode": RegistrationMode.required.value,
        "timezone": TIMEZONES[0], "waitlist_enabled": "1", "weekdays": [],
    }


def parse_details(
    fields: Mapping[str, Any], venue_ids: set[int], *, series: bool, errors: FieldErrors | None = None
) -> EventDetails | FieldErrors:
    """The details form's values, or what is wrong with them. A series keeps its times (they are its dates)."""
    errors = {} if errors is None else errors
    texts: dict[str, dict[str, str]] = {}
    for name, limit in TEXT_FIELDS.items():
        texts[name] = {}
        for locale in LOCALES:
            value = _field_text(fields, f"{name}_{locale}").strip().replace("\r\n", "\n")
            if len(value) > limit:
                errors[f"{name}_{locale}"] = _("Use at most %(max)s characters.", max=limit)
            elif value:
                texts[name][locale] = value
    if not texts["title"] and "title_da" not in errors:
        errors["title"] = _("Enter a title in at least one language.")

    zone = _field_text(fields, "timezone").strip()
    if zone not in TIMEZONES:
        errors["timezone"] = _("Choose a time zone from the list.")
        zone = TIMEZONES[0]
    starts_at = ends_at = None
    if not series:
        starts_at = _local_datetime(_field_text(fields, "starts_at"), zone, "starts_at", errors)
        ends_at = _local_datetime(_field_text(fields, "ends_at"), zone, "ends_at", errors)
        if starts_at is None and "starts_at" not in errors:
            errors["starts_at"] = _("Enter when the event starts.")
        if ends_at is None and "ends_at" not in errors:
            errors["ends_at"] = _("Enter when the event ends.")
        if starts_at and ends_at and ends_at <= starts_at:
            errors["ends_at"] = _("The event must end after it starts.")

    raw_venue = _field_text(fields, "venue").strip()
    venue_id = None
    if raw_venue:
        if not raw_venue.isdigit() or int(raw_venue) not in venue_ids:
            errors["venue"] = _("Choose a venue from the list.")
        else:
            venue_id = int(raw_venue)
    if errors:
        return errors
    return EventDetails(
        title=texts["title"], summary=texts["summary"], description=texts["description"],
        programme=texts["programme"], timezone=zone, starts_at=starts_at, ends_at=ends_at, venue_id=venue_id,
    )


def parse_new_event(fields: Mapping[str, Any], venue_ids: set[int]) -> NewEvent | FieldErrors:
    """The new-event form: details plus kind, URL name, seats, and for cafés a weekly repetition."""
    errors: FieldErrors = {}
    kind = _field_text(fields, "kind")
    if kind not in {k.value for k in EventKind}:
        errors["kind"] = _("Choose the kind of event.")
    mode = _field_text(fields, "registration_mode")
    if mode not in {m.value for m in RegistrationMode}:
        errors["registration_mode"] = _("Choose how people take part.")
    weekdays = _field_texts(fields, "weekdays")
    if any(day not in WEEKDAYS for day in weekdays):
        errors["weekdays"] = _("Choose weekdays from the list.")
        weekdays = []
    elif weekdays and kind != EventKind.cafe:
        errors["weekdays"] = _("Only cafés repeat every week. Choose the kind café, or no weekdays.")
    details = parse_details(fields, venue_ids, series=False, errors=errors)

    slug = _field_text(fields, "slug").strip()
    if slug and (len(slug) > SLUG_LENGTH or not SLUG_PATTERN.match(slug)):
        errors["slug"] = _(
            "Use only lowercase letters a-z, digits and single hyphens, at most %(max)s characters.",
            max=SLUG_LENGTH,
        )
    capacity_value = None
    if mode == RegistrationMode.required:
        capacity_value = _whole_number(
            _field_text(fields, "capacity"), "capacity", errors,
            _("Enter the number of seats as a whole number (0 to %(max)s), or leave it empty for no limit.",
              max=MAX_CAPACITY),
        )
    until = None
    raw_until = _field_text(fields, "until").strip()
    if weekdays and "weekdays" not in errors:
        try:
            until = date.fromisoformat(raw_until) if raw_until else None
        except ValueError:
            errors["until"] = _("Enter a date like 2027-06-30.")
        else:
            if until is None:
                errors["until"] = _("Enter the last date of the series.")
    if isinstance(details, dict) or errors:
        return errors
    if until is not None and details.starts_at is not None:
        if until < details.starts_at.astimezone(ZoneInfo(details.timezone)).date():
            errors["until"] = _("The series must end on or after its first date.")
        elif len(_series_dates(details, weekdays, until)[1]) > MAX_SERIES_DATES:
            errors["until"] = _("A series can have at most %(max)s dates. Choose an earlier last date.",
                                max=MAX_SERIES_DATES)
        elif not _series_dates(details, weekdays, until)[1]:
            errors["until"] = _("No chosen weekday falls between the start and the last date.")
    if errors:
        return errors
    if not slug:
        slug = slugify(next(iter(details.title.values()))) or "event"
    return NewEvent(
        details=details, kind=kind, slug=slug, registration_mode=mode, capacity=capacity_value,
        waitlist_enabled=mode == RegistrationMode.required and _field_text(fields, "waitlist_enabled") in _TRUE,
        sensitive=_field_text(fields, "sensitive") in _TRUE, published=_field_text(fields, "published") in _TRUE,
        weekdays=tuple(day for day in WEEKDAYS if day in weekdays), until=until,
    )


def _series_dates(
    details: EventDetails, weekdays: Sequence[str], until: date
) -> tuple[str, list[tuple[datetime, datetime]]]:
    """The RRULE (UNTIL in UTC: the end of the last day in the event's zone) and the dates it makes, in UTC.

    The first date is the first weekday chosen on or after the start; each date keeps the local start time
    and length across daylight-saving changes.
    """
    assert details.starts_at is not None and details.ends_at is not None
    zone = ZoneInfo(details.timezone)
    local_start = details.starts_at.astimezone(zone)
    length = details.ends_at.astimezone(zone).replace(tzinfo=None) - local_start.replace(tzinfo=None)
    until_utc = datetime.combine(until, time(23, 59, 59), tzinfo=zone).astimezone(UTC)
    ordered = [day for day in WEEKDAYS if day in weekdays]
    rule = f"FREQ=WEEKLY;BYDAY={','.join(ordered)};UNTIL={until_utc:%Y%m%dT%H%M%SZ}"
    dates = []
    for start in rrulestr(rule, dtstart=local_start):
        dates.append((start.astimezone(UTC), (start.replace(tzinfo=None) + length).replace(tzinfo=zone)
                      .astimezone(UTC)))
        if len(dates) > MAX_SERIES_DATES:
            break
    return rule, dates


async def _unique_slug(base: str, explicit: bool) -> str:
    taken = {row["slug"] for row in await Event.select(Event.slug).where(Event.slug.like(f"{base}%"))}
    if base not in taken:
        return base
    if explicit:
        raise EventConflict({"slug": _("Another event already uses this web address. Choose another one.")})
    number = 2
    while f"{base[:SLUG_LENGTH - 6]}-{number}" in taken:
        number += 1
    return f"{base[:SLUG_LENGTH - 6]}-{number}"


def new_ical_uid(base_url: str) -> str:
    host = urlsplit(base_url).hostname or "samrad.invalid"
    return f"{uuid.uuid4()}@{host}"


async def create_event(data: NewEvent, *, slug_given: bool, base_url: str, actor: str) -> int:
    """Create an event with its date(s) and the default audience (citizens); returns its id."""
    details = data.details
    assert details.starts_at is not None and details.ends_at is not None
    rule, dates = ("", [(details.starts_at, details.ends_at)])
    if data.weekdays and data.until is not None:
        rule, dates = _series_dates(details, data.weekdays, data.until)
    dropin = data.registration_mode == RegistrationMode.dropin
    async with db.atomic():
        if not db.is_sqlite():
            # Two organisers creating the same title at once must not both pick the same free slug.
            await Event.raw("SELECT pg_advisory_xact_lock(hashtext('samrad.event.slug'))")
        slug = await _unique_slug(data.slug, slug_given)
        event = Event(
            slug=slug, kind=data.kind, title=details.title, summary=details.summary,
            description=details.description, programme=details.programme, timezone=details.timezone,
            starts_at=dates[0][0], ends_at=dates[0][1], recurrence_rule=rule, venue=details.venue_id,
            published=data.published, registration_mode=data.registration_mode,
            capacity=None if dropin else data.capacity, waitlist_enabled=data.waitlist_enabled and not dropin,
            questions=[] if dropin else ["access_needs"], ical_uid=new_ical_uid(base_url), ical_sequence=0,
            sensitive=data.sensitive,
        )
        await event.save()
        await EventAudience.insert(EventAudience(event=event.id, category=AudienceCategory.citizen.value))
        await Occurrence.insert(*(Occurrence(event=event.id, starts_at=start, ends_at=end) for start, end in dates))
        await AuditEntry.insert(
            AuditEntry(actor=actor, action="event.create", subject=f"event:{event.id}", count=1)
        )
    return event.id


def is_series(event: Mapping[str, Any]) -> bool:
    return bool(event.get("recurrence_rule"))


async def update_details(
    event_id: int, details: EventDetails, seats: SeatPlan | None, actor: str
) -> DetailsResult:
    """Save the event's texts, time and venue. A new time or venue is announced to everyone registered
    (an updated invite with a higher SEQUENCE) in the same transaction; new texts alone email nobody."""
    async with db.atomic():
        await capacity.lock_event(event_id)
        event = await Event.select(
            Event.id, Event.status, Event.starts_at, Event.ends_at, Event.venue, Event.recurrence_rule,
            Event.timezone,
        ).where(Event.id == event_id).first()
        if event is None:
            raise RegistrationError("not_found")
        if event["status"] == EventStatus.cancelled:
            raise EventConflict(problem=_("This event is cancelled and can no longer be changed."))
        values: dict[Any, Any] = {
            Event.title: details.title, Event.summary: details.summary, Event.description: details.description,
            Event.programme: details.programme, Event.venue: details.venue_id, Event.updated_at: now_utc(),
        }
        moved = False
        if not is_series(event) and details.starts_at is not None and details.ends_at is not None:
            moved = details.starts_at != event["starts_at"] or details.ends_at != event["ends_at"]
            values |= {Event.timezone: details.timezone, Event.starts_at: details.starts_at,
                       Event.ends_at: details.ends_at}
        await Event.update(values).where(Event.id == event_id)
        if moved:
            await _move_single_date(event_id, details.starts_at, details.ends_at)
        significant = moved or details.venue_id != event["venue"]
        await AuditEntry.insert(
            AuditEntry(actor=actor, action="event.edit", subject=f"event:{event_id}", count=1)
        )
        notified = 0
        if significant:
            notified = await announce_event_update(event_id, Notice.event_changed, seats=seats)
    return DetailsResult(significant=significant, notified=notified)


async def _move_single_date(event_id: int, starts_at: datetime | None, ends_at: datetime | None) -> None:
    """A single event's one Occurrence follows the event's times (the public list reads the dates)."""
    rows = await Occurrence.select(Occurrence.id).where(Occurrence.event == event_id)
    if len(rows) == 1:
        await Occurrence.update({Occurrence.starts_at: starts_at, Occurrence.ends_at: ends_at}).where(
            Occurrence.id == rows[0]["id"]
        )
    elif not rows:
        await Occurrence.insert(Occurrence(event=event_id, starts_at=starts_at, ends_at=ends_at))


@dataclass(frozen=True)
class CancelResult:
    notified: int
    cancelled: int


async def cancel_event(event_id: int, seats: SeatPlan | None, actor: str) -> CancelResult:
    """Cancel the whole event: everyone registered gets the cancellation (METHOD:CANCEL), then their
    registrations are cancelled and the seats given back, with no promotion from the waiting list."""
    async with db.atomic():
        await capacity.lock_event(event_id)
        event = await Event.select(Event.id, Event.status, Event.registration_mode).where(
            Event.id == event_id
        ).first()
        if event is None:
            raise RegistrationError("not_found")
        if event["status"] == EventStatus.cancelled:
            return CancelResult(0, 0)
        await Event.update(
            {Event.status: EventStatus.cancelled.value, Event.updated_at: now_utc()}
        ).where(Event.id == event_id)
        notified = await announce_event_update(event_id, Notice.event_cancelled, seats=seats)
        active = await Registration.select(Registration.id, Registration.status, Registration.category).where(
            (Registration.event == event_id) & (Registration.status != RegistrationStatus.cancelled.value)
        ).order_by(Registration.id)
        await _cancel_quietly(event, active, seats)
        await AuditEntry.insert(
            AuditEntry(actor=actor, action="event.cancel", subject=f"event:{event_id}", count=len(active))
        )
    return CancelResult(notified=notified, cancelled=len(active))


async def _cancel_quietly(
    event: Mapping[str, Any], registrations: Sequence[Mapping[str, Any]], seats: SeatPlan | None
) -> None:
    """Cancel registrations already told (by the announcement): seats back, no email, nobody moves up.

    Workshop seats are released after every registration is cancelled, those without a confirmed workshop
    seat first: when the confirmed seats are freed, nobody of this event is left waiting for them.
    """
    if not registrations:
        return
    now = now_utc()
    ids = [row["id"] for row in registrations]
    await Registration.update(
        {Registration.status: RegistrationStatus.cancelled.value, Registration.active_key: None,
         Registration.cancelled_at: now, Registration.updated_at: now}
    ).where(Registration.id.is_in(ids))
    if event["registration_mode"] != RegistrationMode.dropin:
        audiences = {
            row["category"]: row for row in await EventAudience.select().where(EventAudience.event == event["id"])
        }
        for row in registrations:
            if row["status"] == RegistrationStatus.confirmed:
                await capacity.release_seat(event["id"], audiences.get(row["category"]))
    if seats is None:
        return
    holding: list[int] = []
    for registration_id in ids:
        lines = await seats.describe(registration_id)
        if any(str(getattr(line, "status", "")) == "confirmed" for line in lines):
            holding.append(registration_id)
        else:
            await seats.release(registration_id)
    for registration_id in holding:
        await seats.release(registration_id)


async def event_dates(event_id: int) -> list[dict[str, Any]]:
    rows = await Occurrence.select().where(Occurrence.event == event_id).order_by(Occurrence.starts_at).output(
        load_json=True
    )
    signups = await Registration.select(Registration.occurrence, Count()).where(
        (Registration.event == event_id) & Registration.occurrence.is_not_null()
        & (Registration.status != RegistrationStatus.cancelled.value)
    ).group_by(Registration.occurrence)
    by_date = {row["occurrence"]: row["count"] for row in signups}
    for row in rows:
        row["signups"] = by_date.get(row["id"], 0)
    return rows


async def cancel_date(occurrence_id: int, seats: SeatPlan | None, actor: str) -> CancelResult:
    """Cancel one date of a series: the people holding the whole series get a CANCEL for that date
    (RECURRENCE-ID) and sign-ups for that date alone are told and cancelled. The other dates go ahead."""
    found = await Occurrence.select(Occurrence.id, Occurrence.event).where(Occurrence.id == occurrence_id).first()
    if found is None:
        raise RegistrationError("not_found")
    async with db.atomic():
        await capacity.lock_event(found["event"])
        occurrence = await Occurrence.select(Occurrence.cancelled).where(Occurrence.id == occurrence_id).first()
        event = await Event.select(Event.id, Event.status, Event.registration_mode).where(
            Event.id == found["event"]
        ).first()
        if event["status"] == EventStatus.cancelled:
            raise EventConflict(problem=_("The whole event is cancelled."))
        if occurrence["cancelled"]:
            return CancelResult(0, 0)
        if await Occurrence.count().where(Occurrence.event == event["id"]) < 2:
            raise EventConflict(problem=_("An event with one date is cancelled as a whole, from its details page."))
        await Occurrence.update({Occurrence.cancelled: True}).where(Occurrence.id == occurrence_id)
        await Event.update({Event.updated_at: now_utc()}).where(Event.id == event["id"])
        notified = await announce_event_update(
            event["id"], Notice.event_cancelled, seats=seats, occurrence_id=occurrence_id
        )
        signups = await Registration.select(Registration.id, Registration.status, Registration.category).where(
            (Registration.occurrence == occurrence_id) & (Registration.status != RegistrationStatus.cancelled.value)
        ).order_by(Registration.id)
        await _cancel_quietly(event, signups, seats)
        await AuditEntry.insert(
            AuditEntry(actor=actor, action="event.cancel_date", subject=f"occurrence:{occurrence_id}", count=1)
        )
    return CancelResult(notified=notified, cancelled=len(signups))


async def reinstate_date(occurrence_id: int, seats: SeatPlan | None, actor: str) -> int | None:
    """Put a cancelled date back; the people holding the whole series get the updated invite.
    Returns how many were told, or None when the date was not cancelled."""
    found = await Occurrence.select(Occurrence.id, Occurrence.event).where(Occurrence.id == occurrence_id).first()
    if found is None:
        raise RegistrationError("not_found")
    async with db.atomic():
        await capacity.lock_event(found["event"])
        occurrence = await Occurrence.select(Occurrence.cancelled).where(Occurrence.id == occurrence_id).first()
        event = await Event.select(Event.id, Event.status).where(Event.id == found["event"]).first()
        if event["status"] == EventStatus.cancelled:
            raise EventConflict(problem=_("The whole event is cancelled."))
        if not occurrence["cancelled"]:
            return None
        await Occurrence.update({Occurrence.cancelled: False}).where(Occurrence.id == occurrence_id)
        await Event.update({Event.updated_at: now_utc()}).where(Event.id == event["id"])
        notified = await announce_event_update(
            event["id"], Notice.event_changed, seats=seats, occurrence_id=occurrence_id
        )
        await AuditEntry.insert(
            AuditEntry(actor=actor, action="event.reinstate_date", subject=f"occurrence:{occurrence_id}", count=1)
        )
    return notified

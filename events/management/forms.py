"""The staff forms of event management, parsed once: settings, details, a new event (or a weekly series).

Each ``parse_*`` takes the submitted fields (a plain mapping, see ``form_fields``) and returns either the
dataclass the service saves or a dict of field name → translated message; each ``*_form_values`` fills a
form from the event as it is. Times are typed in the event's time zone and stored in UTC.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from events import rules
from events.contracts import QUESTIONS
from events.tables import AudienceCategory, EventKind, RegistrationMode
from samrad.core.i18n import _
from samrad.core.inputs import plausible, whole_number
from samrad.core.settings import LOCALES

MAX_CAPACITY = 100_000


FieldErrors = dict[str, str]


_TRUE = {"1", "true", "on", "yes"}


def form_fields(form: Any, multi: Collection[str]) -> dict[str, Any]:
    """A submitted form (Litestar's multi-dict) as the plain mapping the parsers read: the fields in ``multi``
    as lists (checkboxes), every other one as its last value."""
    fields: dict[str, Any] = {}
    for key in form:
        values = form.getall(key)
        fields[key] = list(values) if key in multi else values[-1]
    return fields


# --- settings ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class EventSettings:
    capacity: int | None
    waitlist_enabled: bool
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    questions: tuple[str, ...]
    audiences: Mapping[str, int | None]  # allowed category -> quota (None: no quota)


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
        "audiences": list(event["audiences"]),
    }
    for category, audience in event["audiences"].items():
        values[f"quota_{category}"] = "" if audience["quota"] is None else str(audience["quota"])
    return values


def _whole_number(raw: str, name: str, errors: FieldErrors, message: str) -> int | None:
    if not raw.strip():
        return None
    number = whole_number(raw, MAX_CAPACITY)
    if number is None:
        errors[name] = message
    return number


def _local_datetime(raw: str, zone: str, name: str, errors: FieldErrors) -> datetime | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        local = datetime.fromisoformat(raw)
    except ValueError:
        errors[name] = _("Enter a date and time like 2027-03-01 09:00.")
        return None
    if local.tzinfo is not None or not plausible(local):
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

    dropin = rules.is_dropin(event)
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
    )


# --- event details and new events -------------------------------------------------------------------------

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
    weekdays: tuple[str, ...]
    until: date | None


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
        venue_id = whole_number(raw_venue)
        if venue_id not in venue_ids:
            errors["venue"] = _("Choose a venue from the list.")
            venue_id = None
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
        elif len(series_dates(details, weekdays, until)[1]) > MAX_SERIES_DATES:
            errors["until"] = _("A series can have at most %(max)s dates. Choose an earlier last date.",
                                max=MAX_SERIES_DATES)
        elif not series_dates(details, weekdays, until)[1]:
            errors["until"] = _("No chosen weekday falls between the start and the last date.")
    if errors:
        return errors
    if not slug:
        slug = slugify(next(iter(details.title.values()))) or "event"
    return NewEvent(
        details=details, kind=kind, slug=slug, registration_mode=mode, capacity=capacity_value,
        waitlist_enabled=mode == RegistrationMode.required and _field_text(fields, "waitlist_enabled") in _TRUE,
        sensitive=_field_text(fields, "sensitive") in _TRUE,
        weekdays=tuple(day for day in WEEKDAYS if day in weekdays), until=until,
    )


def series_dates(
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

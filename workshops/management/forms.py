"""The workshop form and the workshop API's body, checked by the same rules.

``parse_form`` reads the submitted HTML form (strings) and ``parse_api`` a JSON body (typed values, the fields
it names laid over the workshop as it is); both end in ``check``, which returns the ``WorkshopData`` the
service saves or a dict of field -> translated message. Error keys are the HTML form's field names;
``API_FIELD`` names the JSON field each belongs to. Times are typed in the event's time zone and stored in UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from samrad.core.i18n import _, format_time_range
from samrad.core.inputs import plausible, whole_number
from samrad.core.settings import LOCALES

TEXT_LIMITS = {"title": 200, "description": 5_000}
ROOM_LENGTH = 120
LABEL_LENGTH = 80
MAX_TABLES = 60
MAX_CAPACITY = 100_000
MULTI_FIELDS = {"facilitators", "themes"}

FieldErrors = dict[str, str]


@dataclass(frozen=True)
class WorkshopData:
    """What the form or the API saves."""

    title: dict[str, str]
    description: dict[str, str]
    room: str
    starts_at: datetime
    ends_at: datetime
    capacity: int | None
    tables: tuple[str, ...]  # the tables' labels, in order
    facilitator_ids: tuple[int, ...]
    theme_ids: tuple[int, ...]


@dataclass(frozen=True)
class FormContext:
    """What the rules need to know about the event and the choices offered."""

    timezone: str
    starts_at: datetime  # the event's time: a workshop starts and ends inside it
    ends_at: datetime
    facilitator_ids: Collection[int]
    theme_ids: Collection[int]
    default_label: Callable[[int], str]  # the label of table n when none is typed ("Bord 3")


def form_fields(form: Any) -> dict[str, Any]:
    """Litestar's multi-dict as a plain mapping: checkbox groups as lists, every other field its last value."""
    return {key: list(form.getall(key)) if key in MULTI_FIELDS else form.getall(key)[-1] for key in form}


def local_input_value(value: datetime | None, zone: str) -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def form_values(workshop: Mapping[str, Any], tables: Sequence[Mapping[str, Any]], facilitator_ids: Sequence[int],
                theme_ids: Sequence[int], zone: str) -> dict[str, Any]:
    """The form filled in from a workshop as it is."""
    values: dict[str, Any] = {
        "room": workshop["room"] or "",
        "starts_at": local_input_value(workshop["starts_at"], zone),
        "ends_at": local_input_value(workshop["ends_at"], zone),
        "capacity": "" if workshop["capacity"] is None else str(workshop["capacity"]),
        "table_count": str(len(tables)),
        "facilitators": [str(i) for i in facilitator_ids],
        "themes": [str(i) for i in theme_ids],
    }
    for name in TEXT_LIMITS:
        for locale in LOCALES:
            values[f"{name}_{locale}"] = (workshop[name] or {}).get(locale, "")
    for number, table in enumerate(tables, start=1):
        values[f"table_label_{number}"] = table["label"]
    return values


def new_form_values(event: Mapping[str, Any]) -> dict[str, Any]:
    """A new workshop's form: the event's start and end as a starting point, one table."""
    return {
        "starts_at": local_input_value(event["starts_at"], event["timezone"]),
        "ends_at": local_input_value(event["ends_at"], event["timezone"]),
        "table_count": "1",
        "facilitators": [],
        "themes": [],
    }


# --- the HTML form ----------------------------------------------------------------------------------------

def _text(fields: Mapping[str, Any], name: str) -> str:
    value = fields.get(name, "")
    return value if isinstance(value, str) else ""


def _ids(fields: Mapping[str, Any], name: str, errors: FieldErrors, message: str) -> list[int]:
    raw = fields.get(name, [])
    values = [raw] if isinstance(raw, str) else [v for v in raw if isinstance(v, str)]
    ids = [whole_number(value) for value in values]
    if any(number is None for number in ids):
        errors[name] = message
        return []
    return [number for number in ids if number is not None]


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


def parse_form(fields: Mapping[str, Any], context: FormContext) -> WorkshopData | FieldErrors:
    errors: FieldErrors = {}
    texts = {
        name: {locale: _text(fields, f"{name}_{locale}").strip().replace("\r\n", "\n") for locale in LOCALES}
        for name in TEXT_LIMITS
    }
    starts_at = _local_datetime(_text(fields, "starts_at"), context.timezone, "starts_at", errors)
    ends_at = _local_datetime(_text(fields, "ends_at"), context.timezone, "ends_at", errors)

    capacity: int | None = None
    raw_capacity = _text(fields, "capacity").strip()
    if raw_capacity:
        capacity = whole_number(raw_capacity, MAX_CAPACITY)
        if capacity is None:
            errors["capacity"] = capacity_message()

    labels: list[str] = []
    count = whole_number(_text(fields, "table_count").strip() or "0", MAX_TABLES)
    if count is None:
        errors["table_count"] = tables_message()
    else:
        labels = [_text(fields, f"table_label_{number}").strip() for number in range(1, count + 1)]

    facilitators = _ids(fields, "facilitators", errors, _("Choose facilitators from the list."))
    themes = _ids(fields, "themes", errors, _("Choose themes from the list."))
    return check(
        texts=texts, room=_text(fields, "room").strip(), starts_at=starts_at, ends_at=ends_at, capacity=capacity,
        labels=labels, facilitator_ids=facilitators, theme_ids=themes, context=context, errors=errors,
    )


def capacity_message() -> str:
    return _("Enter the number of seats as a whole number (0 to %(max)s), or leave it empty for no limit.",
             max=MAX_CAPACITY)


def tables_message() -> str:
    return _("Enter the number of tables as a whole number from 0 to %(max)s.", max=MAX_TABLES)


# --- the rules --------------------------------------------------------------------------------------------

def check(
    *, texts: Mapping[str, Mapping[str, str]], room: str, starts_at: datetime | None, ends_at: datetime | None,
    capacity: int | None, labels: Sequence[str], facilitator_ids: Sequence[int], theme_ids: Sequence[int],
    context: FormContext, errors: FieldErrors,
) -> WorkshopData | FieldErrors:
    """The rules both the form and the API follow; ``errors`` holds what parsing found already."""
    kept: dict[str, dict[str, str]] = {}
    for name, limit in TEXT_LIMITS.items():
        kept[name] = {}
        for locale in LOCALES:
            value = texts.get(name, {}).get(locale, "")
            if len(value) > limit:
                errors[f"{name}_{locale}"] = _("Use at most %(max)s characters.", max=limit)
            elif value:
                kept[name][locale] = value
    if not kept["title"] and not any(f"title_{locale}" in errors for locale in LOCALES):
        errors["title"] = _("Enter a title in at least one language.")
    if len(room) > ROOM_LENGTH:
        errors["room"] = _("Use at most %(max)s characters.", max=ROOM_LENGTH)

    if starts_at is None and "starts_at" not in errors:
        errors["starts_at"] = _("Enter when the workshop starts.")
    if ends_at is None and "ends_at" not in errors:
        errors["ends_at"] = _("Enter when the workshop ends.")
    if starts_at and ends_at:
        event_time = format_time_range(context.starts_at, context.ends_at, context.timezone)
        outside = _("The workshop must take place within the event's time: %(when)s.", when=event_time)
        if starts_at < context.starts_at or starts_at >= context.ends_at:
            errors["starts_at"] = outside
        if ends_at <= starts_at:
            errors["ends_at"] = _("The workshop must end after it starts.")
        elif ends_at > context.ends_at:
            errors["ends_at"] = outside

    tables: list[str] = []
    seen: dict[str, int] = {}
    for number, label in enumerate(labels, start=1):
        label = label or context.default_label(number)
        if len(label) > LABEL_LENGTH:
            errors[f"table_label_{number}"] = _("Use at most %(max)s characters.", max=LABEL_LENGTH)
        elif label.casefold() in seen:
            errors[f"table_label_{number}"] = _("Two tables cannot have the same name.")
        seen.setdefault(label.casefold(), number)
        tables.append(label)

    if any(i not in context.facilitator_ids for i in facilitator_ids):
        errors["facilitators"] = _("Choose facilitators from the list.")
    if any(i not in context.theme_ids for i in theme_ids):
        errors["themes"] = _("Choose themes from the list.")
    if errors:
        return errors
    assert starts_at is not None and ends_at is not None
    return WorkshopData(
        title=kept["title"], description=kept["description"], room=room, starts_at=starts_at, ends_at=ends_at,
        capacity=capacity, tables=tuple(tables), facilitator_ids=tuple(dict.fromkeys(facilitator_ids)),
        theme_ids=tuple(dict.fromkeys(theme_ids)),
    )


def api_field(name: str) -> str:
    """The JSON field (``title.da``, ``tables[2]``) of the form field an error is about."""
    for prefix in TEXT_LIMITS:
        if name.startswith(f"{prefix}_"):
            return f"{prefix}.{name.removeprefix(prefix + '_')}"
    if name.startswith("table_label_"):
        return f"tables[{int(name.removeprefix('table_label_')) - 1}]"
    return {"table_count": "tables", "facilitators": "facilitator_ids", "themes": "theme_ids"}.get(name, name)

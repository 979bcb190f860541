"""The participant list of one event: search, filters that combine, counts per filter, sorting, pages.

An event has a few thousand registrations at most, so the list is read in one query (plus one for the
workshop seats, through the ``workshop_roster`` the workshops area provides) and filtered, counted and sorted
here. That keeps search Unicode-aware (SQLite's LIKE folds ASCII only, and "Ø" must find "ø") and lets every
filter show how many rows choosing it would give, with the other filters applied (faceted counts).

The same filtered, sorted rows feed the page, the exports, the badges, the door list, group emails and the
organiser API, so "export what I am filtering" holds by construction.

Sensitive events (an LGBTQ café) never give rows of people here: ``participant_list`` raises for them, and
``sensitive_counts`` gives the numbers their page shows.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from events.contracts import ACCESS_NEEDS
from events.listing.queries import Page
from events.rules import normalise_ticket_code
from events.tables import AudienceCategory, Registration, RegistrationStatus
from samrad.core.i18n import N_, current_locale
from samrad.core.openapi import MAX_ID

PER_PAGE = 50
MAX_QUERY = 100

# Registration id → its workshop seats of the event as (workshop id, status) (``workshops.rosters``).
WorkshopRoster = Callable[[int], Awaitable[dict[int, list[tuple[int, str]]]]]

STATUSES = ("active", "confirmed", "waitlisted", "cancelled", "all")
CHECKED_IN = ("yes", "no")
NEEDS = ("any", *ACCESS_NEEDS, "diet")
SORTS = ("registered", "name", "status", "category", "unit", "checked_in")
# The filters, in the order the page shows them; each has faceted counts.
DIMENSIONS = ("status", "category", "unit", "workshop", "checked_in", "needs")
SENSITIVE_DIMENSIONS = ("status", "category", "checked_in")

FILTER_ERRORS = {
    "status": N_("Choose a status from the list."),
    "category": N_("Choose a group from the list."),
    "unit": N_("Choose a unit from the list."),
    "workshop": N_("Choose a workshop from the list."),
    "checked_in": N_("Choose yes or no."),
    "needs": N_("Choose a need from the list."),
    "sort": N_("Choose a sort order from the list."),
    "page": N_("Give the page as a whole number from 1."),
}


@dataclass(frozen=True)
class ListFilter:
    """What the organiser asked for. Empty strings and None mean "any"."""

    q: str = ""
    status: str = "active"
    category: str = ""
    unit: int | None = None
    workshop: int | None = None
    checked_in: str = ""
    needs: str = ""
    sort: str = "registered"
    descending: bool = False
    page: int = 1

    def params(self, **changes: Any) -> dict[str, str]:
        """The query-string parameters that ask for this filter (with ``changes``), defaults left out."""
        current = replace(self, **changes) if changes else self
        values = {
            "q": current.q,
            "status": "" if current.status == "active" else current.status,
            "category": current.category,
            "unit": "" if current.unit is None else str(current.unit),
            "workshop": "" if current.workshop is None else str(current.workshop),
            "checked_in": current.checked_in,
            "needs": current.needs,
            "sort": "" if current.sort == "registered" and not current.descending else
            ("-" if current.descending else "") + current.sort,
            "page": "" if current.page == 1 else str(current.page),
        }
        return {key: value for key, value in values.items() if value}

    def query(self, **changes: Any) -> str:
        return urlencode(self.params(**changes))

    @property
    def narrowed(self) -> bool:
        """Whether anything narrows the list below "everyone registered or waiting"."""
        return bool(self.params(sort="registered", descending=False, page=1))


def parse_filter(params: Mapping[str, Any]) -> tuple[ListFilter, dict[str, str]]:
    """A filter from query parameters (strings), and what was wrong (field → message id, untranslated).

    Pages show the list anyway with the bad part left out; the API answers 422 with the messages.
    """
    errors: dict[str, str] = {}

    def text(name: str) -> str:
        value = params.get(name)
        return value.strip() if isinstance(value, str) else ""

    def choice(name: str, allowed: Sequence[str], default: str = "") -> str:
        value = text(name)
        if value and value not in allowed:
            errors[name] = FILTER_ERRORS[name]
            return default
        return value or default

    def number(name: str) -> int | None:
        value = text(name)
        if not value:
            return None
        if not value.isdecimal() or int(value) < 1 or int(value) > MAX_ID:
            errors[name] = FILTER_ERRORS[name]
            return None
        return int(value)

    sort_raw = text("sort")
    descending = sort_raw.startswith("-")
    sort = sort_raw.removeprefix("-") or "registered"
    if sort not in SORTS:
        errors["sort"] = FILTER_ERRORS["sort"]
        sort, descending = "registered", False
    page = number("page") or 1
    return ListFilter(
        q=text("q")[:MAX_QUERY],
        status=choice("status", STATUSES, "active"),
        category=choice("category", [c.value for c in AudienceCategory]),
        unit=number("unit"),
        workshop=number("workshop"),
        checked_in=choice("checked_in", CHECKED_IN),
        needs=choice("needs", NEEDS),
        sort=sort,
        descending=descending,
        page=page,
    ), errors


# --- reading -----------------------------------------------------------------------------------------------

_COLUMNS = (
    Registration.id, Registration.name, Registration.email, Registration.ticket_code, Registration.category,
    Registration.status, Registration.org_unit, Registration.org_unit.name.as_alias("unit_name"),
    Registration.organisation, Registration.access_needs, Registration.access_other, Registration.diet,
    Registration.pronouns, Registration.locale, Registration.checked_in_at, Registration.created_at,
    Registration.added_by_staff, Registration.follow_up_opt_in,
)


async def event_registrations(event_id: int, roster: WorkshopRoster | None) -> list[dict[str, Any]]:
    """Every registration of the event whose data is still kept, with ``workshops``: [(id, seat status)]."""
    rows = await Registration.select(*_COLUMNS).where(
        (Registration.event == event_id) & Registration.anonymised_at.is_null()
    ).order_by(Registration.id).output(load_json=True)
    seats = await roster(event_id) if roster is not None and rows else {}
    for row in rows:
        row["workshops"] = seats.get(row["id"], [])
        row["access_needs"] = list(row["access_needs"] or [])
    return rows


# --- filtering --------------------------------------------------------------------------------------------

def _status_of(row: Mapping[str, Any], wanted: str) -> bool:
    if wanted == "all":
        return True
    if wanted == "active":
        return row["status"] != RegistrationStatus.cancelled
    return row["status"] == wanted


def _needs_of(row: Mapping[str, Any]) -> set[str]:
    needs = set(row["access_needs"])
    if needs:
        needs.add("any")
    if (row["diet"] or "").strip():
        needs.add("diet")
    return needs


def _matches_search(row: Mapping[str, Any], words: Sequence[str], code: str) -> bool:
    if code and row["ticket_code"] and row["ticket_code"].startswith(code):
        return True
    haystack = f"{row['name']} {row['email']}".casefold()
    return all(word in haystack for word in words)


def _values(row: Mapping[str, Any], dimension: str) -> set[str]:
    """The filter values a row counts for in one dimension (a person can be in several workshops)."""
    if dimension == "status":
        values = {row["status"], "all"}
        if row["status"] != RegistrationStatus.cancelled:
            values.add("active")
        return values
    if dimension == "category":
        return {row["category"]}
    if dimension == "unit":
        return {str(row["org_unit"])} if row["org_unit"] is not None else set()
    if dimension == "workshop":
        return {str(workshop_id) for workshop_id, _status in row["workshops"]}
    if dimension == "checked_in":
        return {"yes" if row["checked_in_at"] is not None else "no"}
    if dimension == "needs":
        return _needs_of(row)
    raise ValueError(dimension)


def _wanted(list_filter: ListFilter, dimension: str) -> str:
    value = getattr(list_filter, dimension)
    return "" if value is None else str(value)


def _predicate(list_filter: ListFilter, skip: str | None = None) -> Callable[[Mapping[str, Any]], bool]:
    words = [word.casefold() for word in list_filter.q.split()[:6]]
    code = normalise_ticket_code(list_filter.q) if list_filter.q else ""
    code = code if code and len(code) >= 4 else ""
    checks = [(dimension, _wanted(list_filter, dimension)) for dimension in DIMENSIONS if dimension != skip]

    def matches(row: Mapping[str, Any]) -> bool:
        if (words or code) and not _matches_search(row, words, code):
            return False
        for dimension, wanted in checks:
            if not wanted:
                continue
            if dimension == "status":
                if not _status_of(row, wanted):
                    return False
            elif wanted not in _values(row, dimension):
                return False
        return True

    return matches


def facet_counts(rows: Sequence[Mapping[str, Any]], list_filter: ListFilter,
                 dimensions: Sequence[str] = DIMENSIONS) -> dict[str, Counter[str]]:
    """For each filter: how many rows each of its values would give, the other filters applied."""
    counts: dict[str, Counter[str]] = {}
    for dimension in dimensions:
        matches = _predicate(list_filter, skip=dimension)
        counter: Counter[str] = Counter()
        for row in rows:
            if matches(row):
                counter.update(_values(row, dimension))
        counts[dimension] = counter
    return counts


# Alphabetical order as the reader expects it: Danish ends with æ ø å, Swedish with å ä ö; English reads Å as A.
_LAST_LETTERS = {
    "da": {"æ": "{", "ä": "{", "ø": "|", "ö": "|", "å": "}"},  # after z: { | } follow it in code points
    "sv": {"å": "{", "ä": "|", "æ": "|", "ö": "}", "ø": "}"},
}
_ENGLISH_LETTERS = {"æ": "ae", "ø": "o", "ß": "ss", "đ": "d", "ł": "l"}


def name_key(name: str, locale: str | None = None) -> str:
    """A sort key for names in the alphabetical order of ``locale`` (the page's language by default)."""
    locale = locale or current_locale()
    text = name.casefold()
    special = _LAST_LETTERS.get(locale)
    if special is None:
        text = "".join(_ENGLISH_LETTERS.get(ch, ch) for ch in text)
        return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    decomposed = "".join(
        special.get(ch) or "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        for ch in text
    )
    return decomposed


def _sort_key(sort: str) -> Callable[[Mapping[str, Any]], Any]:
    status_order = {"confirmed": 0, "waitlisted": 1, "cancelled": 2}
    category_order = {c.value: i for i, c in enumerate(AudienceCategory)}
    keys: dict[str, Callable[[Mapping[str, Any]], Any]] = {
        "registered": lambda row: row["id"],
        "name": lambda row: (name_key(row["name"]), row["id"]),
        "status": lambda row: (status_order.get(row["status"], 3), row["id"]),
        "category": lambda row: (category_order.get(row["category"], 99), name_key(row["name"])),
        "unit": lambda row: (name_key(row["unit_name"] or row["organisation"] or "\uffff"), name_key(row["name"])),
        "checked_in": lambda row: (row["checked_in_at"] is None, row["checked_in_at"] or 0, row["id"]),
    }
    return keys[sort]


def apply(rows: Sequence[Mapping[str, Any]], list_filter: ListFilter) -> list[dict[str, Any]]:
    """The rows the filter selects, in its order."""
    matches = _predicate(list_filter)
    chosen = [dict(row) for row in rows if matches(row)]
    chosen.sort(key=_sort_key(list_filter.sort), reverse=list_filter.descending)
    return chosen


@dataclass
class ParticipantList:
    page: Page
    facets: dict[str, Counter[str]]
    everyone: int  # registrations of the event (any status), data kept
    matching: list[dict[str, Any]] = field(default_factory=list)  # every row the filter selects, in order


async def participant_list(
    event: Mapping[str, Any], list_filter: ListFilter, roster: WorkshopRoster | None, *, per_page: int = PER_PAGE
) -> ParticipantList:
    """One page of the filtered list, with the counts per filter (non-sensitive events only)."""
    if event["sensitive"]:
        raise PermissionError("sensitive events have no lists of people")
    rows = await event_registrations(event["id"], roster)
    matching = apply(rows, list_filter)
    pages = max(1, -(-len(matching) // per_page))
    number = min(max(list_filter.page, 1), pages)
    start = (number - 1) * per_page
    page = Page(matching[start:start + per_page], len(matching), number, per_page)
    return ParticipantList(page, facet_counts(rows, list_filter), len(rows), matching)


async def sensitive_counts(event: Mapping[str, Any], list_filter: ListFilter) -> dict[str, Counter[str]]:
    """The counts a sensitive event's page shows (status, group, checked in), no search: never a row."""
    rows = await event_registrations(event["id"], None)
    plain = replace(list_filter, q="", unit=None, workshop=None, needs="")
    return facet_counts(rows, plain, SENSITIVE_DIMENSIONS)

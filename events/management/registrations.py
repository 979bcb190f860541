"""Registrations as organisers see them: overviews with counts and totals (the lists of people are
``events.attendees``).

Reads are grouped so a page costs a few queries whatever the number of registrations (counts come from one
GROUP BY). Sensitive events (an LGBTQ café) never produce lists of people here: only counts. Caterers and
venues get totals of access needs and diets, never who needs what.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from piccolo.query.functions.aggregate import Count

from events.contracts import ACCESS_NEEDS
from events.tables import AudienceCategory, Event, Occurrence, Registration, RegistrationStatus
from samrad.core.clock import now_utc

# Past events on the staff list: the most recent ones (reports on older events belong in exports).
PAST_EVENTS_SHOWN = 100


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


async def event_overview(
    *, include_past: bool = False, now: datetime | None = None, event_ids: Sequence[int] | None = None
) -> list[dict[str, Any]]:
    """Events for the staff lists, soonest first, each with ``counts`` and ``next_date`` (a series' next date).

    Upcoming means: a single event that has not ended, or a series with a date still to come. ``event_ids``
    limits the list to the events a staff member may see (``events.access.event_ids_for``; None: every event).
    """
    now = now or now_utc()
    next_dates = await _next_dates(now)
    query = Event.select(*_EVENT_COLUMNS).output(load_json=True).order_by(Event.starts_at)
    if event_ids is not None:
        query = query.where(Event.id.is_in(list(event_ids) or [0]))
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
        access.update(need for need in (row["access_needs"] or []) if need in ACCESS_NEEDS)
        if row["access_other"].strip() and not event["sensitive"]:
            others.add(" ".join(row["access_other"].split()))
        if key := _diet_key(row["diet"]):
            diets[key] += 1
            labels.setdefault(key, " ".join(row["diet"].split()))
        else:
            totals.without_diet += 1
    totals.access = [(need, access[need]) for need in ACCESS_NEEDS if access[need]]
    totals.diets = sorted(((labels[key], n) for key, n in diets.items()), key=lambda item: (-item[1], item[0]))
    totals.other_access = sorted(others, key=str.casefold)
    return totals

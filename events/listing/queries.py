"""Read-side queries for the public pages and the API: few round-trips, index-friendly, no personal data.

The listing is one row per date (``Occurrence``) joined to its event and venue: a page costs one SELECT with
LIMIT/OFFSET on the ``occurrence.starts_at`` index plus one COUNT. The event page reads its event, audiences
and upcoming dates together (one connection on SQLite). Seats left are computed from the event row's
``capacity - booked``, which only ``events.capacity`` changes, so every page shows the exact figure; whether
registration is open is decided by ``events.rules``, as the registration service decides it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from piccolo.columns.combination import Where
from piccolo.engine.sqlite import SQLiteEngine

from events import loaders, rules
from events.labels import KIND_LABELS, category_label
from events.tables import AudienceCategory, Event, EventAudience, EventStatus, Occurrence
from samrad.core.clock import now_utc
from samrad.core.db import engine
from samrad.core.i18n import _, ngettext, pgettext

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# Dates are listed while they last. Bounding the start from below keeps the scan on the starts_at index;
# a single date lasting longer than this (an exhibition) would drop off the listing once this far in.
LONGEST_LISTED_DATE = timedelta(days=31)
# Date filters are calendar days in the municipality's zone (Copenhagen and Stockholm share their offsets).
LISTING_ZONE = ZoneInfo("Europe/Copenhagen")
UPCOMING_DATES_ON_EVENT_PAGE = 12


# --- availability -----------------------------------------------------------------------------------------

class Availability(StrEnum):
    open = "open"  # registration open with seats left (or unlimited)
    waitlist = "waitlist"  # full; new registrations join the waiting list
    full = "full"  # full and no waiting list
    dropin = "dropin"  # no registration needed
    not_open_yet = "not_open_yet"
    closed = "closed"
    cancelled = "cancelled"


@dataclass(frozen=True)
class SeatState:
    availability: Availability
    seats_left: int | None  # None: unlimited or drop-in
    opens_at: datetime | None = None
    closes_at: datetime | None = None

    @property
    def registration_open(self) -> bool:
        return self.availability in {Availability.open, Availability.waitlist}

    @property
    def label(self) -> str:
        """What a badge says, translated."""
        match self.availability:
            case Availability.open if self.seats_left is not None:
                return ngettext("%(num)s seat left", "%(num)s seats left", self.seats_left)
            case Availability.open:
                return _("Registration open")
            case Availability.waitlist:
                return _("Waiting list")
            case Availability.full:
                return _("Full")
            case Availability.dropin:
                return _("Drop in, no registration needed")
            case Availability.not_open_yet:
                return _("Registration not open yet")
            case Availability.closed:
                return _("Registration closed")
            case Availability.cancelled:
                return pgettext("event status", "Cancelled")

    @property
    def tone(self) -> str:
        """The badge colour class (the text carries the meaning; colour only repeats it)."""
        return {
            Availability.open: "ok",
            Availability.waitlist: "warn",
            Availability.full: "bad",
            Availability.dropin: "info",
            Availability.not_open_yet: "info",
            Availability.closed: "warn",
            Availability.cancelled: "bad",
        }[self.availability]


def seat_state(event: Mapping[str, Any], now: datetime, *, date_cancelled: bool = False) -> SeatState:
    """Where registration stands for an event row, by the rules the registration service applies."""
    opens_at, closes_at = event["registration_opens_at"], event["registration_closes_at"]
    left = rules.seats_left(event)
    if event["status"] == EventStatus.cancelled or date_cancelled:
        return SeatState(Availability.cancelled, None, opens_at, closes_at)
    if rules.is_dropin(event):
        return SeatState(Availability.dropin, None, opens_at, closes_at)
    refusal = rules.window_refusal(event, now)
    if refusal == "not_open_yet":
        return SeatState(Availability.not_open_yet, left, opens_at, closes_at)
    closes_at = rules.registration_closes_at(event)
    if refusal == "closed":
        return SeatState(Availability.closed, left, opens_at, closes_at)
    if left == 0:
        state = Availability.waitlist if event["waitlist_enabled"] else Availability.full
        return SeatState(state, 0, opens_at, closes_at)
    return SeatState(Availability.open, left, opens_at, closes_at)


# --- reading together -------------------------------------------------------------------------------------

@contextlib.asynccontextmanager
async def reading_together() -> AsyncIterator[None]:
    """Several reads on one SQLite connection (opening one per query is what costs there); PostgreSQL
    reads straight from its pool."""
    db = engine()
    if isinstance(db, SQLiteEngine):
        async with db.transaction():
            yield
    else:
        yield


# --- the listing ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ListingFilter:
    kind: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def parse(cls, kind: str | None, date_from: str | None, date_to: str | None) -> tuple[ListingFilter, dict]:
        """Filters from a query string; what cannot be used is left out and explained per field."""
        errors: dict[str, str] = {}
        clean_kind = (kind or "").strip() or None
        if clean_kind is not None and clean_kind not in KIND_LABELS:
            errors["kind"] = _("Choose one of the kinds in the list.")
            clean_kind = None
        start = _parse_date(date_from, "from", errors)
        end = _parse_date(date_to, "to", errors)
        if start and end and end < start:
            errors["to"] = _("The end date must be on or after the start date.")
            end = None
        return cls(clean_kind, start, end), errors

    @property
    def active(self) -> bool:
        return bool(self.kind or self.date_from or self.date_to)

    def query_params(self) -> dict[str, str]:
        params = {}
        if self.kind:
            params["kind"] = self.kind
        if self.date_from:
            params["from"] = self.date_from.isoformat()
        if self.date_to:
            params["to"] = self.date_to.isoformat()
        return params


def _parse_date(raw: str | None, name: str, errors: dict[str, str]) -> date | None:
    text = (raw or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = _("Enter a date like 2026-03-31.")
        return None


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), LISTING_ZONE).astimezone(UTC)


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def page_number(raw: str | None) -> int:
    """The page a query string asks for: 1 for anything that is not a positive number."""
    try:
        return max(1, int(raw or 1))
    except ValueError:
        return 1


_LISTING_COLUMNS = (
    Occurrence.id.as_alias("occurrence_id"),
    Occurrence.starts_at,
    Occurrence.ends_at,
    Occurrence.cancelled.as_alias("date_cancelled"),
    Occurrence.note,
    Occurrence.event.id.as_alias("event_id"),
    Occurrence.event.slug.as_alias("slug"),
    Occurrence.event.kind.as_alias("kind"),
    Occurrence.event.title.as_alias("title"),
    Occurrence.event.summary.as_alias("summary"),
    Occurrence.event.timezone.as_alias("timezone"),
    Occurrence.event.status.as_alias("status"),
    Occurrence.event.recurrence_rule.as_alias("recurrence_rule"),
    Occurrence.event.registration_mode.as_alias("registration_mode"),
    Occurrence.event.registration_opens_at.as_alias("registration_opens_at"),
    Occurrence.event.registration_closes_at.as_alias("registration_closes_at"),
    Occurrence.event.capacity.as_alias("capacity"),
    Occurrence.event.booked.as_alias("booked"),
    Occurrence.event.waitlist_enabled.as_alias("waitlist_enabled"),
    Occurrence.event.starts_at.as_alias("event_starts_at"),
    Occurrence.event.venue.name.as_alias("venue_name"),
    Occurrence.event.venue.city.as_alias("venue_city"),
)


def _listing_where(filters: ListingFilter, now: datetime) -> Where:
    where = (
        (Occurrence.event.published.eq(True))
        & (Occurrence.starts_at >= now - LONGEST_LISTED_DATE)
        & (Occurrence.ends_at > now)
    )
    if filters.kind:
        where &= Occurrence.event.kind == filters.kind
    if filters.date_from:
        where &= Occurrence.starts_at >= _local_midnight(filters.date_from)
    if filters.date_to:
        where &= Occurrence.starts_at < _local_midnight(filters.date_to + timedelta(days=1))
    return where


async def upcoming_dates(
    filters: ListingFilter, page: int = 1, per_page: int = PAGE_SIZE, now: datetime | None = None
) -> Page:
    """Upcoming (and ongoing) dates of published events, soonest first: two queries whatever the size."""
    now = now or now_utc()
    per_page = max(1, min(per_page, MAX_PAGE_SIZE))
    page = max(1, page)
    where = _listing_where(filters, now)
    async with reading_together():
        total = await Occurrence.count().where(where)
        rows = []
        if total > (page - 1) * per_page:
            rows = (
                await Occurrence.select(*_LISTING_COLUMNS)
                .where(where)
                .order_by(Occurrence.starts_at)
                .order_by(Occurrence.id)
                .limit(per_page)
                .offset((page - 1) * per_page)
                .output(load_json=True)
            )
    items = []
    for row in rows:
        # The event row's own start decides "registration closed"; the date's times only whether it is listed.
        event_view = {**row, "starts_at": row["event_starts_at"]}
        items.append({**row, "state": seat_state(event_view, now, date_cancelled=row["date_cancelled"])})
    return Page(items=items, total=total, page=page, per_page=per_page)


# --- one event --------------------------------------------------------------------------------------------

@dataclass
class EventPage:
    event: dict[str, Any]
    venue: dict[str, Any] | None
    audiences: list[dict[str, Any]]
    dates: list[dict[str, Any]]
    state: SeatState
    workshops: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_series(self) -> bool:
        return bool(self.event["recurrence_rule"]) or len(self.dates) > 1

    @property
    def categories(self) -> list[str]:
        return [row["category"] for row in self.audiences]


async def event_page(slug: str, now: datetime | None = None) -> EventPage | None:
    """Everything the event page shows except workshops (they belong to the workshops area)."""
    now = now or now_utc()
    async with reading_together():
        event = await loaders.published_event(slug)
        if event is None:
            return None
        audiences = await allowed_audiences(event["id"])
        dates = await upcoming_occurrences(event["id"], now)
    return EventPage(
        event=event, venue=loaders.venue_of(event), audiences=audiences, dates=dates, state=seat_state(event, now)
    )


async def allowed_audiences(event_id: int) -> list[dict[str, Any]]:
    """The audience categories that may register, in the order the form lists them."""
    rows = await EventAudience.select(
        EventAudience.id, EventAudience.category, EventAudience.quota, EventAudience.booked
    ).where(EventAudience.event == event_id)
    order = list(AudienceCategory)
    rows.sort(key=lambda row: order.index(row["category"]) if row["category"] in order else len(order))
    for row in rows:
        row["label"] = category_label(row["category"])
        row["quota_left"] = None if row["quota"] is None else max(0, row["quota"] - row["booked"])
    return rows


async def upcoming_occurrences(
    event_id: int, now: datetime | None = None, limit: int = UPCOMING_DATES_ON_EVENT_PAGE
) -> list[dict[str, Any]]:
    now = now or now_utc()
    return (
        await Occurrence.select(
            Occurrence.id, Occurrence.starts_at, Occurrence.ends_at, Occurrence.cancelled, Occurrence.note
        )
        .where((Occurrence.event == event_id) & (Occurrence.ends_at > now))
        .order_by(Occurrence.starts_at)
        .limit(limit)
        .output(load_json=True)
    )


# --- calendar feeds ---------------------------------------------------------------------------------------

FEED_HISTORY = timedelta(days=90)


async def feed_event_ids(now: datetime | None = None) -> list[int]:
    """Published events with a date in the recent past or the future, for the all-events feed: a subscribed
    calendar keeps what people went to last month and loses what is long gone."""
    now = now or now_utc()
    recent = Occurrence.select(Occurrence.event).where(Occurrence.ends_at >= now - FEED_HISTORY)
    rows = await Event.select(Event.id).where(Event.published.eq(True) & Event.id.is_in(recent)).order_by(
        Event.starts_at
    )
    return [row["id"] for row in rows]

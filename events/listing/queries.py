"""The public listing's reads: few round-trips, index-friendly, no personal data.

The listing shows an event once, at its next date (a café series once, not once a week): one statement finds a
page's dates from the ``occurrence_listing`` index and counts as far as the page needs, one more reads those
twenty rows with their event and venue. Neither grows with the number of events, page 500 included (see
``_SERIES`` below). Each entry carries its badge (``events.listing.availability``); one event's page is read by
``events.listing.event_page``.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from piccolo.engine.sqlite import SQLiteEngine

from events.labels import KIND_LABELS
from events.listing.availability import seat_state
from events.tables import Event, Occurrence
from samrad.core.clock import now_utc
from samrad.core.db import engine
from samrad.core.i18n import _
from samrad.core.inputs import plausible, whole_number

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# Dates are listed while they last. Bounding the start from below keeps the scan on the starts_at index;
# a single date lasting longer than this (an exhibition) would drop off the listing once this far in.
LONGEST_LISTED_DATE = timedelta(days=31)
# Date filters are calendar days in the municipality's zone (Copenhagen and Stockholm share their offsets).
LISTING_ZONE = ZoneInfo("Europe/Copenhagen")


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
        day = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is None or not plausible(day):  # far years overflow when midnight is moved to UTC
        errors[name] = _("Enter a date like 2026-03-31.")
        return None
    return day


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), LISTING_ZONE).astimezone(UTC)


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    total: int  # entries: every one when ``exact``, else those counted, and there are more
    page: int
    per_page: int
    exact: bool = True
    dates: int | None = None  # the dates behind ``total`` when a series is one entry (known when exact)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def at_least(self) -> int:
        """A round number below the count, for "more than N" when counting stopped early (always true)."""
        step = 1000 if self.total > 1000 else 100 if self.total > 100 else 1
        return (self.total - 1) // step * step


def page_number(raw: str | None) -> int:
    """The page a query string asks for: 1 for anything that is not a positive number (or is past any page)."""
    return whole_number(raw) or 1


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

# Counting stops this many entries in (or a few pages past the one shown): the heading then says "more than",
# and a deep page counts only the pages around it. Counting every date on every view cost more than the page.
COUNT_UP_TO = 2000
COUNT_PAGES_AHEAD = 2

# One statement finds a page's entries in listing order (starts_at, event, id: the occurrence_listing index). An
# entry is a date of a published event in the window; a series (an event with a recurrence rule, the only kind
# with several dates) is one entry: its first date there that is not cancelled, or its first. Dates that began
# before ``:split`` (now) are checked one by one (a month of them at most). Of the later ones only a series'
# other dates and drafts' dates are not entries, both few and found from the event side (partial indexes), so
# the page is read from the bare index, skipping rows without visiting them, and shifted by the hidden rows
# before it. A kind filter needs every row's event: that path joins. Indexes: events_2026_12_02t06_00_00_000000.
_SERIES = """series_events AS MATERIALIZED (
  SELECT id, kind FROM event WHERE CAST((recurrence_rule <> '' AND published) AS INTEGER) = 1
), series AS (
  SELECT p.id, p.event, p.starts_at,
         row_number() OVER (PARTITION BY p.event ORDER BY p.cancelled, p.starts_at, p.id) AS rank,
         sum(CASE WHEN p.cancelled THEN 0 ELSE 1 END) OVER (PARTITION BY p.event) AS held
  FROM occurrence p WHERE {series_dates} AND p.starts_at >= :lo AND p.ends_at > :now{p_to}
), later AS (
  SELECT id, event, starts_at FROM series WHERE rank > 1{later_kind}
), """
_INDEXED = """drafts AS MATERIALIZED (
  SELECT id FROM event WHERE {draft}
), hidden AS (
  SELECT id, event, starts_at FROM later WHERE starts_at >= :split
  UNION ALL
  SELECT p.id, p.event, p.starts_at FROM occurrence p WHERE {draft_dates} AND p.starts_at >= :split{p_to}
), ongoing AS (
  SELECT o.id, o.event, o.starts_at FROM occurrence o JOIN event e ON e.id = o.event
  WHERE e.published AND o.starts_at >= :lo AND o.starts_at < :split AND o.ends_at > :now{o_to}
    AND o.id NOT IN (SELECT id FROM later)
), skip AS (
  SELECT count(*) AS ongoing, CASE WHEN count(*) < :offset THEN :offset - count(*) ELSE 0 END AS rows,
         (SELECT count(*) FROM hidden) AS hidden
  FROM ongoing
), rows_read AS MATERIALIZED (
  SELECT id, event, starts_at FROM occurrence WHERE starts_at >= :split{to} ORDER BY starts_at, event, id
  LIMIT :read + (SELECT hidden FROM skip) + 1 OFFSET (SELECT rows FROM skip)
), counted_rows AS MATERIALIZED (
  SELECT {rows_counted} AS n
), counts AS (
  SELECT CASE WHEN r.n > :window + hidden THEN ongoing + rows + :window ELSE ongoing + rows + r.n - hidden END
           AS counted,
         CASE WHEN r.n > :window + hidden THEN 1 ELSE 0 END AS more
  FROM skip, counted_rows r
), skipped AS (
  SELECT count(*) AS hidden FROM hidden h,
    (SELECT starts_at, event, id FROM rows_read ORDER BY starts_at, event, id LIMIT 1) f
  WHERE (h.starts_at, h.event, h.id) < (f.starts_at, f.event, f.id)
), page AS (
  SELECT * FROM (SELECT id, event, starts_at FROM ongoing ORDER BY starts_at, event, id LIMIT :n OFFSET :offset) a
  UNION ALL
  SELECT * FROM (SELECT id, event, starts_at FROM rows_read WHERE id NOT IN (SELECT id FROM hidden)
                 ORDER BY starts_at, event, id LIMIT :n OFFSET (SELECT hidden FROM skipped)) b
)
SELECT page.id, page.event, (SELECT counted FROM counts) AS counted, (SELECT more FROM counts) AS more,
"""
# Near the top the count runs further than the page: count the index entries it passes without keeping them.
# Far down it counts only a few pages, read with the page in one pass (a skip costs on a table never vacuumed).
_ROWS_COUNTED_AHEAD = """(SELECT count(*) FROM (SELECT 1 AS one FROM occurrence WHERE starts_at >= :split{to}
  LIMIT :window + (SELECT hidden FROM skip) + 1 OFFSET (SELECT rows FROM skip)) c)"""
_ROWS_READ = "(SELECT count(*) FROM rows_read)"
_JOINED = """entries AS (
  SELECT o.id, o.event, o.starts_at FROM occurrence o JOIN event e ON e.id = o.event
  WHERE e.published AND e.kind = :kind AND o.starts_at >= :lo AND o.ends_at > :now{o_to}
    AND o.id NOT IN (SELECT id FROM later)
), rows_read AS MATERIALIZED (
  SELECT id, event, starts_at FROM entries ORDER BY starts_at, event, id LIMIT :window + 1 OFFSET :offset
), page AS (
  SELECT id, event, starts_at FROM rows_read ORDER BY starts_at, event, id LIMIT :n
)
SELECT page.id, page.event,
  :offset + CASE WHEN (SELECT count(*) FROM rows_read) > :window THEN :window
                 ELSE (SELECT count(*) FROM rows_read) END AS counted,
  CASE WHEN (SELECT count(*) FROM rows_read) > :window THEN 1 ELSE 0 END AS more,
"""
_END = """  (SELECT count(*) FROM later) AS later,
  (SELECT held FROM series WHERE series.event = page.event AND series.rank = 1) AS held
FROM page ORDER BY page.starts_at, page.event, page.id LIMIT :n"""


def _listing_sql(filters: ListingFilter, *, series_once: bool, sqlite: bool, deep: bool = False) -> str:
    """The statement for these filters: its shape depends on them (and ``deep``: a page past the counted part),
    its values never (``_bind``), so each shape is prepared once per connection and its plan kept."""

    def member(column: str, cte: str) -> str:
        # SQLite walks a small IN list through the index; PostgreSQL, whose planner has no statistics for a
        # fresh table, would hash the whole table for it, but walks an array through the index. Names only:
        # every value is a bound parameter.
        template = "{} IN (SELECT id FROM {})" if sqlite else "{} = ANY(ARRAY(SELECT id FROM {}))"
        return template.format(column, cte)

    def until(alias: str) -> str:
        return f" AND {alias}starts_at < :to" if filters.date_to else ""

    parts = {
        "p_to": until("p."), "o_to": until("o."), "to": until(""),
        "series_dates": member("p.event", "series_events") if series_once else "1 = 0",
        "draft_dates": member("p.event", "drafts"),
        # The conditions of the partial indexes event_series and event_drafts, word for word (see the migration);
        # SQLite finds drafts faster through event_published.
        "draft": "published = FALSE" if sqlite else "CAST(published AS INTEGER) = 0",
        "later_kind": " AND event IN (SELECT id FROM series_events WHERE kind = :kind)" if filters.kind else "",
    }
    body = _JOINED if filters.kind else _INDEXED.replace("{rows_counted}", _ROWS_READ if deep else _ROWS_COUNTED_AHEAD)
    return "WITH " + (_SERIES + body + _END).format(**parts)


def _bind(sql: str, values: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """``:name`` placeholders (readable, and one value used in several places) to Piccolo's positional ``{}``."""
    return re.sub(r":[a-z]+", "{}", sql), [values[name] for name in re.findall(r":([a-z]+)", sql)]


def _statement(
    filters: ListingFilter, offset: int, per_page: int, now: datetime, *, series_once: bool, sqlite: bool
) -> tuple[str, list[Any]]:
    """The statement for a page, with its arguments (see ``_find``)."""
    lo = now - LONGEST_LISTED_DATE
    if filters.date_from:
        lo = max(lo, _local_midnight(filters.date_from))
    deep = offset >= COUNT_UP_TO
    window = max(COUNT_UP_TO - offset, COUNT_PAGES_AHEAD * per_page) + per_page
    values = {
        "lo": lo, "now": now, "split": max(lo, now), "kind": filters.kind, "offset": offset, "n": per_page,
        "window": window, "read": window if deep else per_page,
        "to": _local_midnight(filters.date_to + timedelta(days=1)) if filters.date_to else None,
    }
    return _bind(_listing_sql(filters, series_once=series_once, sqlite=sqlite, deep=deep), values)


async def _find(filters: ListingFilter, offset: int, per_page: int, now: datetime, series_once: bool) -> list:
    """The page's entries in order (``id`` of the date, ``event``, ``held`` dates of a series), each with the
    counts: ``counted`` entries, ``more`` if counting stopped early, ``later`` dates of series not listed."""
    sqlite = isinstance(engine(), SQLiteEngine)
    sql, args = _statement(filters, offset, per_page, now, series_once=series_once, sqlite=sqlite)
    return await Occurrence.raw(sql, *args)


async def upcoming_dates(
    filters: ListingFilter,
    page: int = 1,
    per_page: int = PAGE_SIZE,
    now: datetime | None = None,
    *,
    series_once: bool = True,
) -> Page:
    """Upcoming (and ongoing) dates of published events, soonest first, a series once unless ``series_once``
    is off (the API lists every date): two queries whatever the size, two past the last page."""
    now = now or now_utc()
    per_page = max(1, min(per_page, MAX_PAGE_SIZE))
    page = max(1, page)
    found = await _find(filters, (page - 1) * per_page, per_page, now, series_once)
    if found:
        rows = await Occurrence.select(*_LISTING_COLUMNS).where(
            Occurrence.id.is_in([row["id"] for row in found])
        ).output(load_json=True)
    elif page > 1:  # past the last page: count from the start, for the heading and a way back
        counts = await _find(filters, 0, per_page, now, series_once)
    if not found:
        head = counts[0] if page > 1 and counts else {"counted": 0, "more": 0, "later": 0}
        return _page([], head, page, per_page)
    by_id = {row["occurrence_id"]: row for row in rows}
    items = []
    for entry in found:
        row = by_id[entry["id"]]
        # The event row's own start decides "registration closed"; the date's times only whether it is listed.
        event_view = {**row, "starts_at": row["event_starts_at"]}
        state = seat_state(event_view, now, date_cancelled=row["date_cancelled"])
        items.append({**row, "state": state, "series_dates": entry["held"]})
    return _page(items, found[0], page, per_page)


def _page(items: list[dict[str, Any]], head: Mapping[str, Any], page: int, per_page: int) -> Page:
    exact, total = not head["more"], int(head["counted"])
    dates = total + int(head["later"]) if exact else None
    return Page(items=items, total=total, page=page, per_page=per_page, exact=exact, dates=dates)


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

"""What one event's public page shows (its row and venue, the audiences that may register, its upcoming
dates), read in two statements; the workshops come from the workshops area.

The event page and the registration form and its submission (JSON and HTML) all start here, so these are
prepared SQL rather than Piccolo's query builder, which costs more to build a statement with forty columns
than SQLite takes to run it. The columns come from the table definitions, so a column added to ``Event`` or
``Venue`` appears in the rows without a change here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from piccolo.columns import JSON, JSONB

from events.labels import category_label
from events.listing.availability import SeatState, seat_state
from events.tables import AudienceCategory, Event, Occurrence, Venue
from samrad.core.clock import now_utc
from samrad.core.db import Statement

UPCOMING_DATES_ON_EVENT_PAGE = 12

# The venue's columns the page shows, prefixed ``venue_`` in the event row (as ``events.loaders`` does).
_VENUE_COLUMNS = ("name", "address", "city", "accessibility", "step_free", "hearing_loop", "accessible_toilet",
                  "quiet_room")
_AUDIENCE_COLUMNS = ("id", "category", "quota", "booked")
_DATE_COLUMNS = ("id", "starts_at", "ends_at", "cancelled", "note")


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


def _json_columns(table: type, names: tuple[str, ...] | None = None) -> frozenset[str]:
    return frozenset(
        column._meta.name for column in table._meta.columns
        if isinstance(column, JSON | JSONB) and (names is None or column._meta.name in names)
    )


@cache
def _event_sql() -> tuple[Statement, frozenset[str]]:
    """The published event by slug with its venue, one row per audience (the event's columns repeated):
    the statement and the names of the JSON columns to decode."""
    columns = [f'e."{column._meta.db_column_name}" AS "{column._meta.name}"' for column in Event._meta.columns]
    columns += [f'v."{name}" AS "venue_{name}"' for name in _VENUE_COLUMNS]
    columns += [f'a."{name}" AS "audience_{name}"' for name in _AUDIENCE_COLUMNS]
    sql = (
        f"SELECT {', '.join(columns)} FROM event e LEFT JOIN venue v ON v.id = e.venue "  # noqa: S608 - names only
        "LEFT JOIN event_audience a ON a.event = e.id WHERE e.slug = {} AND e.published = {} ORDER BY a.id"
    )
    decoded = _json_columns(Event) | {f"venue_{name}" for name in _json_columns(Venue, _VENUE_COLUMNS)}
    return Statement(sql, instant=True), decoded


_DATES = Statement(
    f"SELECT {', '.join(_DATE_COLUMNS)} FROM occurrence WHERE event = {{}} AND ends_at > {{}} "  # noqa: S608
    "ORDER BY starts_at LIMIT {}",
    instant=True,  # a few rows by index: on SQLite, no hop to a connection's thread (``InstantRead``)
)


async def _run(statement: Statement, *args: Any) -> list[dict[str, Any]]:
    return [dict(row) for row in await statement.run(*args)]  # asyncpg: Records


def _decode(row: dict[str, Any], names: frozenset[str]) -> None:
    for name in names:
        if isinstance(row.get(name), str):
            row[name] = json.loads(row[name])


async def event_page(slug: str, now: datetime | None = None) -> EventPage | None:
    """Everything the event page shows except workshops (they belong to the workshops area)."""
    now = now or now_utc()
    statement, decoded = _event_sql()
    rows = await _run(statement, slug, True)
    if not rows:
        return None
    event = {key: value for key, value in rows[0].items() if not key.startswith("audience_")}
    _decode(event, decoded)
    audiences = _allowed([row for row in rows if row["audience_id"] is not None])
    dates = await upcoming_occurrences(event["id"], now)
    venue = None
    if event["venue"] is not None:
        venue = {key.removeprefix("venue_"): value for key, value in event.items() if key.startswith("venue_")}
    return EventPage(event=event, venue=venue, audiences=audiences, dates=dates, state=seat_state(event, now))


def _allowed(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The audience categories that may register, in the order the form lists them."""
    order = list(AudienceCategory)
    audiences = [{name: row[f"audience_{name}"] for name in _AUDIENCE_COLUMNS} for row in rows]
    audiences.sort(key=lambda row: order.index(row["category"]) if row["category"] in order else len(order))
    for row in audiences:
        row["label"] = category_label(row["category"])
        row["quota_left"] = None if row["quota"] is None else max(0, row["quota"] - row["booked"])
    return audiences


async def upcoming_occurrences(
    event_id: int, now: datetime | None = None, limit: int = UPCOMING_DATES_ON_EVENT_PAGE
) -> list[dict[str, Any]]:
    rows = await _run(_DATES, event_id, now or now_utc(), limit)
    for row in rows:
        _decode(row, _DATE_JSON)
    return rows


_DATE_JSON = _json_columns(Occurrence, _DATE_COLUMNS)

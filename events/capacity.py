"""Seats: the one place where ``booked`` counters change.

Every booking path (registration, cancellation, promotion from a waiting list, workshop seats) goes through
these functions, always inside ``samrad.core.db.atomic()``:

* a claim is one conditional UPDATE, ``booked = booked + n WHERE id = ? AND booked <= limit - n`` (the bare
  column stays on the left), which either takes the seats or changes nothing; a NULL limit means unlimited;
* a release is ``booked = booked - n``, never below zero.

How this stays correct under concurrency:

* SQLite: ``atomic()`` is an IMMEDIATE transaction, so writers are serialised by the database lock and wait
  on the busy timeout; the conditional UPDATE then simply sees the latest count.
* PostgreSQL: the UPDATE takes the row lock; a second UPDATE of the same row waits, then re-checks its WHERE
  against the committed row (READ COMMITTED), so two transactions can never both take the last seat.

Rows are always locked in the same order: the event row, then the audience quota row, then workshop rows by
ascending id. Flows that touch several rows (cancel, change, promotion) start with ``lock_event`` so the
event row is held first whatever they do next; a registration that gets a seat holds the event row from its
first claim (``take_event_seat``); one that goes on the waiting list takes it with ``hold_event_state`` before
its INSERT (a claim that finds the event full locks nothing on PostgreSQL), so waiting-list places are counted
in commit order. That fixed order is what keeps PostgreSQL free of deadlocks.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from piccolo.columns import Column, Integer
from piccolo.table import Table

from events.tables import Event, EventAudience
from samrad.core import db

log = logging.getLogger("samrad.capacity")


def _require_transaction() -> None:
    if db.engine().current_transaction.get() is None:
        raise RuntimeError("capacity changes must run inside samrad.core.db.atomic()")


def _columns(table: type[Table], limit: Column | None) -> tuple[Integer, Column]:
    booked = table._meta.get_column_by_name("booked")
    if limit is None:
        limit = table._meta.get_column_by_name("capacity")
    return booked, limit  # type: ignore[return-value]


async def claim(table: type[Table], row_id: int, n: int = 1, *, limit: Column | None = None) -> bool:
    """Take ``n`` seats of one row if they are free; True when taken.

    ``table`` has an integer ``booked`` column and a nullable limit column (``capacity`` unless ``limit``
    names another, such as ``EventAudience.quota``); NULL means unlimited.
    """
    if n < 1:
        raise ValueError("n must be positive")
    _require_transaction()
    booked, limit_column = _columns(table, limit)
    pk = table._meta.primary_key
    rows = (
        await table.update({booked: booked + n})
        .where((pk == row_id) & (limit_column.is_null() | (booked <= limit_column - n)))
        .returning(pk)
    )
    return bool(rows)


async def release(table: type[Table], row_id: int, n: int = 1) -> None:
    """Give ``n`` seats of one row back; the counter never goes below zero."""
    if n < 1:
        raise ValueError("n must be positive")
    _require_transaction()
    booked = table._meta.get_column_by_name("booked")
    pk = table._meta.primary_key
    rows = await table.update({booked: booked - n}).where((pk == row_id) & (booked >= n)).returning(pk)
    if not rows:
        # Only reachable if a counter drifted (for example a quota added after seats were booked).
        log.warning("release below zero clamped: table=%s id=%s", table._meta.tablename, row_id)
        await table.update({booked: 0}).where((pk == row_id) & (booked > 0))


async def lock_event(event_id: int) -> None:
    """Hold the event row for the rest of the transaction, before any other capacity row.

    PostgreSQL: ``SELECT ... FOR NO KEY UPDATE``, the lock the seat UPDATE takes itself. Not ``FOR UPDATE``:
    inserting a registration takes a KEY SHARE lock on its event (the foreign key check), which ``FOR UPDATE``
    would wait for, and a registrant holding that while waiting for the event row would deadlock with us.
    SQLite: the IMMEDIATE transaction already excludes other writers.
    """
    _require_transaction()
    if not db.is_sqlite():
        await Event.select(Event.id).where(Event.id == event_id).lock_rows("NO KEY UPDATE")


async def claim_event(event_id: int, n: int = 1) -> bool:
    return await claim(Event, event_id, n)


async def release_event(event_id: int, n: int = 1) -> None:
    await release(Event, event_id, n)


async def claim_quota(audience_id: int, n: int = 1) -> bool:
    return await claim(EventAudience, audience_id, n, limit=EventAudience.quota)


async def release_quota(audience_id: int, n: int = 1) -> None:
    await release(EventAudience, audience_id, n)


def in_lock_order(ids: Iterable[int]) -> list[int]:
    """Workshop-like rows are claimed and released in ascending id order."""
    return sorted(set(ids))


async def claim_seat(event_id: int, audience: dict | None) -> bool:
    """An event seat plus the audience quota seat, both or neither (event row first, then the quota row).

    ``audience`` is the EventAudience row of the registrant's category; its quota (if any) caps how many
    seats that category holds.
    """
    if not await claim_event(event_id):
        return False
    if audience is not None and audience["quota"] is not None and not await claim_quota(audience["id"]):
        await release_event(event_id)
        return False
    return True


async def release_seat(event_id: int, audience: dict | None) -> None:
    """Give back an event seat and, if the category has a quota, its quota seat."""
    await release_event(event_id)
    if audience is not None and audience["quota"] is not None:
        await release_quota(audience["id"])


# --- the registration path ------------------------------------------------------------------------------
# A new registration takes its seats with these, in the same lock order: ``take_event_seat`` holds the event
# row, ``take_quota_seat`` then the audience row. Both are prepared SQL, the hottest statements of the
# application; each returns what the caller must re-check under the lock, so it needs no read of its own.

# What a registration re-checks once it holds the event row (whether it may still register, and how), as
# these statements return it.
_TAKE_EVENT_SEAT = db.Statement("""UPDATE event SET booked = booked + 1
WHERE id = {} AND (capacity IS NULL OR booked <= capacity - 1)
RETURNING id, status, published, registration_mode, registration_opens_at, registration_closes_at, starts_at,
  waitlist_enabled, ical_sequence""")
_EVENT_STATE_SQL = """SELECT id, status, published, registration_mode, registration_opens_at, registration_closes_at,
  starts_at, waitlist_enabled, ical_sequence,
  (SELECT a.id FROM event_audience a WHERE a.event = event.id AND a.category = {}) AS audience
FROM event WHERE id = {}"""
_EVENT_STATE = db.Statement(_EVENT_STATE_SQL)
_EVENT_STATE_LOCKED = db.Statement(_EVENT_STATE_SQL + " FOR NO KEY UPDATE OF event")  # PostgreSQL
# A category without a quota keeps ``booked`` at 0 (its counter runs only while it has a quota): its row is
# matched (the category may register) and left as it is.
_TAKE_QUOTA_SEAT = db.Statement("""UPDATE event_audience SET booked = booked + CASE WHEN quota IS NULL THEN 0 ELSE 1 END
WHERE event = {} AND category = {} AND (quota IS NULL OR booked <= quota - 1) RETURNING id""")


async def _run(statement: db.Statement, *args: object) -> list[dict]:
    return [dict(row) for row in await statement.run(*args)]  # asyncpg: Records


async def take_event_seat(event_id: int) -> dict | None:
    """Claim one seat of the event; its state (``_TAKE_EVENT_SEAT``) as it stands under the claim, or None when
    no seat is free (or there is no such event). The claim holds the event row until the transaction ends."""
    _require_transaction()
    rows = await _run(_TAKE_EVENT_SEAT, event_id)
    return rows[0] if rows else None


async def take_quota_seat(event_id: int, category: str) -> bool:
    """A seat of the category's quota (after ``take_event_seat``): True when taken or the category has no
    quota; False when its quota is full or the event no longer takes the category. Decided under the lock,
    so a quota set a moment ago counts."""
    _require_transaction()
    return bool(await _run(_TAKE_QUOTA_SEAT, event_id, category))


async def hold_event_state(event_id: int, category: str) -> dict | None:
    """Hold the event row without taking a seat (``lock_event``) and return its state, with ``audience``: the
    id of the category's audience row, None when the event does not take the category. None for no event."""
    _require_transaction()
    rows = await _run(_EVENT_STATE if db.is_sqlite() else _EVENT_STATE_LOCKED, category, event_id)
    return rows[0] if rows else None


"""Check-in at the door and headcounts of drop-in dates.

A ticket is checked in once (scanning again says so), by its code or, for non-sensitive events, by finding
the person by name; refusals say why (cancelled, waiting list, another event). Drop-in dates get a number
of visitors, never names: set at once or counted +1/-1 at the door, atomically.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from events.contracts import RegistrationError
from events.rules import normalise_ticket_code
from events.tables import EventStatus, Occurrence, Registration, RegistrationStatus
from samrad.core import db
from samrad.core.clock import now_utc
from samrad.core.i18n import N_, _

NAME_SEARCH_LIMIT = 20


# Drop-in dates offered for counting: recent ones (to correct a count afterwards) and the next few.
HEADCOUNT_PAST = timedelta(days=28)
HEADCOUNT_AHEAD = timedelta(days=14)


# --- at the door ------------------------------------------------------------------------------------------

_REFUSALS: Mapping[str, str] = {
    "cancelled": N_("This registration has been cancelled."),
    "waitlisted": N_("This person is on the waiting list and has no seat."),
    "cancelled_event": N_("This event has been cancelled."),
    "other_event": N_("This ticket is for another event."),
}


async def check_in(ticket_code: str, event_id: int | None = None, scan_id: str | None = None) -> dict | None:
    """Check a ticket in at the door (once; scanning again says so). None for an unknown code.

    The answer: ``ok`` (bool), ``reason``/``message`` when refused, ``already_checked_in``, and who and what
    it is for (``registration_id``, ``name``, ``category``, ``status``, ``event_id``, ``event_title``,
    ``checked_in_at``). ``event_id`` refuses tickets for other events. ``scan_id`` names one scan (chosen by
    the check-in page): the same scan sent again, after a lost answer or from an offline queue, gets the
    answer it got the first time, not "already checked in".
    """
    code = normalise_ticket_code(ticket_code)
    if not code or len(code) > 16:
        return None
    row = (
        await Registration.select(
            Registration.id, Registration.status, Registration.name, Registration.category,
            Registration.checked_in_at, Registration.anonymised_at, Registration.access_needs,
            Registration.checkin_scan, Registration.event, Registration.event.title.as_alias("event_title"),
            Registration.event.status.as_alias("event_status"),
        )
        .where(Registration.ticket_code == code)
        .output(load_json=True)
        .first()
    )
    if row is None:
        return None
    info: dict[str, Any] = {
        "ok": False,
        "reason": None,
        "message": "",
        "already_checked_in": False,
        "registration_id": row["id"],
        "name": row["name"],
        "category": row["category"],
        "status": row["status"],
        "access_needs": list(row["access_needs"] or []),
        "event_id": row["event"],
        "event_title": row["event_title"],
        "checked_in_at": row["checked_in_at"],
    }
    if event_id is not None and row["event"] != event_id:
        reason = "other_event"
    elif row["event_status"] == EventStatus.cancelled:
        reason = "cancelled_event"
    elif row["status"] == RegistrationStatus.cancelled or row["anonymised_at"] is not None:
        reason = "cancelled"
    elif row["status"] == RegistrationStatus.waitlisted:
        reason = "waitlisted"
    else:
        reason = None
    if reason is not None:
        info.update(reason=reason, message=_(_REFUSALS[reason]))
        return info
    async with db.atomic():
        updated = (
            await Registration.update({Registration.checked_in_at: now_utc(), Registration.checkin_scan: scan_id})
            .where((Registration.id == row["id"]) & Registration.checked_in_at.is_null())
            .returning(Registration.checked_in_at)
        )
        if updated:
            checked_in_at, first = updated[0]["checked_in_at"], True
        else:
            current = await Registration.select(Registration.checked_in_at, Registration.checkin_scan).where(
                Registration.id == row["id"]
            ).first()
            checked_in_at = current["checked_in_at"] if current else None
            first = scan_id is not None and current is not None and current["checkin_scan"] == scan_id
    info.update(ok=True, already_checked_in=not first, checked_in_at=checked_in_at)
    return info


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
    return await check_in(row["ticket_code"], event["id"])


# --- drop-in headcount ------------------------------------------------------------------------------------

async def headcount_dates(event: Mapping[str, Any], now: datetime | None = None) -> list[dict[str, Any]]:
    """The dates of a drop-in event that can be counted now: the last four weeks and the next two."""
    now = now or now_utc()
    return await Occurrence.select().where(
        (Occurrence.event == event["id"]) & (Occurrence.starts_at >= now - HEADCOUNT_PAST)
        & (Occurrence.starts_at <= now + HEADCOUNT_AHEAD)
    ).order_by(Occurrence.starts_at).output(load_json=True)


async def set_headcount(occurrence_id: int, count: int) -> int:
    """Record how many came to one date (a number, never names)."""
    if count < 0:
        raise ValueError("a headcount cannot be negative")
    async with db.atomic():
        rows = (
            await Occurrence.update({Occurrence.headcount: count})
            .where(Occurrence.id == occurrence_id)
            .returning(Occurrence.headcount)
        )
    if not rows:
        raise RegistrationError("not_found")
    return rows[0]["headcount"]


async def add_headcount(occurrence_id: int, delta: int) -> int:
    """Count visitors at the door: +1 / -1 as they come, atomically (two counters at two doors add up);
    never below zero."""
    async with db.atomic():
        rows = await Occurrence.raw(
            "UPDATE occurrence SET headcount = CASE WHEN COALESCE(headcount, 0) + {} < 0 THEN 0 "
            "ELSE COALESCE(headcount, 0) + {} END WHERE id = {} RETURNING headcount",
            int(delta),
            int(delta),
            int(occurrence_id),
        )
    if not rows:
        raise RegistrationError("not_found")
    return rows[0]["headcount"]


# --- the list a phone keeps for scanning offline -----------------------------------------------------------

async def door_tickets(event: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every ticket of the event as the door needs it when the connection drops: code, status, whether it is
    checked in, the group; the name only for non-sensitive events. One query."""
    rows = await Registration.select(
        Registration.ticket_code, Registration.status, Registration.checked_in_at, Registration.category,
        Registration.name,
    ).where((Registration.event == event["id"]) & Registration.anonymised_at.is_null())
    return [
        {
            "code": row["ticket_code"],
            "status": row["status"],
            "checked_in": row["checked_in_at"] is not None,
            "category": row["category"],
            "name": "" if event["sensitive"] else row["name"],
        }
        for row in rows
    ]

"""The audit trail: who did what to which subject, never with a registrant's personal data in its text.

Entries are written in the transaction of the change they record (``record``), read by the audit log page
(``samrad.core.audit_log``) with filters, and deleted after ``settings.audit_retention_days`` by the retention
purge (``samrad purge`` and the worker's ``retention`` job).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from piccolo.query.functions.aggregate import Count

from samrad.core import db
from samrad.core.tables import AuditEntry

PAGE_SIZE = 50


async def record(actor: str, action: str, subject: str, count: int = 1) -> None:
    """Write one entry inside the caller's transaction, so the trail and the change commit together.

    ``actor`` is a staff email, ``participant`` or ``system``; ``subject`` names a row (``event:12``), after the
    row it belongs to when there is one (``event:12/registration:40``: the log says which event).
    """
    await AuditEntry.insert(AuditEntry(actor=actor, action=action, subject=subject, count=count))


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""  # part of the staff email, or participant / system
    action: str = ""  # an action or its start (``event.`` for everything done to events)
    subject: str = ""  # ``event:12`` (with what belongs to it: ``event:12/registration:40``), ``account:3``
    since: date | None = None
    until: date | None = None  # inclusive


async def entries(where: AuditFilter, page: int = 1) -> tuple[list[dict[str, Any]], int]:
    """One page of entries, newest first, and how many match in all."""
    condition = AuditEntry.id > 0
    if where.actor:
        pattern = f"%{_escaped(where.actor)}%"
        # SQLite's LIKE ignores case (ASCII) already; PostgreSQL needs ILIKE.
        condition &= AuditEntry.actor.like(pattern) if db.is_sqlite() else AuditEntry.actor.ilike(pattern)
    if where.action:
        condition &= AuditEntry.action.like(f"{_escaped(where.action)}%")
    if where.subject:
        # The row itself, what belongs to it (``event:12/…``), or the row under its parent (``…/registration:40``).
        part = _escaped(where.subject)
        condition &= (
            (AuditEntry.subject == where.subject) | AuditEntry.subject.like(f"{part}/%")
            | AuditEntry.subject.like(f"%/{part}")
        )
    if where.since is not None:
        condition &= AuditEntry.at >= datetime.combine(where.since, time(), tzinfo=UTC)
    if where.until is not None:
        condition &= AuditEntry.at < datetime.combine(where.until + timedelta(days=1), time(), tzinfo=UTC)
    total = (await AuditEntry.select(Count(alias="n")).where(condition).first())["n"]
    rows = await AuditEntry.select().where(condition).order_by(AuditEntry.at, ascending=False).order_by(
        AuditEntry.id, ascending=False
    ).limit(PAGE_SIZE).offset((max(page, 1) - 1) * PAGE_SIZE)
    return rows, total


def _escaped(text: str) -> str:
    """A ``%`` typed into a filter would match anything: dropped (a ``_`` matches itself, among others)."""
    return text.replace("%", "")


async def purge(now: datetime, keep_days: int, *, dry_run: bool = False) -> int:
    """Delete entries older than ``keep_days`` (or, in a dry run, count them); the deletion is itself audited.
    A step of the retention purge (``samrad.core.retention``)."""
    old = AuditEntry.at < now - timedelta(days=keep_days)
    if dry_run:
        return (await AuditEntry.select(Count(alias="n")).where(old).first())["n"]  # ``count`` is a column
    async with db.atomic():
        deleted = await AuditEntry.delete().where(old).returning(AuditEntry.id)
        if deleted:
            await record("system", "retention.delete_audit_entries", "audit_entry", count=len(deleted))
    return len(deleted)

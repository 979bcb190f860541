"""The retention purge: personal data removed or anonymised when its time is up, and the kernel's own steps.

Every area declares its steps (``Area.purges``); the kernel adds these: audit entries older than
``settings.audit_retention_days``, invitation and reset links a day after they expired, and emails 30 days after
they were sent or given up (``SENT_RETENTION``), rows in the outbox and ``.eml`` files of the file backend alike.
``run_purges`` runs the steps in order, each in its own transactions with its own audit entries, and leaves one
more entry saying that a purge ran and how many rows it changed; never what. ``samrad purge`` and the worker's
hourly ``retention`` job both run it (``samrad.purge``).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from samrad.core import audit, db
from samrad.core.area import Purge
from samrad.core.mail import SENT_RETENTION
from samrad.core.settings import Settings
from samrad.core.tables import AccountLink, OutboxMessage, OutboxStatus

log = logging.getLogger("samrad.retention")

# An invitation or reset link is kept a day past its expiry, so "this link has expired" can still be told.
ACCOUNT_LINKS_KEPT = timedelta(days=1)


async def purge_audit_entries(now: datetime, settings: Settings, dry_run: bool) -> Counter[str]:
    return Counter({"audit_entry:deleted": await audit.purge(now, settings.audit_retention_days, dry_run=dry_run)})


async def purge_account_links(now: datetime, settings: Settings, dry_run: bool) -> Counter[str]:
    """Invitation and password-reset links (token hashes) a day after they expired, used or not."""
    spent = AccountLink.expires_at < now - ACCOUNT_LINKS_KEPT
    return await _delete_rows(AccountLink, spent, "retention.delete_account_links", "account_link", dry_run)


async def purge_emails(now: datetime, settings: Settings, dry_run: bool) -> Counter[str]:
    """Delivered emails 30 days after they were sent, and failed or skipped ones 30 days after they were
    queued; waiting ones stay."""
    cutoff = now - SENT_RETENTION
    old = (
        (OutboxMessage.status == OutboxStatus.sent.value) & (OutboxMessage.sent_at < cutoff)
    ) | (
        OutboxMessage.status.is_in([OutboxStatus.failed.value, OutboxStatus.skipped.value])
        & (OutboxMessage.created_at < cutoff)
    )
    return await _delete_rows(OutboxMessage, old, "retention.delete_emails", "outbox", dry_run)


async def _delete_rows(table: Any, condition: Any, action: str, subject: str, dry_run: bool) -> Counter[str]:
    """Delete the rows of ``table`` matching ``condition`` (or only count them), with an audit entry of the
    count when something went; the result is keyed ``<table>:deleted``."""
    key = f"{table._meta.tablename}:deleted"
    if dry_run:
        return Counter({key: await table.count().where(condition)})
    async with db.atomic():
        deleted = await table.delete().where(condition).returning(table.id)
        if deleted:
            await audit.record("system", action, subject, count=len(deleted))
    return Counter({key: len(deleted)})


def _old_mail_files(directory: Path, cutoff: datetime) -> list[Path]:
    if not directory.is_dir():
        return []
    return [
        path for path in directory.glob("*.eml")
        if path.is_file() and datetime.fromtimestamp(path.stat().st_mtime, UTC) < cutoff
    ]


async def purge_mail_files(now: datetime, settings: Settings, dry_run: bool) -> Counter[str]:
    """``.eml`` files the file backend wrote (development, or a relay reading the folder), like sent emails."""
    old = _old_mail_files(Path(settings.mail_dir), now - SENT_RETENTION)
    if not dry_run and old:
        for path in old:
            path.unlink(missing_ok=True)
        async with db.atomic():
            await audit.record("system", "retention.delete_mail_files", "mail_dir", count=len(old))
    return Counter({"mail_file:deleted": len(old)})


KERNEL_PURGES = (
    Purge("audit_entries", purge_audit_entries),
    Purge("account_links", purge_account_links),
    Purge("emails", purge_emails),
    Purge("mail_files", purge_mail_files),
)


def rows_changed(counts: Counter[str]) -> int:
    """Rows anonymised, blanked or deleted: the ``table:what`` counts (the ``table.field`` ones detail them)."""
    return sum(count for key, count in counts.items() if ":" in key)


async def run_purges(
    purges: Sequence[Purge], now: datetime, settings: Settings, *, dry_run: bool, by: str
) -> Counter[str]:
    """Run every step (``dry_run``: count only); returns the counts of all of them, zeros included.

    Outside a dry run, one audit entry says that a purge ran ``by`` whom ("command", "schedule") and how many
    rows it changed: always for the command, and for the schedule when it changed something.
    """
    counts: Counter[str] = Counter()
    for purge in purges:
        counts.update(await purge.run(now, settings, dry_run))
    total = rows_changed(counts)
    if not dry_run and (total or by != "schedule"):
        async with db.atomic():
            await audit.record("system", "retention.purge", by, count=total)
        log.info("retention purge by %s: %s row(s) changed", by, total)
    return counts

"""``samrad purge`` and the worker's hourly ``retention`` job: every purge step, the kernel's and each area's.

The steps are in ``samrad.core.retention`` (the audit trail, account links, emails) and in the areas'
``purges`` (registrations field by field, originals of edited input, digest subscriptions); what each keeps and
for how long is in docs/record-of-processing.md. ``--dry-run`` counts what would go and changes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from samrad.areas import AREAS
from samrad.core.area import Job, Purge
from samrad.core.clock import now_utc
from samrad.core.retention import KERNEL_PURGES, rows_changed, run_purges
from samrad.core.settings import Settings, get_settings


def purges() -> list[Purge]:
    return [*KERNEL_PURGES, *(purge for area in AREAS for purge in area.purges)]


async def purge(now: datetime, settings: Settings, *, dry_run: bool, by: str) -> Counter[str]:
    return await run_purges(purges(), now, settings, dry_run=dry_run, by=by)


async def retention_job(now: datetime, settings: Settings, provided: Mapping[str, Any]) -> Mapping[str, int]:
    return +await purge(now, settings, dry_run=False, by="schedule")


RETENTION_JOB = Job("retention", retention_job, every=timedelta(hours=1))


def report(counts: Counter[str], *, dry_run: bool) -> str:
    """The command's answer: rows per field cleared, then rows per table anonymised or deleted, zeros too."""
    fields = sorted(key for key in counts if ":" not in key)
    rows = sorted(key for key in counts if ":" in key)
    width = max(map(len, fields + rows), default=0) + 2
    title = "Dry run, nothing changed. Would clear (rows per field):" if dry_run else "Cleared (rows per field):"
    lines = [title, *(f"  {key:<{width}}{counts[key]:>8}" for key in fields)]
    lines.append("Rows anonymised, blanked or deleted:" if not dry_run else "Rows to anonymise, blank or delete:")
    lines.extend(f"  {key:<{width}}{counts[key]:>8}" for key in rows)
    lines.append(f"  {'total':<{width}}{rows_changed(counts):>8}")
    return "\n".join(lines)


async def purge_command(*, dry_run: bool) -> int:
    """``samrad purge [--dry-run]``: run every step now and print the counts."""
    counts = await purge(now_utc(), get_settings(), dry_run=dry_run, by="command")
    print(report(counts, dry_run=dry_run))
    return 0

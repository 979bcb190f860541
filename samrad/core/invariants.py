"""``samrad check``: the invariants of a live database, each checked and reported, ids only.

Counters such as ``Event.booked`` are kept by conditional UPDATEs in the same transaction as the rows they count
(``events.capacity``), so after any crash they still match. This command proves it on a running installation
(after a fault test in CI, or when an organiser doubts a count): each invariant reads the counters and the rows
they count in one statement, so it sees one consistent moment even while registrations come in.

An area declares its invariants (``Area.invariants``: the event seats, quotas and waiting lists are the events
area's, the workshop seats the workshops area's); the kernel checks its own outbox. A **mismatch** is a broken
rule (a counter that does not match its rows, a message both sent and pending) and makes the command exit 1; a
**warning** is a state to look into that no rule forbids (mail overdue: is the worker running?).

The report names rows by table and id, never by a person's name, address or text.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TextIO
from urllib.parse import urlsplit

import asyncpg
from piccolo.querystring import QueryString

from samrad.core import db, outage
from samrad.core.clock import aware, now_utc
from samrad.core.mail import BACKOFF_MAX, CLAIM_LEASE
from samrad.core.settings import Settings, get_settings
from samrad.core.tables import OutboxStatus

# A pending message due longer ago than this is overdue: a running worker tries every few seconds.
OVERDUE = timedelta(minutes=15)


@dataclass
class Result:
    """What one invariant found: how many things it looked at, what breaks the rule, what deserves a look."""

    checked: int = 0
    mismatches: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


InvariantRun = Callable[[datetime, Settings], Awaitable[Result]]


@dataclass(frozen=True)
class Invariant:
    name: str  # "event seats": what the report calls it
    rule: str  # one sentence: what must hold
    run: InvariantRun


async def rows(sql: str, *args: Any) -> list[dict[str, Any]]:
    """A read in one statement (``{}`` placeholders), as dictionaries on both databases."""
    return [dict(row) for row in await db.engine().run_querystring(QueryString(sql, *args))]


def ids(values: Sequence[Any], limit: int = 20) -> str:
    """``3, 5, 8`` (and how many more): enough to find the rows, short enough to read."""
    shown = ", ".join(str(value) for value in values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


# --- the outbox -------------------------------------------------------------------------------------------------

_OUTBOX_SQL = """SELECT id, status, attempts, next_attempt_at, sent_at FROM outbox_message
WHERE status NOT IN (%s)
   OR (status = {} AND sent_at IS NULL) OR (status <> {} AND sent_at IS NOT NULL)
   OR (status = {} AND attempts < 1)
   OR (status = {} AND (attempts > {} OR next_attempt_at < {} OR (attempts > 0 AND next_attempt_at > {})))
ORDER BY id"""


async def check_outbox(now: datetime, settings: Settings) -> Result:
    """Every message is in one state: sent ones (and only they) have a time sent and were tried; pending ones
    are within the attempts allowed, and their lease or backoff ends within the longest either can last."""
    sent, pending = OutboxStatus.sent.value, OutboxStatus.pending.value
    longest_wait = now + max(BACKOFF_MAX, CLAIM_LEASE)
    statuses = ", ".join("{}" for _status in OutboxStatus)
    found = await rows(
        _OUTBOX_SQL % statuses, *(status.value for status in OutboxStatus), sent, sent, sent, pending,
        settings.mail_max_attempts, now - OVERDUE, longest_wait,
    )
    result = Result(checked=(await rows("SELECT count(*) AS n FROM outbox_message"))[0]["n"])
    problems: dict[str, list[int]] = {}
    overdue: list[int] = []
    for row in found:
        status, attempts = row["status"], row["attempts"]
        if status not in set(OutboxStatus):
            problems.setdefault(f"unknown status {status!r}", []).append(row["id"])
        elif status == sent and row["sent_at"] is None:
            problems.setdefault("sent without a time sent", []).append(row["id"])
        elif status != sent and row["sent_at"] is not None:
            problems.setdefault(f"{status} but with a time sent (sent and not sent at once)", []).append(row["id"])
        elif status == sent and attempts < 1:
            problems.setdefault("sent without an attempt counted", []).append(row["id"])
        elif attempts > settings.mail_max_attempts:
            problems.setdefault(f"pending after more than {settings.mail_max_attempts} attempts "
                                "(SAMRAD_MAIL_MAX_ATTEMPTS)", []).append(row["id"])
        elif attempts > 0 and aware(row["next_attempt_at"]) > longest_wait:
            problems.setdefault("a lease or backoff longer than any the sender gives", []).append(row["id"])
        else:
            overdue.append(row["id"])
    result.mismatches = [f"outbox_message {ids(message_ids)}: {problem}" for problem, message_ids in problems.items()]
    if overdue:
        result.warnings.append(f"outbox_message {ids(overdue)}: pending and due for more than "
                               f"{int(OVERDUE.total_seconds() // 60)} minutes (is the worker running?)")
    return result


KERNEL_INVARIANTS: tuple[Invariant, ...] = (
    Invariant("outbox", "each email is pending, sent, failed or skipped, never two at once, within its attempts "
                        "and leases", check_outbox),
)


# --- the command --------------------------------------------------------------------------------------------------

@dataclass
class Report:
    results: list[tuple[Invariant, Result]]

    @property
    def mismatches(self) -> int:
        return sum(len(result.mismatches) for _invariant, result in self.results)


async def run_invariants(invariants: Sequence[Invariant], settings: Settings | None = None,
                         now: datetime | None = None) -> Report:
    settings, now = settings or get_settings(), now or now_utc()
    return Report([(invariant, await invariant.run(now, settings)) for invariant in invariants])


def print_report(report: Report, out: TextIO) -> None:
    for invariant, result in report.results:
        state = "MISMATCH" if result.mismatches else "ok"
        print(f"{state:<9} {invariant.name} ({result.checked} checked): {invariant.rule}", file=out)
        for line in result.mismatches:
            print(f"          - {line}", file=out)
        for line in result.warnings:
            print(f"  warning - {line}", file=out)
    broken = sum(1 for _invariant, result in report.results if result.mismatches)
    if broken:
        print(f"{report.mismatches} mismatch(es) in {broken} of {len(report.results)} invariants", file=out)
    else:
        print(f"all {len(report.results)} invariants hold", file=out)


async def check_command(invariants: Sequence[Invariant], out: TextIO = sys.stdout) -> int:
    """``samrad check``: 0 when every invariant holds, 1 on a mismatch, 2 when the database cannot be read."""
    settings = get_settings()
    if settings.is_sqlite and not settings.sqlite_path.exists():
        print(f"error: there is no database at {settings.sqlite_path}: run samrad migrate first", file=sys.stderr)
        return 2
    try:
        await db.start()
        try:
            report = await run_invariants(invariants, settings)
        finally:
            await db.stop()
    except Exception as error:
        if outage.classify(error) is not None:
            print(f"error: the database cannot be read ({outage.describe(error)})", file=sys.stderr)
        elif _missing_table(error):
            print("error: the database lacks Samråd's tables: run samrad migrate first", file=sys.stderr)
        else:
            raise
        return 2
    print(f"samrad check: {database_label(settings)}", file=out)
    print_report(report, out)
    return 1 if report.mismatches else 0


def _missing_table(error: BaseException) -> bool:
    if isinstance(error, sqlite3.OperationalError):
        return "no such table" in str(error)
    return isinstance(error, asyncpg.exceptions.UndefinedTableError)


def database_label(settings: Settings) -> str:
    """Which database, without credentials."""
    if settings.is_sqlite:
        return f"SQLite {settings.sqlite_path}"
    parts = urlsplit(settings.database_url)
    return f"PostgreSQL {parts.hostname}:{parts.port or 5432}{parts.path}"

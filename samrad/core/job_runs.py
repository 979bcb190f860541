"""Scheduled jobs run once per period, not once per worker process.

With several workers (processes, on one machine or several), each pass of each worker would run a job with a
period (``Job.every``: the retention purge, the digests, the theme learning) if the last run were kept in the
worker's memory. So the last run is kept in the database, in one ``job_run`` row per job, and a worker claims a
run before it starts the job: one statement, an upsert that moves ``last_run_at`` to the pass's time only when
the last run is at least a period old, and says whether it did. Of the workers passing in the same period
exactly one gets the row back and runs the job; the others skip it until the next period. On PostgreSQL a
second claimer waits for the first's row lock and then checks the condition against the row the first wrote
(``INSERT ... ON CONFLICT DO UPDATE ... WHERE`` is atomic); on SQLite writers take turns on the database lock.

A job that fails gives its claim back (``release``): the next pass of any worker tries again, as one worker
alone always did. A worker that dies in the middle of a job keeps its claim, and the job runs a period later.
A period is counted from the start of the claimed run, in the passes' clock: the machines' clocks should
agree (NTP) to well under the shortest period (a minute).

Jobs without a period run on every pass of every worker and are not claimed: they must be safe to run in
several workers at once (the reminders claim each registration with a conditional UPDATE).

``job_run`` is bookkeeping, not data: like ``content_version`` it is a raw table no Piccolo app registers, so
it never counts as data for the demo guard.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from piccolo.querystring import QueryString

from samrad.core import db

_CLAIM = (
    "INSERT INTO job_run (name, last_run_at) VALUES ({}, {}) "
    "ON CONFLICT (name) DO UPDATE SET last_run_at = excluded.last_run_at "
    "WHERE job_run.last_run_at <= {} RETURNING name"
)
_RELEASE = "DELETE FROM job_run WHERE name = {} AND last_run_at = {}"
_LAST_RUNS = "SELECT name, last_run_at FROM job_run"


async def claim(name: str, now: datetime, every: timedelta) -> bool:
    """Whether this worker runs ``name`` now: True for exactly one of the workers asking in a period."""
    rows = await db.engine().run_querystring(QueryString(_CLAIM, name, now, now - every))
    return bool(rows)


async def release(name: str, claimed_at: datetime) -> None:
    """Give back the claim made at ``claimed_at`` (the job failed): due again on the next pass. A claim made
    since by another worker stays."""
    await db.engine().run_querystring(QueryString(_RELEASE, name, claimed_at))


async def last_runs() -> dict[str, datetime]:
    """When each job last started, by name (whichever worker ran it)."""
    rows = await db.engine().run_querystring(QueryString(_LAST_RUNS))
    return {row["name"]: row["last_run_at"] for row in rows}

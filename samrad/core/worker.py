"""The background worker loop: the areas' scheduled jobs and the delivery of the mail outbox.

A pass runs the jobs due on every pass (an area's reminders, say), then delivers the outbox (so what they
queued goes out at once), then the jobs with a period (the retention purge) that are due. The jobs and the
mail renderers come from the areas' declarations (``samrad.core.area``), handed in by ``samrad.worker``; this
module names no area.

``samrad worker`` loops every ``SAMRAD_WORKER_INTERVAL`` seconds until SIGTERM or SIGINT (it finishes the
email it is sending, then stops); ``samrad worker --once`` does one pass for cron. Several workers may run at
once, on one machine or several: outbox messages are claimed in batches with a lease (``samrad.core.mail``),
so none is sent twice, and a job with a period runs once per period whichever worker claims it first
(``samrad.core.job_runs``). Jobs without a period run in every pass of every worker and must be safe to run
concurrently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from samrad.core import db, job_runs, mail, outage
from samrad.core.area import Job
from samrad.core.clock import now_utc
from samrad.core.logsafe import stack_of
from samrad.core.settings import Settings

log = logging.getLogger("samrad.worker")

DELIVERY_BATCH = 100


def _log_failure(what: str, error: Exception) -> None:
    """A pass that failed is tried again at the next pass. The database away (``samrad.core.outage``) is expected
    to come back: one line without a stack, each pass until it does; anything else is logged with its stack
    (never its message: ``samrad.core.logsafe``)."""
    kind = outage.classify(error)
    if kind is not None:
        log.warning("%s: database %s (%s); trying again next pass", what, kind.name, outage.describe(error))
    else:
        log.error("%s: %s\n%s", what, type(error).__name__, stack_of(error))


@dataclass
class PassReport:
    """What one pass did: mail delivery, errors, and the jobs' own counts (``counts["reminders"]``)."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    errors: int = 0
    counts: Counter[str] = field(default_factory=Counter)


class Worker:
    def __init__(
        self,
        settings: Settings,
        jobs: Sequence[Job] = (),
        provided: Mapping[str, Any] | None = None,
        renderers: Mapping[str, mail.MailRenderer] | None = None,
    ) -> None:
        self.settings = settings
        self.jobs = list(jobs)
        self.provided = dict(provided or {})
        self.renderers = dict(renderers or {})
        self.stopping = asyncio.Event()
        # When this worker last ran each job with a period: skips the claim's round-trip within the period.
        # Which worker runs a job is decided in the database (``job_runs.claim``).
        self.last_run: dict[str, datetime] = {}

    def stop(self) -> None:
        if not self.stopping.is_set():
            log.info("worker stopping")
        self.stopping.set()

    async def _claim(self, job: Job, now: datetime) -> bool:
        """Whether this worker runs the job in this pass: always for a job without a period; for one with a
        period, when no worker has run it within the period (claimed in the database)."""
        if job.every is None:
            return True
        last = self.last_run.get(job.name)
        if last is not None and now - last < job.every:
            return False
        try:
            return await job_runs.claim(job.name, now, job.every)
        except Exception as error:
            _log_failure(f"job {job.name} could not be claimed", error)
            return False

    async def _run_job(self, job: Job, now: datetime, report: PassReport) -> None:
        try:
            report.counts.update(await job.run(now, self.settings, self.provided))
            self.last_run[job.name] = now
        except Exception as error:
            report.errors += 1
            _log_failure(f"job {job.name} failed", error)
            if job.every is not None:
                with contextlib.suppress(Exception):  # not given back: it runs again a period later
                    await job_runs.release(job.name, now)

    async def _deliver(self, report: PassReport) -> None:
        try:
            # Batch after batch until the due messages are out (a big event's confirmations).
            while not self.stopping.is_set():
                delivery = await mail.deliver_due(
                    self.settings, DELIVERY_BATCH, should_stop=self.stopping.is_set, renderers=self.renderers,
                    provided=self.provided,
                )
                report.sent += delivery.sent
                report.retried += delivery.retried
                report.failed += delivery.failed
                report.skipped += delivery.skipped
                if delivery.handled < DELIVERY_BATCH:
                    break
        except Exception as error:
            report.errors += 1
            _log_failure("mail delivery failed", error)

    async def run_pass(self, now: datetime | None = None) -> PassReport:
        now = now or now_utc()
        report = PassReport()
        for job in self.jobs:
            if job.every is None and not self.stopping.is_set():
                await self._run_job(job, now, report)
        if not self.stopping.is_set():
            await self._deliver(report)
        for job in self.jobs:
            if job.every is not None and not self.stopping.is_set() and await self._claim(job, now):
                await self._run_job(job, now, report)
        return report

    async def run(self, once: bool = False) -> int:
        log.info("worker started (interval %ss)", self.settings.worker_interval)
        while True:
            report = await self.run_pass()
            if once:
                return 1 if report.errors else 0
            if self.stopping.is_set():
                return 0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), timeout=self.settings.worker_interval)
            if self.stopping.is_set():
                return 0


def _install_signal_handlers(stop: Callable[[], None]) -> list[signal.Signals]:
    loop = asyncio.get_running_loop()
    installed = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(signum, stop)
        except (NotImplementedError, RuntimeError):  # not the main thread, or no signals on this platform
            continue
        installed.append(signum)
    return installed


async def run_worker(worker: Worker, once: bool = False) -> int:
    """Run the loop (or one pass) in this process until stopped; returns the process exit code."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    await db.start()
    installed = _install_signal_handlers(worker.stop)
    try:
        return await worker.run(once=once)
    finally:
        loop = asyncio.get_running_loop()
        for signum in installed:
            loop.remove_signal_handler(signum)
        await db.stop()

"""The background worker loop: the areas' scheduled jobs and the delivery of the mail outbox.

A pass runs the jobs due on every pass (an area's reminders, say), then delivers the outbox (so what they
queued goes out at once), then the jobs with a period (the retention purge) that are due. The jobs and the
mail renderers come from the areas' declarations (``samrad.core.area``), handed in by ``samrad.worker``; this
module names no area.

``samrad worker`` loops every ``SAMRAD_WORKER_INTERVAL`` seconds until SIGTERM or SIGINT (it finishes the
email it is sending, then stops); ``samrad worker --once`` does one pass for cron. Several workers may run at
once: outbox messages are claimed with conditional UPDATEs, and jobs must be safe to run twice.
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

from samrad.core import db, mail
from samrad.core.area import Job
from samrad.core.clock import now_utc
from samrad.core.settings import Settings

log = logging.getLogger("samrad.worker")

DELIVERY_BATCH = 100


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
        self.last_run: dict[str, datetime] = {}

    def stop(self) -> None:
        if not self.stopping.is_set():
            log.info("worker stopping")
        self.stopping.set()

    def _due(self, job: Job, now: datetime) -> bool:
        last = self.last_run.get(job.name)
        return job.every is None or last is None or now - last >= job.every

    async def _run_job(self, job: Job, now: datetime, report: PassReport) -> None:
        try:
            report.counts.update(await job.run(now, self.settings, self.provided))
            self.last_run[job.name] = now
        except Exception as error:
            report.errors += 1
            log.error("job %s failed: %s", job.name, type(error).__name__, exc_info=error)

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
            log.error("mail delivery failed: %s", type(error).__name__, exc_info=error)

    async def run_pass(self, now: datetime | None = None) -> PassReport:
        now = now or now_utc()
        report = PassReport()
        for job in self.jobs:
            if job.every is None and not self.stopping.is_set():
                await self._run_job(job, now, report)
        if not self.stopping.is_set():
            await self._deliver(report)
        for job in self.jobs:
            if job.every is not None and self._due(job, now) and not self.stopping.is_set():
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

"""The background worker: delivers the mail outbox, queues reminders, purges expired personal data.

``samrad worker`` loops every ``SAMRAD_WORKER_INTERVAL`` seconds until SIGTERM or SIGINT (it finishes the
email it is sending, then stops); ``samrad worker --once`` does one pass for cron. Several workers may run at
once: outbox messages and reminders are claimed with conditional UPDATEs, and the purge is idempotent.

Like ``samrad.app``, this is where the areas are composed, so it imports them inside its functions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from samrad import db, mail
from samrad.settings import Settings, get_settings

log = logging.getLogger("samrad.worker")

PURGE_EVERY = timedelta(hours=1)
DELIVERY_BATCH = 100


@dataclass
class PassReport:
    reminders: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    anonymised: int = 0
    emails_deleted: int = 0
    errors: int = 0


def _seat_plan() -> Any:
    """The workshop seats, so reminders list a person's workshops."""
    from workshops.services import WorkshopSeatPlan

    return WorkshopSeatPlan()


async def queue_reminders(now: datetime, settings: Settings, seats: Any = None) -> int:
    """Queue ``Notice.reminder`` for confirmed registrations whose event or date starts within
    ``settings.reminder_hours``; each is marked in the same transaction, so it is reminded exactly once.

    People who registered inside that window are not reminded: their confirmation just told them.
    """
    from events.notifications import Notice, notify
    from events.tables import EventStatus, Registration, RegistrationStatus

    horizon = now + timedelta(hours=settings.reminder_hours)
    base = (
        (Registration.status == RegistrationStatus.confirmed.value)
        & Registration.reminder_sent_at.is_null()
        & Registration.anonymised_at.is_null()
        & (Registration.event.status == EventStatus.scheduled.value)
    )
    whole_event = await Registration.select(
        Registration.id, Registration.created_at, Registration.event.starts_at.as_alias("starts_at")
    ).where(
        base & Registration.occurrence.is_null()
        & (Registration.event.starts_at > now) & (Registration.event.starts_at <= horizon)
    )
    one_date = await Registration.select(
        Registration.id, Registration.created_at, Registration.occurrence.starts_at.as_alias("starts_at")
    ).where(
        base & Registration.occurrence.is_not_null()
        & (Registration.occurrence.cancelled.eq(False))
        & (Registration.occurrence.starts_at > now) & (Registration.occurrence.starts_at <= horizon)
    )
    window = timedelta(hours=settings.reminder_hours)
    queued = 0
    for row in sorted([*whole_event, *one_date], key=lambda item: item["id"]):
        if _aware(row["created_at"]) > _aware(row["starts_at"]) - window:
            continue
        async with db.atomic():
            claimed = await Registration.update({Registration.reminder_sent_at: now}).where(
                (Registration.id == row["id"]) & Registration.reminder_sent_at.is_null()
            ).returning(Registration.id)
            if not claimed:
                continue  # another worker reminded them
            await notify(Notice.reminder, row["id"], seats=seats)
        queued += 1
    if queued:
        log.info("queued %s reminder(s)", queued)
    return queued


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class Worker:
    def __init__(self, settings: Settings, seats: Any = None) -> None:
        self.settings = settings
        self.seats = seats
        self.stopping = asyncio.Event()
        self.last_purge: datetime | None = None

    def stop(self) -> None:
        if not self.stopping.is_set():
            log.info("worker stopping")
        self.stopping.set()

    async def run_pass(self, now: datetime | None = None, *, purge: bool | None = None) -> PassReport:
        """One round: reminders, then delivery (so reminders go out at once), then the hourly purge."""
        from events.retention import purge_expired

        now = now or datetime.now(UTC)
        report = PassReport()
        try:
            report.reminders = await queue_reminders(now, self.settings, self.seats)
        except Exception as error:
            report.errors += 1
            log.error("reminders failed: %s", type(error).__name__, exc_info=error)
        if not self.stopping.is_set():
            try:
                # Batch after batch until the due messages are out (a big event's confirmations).
                while not self.stopping.is_set():
                    delivery = await mail.deliver_due(self.settings, DELIVERY_BATCH, should_stop=self.stopping.is_set)
                    report.sent += delivery.sent
                    report.retried += delivery.retried
                    report.failed += delivery.failed
                    if delivery.sent + delivery.retried + delivery.failed < DELIVERY_BATCH:
                        break
            except Exception as error:
                report.errors += 1
                log.error("mail delivery failed: %s", type(error).__name__, exc_info=error)
        due = self.last_purge is None or now - self.last_purge >= PURGE_EVERY
        if (purge if purge is not None else due) and not self.stopping.is_set():
            try:
                purged = await purge_expired(now, self.settings)
                report.anonymised, report.emails_deleted = purged.registrations, purged.emails
                self.last_purge = now
            except Exception as error:
                report.errors += 1
                log.error("retention purge failed: %s", type(error).__name__, exc_info=error)
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


async def run_worker(once: bool = False, settings: Settings | None = None) -> int:
    """The ``samrad worker`` command: returns the process exit code."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = settings or get_settings()
    await db.start()
    worker = Worker(settings, _seat_plan())
    installed = _install_signal_handlers(worker.stop)
    try:
        return await worker.run(once=once)
    finally:
        loop = asyncio.get_running_loop()
        for signum in installed:
            loop.remove_signal_handler(signum)
        await db.stop()

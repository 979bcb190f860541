"""Reminders: one email to each confirmed registrant shortly before their event or date (a worker job)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from events.contracts import Notice
from events.messaging.notifications import notify
from events.tables import EventStatus, Registration, RegistrationStatus
from samrad.core import db
from samrad.core.clock import aware
from samrad.core.settings import Settings

log = logging.getLogger("samrad.reminders")


async def queue_reminders(now: datetime, settings: Settings, seats: Any = None) -> int:
    """Queue ``Notice.reminder`` for confirmed registrations whose event or date starts within
    ``settings.reminder_hours``; each is marked in the same transaction, so it is reminded exactly once.

    People who registered inside that window are not reminded: their confirmation just told them.
    """

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
        if aware(row["created_at"]) > aware(row["starts_at"]) - window:
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


async def reminders_job(now: datetime, settings: Settings, provided: Mapping[str, Any]) -> Mapping[str, int]:
    return {"reminders": await queue_reminders(now, settings, provided.get("seat_plan"))}

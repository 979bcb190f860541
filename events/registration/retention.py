"""Retention: personal data is anonymised a set number of days after the event, by the worker.

A registration expires ``retention days`` after the end of what it was for: its own date for a sign-up to
one date of a series, otherwise the end of the event (for a series, its last date). The number of days is
``Event.retention_days`` when set, else 7 for sensitive events (special-category data), else
``settings.retention_days``. Anonymising clears every personal field and kills the manage link; the row stays
so attendance and coverage counts still add up. Delivered emails (they hold addresses) are deleted after 30
days, and so are failed ones. Each purge that changes something leaves an audit entry with counts only.
Running it again changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from events.tables import Event, Occurrence, Registration
from samrad.core import audit, db
from samrad.core.clock import aware, now_utc
from samrad.core.mail import SENT_RETENTION
from samrad.core.security import hash_token, new_secret_token
from samrad.core.settings import Settings, get_settings
from samrad.core.tables import OutboxMessage, OutboxStatus

log = logging.getLogger("samrad.retention")

SENSITIVE_RETENTION_DAYS = 7
BATCH = 200


@dataclass(frozen=True)
class PurgeReport:
    registrations: int = 0
    emails: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.registrations or self.emails)


def retention_days(event: Mapping[str, Any], settings: Settings) -> int:
    if event.get("retention_days") is not None:
        return int(event["retention_days"])
    if event.get("sensitive"):
        return SENSITIVE_RETENTION_DAYS
    return settings.retention_days


async def expired_registration_ids(now: datetime, settings: Settings) -> list[int]:
    """Registrations whose personal data has outlived its purpose and is not anonymised yet."""
    rows = await Registration.select(
        Registration.id, Registration.event, Registration.occurrence,
        Registration.occurrence.ends_at.as_alias("occurrence_ends_at"),
    ).where(Registration.anonymised_at.is_null())
    if not rows:
        return []
    event_ids = sorted({row["event"] for row in rows})
    events = {
        row["id"]: row
        for row in await Event.select(Event.id, Event.ends_at, Event.sensitive, Event.retention_days).where(
            Event.id.is_in(event_ids)
        )
    }
    # The last date of each event (an aggregate would come back as text on SQLite).
    last_dates: dict[int, datetime] = {}
    for row in await Occurrence.select(Occurrence.event, Occurrence.ends_at).where(
        Occurrence.event.is_in(event_ids)
    ):
        ends_at = aware(row["ends_at"])
        if row["event"] not in last_dates or ends_at > last_dates[row["event"]]:
            last_dates[row["event"]] = ends_at
    expired = []
    for row in rows:
        event = events[row["event"]]
        if row["occurrence"] is not None and row["occurrence_ends_at"] is not None:
            ended = aware(row["occurrence_ends_at"])
        else:
            ended = aware(event["ends_at"])
            if row["event"] in last_dates:
                ended = max(ended, last_dates[row["event"]])
        if ended + timedelta(days=retention_days(event, settings)) <= now:
            expired.append(row["id"])
    return expired


async def anonymise(registration_ids: list[int], now: datetime) -> int:
    """Clear the personal fields of these registrations (in the caller's transaction); returns how many."""
    done = 0
    for registration_id in registration_ids:
        changed = await Registration.update(
            {
                Registration.name: "",
                Registration.email: "",
                Registration.organisation: "",
                Registration.access_needs: [],
                Registration.access_other: "",
                Registration.diet: "",
                Registration.pronouns: "",
                Registration.follow_up_opt_in: False,
                Registration.active_key: None,
                # Nobody knows this token: the manage link is dead.
                Registration.manage_token_hash: hash_token(new_secret_token()),
                Registration.anonymised_at: now,
                Registration.updated_at: now,
            }
        ).where((Registration.id == registration_id) & Registration.anonymised_at.is_null()).returning(
            Registration.id
        )
        done += len(changed)
    return done


async def delete_old_emails(now: datetime) -> int:
    """Delete delivered emails older than 30 days, and failed or skipped ones of the same age; returns how
    many."""
    cutoff = now - SENT_RETENTION
    sent = await OutboxMessage.delete().where(
        (OutboxMessage.status == OutboxStatus.sent.value) & (OutboxMessage.sent_at < cutoff)
    ).returning(OutboxMessage.id)
    unsent = await OutboxMessage.delete().where(
        OutboxMessage.status.is_in([OutboxStatus.failed.value, OutboxStatus.skipped.value])
        & (OutboxMessage.created_at < cutoff)
    ).returning(OutboxMessage.id)
    return len(sent) + len(unsent)


async def purge_expired(now: datetime | None = None, settings: Settings | None = None) -> PurgeReport:
    """Anonymise expired registrations and delete old emails; audit the counts. Idempotent."""
    now = now or now_utc()
    settings = settings or get_settings()
    ids = await expired_registration_ids(now, settings)
    anonymised = 0
    for start in range(0, len(ids), BATCH):
        async with db.atomic():
            anonymised += await anonymise(ids[start:start + BATCH], now)
    async with db.atomic():
        emails = await delete_old_emails(now)
        report = PurgeReport(registrations=anonymised, emails=emails)
        if anonymised:
            await audit.record("system", "retention.anonymise_registrations", "registrations", count=anonymised)
        if emails:
            await audit.record("system", "retention.delete_emails", "outbox", count=emails)
    if report.changed:
        log.info("retention: %s registration(s) anonymised, %s email(s) deleted", anonymised, emails)
    return report


async def retention_job(now: datetime, settings: Settings, provided: Mapping[str, Any]) -> Mapping[str, int]:
    report = await purge_expired(now, settings)
    return {"anonymised": report.registrations, "emails_deleted": report.emails}

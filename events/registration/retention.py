"""Retention: a registration's personal data is cleared field by field after the event, by the purge.

A registration's time runs from the end of what it was for: its own date for a sign-up to one date of a series,
otherwise the end of the event (for a series, its last date). Two stages follow:

1. ``settings.retention_days_sensitive_fields`` days later (7 by default) its access needs, diet and pronouns
   are cleared: they serve the catering, the venue and the name badge, and can be special-category data.
2. ``retention days`` later the registration is anonymised: every personal field is cleared and the manage link
   dies; the row stays, so attendance, check-in and coverage counts still add up. The number of days is
   ``Event.retention_days`` when set, else 7 for sensitive events, else ``settings.retention_days``.

The first stage never comes later than the second. Each change leaves an audit entry with counts only, and
running the purge again changes nothing. The step is ``purge_registrations``, run by ``samrad purge`` and the
worker's ``retention`` job; ``anonymise`` also serves "delete my data" (``events.registration.rights``).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from events.tables import Event, Occurrence, Registration
from samrad.core import audit, db
from samrad.core.clock import aware
from samrad.core.security import hash_token, new_secret_token
from samrad.core.settings import Settings

log = logging.getLogger("samrad.retention")

SENSITIVE_RETENTION_DAYS = 7
BATCH = 200
# Cleared in the first stage, sooner than the rest.
SENSITIVE_FIELDS = ("access_needs", "access_other", "diet", "pronouns")
# Cleared when the registration is anonymised (the sensitive ones too, if the first stage has not yet run).
PERSONAL_FIELDS = ("name", "email", "organisation", *SENSITIVE_FIELDS)
EMPTY: dict[str, Any] = {"access_needs": []}


def retention_days(event: Mapping[str, Any], settings: Settings) -> int:
    if event.get("retention_days") is not None:
        return int(event["retention_days"])
    if event.get("sensitive"):
        return SENSITIVE_RETENTION_DAYS
    return settings.retention_days


def sensitive_fields_days(event: Mapping[str, Any], settings: Settings) -> int:
    return min(settings.retention_days_sensitive_fields, retention_days(event, settings))


async def due_registrations(now: datetime, settings: Settings) -> tuple[list[int], list[int]]:
    """Registrations not yet anonymised whose sensitive fields are due (and not the rest yet), and those due
    for anonymisation."""
    rows = await Registration.select(
        Registration.id, Registration.event, Registration.occurrence,
        Registration.occurrence.ends_at.as_alias("occurrence_ends_at"),
    ).where(Registration.anonymised_at.is_null())
    if not rows:
        return [], []
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
    sensitive, expired = [], []
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
        elif ended + timedelta(days=sensitive_fields_days(event, settings)) <= now:
            sensitive.append(row["id"])
    return sensitive, expired


async def expired_registration_ids(now: datetime, settings: Settings) -> list[int]:
    """Registrations whose personal data has outlived its purpose and is not anonymised yet."""
    return (await due_registrations(now, settings))[1]


async def _filled(ids: Sequence[int], fields: Sequence[str]) -> dict[int, list[str]]:
    """Which of ``fields`` hold something, per registration."""
    columns = [Registration._meta.get_column_by_name(name) for name in fields]
    rows = await Registration.select(Registration.id, *columns).where(Registration.id.is_in(list(ids))).output(
        load_json=True
    )
    return {row["id"]: [name for name in fields if row[name]] for row in rows}


async def clear_sensitive_fields(ids: Sequence[int], *, dry_run: bool) -> Counter[str]:
    """Empty the access needs, diet and pronouns of these registrations, field by field; counts per field."""
    counts: Counter[str] = Counter()
    for start in range(0, len(ids), BATCH):
        filled = await _filled(ids[start:start + BATCH], SENSITIVE_FIELDS)
        touched = [registration for registration, fields in filled.items() if fields]
        if not touched:
            continue
        by_field = {name: [rid for rid, fields in filled.items() if name in fields] for name in SENSITIVE_FIELDS}
        if not dry_run:
            async with db.atomic():
                for name, field_ids in by_field.items():
                    if field_ids:
                        column = Registration._meta.get_column_by_name(name)
                        await Registration.update({column: EMPTY.get(name, "")}).where(
                            Registration.id.is_in(field_ids) & Registration.anonymised_at.is_null()
                        )
                await audit.record("system", "retention.clear_sensitive_fields", "registration", count=len(touched))
        counts.update({f"registration.{name}": len(field_ids) for name, field_ids in by_field.items() if field_ids})
        counts["registration:sensitive_fields_cleared"] += len(touched)
    return counts


async def anonymise(registration_ids: Sequence[int], now: datetime) -> int:
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


async def anonymise_expired(ids: Sequence[int], now: datetime, *, dry_run: bool) -> Counter[str]:
    """Anonymise these registrations in batches; counts per field that held something, and rows."""
    counts: Counter[str] = Counter()
    for start in range(0, len(ids), BATCH):
        batch = ids[start:start + BATCH]
        filled = await _filled(batch, PERSONAL_FIELDS)
        if dry_run:
            done = list(filled)
        else:
            async with db.atomic():
                done = [rid for rid in batch if await anonymise([rid], now)]
                if done:
                    await audit.record("system", "retention.anonymise_registrations", "registrations",
                                       count=len(done))
        counts.update(f"registration.{name}" for rid in done for name in filled.get(rid, ()))
        counts["registration:anonymised"] += len(done)
    return counts


async def purge_registrations(now: datetime, settings: Settings, dry_run: bool) -> Counter[str]:
    """The events area's purge step: both stages, on every registration that is due."""
    sensitive, expired = await due_registrations(now, settings)
    counts = Counter({f"registration.{name}": 0 for name in PERSONAL_FIELDS})
    counts.update({"registration:sensitive_fields_cleared": 0, "registration:anonymised": 0})
    counts.update(await clear_sensitive_fields(sensitive, dry_run=dry_run))
    counts.update(await anonymise_expired(expired, now, dry_run=dry_run))
    if not dry_run and (counts["registration:anonymised"] or counts["registration:sensitive_fields_cleared"]):
        log.info("retention: %s registration(s) anonymised, sensitive fields of %s cleared",
                 counts["registration:anonymised"], counts["registration:sensitive_fields_cleared"])
    return counts

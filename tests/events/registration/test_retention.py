"""Retention: personal data of past events is anonymised on time (sooner for sensitive events), old emails go."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mailcal_support import make_event, make_occurrences, make_registration

from events.registration.retention import purge_expired
from events.tables import Registration
from samrad.core import db
from samrad.core.mail import queue_email
from samrad.core.tables import AuditEntry, OutboxMessage

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def ended(days_ago: float, hours: int = 3) -> dict:
    """Start and end of an event that ended ``days_ago`` days before NOW."""
    ends_at = NOW - timedelta(days=days_ago)
    return {"starts_at": ends_at - timedelta(hours=hours), "duration": timedelta(hours=hours)}


async def _rows() -> dict[int, dict]:
    return {row["id"]: row for row in await Registration.select().output(load_json=True)}


def _is_anonymised(row: dict) -> bool:
    return (
        row["anonymised_at"] is not None
        and row["name"] == row["email"] == row["organisation"] == row["diet"] == row["pronouns"] == ""
        and row["access_needs"] == []
        and row["access_other"] == ""
        and row["active_key"] is None
    )


async def test_anonymises_only_expired_registrations(settings):
    assert settings.retention_days == 30
    old = await make_event(**ended(31))
    recent = await make_event(**ended(10))
    sensitive_old = await make_event(sensitive=True, **ended(8))
    sensitive_recent = await make_event(sensitive=True, **ended(6))
    sensitive_long = await make_event(sensitive=True, retention_days=60, **ended(40))
    short = await make_event(retention_days=2, **ended(3))
    upcoming = await make_event(starts_at=NOW + timedelta(days=3))

    expired = [
        await make_registration(old["id"]),
        await make_registration(old["id"], status="cancelled"),
        await make_registration(sensitive_old["id"]),
        await make_registration(short["id"], status="waitlisted"),
    ]
    kept = [
        await make_registration(recent["id"]),
        await make_registration(sensitive_recent["id"]),
        await make_registration(sensitive_long["id"]),
        await make_registration(upcoming["id"]),
    ]
    hashes_before = {row["id"]: row["manage_token_hash"] for row in (await _rows()).values()}

    report = await purge_expired(NOW, settings)

    assert report.registrations == len(expired)
    rows = await _rows()
    for registration in expired:
        row = rows[registration["id"]]
        assert _is_anonymised(row)
        assert row["manage_token_hash"] != hashes_before[row["id"]]  # the manage link is dead
        assert row["status"] == registration["status"]  # counts still add up
        assert row["ticket_code"] == registration["ticket_code"]
    for registration in kept:
        row = rows[registration["id"]]
        assert row["anonymised_at"] is None
        assert row["email"] == registration["email"]
        assert row["diet"] == "vegetarian"


async def test_series_sign_ups_expire_per_date_and_series_registrations_with_the_last_date(settings):
    first = NOW - timedelta(days=60)
    event = await make_event(starts_at=first, duration=timedelta(hours=2), recurrence_rule="FREQ=WEEKLY",
                             registration_mode="dropin")
    starts = [first + timedelta(weeks=week) for week in range(10)]  # the last date is 3 days before NOW
    ids = await make_occurrences(event["id"], starts, timedelta(hours=2))
    early_date = await make_registration(event["id"], occurrence=ids[0])
    late_date = await make_registration(event["id"], occurrence=ids[8])
    whole_series = await make_registration(event["id"])

    await purge_expired(NOW, settings)

    rows = await _rows()
    assert _is_anonymised(rows[early_date["id"]])
    assert rows[late_date["id"]]["anonymised_at"] is None
    assert rows[whole_series["id"]]["anonymised_at"] is None


async def test_deletes_old_delivered_and_failed_emails_and_keeps_the_rest(settings):
    async with db.atomic():
        ids = [await queue_email("test", f"p{n}@example.org", "S", "T", "<p>H</p>") for n in range(5)]
    old, recent = NOW - timedelta(days=31), NOW - timedelta(days=5)
    await OutboxMessage.update({OutboxMessage.status: "sent", OutboxMessage.sent_at: old}).where(
        OutboxMessage.id == ids[0]
    )
    await OutboxMessage.update({OutboxMessage.status: "sent", OutboxMessage.sent_at: recent}).where(
        OutboxMessage.id == ids[1]
    )
    await OutboxMessage.update({OutboxMessage.status: "failed", OutboxMessage.created_at: old}).where(
        OutboxMessage.id == ids[2]
    )
    await OutboxMessage.update({OutboxMessage.created_at: old}).where(OutboxMessage.id == ids[3])  # pending

    report = await purge_expired(NOW, settings)

    assert report.emails == 2
    remaining = sorted(row["id"] for row in await OutboxMessage.select(OutboxMessage.id))
    assert remaining == [ids[1], ids[3], ids[4]]


async def test_audits_counts_only_and_is_idempotent(settings):
    old = await make_event(**ended(40))
    people = [await make_registration(old["id"], email=f"private{n}@example.org") for n in range(3)]
    async with db.atomic():
        message = await queue_email("test", "private@example.org", "S", "T", "<p>H</p>")
    await OutboxMessage.update({OutboxMessage.status: "sent", OutboxMessage.sent_at: NOW - timedelta(days=40)}).where(
        OutboxMessage.id == message
    )

    first = await purge_expired(NOW, settings)
    second = await purge_expired(NOW, settings)

    assert (first.registrations, first.emails) == (3, 1)
    assert (second.registrations, second.emails) == (0, 0)
    audit = await AuditEntry.select().order_by(AuditEntry.id)
    assert [(row["action"], row["count"]) for row in audit] == [
        ("retention.anonymise_registrations", 3),
        ("retention.delete_emails", 1),
    ]
    for row in audit:
        assert row["actor"] == "system"
        text = " ".join(str(value) for value in row.values())
        assert "@" not in text
        assert not any(person["name"] in text for person in people)


async def test_deletes_old_skipped_emails(settings):
    """A message skipped because its registration was erased keeps no address, but should not pile up."""
    async with db.atomic():
        old, recent = [await queue_email("test", f"q{n}@example.org", "S", "T", "<p>H</p>") for n in range(2)]
    await OutboxMessage.update(
        {OutboxMessage.status: "skipped", OutboxMessage.created_at: NOW - timedelta(days=31)}
    ).where(OutboxMessage.id == old)
    await OutboxMessage.update({OutboxMessage.status: "skipped"}).where(OutboxMessage.id == recent)

    report = await purge_expired(NOW, settings)

    assert report.emails == 1
    assert [row["id"] for row in await OutboxMessage.select(OutboxMessage.id)] == [recent]

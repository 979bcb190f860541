"""Retention of registrations: access needs, diet and pronouns go first, the rest later (sooner for sensitive
events); the rows stay for the counts; a dry run counts per field and changes nothing; audits hold counts."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from mailcal_support import make_event, make_occurrences, make_registration

from events.registration.retention import purge_registrations
from events.tables import Registration
from samrad.core.tables import AuditEntry

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


def _sensitive_cleared(row: dict) -> bool:
    return row["access_needs"] == [] and row["access_other"] == row["diet"] == row["pronouns"] == ""


async def test_anonymises_only_expired_registrations(settings):
    assert (settings.retention_days, settings.retention_days_sensitive_fields) == (30, 7)
    old = await make_event(**ended(31))
    recent = await make_event(**ended(5))
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

    counts = await purge_registrations(NOW, settings, False)

    assert counts["registration:anonymised"] == len(expired)
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
    # 40 days after a sensitive event kept 60: its access needs and diet went after 7 days all the same.
    assert _sensitive_cleared(rows[kept[2]["id"]]) and rows[kept[2]["id"]]["name"] == kept[2]["name"]
    assert all(rows[person["id"]]["diet"] == "vegetarian" for person in (kept[0], kept[1], kept[3]))


async def test_access_needs_and_diet_go_first_field_by_field(settings):
    """Eight days after the event: access needs, diet and pronouns are cleared, name and email stay, check-in
    too; counts are per field (only the fields that held something)."""
    event = await make_event(**ended(8))
    full = await make_registration(event["id"], access_other="wheelchair space", checked_in_at=NOW - timedelta(days=8))
    diet_only = await make_registration(event["id"], access_needs=[], pronouns="")
    nothing = await make_registration(event["id"], access_needs=[], diet="", pronouns="")

    dry = await purge_registrations(NOW, settings, True)
    assert (await _rows())[full["id"]]["diet"] == "vegetarian"  # a dry run changes nothing
    counts = await purge_registrations(NOW, settings, False)

    expected = {"registration.access_needs": 1, "registration.access_other": 1, "registration.diet": 2,
                "registration.pronouns": 1, "registration:sensitive_fields_cleared": 2, "registration:anonymised": 0,
                "registration.name": 0, "registration.email": 0, "registration.organisation": 0}
    assert dict(dry) == dict(counts) == expected
    rows = await _rows()
    for person in (full, diet_only, nothing):
        row = rows[person["id"]]
        assert _sensitive_cleared(row)
        assert (row["name"], row["email"], row["anonymised_at"]) == (person["name"], person["email"], None)
        assert row["active_key"] == person["active_key"]
    assert rows[full["id"]]["checked_in_at"] is not None
    # Again: nothing left to clear.
    assert (await purge_registrations(NOW, settings, False))["registration:sensitive_fields_cleared"] == 0


async def test_the_shorter_period_is_a_setting(settings):
    event = await make_event(**ended(2))
    person = await make_registration(event["id"])
    await purge_registrations(NOW, settings, False)
    assert (await _rows())[person["id"]]["diet"] == "vegetarian"

    await purge_registrations(NOW, dataclasses.replace(settings, retention_days_sensitive_fields=1), False)
    row = (await _rows())[person["id"]]
    assert _sensitive_cleared(row) and row["name"] == person["name"]


async def test_series_sign_ups_expire_per_date_and_series_registrations_with_the_last_date(settings):
    first = NOW - timedelta(days=60)
    event = await make_event(starts_at=first, duration=timedelta(hours=2), recurrence_rule="FREQ=WEEKLY",
                             registration_mode="dropin")
    starts = [first + timedelta(weeks=week) for week in range(10)]  # the last date is 3 days before NOW
    ids = await make_occurrences(event["id"], starts, timedelta(hours=2))
    early_date = await make_registration(event["id"], occurrence=ids[0])
    mid_date = await make_registration(event["id"], occurrence=ids[7])  # 11 days ago
    late_date = await make_registration(event["id"], occurrence=ids[8])  # 4 days ago
    whole_series = await make_registration(event["id"])

    await purge_registrations(NOW, settings, False)

    rows = await _rows()
    assert _is_anonymised(rows[early_date["id"]])
    assert rows[mid_date["id"]]["anonymised_at"] is None and _sensitive_cleared(rows[mid_date["id"]])
    assert rows[late_date["id"]]["diet"] == "vegetarian"
    assert rows[whole_series["id"]]["anonymised_at"] is None and rows[whole_series["id"]]["diet"] == "vegetarian"


async def test_dry_run_counts_per_field_and_changes_nothing(settings):
    old = await make_event(**ended(40))
    await make_registration(old["id"])
    await make_registration(old["id"], organisation="", pronouns="")
    before = await _rows()

    counts = await purge_registrations(NOW, settings, True)

    assert await _rows() == before
    assert await AuditEntry.select(AuditEntry.id) == []
    assert counts["registration:anonymised"] == 2
    assert (counts["registration.name"], counts["registration.organisation"], counts["registration.pronouns"]) == (
        2, 1, 1)


async def test_audits_counts_only_and_is_idempotent(settings):
    old = await make_event(**ended(40))
    people = [await make_registration(old["id"], email=f"private{n}@example.org") for n in range(3)]
    week_ago = await make_event(**ended(8))
    await make_registration(week_ago["id"])

    first = await purge_registrations(NOW, settings, False)
    second = await purge_registrations(NOW, settings, False)

    assert (first["registration:anonymised"], first["registration:sensitive_fields_cleared"]) == (3, 1)
    assert (second["registration:anonymised"], second["registration:sensitive_fields_cleared"]) == (0, 0)
    audit = await AuditEntry.select().order_by(AuditEntry.id)
    assert sorted((row["action"], row["count"]) for row in audit) == [
        ("retention.anonymise_registrations", 3),
        ("retention.clear_sensitive_fields", 1),
    ]
    for row in audit:
        assert row["actor"] == "system"
        text = " ".join(str(value) for value in row.values())
        assert "@" not in text and "vegetarian" not in text
        assert not any(person["name"] in text for person in people)

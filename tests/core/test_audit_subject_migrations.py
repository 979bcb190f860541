"""The data migrations that name older audit entries of registrations and workshops under their event
(``registration:40`` becomes ``event:12/registration:40``), on SQLite and PostgreSQL: entries whose record is
gone keep their form, other entries are left alone."""

from __future__ import annotations

import importlib

from registration_support import make_event, make_workshop, person

from samrad.core.tables import AuditEntry


def migration(app: str):
    return importlib.import_module(f"{app}.piccolo_migrations.{app}_2026_12_03t09_15_00_000000")


async def test_older_entries_are_named_under_their_event():
    from events.registration import services

    event = await make_event(capacity=3)
    registered = await services.register(event["slug"], person(1), None)
    workshop_id = await make_workshop(event["id"])
    registration_id = registered.registration_id
    subjects = [f"registration:{registration_id}", "registration:999999", f"workshop:{workshop_id}",
                "workshop:999999", f"event:{event['id']}/registration:{registration_id}", f"event:{event['id']}",
                "account:3"]
    await AuditEntry.delete(force=True)
    for subject in subjects:
        await AuditEntry.insert(AuditEntry(actor="organiser@example.org", action="test", subject=subject))

    for app in ("events", "workshops"):
        await AuditEntry.raw(migration(app).NAME_UNDER_EVENT)
        await AuditEntry.raw(migration(app).NAME_UNDER_EVENT)  # run twice: nothing moves again

    rows = await AuditEntry.select(AuditEntry.subject).order_by(AuditEntry.id)
    assert [row["subject"] for row in rows] == [
        f"event:{event['id']}/registration:{registration_id}", "registration:999999",
        f"event:{event['id']}/workshop:{workshop_id}", "workshop:999999",
        f"event:{event['id']}/registration:{registration_id}", f"event:{event['id']}", "account:3",
    ]

"""The retention purge as a whole: the kernel's steps (emails, mail files, account links, the audit trail), every
area's steps run together, ``--dry-run`` changing nothing, the audit trail holding counts only, and
``samrad purge`` on the command line."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from datetime import timedelta

from mailcal_support import make_event, make_registration

from events.tables import Registration
from feedback.follow_up import digests
from feedback.tables import DigestSubscription, InputItem, InputRevision
from samrad.core import audit, db
from samrad.core.clock import now_utc
from samrad.core.mail import queue_email
from samrad.core.retention import purge_emails, purge_mail_files, rows_changed
from samrad.core.settings import ROOT
from samrad.core.tables import AccountLink, AuditEntry, OutboxMessage, StaffUser
from samrad.purge import purge, report

NOW = now_utc().replace(microsecond=0)


def ended(days_ago: float) -> dict:
    ends_at = NOW - timedelta(days=days_ago)
    return {"starts_at": ends_at - timedelta(hours=3), "duration": timedelta(hours=3)}


async def _audit() -> list[dict]:
    return await AuditEntry.select().order_by(AuditEntry.id)


async def test_deletes_old_delivered_failed_and_skipped_emails_and_keeps_the_rest(settings):
    async with db.atomic():
        ids = [await queue_email("test", f"p{n}@example.org", "S", "T", "<p>H</p>") for n in range(6)]
    old, recent = NOW - timedelta(days=31), NOW - timedelta(days=5)
    changes = {
        ids[0]: {OutboxMessage.status: "sent", OutboxMessage.sent_at: old},
        ids[1]: {OutboxMessage.status: "sent", OutboxMessage.sent_at: recent},
        ids[2]: {OutboxMessage.status: "failed", OutboxMessage.created_at: old},
        ids[3]: {OutboxMessage.created_at: old},  # still waiting to go: kept
        ids[4]: {OutboxMessage.status: "skipped", OutboxMessage.created_at: old},
    }
    for message, values in changes.items():
        await OutboxMessage.update(values).where(OutboxMessage.id == message)

    assert await purge_emails(NOW, settings, True) == {"outbox_message:deleted": 3}
    assert len(await OutboxMessage.select(OutboxMessage.id)) == 6
    assert await purge_emails(NOW, settings, False) == {"outbox_message:deleted": 3}

    remaining = sorted(row["id"] for row in await OutboxMessage.select(OutboxMessage.id))
    assert remaining == [ids[1], ids[3], ids[5]]
    assert [(row["action"], row["count"]) for row in await _audit()] == [("retention.delete_emails", 3)]


async def test_deletes_old_mail_files_of_the_file_backend(settings, tmp_path):
    old_file, new_file = tmp_path / "old.eml", tmp_path / "new.eml"
    for path in (old_file, new_file, tmp_path / "notes.txt"):
        path.write_text("To: someone@example.org")
    month_ago = (NOW - timedelta(days=31)).timestamp()
    os.utime(old_file, (month_ago, month_ago))
    os.utime(tmp_path / "notes.txt", (month_ago, month_ago))
    with_folder = dataclasses.replace(settings, mail_dir=tmp_path)

    assert await purge_mail_files(NOW, with_folder, True) == {"mail_file:deleted": 1}
    assert old_file.exists()
    assert await purge_mail_files(NOW, with_folder, False) == {"mail_file:deleted": 1}
    assert sorted(path.name for path in tmp_path.iterdir()) == ["new.eml", "notes.txt"]


async def _world(settings) -> dict:
    """Something due in every step, and something not yet due beside it."""
    old = await make_event(**ended(40))
    recent = await make_event(**ended(8))
    ancient = await make_event(**ended(settings.digest_retention_days + 1))
    world = {
        "old": await make_registration(old["id"]),
        "recent": await make_registration(recent["id"]),
        "future": await make_registration((await make_event(starts_at=NOW + timedelta(days=2)))["id"]),
    }
    await digests.subscribe(ancient["id"], "reader@example.org", "en")
    await digests.subscribe(recent["id"], "keeper@example.org", "en")
    item = InputItem(event=old["id"], text="Call me on 12 34 56 78", kind="idea")
    await item.save()
    await InputRevision(input_item=item.id, action="anonymise",
                        changes={"text": ["Call me on 12 34 56 78", "Call me"]}).save()
    staff = StaffUser(email="colleague@kommune.example", name="Colleague", password_hash="x", role="admin")
    await staff.save()
    await AccountLink(user=staff.id, purpose="invitation", token_hash="a" * 64,
                      expires_at=NOW - timedelta(days=2)).save()
    await AccountLink(user=staff.id, purpose="password_reset", token_hash="b" * 64,
                      expires_at=NOW + timedelta(hours=1)).save()
    async with db.atomic():
        await audit.record("colleague@kommune.example", "event.create", "event:1")
    await AuditEntry.update({AuditEntry.at: NOW - timedelta(days=settings.audit_retention_days + 1)}).where(
        AuditEntry.action == "event.create")
    async with db.atomic():
        sent = await queue_email("test", "old@example.org", "S", "T", "<p>H</p>")
    await OutboxMessage.update({OutboxMessage.status: "sent", OutboxMessage.sent_at: NOW - timedelta(days=31)}).where(
        OutboxMessage.id == sent)
    return world


async def _snapshot() -> list:
    from piccolo.conf.apps import Finder

    tables = sorted(Finder().get_table_classes(), key=lambda table: table._meta.tablename)
    return [sorted(map(repr, await table.select())) for table in tables]


async def test_every_step_runs_a_dry_run_changes_nothing_and_the_audit_says_how_many(settings, tmp_path):
    settings = dataclasses.replace(settings, mail_dir=tmp_path)
    world = await _world(settings)
    before = await _snapshot()

    dry = await purge(NOW, settings, dry_run=True, by="command")

    assert await _snapshot() == before
    expected = {
        "registration:anonymised": 1, "registration:sensitive_fields_cleared": 1,
        "digest_subscription:deleted": 1, "input_revision:original_blanked": 1, "account_link:deleted": 1,
        "audit_entry:deleted": 1, "outbox_message:deleted": 1, "mail_file:deleted": 0,
    }
    assert {key: count for key, count in dry.items() if ":" in key} == expected
    assert (dry["registration.name"], dry["registration.diet"], dry["registration.access_needs"]) == (1, 2, 2)

    done = await purge(NOW, settings, dry_run=False, by="command")

    assert done == dry
    registrations = {row["id"]: row for row in await Registration.select()}
    assert registrations[world["old"]["id"]]["anonymised_at"] is not None
    assert (registrations[world["recent"]["id"]]["diet"], registrations[world["recent"]["id"]]["name"]) == (
        "", world["recent"]["name"])
    assert registrations[world["future"]["id"]]["diet"] == "vegetarian"
    assert [row["email"] for row in await DigestSubscription.select()] == ["keeper@example.org"]
    [revision] = await InputRevision.select().output(load_json=True)
    assert revision["changes"]["text"] == [None, "Call me"]
    assert [row["purpose"] for row in await AccountLink.select()] == ["password_reset"]
    # Counts only: what ran, how many rows; no name, address or text.
    entries = await _audit()
    summary = [row for row in entries if row["action"] == "retention.purge"]
    assert [(row["subject"], row["count"]) for row in summary] == [("command", rows_changed(done))] == [("command", 7)]
    text = " ".join(str(value) for row in entries for value in row.values())
    assert "@" not in text and "Call me" not in text and world["old"]["name"] not in text

    # Again: nothing left. The schedule then records nothing; the command records that it ran.
    assert rows_changed(await purge(NOW, settings, dry_run=False, by="schedule")) == 0
    assert len(await _audit()) == len(entries)
    await purge(NOW, settings, dry_run=False, by="command")
    last = (await _audit())[-1]
    assert (last["action"], last["subject"], last["count"]) == ("retention.purge", "command", 0)


async def test_the_report_lists_fields_then_rows(settings):
    counts = await purge(NOW, settings, dry_run=True, by="command")
    text = report(counts, dry_run=True)
    assert text.startswith("Dry run, nothing changed.")
    keys = [line.split()[0] for line in text.splitlines() if line.startswith("  ")]
    assert keys.index("registration.diet") < keys.index("registration:anonymised")
    assert text.splitlines()[-1].split() == ["total", "0"]


def _samrad(*argv: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "samrad", *argv], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


async def test_samrad_purge_on_the_command_line(settings):
    old = await make_event(**ended(40))
    person = await make_registration(old["id"], email="gone@example.org")

    dry = _samrad("purge", "--dry-run")

    assert dry.returncode == 0, dry.stderr
    counted = dict(line.split() for line in dry.stdout.splitlines() if line.startswith("  "))
    assert (counted["registration.email"], counted["registration.diet"], counted["registration:anonymised"]) == (
        "1", "1", "1")
    [row] = await Registration.select(Registration.email, Registration.anonymised_at)
    assert (row["email"], row["anonymised_at"]) == ("gone@example.org", None)
    assert await _audit() == []

    done = _samrad("purge")

    assert done.returncode == 0, done.stderr
    assert "Cleared (rows per field):" in done.stdout and "@" not in done.stdout + done.stderr
    [row] = await Registration.select(Registration.email, Registration.name, Registration.anonymised_at)
    assert (row["email"], row["name"]) == ("", "") and row["anonymised_at"] is not None
    assert person["name"] not in done.stdout + done.stderr
    assert [(row["action"], row["subject"], row["count"]) for row in await _audit()][-1] == (
        "retention.purge", "command", 1)

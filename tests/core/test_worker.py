"""The worker: reminders exactly once, delivery, the hourly purge, and a clean stop on SIGTERM."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from mailcal_support import eml_files, make_event, make_occurrences, make_registration, outbox_rows, parse_eml

from events.messaging.reminders import queue_reminders
from events.tables import Registration
from samrad.core.settings import ROOT
from samrad.worker import build_worker

NOW = datetime.now(UTC).replace(microsecond=0)
LONG_AGO = NOW - timedelta(days=5)


async def _reminded() -> dict[int, datetime | None]:
    return {row["id"]: row["reminder_sent_at"] for row in await Registration.select(
        Registration.id, Registration.reminder_sent_at
    )}


async def test_reminders_go_to_confirmed_registrations_of_events_within_the_window(settings):
    soon_event = await make_event(starts_at=NOW + timedelta(hours=10))
    later_event = await make_event(starts_at=NOW + timedelta(days=3))
    cancelled_event = await make_event(starts_at=NOW + timedelta(hours=5), status="cancelled")
    past_event = await make_event(starts_at=NOW - timedelta(hours=1))

    due = [
        await make_registration(soon_event["id"], created_at=LONG_AGO),
        await make_registration(soon_event["id"], created_at=LONG_AGO, locale="da"),
    ]
    not_due = [
        await make_registration(soon_event["id"], created_at=LONG_AGO, status="waitlisted"),
        await make_registration(soon_event["id"], created_at=LONG_AGO, status="cancelled"),
        # Registered inside the window: the confirmation was the reminder.
        await make_registration(soon_event["id"], created_at=NOW - timedelta(hours=1)),
        await make_registration(later_event["id"], created_at=LONG_AGO),
        await make_registration(cancelled_event["id"], created_at=LONG_AGO),
        await make_registration(past_event["id"], created_at=LONG_AGO),
    ]

    assert await queue_reminders(NOW, settings) == 2

    rows = await outbox_rows()
    assert sorted(row["to_address"] for row in rows) == sorted(person["email"] for person in due)
    assert {row["kind"] for row in rows} == {"notice.reminder"}
    reminded = await _reminded()
    assert all(reminded[person["id"]] is not None for person in due)
    assert all(reminded[person["id"]] is None for person in not_due)
    # Exactly once: the next pass finds nobody left to remind.
    assert await queue_reminders(NOW + timedelta(minutes=5), settings) == 0
    assert len(await outbox_rows()) == 2


async def test_drop_in_sign_ups_are_reminded_per_date(settings):
    first = NOW + timedelta(hours=6) - timedelta(weeks=2)
    cafe = await make_event(starts_at=first, duration=timedelta(hours=2), recurrence_rule="FREQ=WEEKLY",
                            registration_mode="dropin", kind="cafe")
    ids = await make_occurrences(cafe["id"], [first + timedelta(weeks=week) for week in range(5)],
                                 timedelta(hours=2))
    this_week = await make_registration(cafe["id"], occurrence=ids[2], created_at=LONG_AGO)
    next_week = await make_registration(cafe["id"], occurrence=ids[3], created_at=LONG_AGO)

    assert await queue_reminders(NOW, settings) == 1

    [row] = await outbox_rows()
    assert row["to_address"] == this_week["email"]
    assert "no ticket needed" in row["text_body"]
    reminded = await _reminded()
    assert reminded[next_week["id"]] is None


async def test_one_pass_reminds_delivers_and_purges(settings, tmp_path):
    worker_settings = dataclasses.replace(settings, mail_dir=tmp_path)
    event = await make_event(starts_at=NOW + timedelta(hours=3))
    person = await make_registration(event["id"], created_at=LONG_AGO)
    old = await make_event(starts_at=NOW - timedelta(days=90))
    former = await make_registration(old["id"])
    worker = build_worker(worker_settings)

    report = await worker.run_pass(NOW)

    assert (report.counts["reminders"], report.sent, report.counts["registration:anonymised"], report.errors) == (
        1, 1, 1, 0)
    [path] = eml_files(tmp_path)
    message = parse_eml(path.read_bytes())
    assert message["To"] == person["email"]
    assert message["Subject"].startswith("Reminder:")
    rows = {row["id"]: row for row in await Registration.select()}
    assert rows[former["id"]]["anonymised_at"] is not None
    # The purge runs once an hour, reminders once per registration.
    again = await worker.run_pass(NOW + timedelta(minutes=1))
    assert (again.counts["reminders"], again.sent, again.counts["registration:anonymised"]) == (0, 0, 0)
    assert worker.last_run["retention"] == NOW


def _worker_env(tmp_path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"SAMRAD_MAIL_DIR": str(tmp_path), "SAMRAD_MAIL_BACKEND": "file", "SAMRAD_WORKER_INTERVAL": "1"})
    env["PYTHONPATH"] = str(ROOT)
    return env


async def test_worker_once_command_reminds_exactly_once(tmp_path):
    event = await make_event(starts_at=NOW + timedelta(hours=4))
    person = await make_registration(event["id"], created_at=LONG_AGO)
    command = [sys.executable, "-m", "samrad", "worker", "--once"]

    for _run in range(2):
        finished = subprocess.run(command, env=_worker_env(tmp_path), cwd=ROOT, capture_output=True, timeout=120)
        assert finished.returncode == 0, finished.stderr.decode()
        assert b"@" not in finished.stderr

    [path] = eml_files(tmp_path)
    assert parse_eml(path.read_bytes())["To"] == person["email"]
    [row] = await outbox_rows()
    assert (row["kind"], row["status"]) == ("notice.reminder", "sent")


async def test_worker_stops_cleanly_on_sigterm(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "samrad", "worker"], env=_worker_env(tmp_path), cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        for line in process.stderr:
            if b"worker started" in line:
                break
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stderr.close()

"""The outbox holds the intent, not the email: the booking transaction writes ids and frozen values only, the
worker renders at send time, an erased registration's pending mail is never sent, a queued invite keeps its
SEQUENCE, and waiting-list places told by email are exact under concurrency (both databases)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from mailcal_support import deliver_due, eml_files, outbox_rows, parse_eml
from registration_support import database_pool, make_event, person  # noqa: F401  (fixture)

from samrad.core import mail
from samrad.core.tables import OutboxMessage

pytestmark = pytest.mark.usefixtures("database_pool")

QUEUE_PLACE = re.compile(r"You are number (\d+) in the queue")


async def raw_rows() -> list[dict]:
    """The outbox as stored, not rendered."""
    return await OutboxMessage.select().order_by(OutboxMessage.id).output(load_json=True)


def file_settings(settings, tmp_path):
    return dataclasses.replace(settings, mail_backend="file", mail_dir=tmp_path)


def invite_of(message) -> icalendar.Event:
    part = next(part for part in message.walk() if part.get_content_type() == "text/calendar")
    [vevent] = icalendar.Calendar.from_ical(part.get_content()).walk("VEVENT")
    return vevent


async def test_the_registration_transaction_writes_an_intent_and_no_email():
    from events.registration import services

    event = await make_event(capacity=1, ical_sequence=4)
    confirmed = await services.register(event["slug"], person(1, locale="da"), None)
    waiting = await services.register(event["slug"], person(2), None)

    first, second = await raw_rows()
    for row in (first, second):
        assert (row["subject"], row["text_body"], row["html_body"], row["attachments"]) == ("", "", "", [])
        assert row["status"] == "pending"
    assert (first["kind"], first["to_address"]) == ("notice.confirmed", "person1@example.org")
    assert first["intent"] == {
        "notice": "confirmed", "registration": confirmed.registration_id, "event": event["id"], "locale": "da",
        "status": "confirmed", "waitlist_position": None, "sequence": 4, "occurrence": None,
        "manage_token": confirmed.manage_token, "workshops": False,
    }
    assert second["intent"]["status"] == "waitlisted"
    assert second["intent"]["waitlist_position"] == 1
    assert second["intent"]["manage_token"] == waiting.manage_token


async def test_the_worker_renders_the_intent_and_keeps_what_it_sent(settings, tmp_path):
    from events.registration import services

    event = await make_event()
    result = await services.register(event["slug"], person(1), None)

    report = await deliver_due(file_settings(settings, tmp_path))

    assert report.sent == 1
    [path] = eml_files(tmp_path)
    message = parse_eml(path.read_bytes())
    assert message["To"] == "person1@example.org"
    assert message["Subject"].startswith("You are registered")
    assert f"/manage/{result.manage_token}" in message.get_body(("plain",)).get_content()
    assert str(invite_of(message)["UID"]) == event["ical_uid"]
    [row] = await raw_rows()
    assert row["status"] == "sent"
    assert row["subject"] == message["Subject"]
    assert result.ticket_code in row["text_body"]


async def test_mail_of_a_registration_erased_before_sending_is_never_sent(settings, tmp_path):
    from events.registration import rights, services

    event = await make_event()
    result = await services.register(event["slug"], person(1), None)
    await rights.erase(result.manage_token, None)  # queues a cancellation too
    assert [row["kind"] for row in await raw_rows()] == ["notice.confirmed", "notice.cancelled"]

    report = await deliver_due(file_settings(settings, tmp_path))

    assert (report.sent, report.skipped, report.retried, report.failed) == (0, 2, 0, 0)
    assert eml_files(tmp_path) == []
    for row in await raw_rows():
        assert row["status"] == "skipped"
        assert (row["to_address"], row["intent"]) == ("", None)  # nothing left that names the person
    later = await deliver_due(file_settings(settings, tmp_path), now=datetime.now(UTC) + timedelta(days=1))
    assert later.handled == 0


async def test_a_queued_invite_keeps_its_sequence_when_the_event_is_edited_before_sending(settings, tmp_path):
    from events.contracts import Notice
    from events.messaging.notifications import announce_event_update
    from events.registration import services
    from samrad.core import db

    event = await make_event(ical_sequence=2)
    await services.register(event["slug"], person(1), None)
    async with db.atomic():
        await announce_event_update(event["id"], Notice.event_changed)

    await deliver_due(file_settings(settings, tmp_path))

    confirmation, update = (parse_eml(path.read_bytes()) for path in eml_files(tmp_path))
    assert confirmation["Subject"].startswith("You are registered")
    # The confirmation goes out first with the SEQUENCE it was queued with, the update after it, higher.
    assert (invite_of(confirmation)["SEQUENCE"], invite_of(update)["SEQUENCE"]) == (2, 3)


async def test_a_rendering_failure_is_retried_with_backoff_and_logs_only_its_type(settings, tmp_path, caplog):
    from events.registration import services

    caplog.set_level(logging.INFO, logger="samrad")
    event = await make_event()
    await services.register(event["slug"], person(1), None)

    async def broken(intent, provided):
        raise ValueError("person1@example.org Person 1")

    started = datetime.now(UTC)
    report = await mail.deliver_due(file_settings(settings, tmp_path), renderers={"notice": broken})

    assert (report.sent, report.retried, report.failed) == (0, 1, 0)
    [row] = await raw_rows()
    assert (row["status"], row["attempts"], row["last_error"]) == ("pending", 1, "RenderFailure ValueError")
    assert row["next_attempt_at"] >= started + timedelta(seconds=59)
    logged = "\n".join(record.getMessage() for record in caplog.records if record.name.startswith("samrad"))
    assert "RenderFailure ValueError" in logged
    assert "@" not in logged and "Person 1" not in logged
    again = await deliver_due(file_settings(settings, tmp_path), now=datetime.now(UTC) + timedelta(minutes=2))
    assert again.sent == 1 and len(eml_files(tmp_path)) == 1


async def test_a_waiting_list_email_tells_the_status_and_place_it_was_written_for():
    from events.registration import services

    event = await make_event(capacity=1)
    first = await services.register(event["slug"], person(1), None)
    await services.register(event["slug"], person(2), None)
    await services.cancel(first.manage_token, None)  # person 2 is promoted before anything was sent

    rows = await outbox_rows(to_address="person2@example.org")

    assert [row["kind"] for row in rows] == ["notice.waitlisted", "notice.promoted"]
    assert "You are number 1 in the queue" in rows[0]["text_body"]
    assert rows[0]["attachments"] == []
    assert "You are number" not in rows[1]["text_body"]


@pytest.mark.concurrency
async def test_concurrent_registrations_on_a_full_event_are_told_distinct_places():
    from events.registration import services

    event = await make_event(capacity=1)
    await services.register(event["slug"], person(0), None)
    gate = asyncio.Semaphore(20)  # as many at once as the app's PostgreSQL pool allows

    async def register(number: int):
        async with gate:
            return await services.register(event["slug"], person(number), None)

    results = await asyncio.gather(*(register(number) for number in range(1, 51)))

    assert {result.status for result in results} == {"waitlisted"}
    rows = await outbox_rows(kind="notice.waitlisted")
    places = {row["intent"]["registration"]: int(QUEUE_PLACE.search(row["text_body"]).group(1)) for row in rows}
    # 1..50, each once, in the order the waiting list is served (registration id).
    assert [places[key] for key in sorted(places)] == list(range(1, 51))

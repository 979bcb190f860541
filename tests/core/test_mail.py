"""Emails: notices rendered in the registrant's language with ticket and invitation; the outbox delivered."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import logging
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from mailcal_support import (
    deliver_due,
    eml_files,
    make_event,
    make_registration,
    make_venue,
    outbox_rows,
    parse_eml,
    part_types,
)
from smtp_support import Recorder, free_port, smtp_server, smtp_settings

from events.contracts import Notice
from events.messaging.notifications import notify
from samrad.core import db
from samrad.core.mail import backoff, queue_email


async def _notify(notice, registration_id, **kwargs):
    async with db.atomic():
        return await notify(notice, registration_id, **kwargs)


def _calendar_of(row) -> icalendar.Calendar | None:
    for item in row["attachments"]:
        if item["content_type"] == "text/calendar":
            return icalendar.Calendar.from_ical(base64.b64decode(item["data_b64"]))
    return None


async def test_confirmation_has_ticket_invite_and_manage_link(settings):
    venue = await make_venue()
    event = await make_event(venue=venue["id"])
    registration = await make_registration(event["id"])

    await _notify(Notice.confirmed, registration["id"], manage_token="secret-token-123")

    [row] = await outbox_rows()
    assert row["kind"] == "notice.confirmed"
    assert row["to_address"] == registration["email"]
    assert row["status"] == "pending"
    assert event["title"]["en"] in row["subject"]
    for body in (row["text_body"], row["html_body"]):
        assert f"{settings.base_url}/manage/secret-token-123" in body
        assert registration["ticket_code"] in body
        assert "Kulturhuset" in body
        assert "Confirmed" in body
        # Health data never travels by email.
        assert "vegetarian" not in body
    assert 'src="cid:ticket-qr@samrad"' in row["html_body"]
    kinds = sorted(item["content_type"] for item in row["attachments"])
    assert kinds == ["image/png", "text/calendar"]
    calendar = _calendar_of(row)
    assert calendar["METHOD"] == "REQUEST"
    [vevent] = calendar.walk("VEVENT")
    assert str(vevent["UID"]) == event["ical_uid"]
    assert "secret-token-123" not in calendar.to_ical().decode()


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("da", "Ligestillingskonference"), ("sv", "Jämställdhetskonferens"), ("en", "Equality conference")],
)
async def test_notice_uses_registrants_locale(locale, expected):
    event = await make_event()
    registration = await make_registration(event["id"], locale=locale)

    await _notify(Notice.confirmed, registration["id"], manage_token="t")

    [row] = await outbox_rows()
    assert expected in row["subject"]
    assert expected in row["text_body"]
    assert f'<html lang="{locale}">' in row["html_body"]


async def test_waitlisted_email_tells_position_and_has_no_ticket_or_invite():
    event = await make_event(capacity=1)
    await make_registration(event["id"])
    await make_registration(event["id"], status="waitlisted")
    second = await make_registration(event["id"], status="waitlisted")

    await _notify(Notice.waitlisted, second["id"], manage_token="t")

    [row] = await outbox_rows()
    assert "number 2 in the queue" in row["text_body"]
    assert "kept" in row["text_body"]
    assert "automatically" in row["text_body"]
    assert second["ticket_code"] not in row["text_body"]
    assert row["attachments"] == []


async def test_cancellation_carries_cancel_with_higher_sequence():
    event = await make_event(ical_sequence=3)
    registration = await make_registration(event["id"], status="cancelled")

    await _notify(Notice.cancelled, registration["id"])

    [row] = await outbox_rows()
    calendar = _calendar_of(row)
    assert calendar["METHOD"] == "CANCEL"
    [vevent] = calendar.walk("VEVENT")
    assert str(vevent["UID"]) == event["ical_uid"]
    assert vevent["SEQUENCE"] == 4
    assert registration["ticket_code"] not in row["text_body"]
    assert "/manage/" not in row["text_body"]


async def test_reminder_without_token_points_to_earlier_email():
    event = await make_event()
    registration = await make_registration(event["id"])

    await _notify(Notice.reminder, registration["id"])

    [row] = await outbox_rows()
    assert "/manage/" not in row["text_body"]
    assert "link in the confirmation email" in row["text_body"]
    assert row["subject"].startswith("Reminder:")


async def test_anonymised_registration_gets_no_email():
    event = await make_event()
    registration = await make_registration(event["id"], email="", anonymised_at=datetime.now(UTC))

    assert await _notify(Notice.event_changed, registration["id"]) is None
    assert await outbox_rows() == []


async def test_notify_in_rolled_back_transaction_queues_nothing():
    event = await make_event()
    registration = await make_registration(event["id"])

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with db.atomic():
            await notify(Notice.confirmed, registration["id"], manage_token="t")
            raise Boom

    assert await outbox_rows() == []



# --- delivery ---------------------------------------------------------------------------------------------

EXPECTED_PARTS = [
    "multipart/mixed",
    "multipart/alternative",
    "text/plain",
    "multipart/related",
    "text/html",
    "image/png",
    "text/calendar;method=REQUEST",
    "application/ics",
]


async def _queue_confirmation(locale: str = "en") -> dict:
    event = await make_event(venue=(await make_venue())["id"])
    registration = await make_registration(event["id"], locale=locale)
    await _notify(Notice.confirmed, registration["id"], manage_token="tok-abc")
    return registration


async def test_file_backend_writes_eml_with_imip_structure(settings, tmp_path):
    registration = await _queue_confirmation()
    file_settings = dataclasses.replace(settings, mail_backend="file", mail_dir=tmp_path / "outbox")

    report = await deliver_due(file_settings)

    assert (report.sent, report.retried, report.failed) == (1, 0, 0)
    [path] = eml_files(tmp_path / "outbox")
    message = parse_eml(path.read_bytes())
    assert message["To"] == registration["email"]
    assert message["From"] == settings.mail_from
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Reply-To"] == settings.municipality_email
    assert message["Message-ID"]
    assert part_types(message) == EXPECTED_PARTS
    calendar_part = next(part for part in message.walk() if part.get_content_type() == "text/calendar")
    assert calendar_part.get_content_charset() == "utf-8"
    assert "METHOD:REQUEST" in calendar_part.get_content()
    image = next(part for part in message.walk() if part.get_content_type() == "image/png")
    assert image["Content-ID"] == "<ticket-qr@samrad>"
    [row] = await outbox_rows()
    assert row["status"] == "sent"
    assert row["sent_at"] is not None
    # Sent once: another run finds nothing to do.
    assert (await deliver_due(file_settings)).sent == 0
    assert len(eml_files(tmp_path / "outbox")) == 1


async def test_plain_message_without_attachments(settings, tmp_path):
    async with db.atomic():
        await queue_email("test.plain", "someone@example.org", "Subject\nwith newline", "Text ✓", "<p>HTML ✓</p>")
    file_settings = dataclasses.replace(settings, mail_dir=tmp_path)

    await deliver_due(file_settings)

    [path] = eml_files(tmp_path)
    message = parse_eml(path.read_bytes())
    assert message["Subject"] == "Subject with newline"
    assert part_types(message) == ["multipart/mixed", "multipart/alternative", "text/plain", "text/html"]
    assert message.get_body(("plain",)).get_content().strip() == "Text ✓"


async def test_smtp_down_then_up_delivers_each_message_once(settings, caplog):
    caplog.set_level(logging.INFO, logger="samrad")
    registration = await _queue_confirmation()
    async with db.atomic():
        await queue_email("test.plain", "second@example.org", "Hello", "Text", "<p>HTML</p>")
    port = free_port()
    smtp = smtp_settings(settings, port)

    # Nothing listens on the port: both messages wait, with backoff, and nothing is lost.
    started = datetime.now(UTC)
    report = await deliver_due(smtp)
    assert (report.sent, report.retried, report.failed) == (0, 2, 0)
    rows = await outbox_rows()
    assert [row["status"] for row in rows] == ["pending", "pending"]
    assert [row["attempts"] for row in rows] == [1, 1]
    for row in rows:
        assert row["next_attempt_at"] >= started + timedelta(seconds=59)
        assert row["last_error"]
        assert "@" not in row["last_error"]
    # Not due yet: a second run right away does not knock again.
    assert (await deliver_due(smtp)).retried == 0

    recorder = Recorder()
    with smtp_server(port, recorder):
        report = await deliver_due(smtp, now=datetime.now(UTC) + timedelta(minutes=2))
        assert report.sent == 2
        again = await deliver_due(smtp, now=datetime.now(UTC) + timedelta(hours=2))
        assert again.sent == 0

    assert len(recorder.received) == 2
    recipients = sorted(rcpt for _sender, rcpts, _data in recorder.received for rcpt in rcpts)
    assert recipients == sorted([registration["email"], "second@example.org"])
    confirmation = next(data for _s, rcpts, data in recorder.received if rcpts == [registration["email"]])
    assert part_types(parse_eml(confirmation)) == EXPECTED_PARTS
    assert [row["status"] for row in await outbox_rows()] == ["sent", "sent"]
    # Logs tell ids, kinds and statuses, never addresses or content.
    logged = "\n".join(record.getMessage() for record in caplog.records if record.name.startswith("samrad"))
    assert "notice.confirmed" in logged
    assert "@" not in logged
    assert "tok-abc" not in logged


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
@pytest.mark.filterwarnings("ignore:Session.login_data is deprecated:DeprecationWarning")
async def test_smtp_login(settings):
    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"mailer", b"pw")
        return AuthResult(success=ok)

    await _queue_confirmation()
    port = free_port()
    recorder = Recorder()
    with smtp_server(port, recorder, authenticator=authenticator, auth_required=True, auth_require_tls=False):
        wrong = await deliver_due(
            smtp_settings(settings, port, smtp_username="mailer", smtp_password="nope", smtp_timeout=1)
        )
        assert wrong.sent == 0
        assert recorder.received == []
        right = await deliver_due(
            smtp_settings(settings, port, smtp_username="mailer", smtp_password="pw"),
            now=datetime.now(UTC) + timedelta(minutes=5),
        )
    assert right.sent == 1
    assert len(recorder.received) == 1


async def test_refused_recipient_fails_without_retry_and_keeps_no_address(settings):
    await _queue_confirmation()
    port = free_port()
    with smtp_server(port, Recorder(refuse=True)):
        report = await deliver_due(smtp_settings(settings, port))
    assert report.failed == 1
    [row] = await outbox_rows()
    assert row["status"] == "failed"
    assert "550" in row["last_error"]
    assert "@" not in row["last_error"]


async def test_gives_up_after_max_attempts(settings):
    async with db.atomic():
        await queue_email("test.plain", "someone@example.org", "Hello", "Text", "<p>HTML</p>")
    smtp = smtp_settings(settings, free_port(), mail_max_attempts=3)
    moment = datetime.now(UTC)
    for attempt in range(1, 4):
        moment += timedelta(hours=2)
        await deliver_due(smtp, now=moment)
        [row] = await outbox_rows()
        assert row["attempts"] == attempt
    assert row["status"] == "failed"
    assert (await deliver_due(smtp, now=moment + timedelta(days=1))).failed == 0


async def test_backoff_doubles_from_a_minute_up_to_an_hour():
    assert [backoff(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert backoff(7) == timedelta(hours=1)
    assert backoff(30) == timedelta(hours=1)


@pytest.mark.concurrency
async def test_two_workers_never_send_the_same_message(settings, tmp_path):
    async with db.atomic():
        for number in range(8):
            await queue_email("test.plain", f"p{number}@example.org", "Hello", "Text", "<p>HTML</p>")
    file_settings = dataclasses.replace(settings, mail_dir=tmp_path)

    reports = await asyncio.gather(*(deliver_due(file_settings) for _ in range(3)))

    assert sum(report.sent for report in reports) == 8
    files = eml_files(tmp_path)
    assert len(files) == 8
    ids = sorted(path.name.split("-")[1] for path in files)
    assert len(set(ids)) == 8


async def test_unusable_address_fails_at_once(settings, tmp_path):
    async with db.atomic():
        await queue_email("test.plain", "not an address", "Hello", "Text", "<p>HTML</p>")
        await queue_email("test.plain", "fine@example.org", "Hello", "Text", "<p>HTML</p>")

    report = await deliver_due(dataclasses.replace(settings, mail_dir=tmp_path))

    assert (report.sent, report.failed) == (1, 1)
    assert [row["status"] for row in await outbox_rows()] == ["failed", "sent"]


async def test_workshop_lines_appear_in_both_bodies():
    from events.contracts import SeatLine

    class Seats:
        async def describe(self, registration_id):
            return [
                SeatLine(title={"en": "Safe schools", "da": "Trygge skoler"}, status="confirmed"),
                SeatLine(title={"en": "Care work", "da": "Omsorgsarbejde"}, status="waitlisted"),
            ]

    event = await make_event()
    registration = await make_registration(event["id"], locale="da")

    await _notify(Notice.changed, registration["id"], manage_token="t", seats=Seats())

    [row] = await outbox_rows(provided={"seat_plan": Seats()})  # the worker describes the seats when it sends
    for body in (row["text_body"], row["html_body"]):
        assert "Trygge skoler" in body
        assert "Omsorgsarbejde" in body


async def test_cancel_notice_leaves_out_status_and_workshops():
    event = await make_event()
    registration = await make_registration(event["id"], status="cancelled")

    await _notify(Notice.event_cancelled, registration["id"])

    [row] = await outbox_rows()
    assert "Your registration:" not in row["text_body"]
    assert "event has been cancelled" in row["text_body"]
    assert "removes the event from your calendar" in row["text_body"]


async def test_sensitive_event_subject_does_not_name_the_event(settings):
    event = await make_event(sensitive=True, title={"en": "LGBTQ café"})
    registration = await make_registration(event["id"])

    await _notify(Notice.confirmed, registration["id"], manage_token="t")

    [row] = await outbox_rows()
    assert "LGBTQ" not in row["subject"]
    assert settings.municipality_name in row["subject"]
    assert "LGBTQ café" in row["text_body"]


async def test_announcing_a_change_raises_the_sequence_and_tells_the_active_registrants():
    from events.messaging.notifications import announce_event_update
    from events.tables import Event

    event = await make_event(ical_sequence=2)
    confirmed = await make_registration(event["id"])
    waiting = await make_registration(event["id"], status="waitlisted")
    await make_registration(event["id"], status="cancelled")
    await make_registration(event["id"], email="", anonymised_at=datetime.now(UTC))

    async with db.atomic():
        queued = await announce_event_update(event["id"], Notice.event_changed)

    assert queued == 2
    [row] = await Event.select(Event.ical_sequence).where(Event.id == event["id"])
    assert row["ical_sequence"] == 3
    rows = {message["to_address"]: message for message in await outbox_rows()}
    assert set(rows) == {confirmed["email"], waiting["email"]}
    [vevent] = _calendar_of(rows[confirmed["email"]]).walk("VEVENT")
    assert vevent["SEQUENCE"] == 3
    assert _calendar_of(rows[waiting["email"]]) is None
    assert "changed the event" in rows[waiting["email"]]["text_body"]

"""Emails: notices rendered in the registrant's language with ticket and invitation; the outbox delivered."""

from __future__ import annotations

import base64

import icalendar
import pytest
from mailcal_support import make_event, make_registration, make_venue, outbox_rows

from events.notifications import Notice, notify
from samrad import db


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
    from datetime import UTC, datetime

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


"""A message to all or a filtered group: preview and count first, then one outbox row per recipient, each in
their language where the organiser wrote it, written at send time."""

from __future__ import annotations

import staff_support
from attendee_support import base, register, seat_plan
from mailcal_support import outbox_rows
from registration_support import make_event, make_workshop
from staff_support import login_as, post_form

from events.attendees import messaging
from samrad.core.tables import AuditEntry, OutboxMessage

client = staff_support.client

MESSAGE = {
    "subject_da": "Husk madpakke", "body_da": "Hej!\n\nHusk madpakke i morgen.",
    "subject_en": "Bring lunch", "body_en": "Hello!\n\nPlease bring lunch tomorrow.",
}


async def _event_with_people():
    event = await make_event(capacity=2, categories=("citizen",))
    workshop = await make_workshop(event["id"], capacity=5, title="Safe schools")
    await register(event["id"], "Dansk Deltager", locale="da", email="da@example.org",
                   workshop_ids=(workshop,), seats=seat_plan())
    await register(event["id"], "Svensk Deltagare", locale="sv", email="sv@example.org")
    await register(event["id"], "English Waiting", locale="en", email="en@example.org")  # on the waiting list
    return event, workshop


async def test_the_preview_shows_the_count_and_each_language_before_anything_is_sent(client):
    event, _workshop = await _event_with_people()
    await login_as(client, "admin")
    page = f"/staff/events/{event['id']}/messages"
    before = await OutboxMessage.count()
    preview = await post_form(client, page, page, MESSAGE)
    assert preview.status_code == 200
    assert "The message goes to 3 people." in preview.text
    assert "Danish: 2 recipients" in preview.text and "English: 1 recipient" in preview.text
    assert "Husk madpakke i morgen." in preview.text and 'name="expected" value="3"' in preview.text
    assert await OutboxMessage.count() == before


async def test_sending_queues_one_email_per_recipient_in_their_language(client):
    event, _workshop = await _event_with_people()
    actor = await login_as(client, "admin")
    page = f"/staff/events/{event['id']}/messages"
    response = await post_form(client, page, page, {**MESSAGE, "send": "1", "expected": "3"})
    assert response.status_code == 303
    assert "on its way to 3 people" in (await client.get(response.headers["location"])).text
    sent = {row["to_address"]: row for row in await outbox_rows(kind=messaging.MAIL_KIND)}
    assert set(sent) == {"da@example.org", "sv@example.org", "en@example.org"}
    assert sent["da@example.org"]["subject"] == "Husk madpakke"
    assert "Husk madpakke i morgen." in sent["da@example.org"]["text_body"]
    assert "Hej Dansk Deltager," in sent["da@example.org"]["text_body"] or "Dansk Deltager" in \
        sent["da@example.org"]["text_body"]
    # No Swedish text was written: the Swede gets the first language written (Danish).
    assert sent["sv@example.org"]["subject"] == "Husk madpakke"
    assert sent["en@example.org"]["subject"] == "Bring lunch"
    assert "<p" in sent["en@example.org"]["html_body"] and "Please bring lunch tomorrow." in \
        sent["en@example.org"]["html_body"]
    entry = await AuditEntry.select().where(AuditEntry.action == "registration.message_group").first()
    assert entry["actor"] == actor and entry["count"] == 3 and entry["subject"] == f"event:{event['id']}"


async def test_a_filtered_group_gets_it_the_waiting_list_or_a_workshop(client):
    event, workshop = await _event_with_people()
    await login_as(client, "admin")
    page = f"/staff/events/{event['id']}/messages"
    waiting = await post_form(client, f"{page}?status=waitlisted", page,
                              {**MESSAGE, "status": "waitlisted", "send": "1", "expected": "1"})
    assert waiting.status_code == 303 and waiting.headers["location"].endswith("?status=waitlisted")
    assert [r["to_address"] for r in await OutboxMessage.select().where(
        OutboxMessage.kind == messaging.MAIL_KIND)] == ["en@example.org"]
    in_workshop = await post_form(client, page, page,
                                  {**MESSAGE, "workshop": str(workshop), "send": "1", "expected": "1"})
    assert in_workshop.status_code == 303
    rows = await OutboxMessage.select().where(OutboxMessage.kind == messaging.MAIL_KIND)
    assert sorted(r["to_address"] for r in rows) == ["da@example.org", "en@example.org"]


async def test_a_group_that_changed_since_the_preview_is_shown_again(client):
    event, _workshop = await _event_with_people()
    await login_as(client, "admin")
    page = f"/staff/events/{event['id']}/messages"
    response = await post_form(client, page, page, {**MESSAGE, "send": "1", "expected": "2"})
    assert response.status_code == 409 and "The group has changed" in response.text
    assert not await OutboxMessage.exists().where(OutboxMessage.kind == messaging.MAIL_KIND)


async def test_a_message_with_bad_input_is_refused(client):
    event, _workshop = await _event_with_people()
    await login_as(client, "admin")
    page = f"/staff/events/{event['id']}/messages"
    empty = await post_form(client, page, page, {})
    assert empty.status_code == 422 and "at least one language" in empty.text
    half = await post_form(client, page, page, {"subject_sv": "Hej", "body_en": "x" * 5001})
    assert half.status_code == 422
    assert "Write the text for this language" in half.text and "Write a subject for this language" in half.text
    assert "at most 5000 characters" in half.text
    assert not await OutboxMessage.exists().where(OutboxMessage.kind == messaging.MAIL_KIND)


async def test_a_sensitive_event_can_be_written_to_without_showing_names(client):
    event = await make_event(sensitive=True)
    await register(event["id"], "Alex Sensitive-Name")
    await login_as(client, "admin")
    page = f"/staff/events/{event['id']}/messages"
    preview = await post_form(client, page, page, {"subject_en": "Tonight", "body_en": "We meet at 19."})
    assert preview.status_code == 200 and "1 person" in preview.text and "Alex" not in preview.text


async def test_a_person_erased_before_sending_gets_nothing():
    from events.tables import Registration

    event, _workshop = await _event_with_people()
    rows = await Registration.select(Registration.id, Registration.email, Registration.locale)
    message = messaging.GroupMessage({"en": "Hi"}, {"en": "Text"})
    assert await messaging.send_group_message(event["id"], rows, message, "organiser@example.org") == 3
    await Registration.update({Registration.anonymised_at: Registration.created_at, Registration.email: ""}).where(
        Registration.email == "sv@example.org"
    )
    from samrad.areas import mail_renderers
    from samrad.core.mail import render_row

    queued = await OutboxMessage.select().where(OutboxMessage.kind == messaging.MAIL_KIND).output(load_json=True)
    written = {row["to_address"]: await render_row(row, mail_renderers()) for row in queued}
    assert written["sv@example.org"] is None  # the worker marks it skipped
    assert written["da@example.org"]["subject"] == "Hi"


async def test_the_list_links_to_the_message_page_with_its_filter(client):
    event, _workshop = await _event_with_people()
    await login_as(client, "admin")
    page = await client.get(f"{base(event)}?status=waitlisted")
    assert f'/staff/events/{event["id"]}/messages?status=waitlisted' in page.text

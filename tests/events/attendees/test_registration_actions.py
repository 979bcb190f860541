"""One registration, by the organiser: edit with the form's rules, cancel, move up from the waiting list by hand
(never past capacity, also when two organisers do it at once), resend the confirmation, the email history; and
registering someone who phoned in."""

from __future__ import annotations

import asyncio

import pytest
import staff_support
from attendee_support import base, register, seat_plan
from registration_support import booked, database_pool, make_event, make_workshop, outbox  # noqa: F401
from staff_support import csrf_token, login_as, post_form

from events.attendees import services
from events.attendees.services import AttendeeError
from events.tables import Event, EventAudience, Registration
from samrad.core.tables import AuditEntry, OutboxMessage

client = staff_support.client


async def row(registration_id: int) -> dict:
    return await Registration.select().where(Registration.id == registration_id).first()


# --- edit --------------------------------------------------------------------------------------------------

async def test_edit_with_bad_input_shows_the_form_again_and_changes_nothing(client):
    event = await make_event()
    person = await register(event["id"], "Mette Kjær")
    await login_as(client, "admin")
    page = f"{base(event)}/{person.registration_id}"
    response = await post_form(client, page, page, {
        "name": "  ", "locale": "xx", "access_needs": "teleport", "pronouns": "x" * 61,
    })
    assert response.status_code == 422
    assert "There is a problem with your answers" in response.text
    assert "Enter your name." in response.text and "Choose one of the languages" in response.text
    assert "Choose access needs from the list." in response.text and "at most 60 characters" in response.text
    assert (await row(person.registration_id))["name"] == "Mette Kjær"


async def test_edit_saves_tells_the_person_and_is_audited(client):
    event = await make_event()
    person = await register(event["id"], "Mette Kjær")
    actor = await login_as(client, "admin")
    page = f"{base(event)}/{person.registration_id}"
    response = await post_form(client, page, page, {
        "name": "Mette Kjær Holm", "locale": "da", "pronouns": "hun", "diet": "vegetar",
    })
    assert response.status_code == 303
    changed = await row(person.registration_id)
    assert (changed["name"], changed["locale"], changed["pronouns"], changed["diet"]) == \
        ("Mette Kjær Holm", "da", "hun", "vegetar")
    assert [m["kind"] for m in await outbox(to_address=changed["email"])][-1] == "notice.changed"
    entry = await AuditEntry.select().where(AuditEntry.action == "registration.change").first()
    assert entry["actor"] == actor and entry["subject"] == f"event:{event['id']}/registration:{person.registration_id}"


async def test_a_registration_of_another_event_is_not_reachable(client):
    event, other = await make_event(), await make_event()
    person = await register(other["id"])
    await login_as(client, "admin")
    assert (await client.get(f"{base(event)}/{person.registration_id}")).status_code == 404
    response = await post_form(client, base(event), f"{base(event)}/{person.registration_id}/cancel", {})
    assert response.status_code == 404
    assert (await row(person.registration_id))["status"] == "confirmed"


# --- cancel and the waiting list ------------------------------------------------------------------------

async def test_cancel_tells_the_person_and_promotes_the_next(client):
    event = await make_event(capacity=1)
    first = await register(event["id"], "Ingrid Berg")
    second = await register(event["id"], "Noah Ek")
    assert second.status == "waitlisted"
    actor = await login_as(client, "admin")
    page = f"{base(event)}/{first.registration_id}"
    response = await post_form(client, page, f"{page}/cancel", {})
    assert response.status_code == 303
    after = await client.get(response.headers["location"])
    assert "The registration has been cancelled" in after.text and "1 person moved up" in after.text
    assert (await row(first.registration_id))["status"] == "cancelled"
    assert (await row(second.registration_id))["status"] == "confirmed"
    entry = await AuditEntry.select().where(AuditEntry.action == "registration.cancel").first()
    assert entry["actor"] == actor


async def test_moving_up_by_hand_needs_a_free_seat(client):
    event = await make_event(capacity=1)
    first = await register(event["id"])
    waiting = await register(event["id"], "Noah Ek")
    await login_as(client, "admin")
    page = f"{base(event)}/{waiting.registration_id}"
    refused = await post_form(client, page, f"{page}/promote", {})
    assert refused.status_code == 303
    assert "no free seat" in (await client.get(page)).text
    assert (await row(waiting.registration_id))["status"] == "waitlisted"
    await Event.update({Event.capacity: 2}).where(Event.id == event["id"])
    done = await post_form(client, page, f"{page}/promote", {})
    assert done.status_code == 303
    assert "now has a seat" in (await client.get(page)).text
    assert (await row(waiting.registration_id))["status"] == "confirmed"
    assert await booked(Event, event["id"]) == 2
    kinds = [m["kind"] for m in await outbox(to_address=(await row(waiting.registration_id))["email"])]
    assert kinds[-1] == "notice.promoted"
    assert await AuditEntry.exists().where(AuditEntry.action == "registration.promote")
    again = await post_form(client, page, f"{page}/promote", {})
    assert again.status_code == 303 and "not on the waiting list" in (await client.get(page)).text
    assert first.status == "confirmed"


async def test_moving_up_by_hand_respects_the_groups_quota():
    event = await make_event(capacity=5, categories=("citizen", "staff"), quotas={"staff": 1})
    await register(event["id"], category="staff")
    await EventAudience.update({EventAudience.quota: 1}).where(EventAudience.event == event["id"])
    waiting = await register(event["id"], category="staff")
    assert waiting.status == "waitlisted"
    with pytest.raises(AttendeeError) as refused:
        await services.promote_by_hand(event["id"], waiting.registration_id, None, "organiser@example.org")
    assert refused.value.code == "full"
    assert await booked(Event, event["id"]) == 1


@pytest.mark.concurrency
async def test_two_organisers_moving_up_at_once_never_overbook(database_pool):  # noqa: F811
    """Ten waiting people, three free seats, ten organisers clicking "give a seat" at the same moment."""
    from samrad.core import db

    event = await make_event(capacity=1)
    await register(event["id"])
    waiting = [await register(event["id"]) for _ in range(10)]
    await Event.update({Event.capacity: 4}).where(Event.id == event["id"])

    async def promote(registration_id: int) -> bool:
        try:
            await services.promote_by_hand(event["id"], registration_id, None, "organiser@example.org")
            return True
        except AttendeeError:
            return False

    results = await asyncio.gather(*(promote(person.registration_id) for person in waiting))
    assert sum(results) == 3
    assert await booked(Event, event["id"]) == 4
    confirmed = await Registration.count().where(
        (Registration.event == event["id"]) & (Registration.status == "confirmed")
    )
    assert confirmed == 4
    assert db  # the pool fixture opened the real connections


# --- emails ------------------------------------------------------------------------------------------------

async def test_resend_sends_a_new_link_and_shows_in_the_history(client):
    event = await make_event()
    person = await register(event["id"], "Mette Kjær")
    old_hash = (await row(person.registration_id))["manage_token_hash"]
    await login_as(client, "admin")
    page = f"{base(event)}/{person.registration_id}"
    response = await post_form(client, page, f"{page}/resend", {})
    assert response.status_code == 303
    assert (await row(person.registration_id))["manage_token_hash"] != old_hash
    messages = await OutboxMessage.select().where(OutboxMessage.kind == "notice.confirmed")
    assert len(messages) == 2
    await OutboxMessage.update({OutboxMessage.status: "failed", OutboxMessage.subject: "You are registered"}).where(
        OutboxMessage.id == messages[0]["id"]
    )
    history = await client.get(page)
    assert history.text.count("Confirmation</th>") == 2
    assert "Could not be delivered" in history.text and "Waiting to be sent" in history.text
    assert "You are registered" in history.text


async def test_a_cancelled_registration_gets_no_resend():
    event = await make_event()
    person = await register(event["id"])
    await Registration.update({Registration.status: "cancelled"}).where(Registration.id == person.registration_id)
    with pytest.raises(AttendeeError) as refused:
        await services.resend_confirmation(event["id"], person.registration_id, None, "organiser@example.org")
    assert refused.value.code == "cancelled"


async def test_the_history_shows_only_this_registrations_emails():
    event, other = await make_event(), await make_event()
    mine = await register(event["id"], email="same@example.org")
    await register(other["id"], email="same@example.org")
    history = await services.email_history(await services.registration_of_event(event["id"], mine.registration_id))
    assert [entry["kind"] for entry in history] == ["notice.confirmed"]


# --- phone-ins ---------------------------------------------------------------------------------------------

async def test_a_phone_in_gets_the_normal_confirmation_and_is_marked(client):
    event = await make_event(categories=("citizen", "staff"))
    workshop = await make_workshop(event["id"], capacity=5)
    actor = await login_as(client, "admin")
    form = f"{base(event)}/new"
    response = await post_form(client, form, form, {
        "name": "Grete Mikkelsen", "email": "grete@example.org", "locale": "da", "category": "citizen",
        "workshop_ids": str(workshop), "consent": "1",
    })
    assert response.status_code == 303
    added = await Registration.select().where(Registration.email == "grete@example.org").first()
    assert added["added_by_staff"] is True and added["status"] == "confirmed" and added["locale"] == "da"
    assert response.headers["location"] == f"{base(event)}/{added['id']}"
    sent = await outbox(to_address="grete@example.org")
    assert [m["kind"] for m in sent] == ["notice.confirmed"] and "/manage/" in sent[0]["text_body"]
    entry = await AuditEntry.select().where(AuditEntry.action == "registration.add_by_staff").first()
    assert entry["actor"] == actor and entry["subject"] == f"event:{event['id']}/registration:{added['id']}"
    listing = await client.get(base(event))
    assert "Added by staff" in listing.text
    assert await booked(Event, event["id"]) == 1
    self_registered = await register(event["id"])
    assert (await row(self_registered.registration_id))["added_by_staff"] is False


async def test_a_phone_in_with_bad_input_writes_nothing(client):
    event = await make_event(categories=("citizen", "council"))
    await login_as(client, "admin")
    form = f"{base(event)}/new"
    response = await post_form(client, form, form, {
        "name": "", "email": "not-an-address", "category": "elected", "consent": "",
    })
    assert response.status_code == 422
    for message in ("Enter your name.", "Enter an email address like name@example.com.",
                    "This event is not open to that group.", "To register, please confirm"):
        assert message in response.text
    assert await Registration.count() == 0 and await OutboxMessage.count() == 0


async def test_a_phone_in_for_someone_already_registered_resends_their_link(client):
    event = await make_event()
    await register(event["id"], email="grete@example.org")
    await login_as(client, "admin")
    form = f"{base(event)}/new"
    response = await post_form(client, form, form, {
        "name": "Grete", "email": "Grete@example.org", "category": "citizen", "consent": "1",
    })
    assert response.status_code == 303 and response.headers["location"] == form
    assert "already registered" in (await client.get(form)).text
    assert await Registration.count() == 1


async def test_a_phone_in_page_needs_the_manage_permission(client):
    event = await make_event()
    await login_as(client, "checkin")
    assert (await client.get(f"{base(event)}/new")).status_code == 403
    token = await csrf_token(client, "/staff")
    refused = await client.post(f"{base(event)}/new", data={"_csrf_token": token, "name": "X"})
    assert refused.status_code == 403
    assert seat_plan() is not None

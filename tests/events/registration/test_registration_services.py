"""Registration rules through ``events.registration.services``: seats, waiting list, quotas, windows, duplicates,
cancelling and promotion, changes, the participant's data rights, check-in and drop-in headcounts."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from registration_support import (
    booked,
    database_pool,  # noqa: F401  (fixture)
    make_event,
    make_occurrence,
    manage_token_in,
    outbox,
    person,
    registration,
    sent_kinds,
    soon,
    statuses,
)

# A pool as in the app (PostgreSQL), so tests do not open a connection per query and concurrent ones queue.
pytestmark = pytest.mark.usefixtures("database_pool")


@pytest.fixture
def services():
    from events.registration import services

    return services


async def test_register_confirms_a_seat_and_queues_the_confirmation(services):
    from events.tables import Event
    from samrad.core.security import hash_token

    event = await make_event(capacity=3)
    result = await services.register(event["slug"], person(1), None)

    assert result.status == "confirmed"
    assert result.ticket_code and result.manage_token
    assert await booked(Event, event["id"]) == 1
    row = await registration(result.registration_id)
    assert row["status"] == "confirmed"
    assert row["manage_token_hash"] == hash_token(result.manage_token)
    assert result.manage_token not in json.dumps(row, default=str)
    assert row["active_key"] == f"{event['id']}:person1@example.org"
    [message] = await outbox(to_address="person1@example.org")
    assert message["kind"] == "notice.confirmed"
    assert manage_token_in(message) == result.manage_token


async def test_register_by_event_id_works_like_by_slug(services):
    event = await make_event()
    result = await services.register(event["id"], person(1), None)
    assert result.status == "confirmed"


async def test_full_event_puts_people_on_the_waiting_list(services):
    from events.tables import Event

    event = await make_event(capacity=1)
    first = await services.register(event["slug"], person(1), None)
    second = await services.register(event["slug"], person(2), None)

    assert (first.status, second.status) == ("confirmed", "waitlisted")
    assert second.ticket_code and second.manage_token
    assert await booked(Event, event["id"]) == 1
    assert await sent_kinds("person2@example.org") == ["notice.waitlisted"]


async def test_full_event_without_waiting_list_refuses_and_writes_nothing(services):
    from events.tables import Event, Registration

    event = await make_event(capacity=1, waitlist_enabled=False)
    await services.register(event["slug"], person(1), None)

    with pytest.raises(services.RegistrationError) as refused:
        await services.register(event["slug"], person(2), None)

    assert refused.value.code == "full"
    assert refused.value.status_code == 409
    assert refused.value.message
    assert await Registration.count().where(Registration.event == event["id"]) == 1
    assert await booked(Event, event["id"]) == 1
    assert await outbox(to_address="person2@example.org") == []


async def test_unlimited_event_never_fills(services):
    from events import rules
    from events.tables import Event

    event = await make_event(capacity=None)
    for number in range(5):
        assert (await services.register(event["slug"], person(number), None)).status == "confirmed"
    assert await booked(Event, event["id"]) == 5
    assert rules.seats_left(await Event.select().where(Event.id == event["id"]).first()) is None


async def test_category_quota_caps_its_own_group_only(services):
    from events.tables import EventAudience

    event = await make_event(capacity=3, categories=("citizen", "council"), quotas={"council": 1})
    first_council = await services.register(event["slug"], person(1, category="council"), None)
    second_council = await services.register(event["slug"], person(2, category="council"), None)
    citizen = await services.register(event["slug"], person(3, category="citizen"), None)

    assert [first_council.status, second_council.status, citizen.status] == ["confirmed", "waitlisted", "confirmed"]
    council = await EventAudience.select().where(
        (EventAudience.event == event["id"]) & (EventAudience.category == "council")
    ).first()
    assert council["booked"] == 1


async def test_full_quota_without_waiting_list_rolls_back_the_event_seat(services):
    from events.tables import Event

    event = await make_event(capacity=5, categories=("council",), quotas={"council": 1}, waitlist_enabled=False)
    await services.register(event["slug"], person(1, category="council"), None)
    with pytest.raises(services.RegistrationError) as refused:
        await services.register(event["slug"], person(2, category="council"), None)
    assert refused.value.code == "full"
    assert await booked(Event, event["id"]) == 1


async def test_category_not_offered_by_the_event_is_refused(services):
    event = await make_event(categories=("staff",))
    with pytest.raises(services.RegistrationError) as refused:
        await services.register(event["slug"], person(1, category="citizen"), None)
    assert refused.value.code == "category_not_allowed"


@pytest.mark.parametrize(
    ("window", "code"),
    [
        ({"registration_opens_at": datetime.now(UTC) + timedelta(days=1)}, "not_open_yet"),
        ({"registration_closes_at": datetime.now(UTC) - timedelta(minutes=1)}, "closed"),
        ({"starts_at": datetime.now(UTC) - timedelta(minutes=5)}, "closed"),  # closes at the start by default
    ],
)
async def test_registration_window_is_enforced(services, window, code):
    event = await make_event(**window)
    with pytest.raises(services.RegistrationError) as refused:
        await services.register(event["slug"], person(1), None)
    assert refused.value.code == code


async def test_open_window_accepts(services):
    event = await make_event(
        registration_opens_at=datetime.now(UTC) - timedelta(days=1),
        registration_closes_at=datetime.now(UTC) + timedelta(days=1),
    )
    assert (await services.register(event["slug"], person(1), None)).status == "confirmed"


async def test_cancelled_event_refuses_registration(services):
    event = await make_event(status="cancelled")
    with pytest.raises(services.RegistrationError) as refused:
        await services.register(event["slug"], person(1), None)
    assert refused.value.code == "cancelled_event"


@pytest.mark.parametrize("fields", [{"published": False}, {}])
async def test_unknown_or_unpublished_event_is_not_found(services, fields):
    event = await make_event(**fields)
    slug = event["slug"] if fields else "no-such-event"
    with pytest.raises(services.RegistrationError) as refused:
        await services.register(slug, person(1), None)
    assert refused.value.code == "not_found"
    assert refused.value.status_code == 404


@pytest.mark.parametrize(("name", "email"), [("", "a@example.org"), ("A", "not-an-email"), ("A", "a@b")])
async def test_missing_name_or_invalid_email_is_a_value_error(services, name, email):
    event = await make_event()
    with pytest.raises(ValueError, match="required"):
        await services.register(event["slug"], person(1, name=name, email=email), None)


async def test_duplicate_email_rotates_the_link_without_a_second_seat(services):
    from events.tables import Event, Registration

    event = await make_event(capacity=5)
    first = await services.register(event["slug"], person(1), None)
    again = await services.register(event["slug"], person(1, email="  PERSON1@Example.org "), None)

    assert again.status == "duplicate"
    assert again.registration_id == first.registration_id
    assert again.ticket_code is None and again.manage_token is None
    assert await Registration.count().where(Registration.event == event["id"]) == 1
    assert await booked(Event, event["id"]) == 1
    assert await services.registration_for_token(first.manage_token) is None  # the old link is rotated away
    resent = (await outbox(kind="notice.link_resent"))[0]
    assert resent["to_address"] == "person1@example.org"
    new_token = manage_token_in(resent)
    assert (await services.registration_for_token(new_token))["id"] == first.registration_id


async def test_duplicate_is_recognised_even_when_registration_has_closed(services):
    from events.tables import Event

    event = await make_event()
    await services.register(event["slug"], person(1), None)
    await Event.update({Event.registration_closes_at: datetime.now(UTC) - timedelta(minutes=1)}).where(
        Event.id == event["id"]
    )
    assert (await services.register(event["slug"], person(1), None)).status == "duplicate"


async def test_concurrent_registrations_with_the_same_email_leave_one_active(services):
    from events.tables import Event, Registration

    event = await make_event(capacity=50)
    results = await asyncio.gather(*(services.register(event["slug"], person(7), None) for _ in range(8)))

    assert sorted(result.status for result in results) == ["confirmed"] + ["duplicate"] * 7
    assert await Registration.count().where(Registration.event == event["id"]) == 1
    assert await booked(Event, event["id"]) == 1


async def test_register_again_after_cancelling(services):
    from events.tables import Event

    event = await make_event(capacity=5)
    first = await services.register(event["slug"], person(1), None)
    await services.cancel(first.manage_token, None)
    again = await services.register(event["slug"], person(1), None)

    assert again.status == "confirmed"
    assert again.registration_id != first.registration_id
    assert await booked(Event, event["id"]) == 1


async def test_cancel_promotes_first_on_waiting_list_and_queues_emails(services):
    from events.tables import Event

    event = await make_event(capacity=1)
    first = await services.register(event["slug"], person(1), None)
    second = await services.register(event["slug"], person(2), None)
    third = await services.register(event["slug"], person(3), None)

    promoted = await services.cancel(first.manage_token, None)

    assert promoted == [second.registration_id]
    assert await statuses(event["id"]) == {
        first.registration_id: "cancelled",
        second.registration_id: "confirmed",
        third.registration_id: "waitlisted",
    }
    assert await booked(Event, event["id"]) == 1
    cancelled = await registration(first.registration_id)
    assert cancelled["active_key"] is None and cancelled["cancelled_at"] is not None
    assert await sent_kinds("person1@example.org") == ["notice.confirmed", "notice.cancelled"]
    assert await sent_kinds("person2@example.org") == ["notice.waitlisted", "notice.promoted"]
    assert await sent_kinds("person3@example.org") == ["notice.waitlisted"]


async def test_promotion_skips_people_whose_quota_is_full(services):
    from events.tables import Event

    event = await make_event(capacity=2, categories=("citizen", "council"), quotas={"council": 1})
    await services.register(event["slug"], person(1, category="council"), None)
    citizen = await services.register(event["slug"], person(2, category="citizen"), None)
    waiting_council = await services.register(event["slug"], person(3, category="council"), None)
    waiting_citizen = await services.register(event["slug"], person(4, category="citizen"), None)

    promoted = await services.cancel(citizen.manage_token, None)

    assert promoted == [waiting_citizen.registration_id]
    assert (await registration(waiting_council.registration_id))["status"] == "waitlisted"
    assert await booked(Event, event["id"]) == 2


async def test_cancelling_a_waitlisted_registration_promotes_nobody(services):
    from events.tables import Event

    event = await make_event(capacity=1)
    await services.register(event["slug"], person(1), None)
    waiting = await services.register(event["slug"], person(2), None)
    later = await services.register(event["slug"], person(3), None)

    assert await services.cancel(waiting.manage_token, None) == []
    assert (await registration(later.registration_id))["status"] == "waitlisted"
    assert await booked(Event, event["id"]) == 1


async def test_cancelling_twice_is_harmless(services):
    from events.tables import Event

    event = await make_event(capacity=2)
    first = await services.register(event["slug"], person(1), None)
    await services.register(event["slug"], person(2), None)
    await services.cancel(first.manage_token, None)
    assert await services.cancel(first.manage_token, None) == []
    assert await booked(Event, event["id"]) == 1
    assert await sent_kinds("person1@example.org") == ["notice.confirmed", "notice.cancelled"]


async def test_cancel_with_unknown_token_is_not_found(services):
    with pytest.raises(services.RegistrationError) as refused:
        await services.cancel("no-such-token", None)
    assert refused.value.code == "not_found"


async def test_cancel_by_staff_promotes_and_writes_an_audit_entry(services):
    from samrad.core.tables import AuditEntry

    event = await make_event(capacity=1)
    first = await services.register(event["slug"], person(1), None)
    second = await services.register(event["slug"], person(2), None)

    promoted = await services.cancel_by_staff(first.registration_id, None, actor="organiser@kommune.dk")

    assert promoted == [second.registration_id]
    [entry] = await AuditEntry.select()
    assert entry["actor"] == "organiser@kommune.dk"
    assert entry["action"] == "registration.cancel"
    assert "person1" not in json.dumps(entry, default=str)
    assert await sent_kinds("person1@example.org") == ["notice.confirmed", "notice.cancelled"]


async def test_no_promotion_once_the_event_has_started(services):
    from events.tables import Event

    event = await make_event(capacity=1)
    first = await services.register(event["slug"], person(1), None)
    waiting = await services.register(event["slug"], person(2), None)
    await Event.update({Event.starts_at: datetime.now(UTC) - timedelta(minutes=10)}).where(Event.id == event["id"])

    assert await services.cancel(first.manage_token, None) == []
    assert (await registration(waiting.registration_id))["status"] == "waitlisted"
    assert await booked(Event, event["id"]) == 0


async def test_raising_capacity_then_promoting_serves_the_waiting_list_in_order(services):
    from events.tables import Event

    event = await make_event(capacity=1)
    await services.register(event["slug"], person(1), None)
    waiting = [await services.register(event["slug"], person(n), None) for n in (2, 3, 4)]
    await Event.update({Event.capacity: 3}).where(Event.id == event["id"])

    promoted = await services.promote_waitlisted(event["id"], None)

    assert promoted == [waiting[0].registration_id, waiting[1].registration_id]
    assert await booked(Event, event["id"]) == 3


async def test_change_updates_answers_and_queues_a_changed_email(services):
    event = await make_event()
    result = await services.register(event["slug"], person(1, diet="vegan"), None)

    await services.change(
        result.manage_token,
        services.RegistrationChange(
            name="Person One", locale="da", access_needs=("hearing_loop", "nonsense"), diet="gluten-free",
            pronouns="she/her", follow_up_opt_in=True,
        ),
        None,
    )

    row = await registration(result.registration_id)
    assert (row["name"], row["locale"], row["diet"], row["pronouns"]) == ("Person One", "da", "gluten-free", "she/her")
    assert row["access_needs"] == ["hearing_loop"]
    assert row["follow_up_opt_in"] is True
    assert row["status"] == "confirmed"
    changed = (await outbox(kind="notice.changed"))[0]
    assert manage_token_in(changed) == result.manage_token


async def test_change_after_cancelling_or_after_the_start_is_refused(services):
    from events.tables import Event

    event = await make_event()
    cancelled = await services.register(event["slug"], person(1), None)
    await services.cancel(cancelled.manage_token, None)
    with pytest.raises(services.RegistrationError) as refused:
        await services.change(cancelled.manage_token, services.RegistrationChange(name="X", locale="en"), None)
    assert refused.value.code == "not_found"

    active = await services.register(event["slug"], person(2), None)
    await Event.update({Event.starts_at: datetime.now(UTC) - timedelta(minutes=1)}).where(Event.id == event["id"])
    with pytest.raises(services.RegistrationError) as refused:
        await services.change(active.manage_token, services.RegistrationChange(name="X", locale="en"), None)
    assert refused.value.code == "closed"


async def test_answers_to_questions_the_event_does_not_ask_are_not_stored(services):
    event = await make_event(questions=("diet",))
    result = await services.register(
        event["slug"],
        person(1, diet="vegan", pronouns="they/them", organisation="Foreningen", access_needs=("step_free",),
               follow_up_opt_in=True),
        None,
    )
    row = await registration(result.registration_id)
    assert row["diet"] == "vegan"
    assert (row["pronouns"], row["organisation"], row["access_needs"], row["follow_up_opt_in"]) == (
        "", "", [], False
    )


async def test_access_needs_are_cleaned_and_free_text_means_other(services):
    event = await make_event()
    result = await services.register(
        event["slug"],
        person(1, access_needs=("quiet_room", "bogus", "sign_language"), access_other="  Large print   please "),
        None,
    )
    row = await registration(result.registration_id)
    assert row["access_needs"] == ["sign_language", "quiet_room", "other"]
    assert row["access_other"] == "Large print please"


async def test_registration_for_token_returns_the_registration_and_its_event(services):
    event = await make_event()
    result = await services.register(event["slug"], person(1), None)

    found = await services.registration_for_token(result.manage_token)

    assert found["id"] == result.registration_id
    assert found["event"]["slug"] == event["slug"]
    assert found["event"]["title"]["en"] == event["title"]["en"]
    assert "manage_token_hash" not in found
    assert found["waitlist_position"] is None
    assert await services.registration_for_token("wrong") is None


async def test_registration_for_token_tells_the_place_in_the_queue(services):
    event = await make_event(capacity=1)
    await services.register(event["slug"], person(1), None)
    waiting = [await services.register(event["slug"], person(n), None) for n in (2, 3, 4)]
    await services.cancel(waiting[0].manage_token, None)

    found = await services.registration_for_token(waiting[2].manage_token)

    assert found["status"] == "waitlisted"
    assert found["waitlist_position"] == 2


async def test_erase_cancels_promotes_and_anonymises_now(services):
    from events.registration import rights
    from events.tables import Event
    from samrad.core.tables import AuditEntry

    event = await make_event(capacity=1)
    first = await services.register(
        event["slug"], person(1, diet="vegan", pronouns="they/them", organisation="Foreningen"), None
    )
    second = await services.register(event["slug"], person(2), None)

    await rights.erase(first.manage_token, None)

    row = await registration(first.registration_id)
    assert row["status"] == "cancelled"
    assert row["anonymised_at"] is not None
    assert (row["name"], row["email"], row["diet"], row["pronouns"], row["organisation"]) == ("", "", "", "", "")
    assert row["access_needs"] == [] and row["active_key"] is None
    assert (await registration(second.registration_id))["status"] == "confirmed"
    assert await booked(Event, event["id"]) == 1
    assert await services.registration_for_token(first.manage_token) is None
    [entry] = await AuditEntry.select()
    assert entry["action"] == "registration.erase"
    assert "person1" not in json.dumps(entry, default=str).lower()
    with pytest.raises(services.RegistrationError):
        await rights.personal_data(first.manage_token)


async def test_personal_data_contains_everything_stored(services):
    from events.registration import rights
    from events.tables import OrgUnit

    unit = OrgUnit(name="Børn og Unge", code="BU")
    await unit.save()
    event = await make_event()
    result = await services.register(
        event["slug"],
        person(1, org_unit_id=unit.id, organisation="Skolebestyrelsen", access_needs=("hearing_loop",),
               diet="vegan", pronouns="she/her", follow_up_opt_in=True),
        None,
    )

    data = await rights.personal_data(result.manage_token)

    json.dumps(data)  # JSON-able as it is
    person_data = data["registration"]
    assert (person_data["name"], person_data["email"]) == ("Person 1", "person1@example.org")
    assert person_data["org_unit"] == {"name": "Børn og Unge", "code": "BU"}
    assert person_data["access_needs"] == ["hearing_loop"]
    assert (person_data["diet"], person_data["pronouns"]) == ("vegan", "she/her")
    assert person_data["ticket_code"] == result.ticket_code
    assert data["event"]["title"]["en"] == event["title"]["en"]
    assert data["workshops"] == []
    assert [email["kind"] for email in data["emails"]] == ["notice.confirmed"]


async def test_check_in_happens_once(services):
    from events.checkin import services as checkin
    event = await make_event()
    result = await services.register(event["slug"], person(1), None)
    spaced = "-".join([result.ticket_code[:5], result.ticket_code[5:]]).lower()

    first = await checkin.check_in(spaced)
    second = await checkin.check_in(result.ticket_code)

    assert first["ok"] and not first["already_checked_in"]
    assert first["name"] == "Person 1" and first["event_id"] == event["id"]
    assert second["ok"] and second["already_checked_in"]
    assert second["checked_in_at"] == first["checked_in_at"]
    assert (await registration(result.registration_id))["checked_in_at"] is not None


async def test_check_in_refuses_waitlisted_cancelled_and_other_events(services):
    from events.checkin import services as checkin
    event = await make_event(capacity=1)
    other = await make_event()
    confirmed = await services.register(event["slug"], person(1), None)
    waiting = await services.register(event["slug"], person(2), None)
    cancelled = await services.register(other["slug"], person(3), None)
    await services.cancel(cancelled.manage_token, None)

    refused_waiting = await checkin.check_in(waiting.ticket_code)
    assert (refused_waiting["ok"], refused_waiting["reason"]) == (False, "waitlisted")
    assert refused_waiting["message"]
    assert (await checkin.check_in(cancelled.ticket_code))["reason"] == "cancelled"
    assert (await checkin.check_in(confirmed.ticket_code, event_id=other["id"]))["reason"] == "other_event"
    assert await checkin.check_in("NOSUCHCODE") is None
    assert (await registration(waiting.registration_id))["checked_in_at"] is None


async def test_seats_left_counts_free_seats(services):
    from events import rules
    from events.tables import Event

    event = await make_event(capacity=3)
    await services.register(event["slug"], person(1), None)
    row = await Event.select().where(Event.id == event["id"]).first()
    assert rules.seats_left(row) == 2
    assert rules.seats_left({"capacity": 2, "booked": 5, "registration_mode": "required"}) == 0
    assert rules.seats_left({"capacity": 2, "booked": 0, "registration_mode": "dropin"}) is None


# --- drop-in -------------------------------------------------------------------------------------------------

async def dropin_cafe():
    event = await make_event(kind="cafe", registration_mode="dropin", capacity=None, sensitive=True,
                             starts_at=soon(days=1), questions=())
    dates = [await make_occurrence(event["id"], soon(days=1 + 7 * week)) for week in range(3)]
    return event, dates


async def test_dropin_needs_no_registration_but_offers_a_reminder_sign_up(services):
    from events.tables import Event

    event, dates = await dropin_cafe()
    with pytest.raises(services.RegistrationError) as refused:
        await services.register(event["slug"], person(1), None)
    assert refused.value.code == "dropin_only"

    result = await services.register(event["slug"], person(1, occurrence_id=dates[1]), None)

    assert result.status == "confirmed"
    row = await registration(result.registration_id)
    assert row["occurrence"] == dates[1]
    assert await booked(Event, event["id"]) == 0
    # One sign-up per date: another date is a new sign-up, the same date again is a duplicate.
    assert (await services.register(event["slug"], person(1, occurrence_id=dates[2]), None)).status == "confirmed"
    assert (await services.register(event["slug"], person(1, occurrence_id=dates[1]), None)).status == "duplicate"


async def test_dropin_without_listed_audiences_takes_reminder_sign_ups_from_anyone(services):
    event = await make_event(kind="cafe", registration_mode="dropin", capacity=None, categories=(), questions=())
    date = await make_occurrence(event["id"], soon(days=2))
    result = await services.register(event["slug"], person(1, category="citizen", occurrence_id=date), None)
    assert result.status == "confirmed"
    with pytest.raises(services.RegistrationError):
        await services.register(event["slug"], person(2, category="nonsense", occurrence_id=date), None)


async def test_dropin_reminder_for_a_past_or_cancelled_date_is_refused(services):
    event, _dates = await dropin_cafe()
    past = await make_occurrence(event["id"], datetime.now(UTC) - timedelta(days=1))
    cancelled = await make_occurrence(event["id"], soon(days=30), cancelled=True)
    other_event = await make_event()

    with pytest.raises(services.RegistrationError) as refused:
        await services.register(event["slug"], person(1, occurrence_id=past), None)
    assert refused.value.code == "closed"
    with pytest.raises(services.RegistrationError) as refused:
        await services.register(event["slug"], person(1, occurrence_id=cancelled), None)
    assert refused.value.code == "cancelled_event"
    other_date = await make_occurrence(other_event["id"], soon(days=3))
    with pytest.raises(services.RegistrationError) as refused:
        await services.register(event["slug"], person(1, occurrence_id=other_date), None)
    assert refused.value.code == "not_found"


async def test_dropin_headcount_is_a_number_that_only_moves_atomically(services):
    from events.checkin import services as checkin
    from events.tables import Occurrence

    _event, dates = await dropin_cafe()
    assert await checkin.add_headcount(dates[0], 1) == 1
    assert await checkin.add_headcount(dates[0], -5) == 0  # never below zero
    await asyncio.gather(*(checkin.add_headcount(dates[0], 1) for _ in range(25)))
    row = await Occurrence.select(Occurrence.headcount).where(Occurrence.id == dates[0]).first()
    assert row["headcount"] == 25
    assert await checkin.set_headcount(dates[0], 12) == 12
    with pytest.raises(ValueError):
        await checkin.set_headcount(dates[0], -1)
    with pytest.raises(services.RegistrationError):
        await checkin.add_headcount(999_999, 1)


async def test_error_messages_are_translated(services):
    from samrad.core.i18n import use_locale

    with use_locale("en"):
        english = services.RegistrationError("full").message
    with use_locale("da"):
        danish = services.RegistrationError("full").message
    assert english == "The event is fully booked."
    assert danish  # the catalog engineer fills in the words; the message is always there

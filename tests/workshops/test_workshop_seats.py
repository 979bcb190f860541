"""Workshop seats through the registration flow: own capacity, own waiting list, wished seats of people on the
event's waiting list, changes of choice, and what pages read about workshops."""

from __future__ import annotations

from datetime import timedelta

import pytest
from registration_support import (
    booked,
    database_pool,  # noqa: F401  (fixture)
    make_event,
    make_workshop,
    outbox,
    person,
    sent_kinds,
    soon,
)

pytestmark = pytest.mark.usefixtures("database_pool")


@pytest.fixture
def services():
    from events.registration import services

    return services


@pytest.fixture
def plan():
    from workshops.services import WorkshopSeatPlan

    return WorkshopSeatPlan()


async def seat_statuses(registration_id: int) -> dict[int, str]:
    from workshops.tables import WorkshopSeat

    rows = await WorkshopSeat.select(WorkshopSeat.workshop, WorkshopSeat.status).where(
        WorkshopSeat.registration == registration_id
    )
    return {row["workshop"]: row["status"] for row in rows}


async def test_workshop_seats_are_booked_with_the_registration(services, plan):
    from workshops.tables import Workshop

    event = await make_event(capacity=10)
    first, second = await make_workshop(event["id"]), await make_workshop(event["id"])

    result = await services.register(event["slug"], person(1, workshop_ids=(second, first)), plan)

    assert await seat_statuses(result.registration_id) == {first: "confirmed", second: "confirmed"}
    assert await booked(Workshop, first) == 1 and await booked(Workshop, second) == 1
    lines = await plan.describe(result.registration_id)
    assert [line.status for line in lines] == ["confirmed", "confirmed"]
    assert {line.workshop_id for line in lines} == {first, second}
    assert all(line.title["en"].startswith("Workshop") for line in lines)


async def test_full_workshop_has_its_own_waiting_list(services, plan):
    from events.tables import Event
    from workshops.tables import Workshop

    event = await make_event(capacity=10)
    workshop = await make_workshop(event["id"], capacity=1)

    first = await services.register(event["slug"], person(1, workshop_ids=(workshop,)), plan)
    second = await services.register(event["slug"], person(2, workshop_ids=(workshop,)), plan)

    assert second.status == "confirmed"  # the event has room; only the workshop is full
    assert await seat_statuses(first.registration_id) == {workshop: "confirmed"}
    assert await seat_statuses(second.registration_id) == {workshop: "waitlisted"}
    assert await booked(Workshop, workshop) == 1
    assert await booked(Event, event["id"]) == 2


async def test_cancel_releases_the_workshop_seat_and_promotes_its_waiting_list_in_order(services, plan):
    from workshops.tables import Workshop

    event = await make_event(capacity=10)
    workshop = await make_workshop(event["id"], capacity=1)
    first = await services.register(event["slug"], person(1, workshop_ids=(workshop,)), plan)
    second = await services.register(event["slug"], person(2, workshop_ids=(workshop,)), plan)
    third = await services.register(event["slug"], person(3, workshop_ids=(workshop,)), plan)

    await services.cancel(first.manage_token, plan)

    assert await seat_statuses(first.registration_id) == {}
    assert await seat_statuses(second.registration_id) == {workshop: "confirmed"}
    assert await seat_statuses(third.registration_id) == {workshop: "waitlisted"}
    assert await booked(Workshop, workshop) == 1
    assert await sent_kinds("person2@example.org") == ["notice.confirmed", "notice.workshop_seat"]


async def test_wished_workshops_are_booked_when_the_registration_is_promoted(services, plan):
    from workshops.tables import Workshop

    event = await make_event(capacity=1)
    workshop = await make_workshop(event["id"], capacity=5)
    first = await services.register(event["slug"], person(1, workshop_ids=(workshop,)), plan)
    waiting = await services.register(event["slug"], person(2, workshop_ids=(workshop,)), plan)

    assert waiting.status == "waitlisted"
    assert await seat_statuses(waiting.registration_id) == {workshop: "wished"}
    assert await booked(Workshop, workshop) == 1

    assert await services.cancel(first.manage_token, plan) == [waiting.registration_id]

    assert await seat_statuses(waiting.registration_id) == {workshop: "confirmed"}
    assert await booked(Workshop, workshop) == 1
    promoted = (await outbox(kind="notice.promoted"))[0]
    assert "Workshop" in promoted["text_body"]


async def test_a_wish_for_a_full_workshop_joins_the_end_of_its_waiting_list_on_promotion(services, plan):
    from events.tables import Event

    event = await make_event(capacity=2)
    workshop = await make_workshop(event["id"], capacity=1)
    first = await services.register(event["slug"], person(1, workshop_ids=(workshop,)), plan)
    second = await services.register(event["slug"], person(2), plan)
    third = await services.register(event["slug"], person(3, workshop_ids=(workshop,)), plan)
    assert third.status == "waitlisted"
    assert await seat_statuses(third.registration_id) == {workshop: "wished"}
    # Person 2 holds an event seat and now asks for the full workshop: they are first in its line.
    await services.change(
        second.manage_token,
        services.RegistrationChange(name="Person 2", locale="en", workshop_ids=(workshop,)),
        plan,
    )
    assert await seat_statuses(second.registration_id) == {workshop: "waitlisted"}

    await Event.update({Event.capacity: 3}).where(Event.id == event["id"])
    assert await services.promote_waitlisted(event["id"], plan) == [third.registration_id]
    assert await seat_statuses(third.registration_id) == {workshop: "waitlisted"}

    await services.cancel(first.manage_token, plan)  # frees the workshop seat

    assert await seat_statuses(second.registration_id) == {workshop: "confirmed"}
    assert await seat_statuses(third.registration_id) == {workshop: "waitlisted"}


async def test_unknown_workshop_is_refused_and_nothing_is_written(services, plan):
    from events.tables import Event, Registration

    event = await make_event(capacity=10)
    other_event = await make_event()
    foreign = await make_workshop(other_event["id"])

    with pytest.raises(services.RegistrationError) as refused:
        await services.register(event["slug"], person(1, workshop_ids=(foreign,)), plan)

    assert refused.value.code == "unknown_workshop"
    assert refused.value.status_code == 422
    assert await Registration.count() == 0
    assert await booked(Event, event["id"]) == 0
    assert await outbox() == []


async def test_workshops_at_the_same_time_cannot_both_be_chosen(services, plan):
    event = await make_event(capacity=10)
    start = soon()
    morning = await make_workshop(event["id"], starts_at=start, minutes=90)
    overlapping = await make_workshop(event["id"], starts_at=start + timedelta(minutes=60))
    afternoon = await make_workshop(event["id"], starts_at=start + timedelta(hours=3))

    with pytest.raises(services.RegistrationError) as refused:
        await services.register(event["slug"], person(1, workshop_ids=(morning, overlapping)), plan)
    assert refused.value.code == "unknown_workshop"

    result = await services.register(event["slug"], person(1, workshop_ids=(morning, afternoon)), plan)
    assert await seat_statuses(result.registration_id) == {morning: "confirmed", afternoon: "confirmed"}


async def test_changing_workshops_keeps_kept_seats_and_frees_dropped_ones(services, plan):
    from workshops.tables import Workshop

    event = await make_event(capacity=10)
    kept, dropped, added = [await make_workshop(event["id"], capacity=1) for _ in range(3)]
    first = await services.register(event["slug"], person(1, workshop_ids=(kept, dropped)), plan)
    waiting = await services.register(event["slug"], person(2, workshop_ids=(dropped,)), plan)

    await services.change(
        first.manage_token,
        services.RegistrationChange(name="Person 1", locale="en", workshop_ids=(kept, added)),
        plan,
    )

    assert await seat_statuses(first.registration_id) == {kept: "confirmed", added: "confirmed"}
    assert await seat_statuses(waiting.registration_id) == {dropped: "confirmed"}
    assert [await booked(Workshop, w) for w in (kept, dropped, added)] == [1, 1, 1]
    assert "notice.workshop_seat" in await sent_kinds("person2@example.org")


async def test_workshop_choice_is_ignored_when_the_event_does_not_ask_for_it(services, plan):
    event = await make_event(capacity=10, questions=("diet",))
    workshop = await make_workshop(event["id"])
    result = await services.register(event["slug"], person(1, workshop_ids=(workshop,)), plan)
    assert await seat_statuses(result.registration_id) == {}


async def test_personal_data_lists_workshop_choices(services, plan):
    from events.registration import rights
    event = await make_event(capacity=10)
    workshop = await make_workshop(event["id"], title="Safe streets")
    result = await services.register(event["slug"], person(1, workshop_ids=(workshop,)), plan)

    data = await rights.personal_data(result.manage_token, plan)

    assert data["workshops"][0]["title"]["en"] == "Safe streets"
    assert data["workshops"][0]["status"] == "confirmed"


async def test_workshops_for_event_reports_seats_left_and_waiting(services, plan):
    from workshops.services import promote_workshop, workshops_for_event
    from workshops.tables import Workshop

    event = await make_event(capacity=10)
    small = await make_workshop(event["id"], capacity=1)
    open_ended = await make_workshop(event["id"], capacity=None)
    for number in range(3):
        await services.register(event["slug"], person(number, workshop_ids=(small, open_ended)), plan)

    rows = {row["id"]: row for row in await workshops_for_event(event["id"])}

    assert (rows[small]["seats_left"], rows[small]["waitlisted"]) == (0, 2)
    assert (rows[open_ended]["seats_left"], rows[open_ended]["waitlisted"]) == (None, 0)
    assert rows[small]["title"]["en"].startswith("Workshop")

    await Workshop.update({Workshop.capacity: 2}).where(Workshop.id == small)
    promoted = await promote_workshop(small)
    assert len(promoted) == 1
    assert (await workshops_for_event(event["id"]))[0]["waitlisted"] == 1

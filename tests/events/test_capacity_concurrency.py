"""Seats under real concurrency: hundreds of registrations and cancellations at once, each its own committed
transaction, on SQLite (through the busy timeout) and PostgreSQL (row locks, a pool of 20 connections).

The counters must always tell the truth: never more confirmed than seats, ``booked`` equal to the confirmed
rows, the waiting list in arrival (id) order, and promotions that neither skip nor double anyone.
"""

from __future__ import annotations

import asyncio
import random

import pytest
from registration_support import (
    booked,
    database_pool,  # noqa: F401  (fixture)
    make_event,
    make_workshop,
    person,
    statuses,
)

pytestmark = [pytest.mark.concurrency, pytest.mark.usefixtures("database_pool")]

CROWD = 200


@pytest.fixture
def services():
    from events.registration import services

    return services


@pytest.fixture
def plan():
    from workshops.services import WorkshopSeatPlan

    return WorkshopSeatPlan()


# At most this many transactions in the database at once, as the app's PostgreSQL pool allows (SQLite has no
# pool; hundreds of connections polling its lock through the busy timeout is correct but slow).
IN_FLIGHT = 20


def bounded(factory):
    """A task per call whose database work waits for one of ``IN_FLIGHT`` places; tasks interleave freely."""
    gate = asyncio.Semaphore(IN_FLIGHT)

    def start(*args):
        async def run():
            async with gate:
                return await factory(*args)

        return asyncio.create_task(run())

    return start


async def register_all(services, event, people, seats=None):
    """Everyone at once: one task (and one committed transaction) per person."""
    start = bounded(services.register)
    return await asyncio.gather(*(start(event["slug"], someone, seats) for someone in people))


async def confirmed_count(event_id: int) -> int:
    from events.tables import Registration

    return await Registration.count().where((Registration.event == event_id) & (Registration.status == "confirmed"))


async def workshop_seats(workshop_id: int) -> dict[int, str]:
    """registration id -> seat status, in the order people joined the workshop (seat id)."""
    from workshops.tables import WorkshopSeat

    rows = await WorkshopSeat.select(WorkshopSeat.registration, WorkshopSeat.status).where(
        WorkshopSeat.workshop == workshop_id
    ).order_by(WorkshopSeat.id)
    return {row["registration"]: row["status"] for row in rows}


async def test_200_concurrent_registrations_fill_20_seats_exactly(services):
    from events.tables import Event
    from samrad.core.tables import OutboxMessage

    event = await make_event(capacity=20)

    results = await register_all(services, event, [person(n) for n in range(CROWD)])

    assert sorted(r.status for r in results).count("confirmed") == 20
    assert [r.status for r in results].count("waitlisted") == CROWD - 20
    assert await booked(Event, event["id"]) == 20
    assert await OutboxMessage.count() == CROWD  # one confirmation or waiting-list email each
    by_id = await statuses(event["id"])
    assert len(by_id) == CROWD
    ids = list(by_id)  # ascending id: arrival order
    # Whoever got in arrived before everyone on the waiting list.
    assert [by_id[i] for i in ids] == ["confirmed"] * 20 + ["waitlisted"] * (CROWD - 20)


async def test_200_concurrent_registrations_fill_a_5_seat_workshop_exactly(services, plan):
    from events.tables import Event
    from workshops.tables import Workshop

    event = await make_event(capacity=1000)
    workshop = await make_workshop(event["id"], capacity=5)

    results = await register_all(services, event, [person(n, workshop_ids=(workshop,)) for n in range(CROWD)], plan)

    assert {r.status for r in results} == {"confirmed"}
    assert await booked(Event, event["id"]) == CROWD
    assert await booked(Workshop, workshop) == 5
    seats = await workshop_seats(workshop)
    assert list(seats.values()).count("confirmed") == 5
    assert list(seats.values()).count("waitlisted") == CROWD - 5
    # The workshop's own line is in arrival order too: the first five registrations hold the seats.
    assert list(seats) == sorted(seats)
    assert [seats[i] for i in sorted(seats)] == ["confirmed"] * 5 + ["waitlisted"] * (CROWD - 5)


async def test_concurrent_cancellations_promote_in_order_without_seat_leaks(services, plan):
    from events.tables import Event
    from workshops.tables import Workshop

    event = await make_event(capacity=20)
    workshop = await make_workshop(event["id"], capacity=5)
    results = await register_all(services, event, [person(n, workshop_ids=(workshop,)) for n in range(60)], plan)
    confirmed = sorted((r for r in results if r.status == "confirmed"), key=lambda r: r.registration_id)
    waiting = sorted(r.registration_id for r in results if r.status == "waitlisted")
    leaving = confirmed[:12]  # includes all five holding workshop seats

    cancel = bounded(services.cancel)
    promoted_lists = await asyncio.gather(*(cancel(r.manage_token, plan) for r in leaving))

    promoted = [i for ids in promoted_lists for i in ids]
    assert sorted(promoted) == waiting[:12]  # the first twelve in line, each exactly once
    assert len(set(promoted)) == 12
    by_id = await statuses(event["id"])
    assert list(by_id.values()).count("confirmed") == 20
    assert [i for i, status in by_id.items() if status == "waitlisted"] == waiting[12:]
    assert await booked(Event, event["id"]) == 20
    seats = await workshop_seats(workshop)
    assert list(seats.values()).count("confirmed") == 5
    assert await booked(Workshop, workshop) == 5
    assert not any(r.registration_id in seats for r in leaving)
    # The five freed workshop seats went to the next people in the workshop's own line.
    holders = [i for i, status in seats.items() if status == "confirmed"]
    line = [i for i in seats if by_id[i] == "confirmed"]
    assert holders == line[:5]


async def test_registrations_and_cancellations_at_once_keep_counters_true(services, plan):
    from events.tables import Event, EventAudience, Registration
    from workshops.tables import Workshop

    event = await make_event(capacity=15, categories=("citizen", "council"), quotas={"council": 4})
    workshop = await make_workshop(event["id"], capacity=6)
    first_wave = await register_all(
        services, event,
        [person(n, category="council" if n % 3 == 0 else "citizen", workshop_ids=(workshop,)) for n in range(40)],
        plan,
    )
    rng = random.Random(7)
    leaving = rng.sample(first_wave, 15)
    newcomers = [person(100 + n, category="council" if n % 2 else "citizen", workshop_ids=(workshop,))
                 for n in range(40)]

    cancel, register = bounded(services.cancel), bounded(services.register)
    calls = [(cancel, (r.manage_token, plan)) for r in leaving]
    calls += [(register, (event["slug"], p, plan)) for p in newcomers]
    rng.shuffle(calls)
    await asyncio.gather(*(start(*args) for start, args in calls))

    confirmed = await confirmed_count(event["id"])
    assert confirmed == 15
    assert await booked(Event, event["id"]) == confirmed
    council = await EventAudience.select().where(
        (EventAudience.event == event["id"]) & (EventAudience.category == "council")
    ).first()
    council_confirmed = await Registration.count().where(
        (Registration.event == event["id"]) & (Registration.category == "council")
        & (Registration.status == "confirmed")
    )
    assert council["booked"] == council_confirmed <= 4
    seats = await workshop_seats(workshop)
    assert list(seats.values()).count("confirmed") == await booked(Workshop, workshop) == 6
    # Nobody waits while a seat they could take is free.
    waiting = await Registration.select(Registration.category).where(
        (Registration.event == event["id"]) & (Registration.status == "waitlisted")
    )
    if any(row["category"] == "citizen" for row in waiting):
        assert confirmed == 15
    if any(row["category"] == "council" for row in waiting):
        assert confirmed == 15 or council_confirmed == 4

"""Cancelling a registration: by the person (manage link), by an organiser, or by erasure (``rights``).

A cancellation releases the seat and the workshop seats, tells the person, and gives the seat to the waiting
list (``events.registration.waitlist``), all in one transaction that holds the event row first.
"""

from __future__ import annotations

import logging

from events import capacity, loaders, rules
from events.contracts import Notice, RegistrationError, SeatPlan
from events.messaging.notifications import notify
from events.registration.waitlist import promote
from events.tables import Registration, RegistrationStatus
from samrad.core import audit, db
from samrad.core.clock import now_utc

log = logging.getLogger("samrad.registration")


async def cancel(token: str, seats: SeatPlan | None) -> list[int]:
    """Cancel one's own registration; returns the ids promoted from the waiting list. Cancelling twice is
    harmless (the second time returns [])."""
    found = await loaders.registration_by_token(token)
    if found is None:
        raise RegistrationError("not_found")
    async with db.atomic():
        await capacity.lock_event(found["event"])
        return await cancel_locked(found["id"], seats)


async def cancel_by_staff(registration_id: int, seats: SeatPlan | None, actor: str) -> list[int]:
    """Cancel a registration on someone's behalf (audited); returns the ids promoted from the waiting list."""
    found = await Registration.select(Registration.id, Registration.event).where(
        Registration.id == registration_id
    ).first()
    if found is None:
        raise RegistrationError("not_found")
    async with db.atomic():
        await capacity.lock_event(found["event"])
        promoted = await cancel_locked(registration_id, seats)
        await audit.record(actor, "registration.cancel", f"event:{found['event']}/registration:{registration_id}")
    return promoted


async def cancel_locked(registration_id: int, seats: SeatPlan | None) -> list[int]:
    """Cancel inside a transaction that holds the event row (``capacity.lock_event``): release seats, tell the
    person, promote."""
    registration = await loaders.registration(registration_id)
    assert registration is not None
    if registration["status"] == RegistrationStatus.cancelled:
        return []
    now = now_utc()
    await Registration.update(
        {
            Registration.status: RegistrationStatus.cancelled.value,
            Registration.active_key: None,
            Registration.cancelled_at: now,
            Registration.updated_at: now,
        }
    ).where(Registration.id == registration_id)
    event = await loaders.event_row(registration["event"])
    assert event is not None
    held_seat = (
        registration["status"] == RegistrationStatus.confirmed
        and not rules.is_dropin(event)
    )
    if held_seat:
        await capacity.release_seat(event["id"], await loaders.audience(event["id"], registration["category"]))
    await notify(Notice.cancelled, registration_id, seats=seats, event=event,
                 registration={**registration, "status": RegistrationStatus.cancelled.value})
    if seats is not None:
        await seats.release(registration_id)
    promoted = await promote(event, seats) if held_seat else []
    log.info("registration %s cancelled; promoted %s", registration_id, len(promoted))
    return promoted

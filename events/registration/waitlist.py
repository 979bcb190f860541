"""The waiting list: free seats go to waiting registrations, first come first served.

The queue is the registration id order (``rules.waitlist_position``). A cancellation promotes in its own
transaction (``events.registration.cancellation``); raising the capacity or a quota promotes through
``promote_waitlisted``. Seats move only through ``events.capacity``, and every promotion holds the event row
first, so concurrent cancellations and promotions of one event take turns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from events import capacity, loaders, rules
from events.contracts import Notice, RegistrationError, SeatPlan
from events.messaging.notifications import notify
from events.tables import EventStatus, Registration, RegistrationStatus
from samrad.core import db
from samrad.core.clock import now_utc


async def promote_waitlisted(event_id: int, seats: SeatPlan | None) -> list[int]:
    """Give free seats to the waiting list (for example after the capacity or a quota was raised)."""
    async with db.atomic():
        await capacity.lock_event(event_id)
        event = await loaders.event_row(event_id)
        if event is None:
            raise RegistrationError("not_found")
        return await promote(event, seats)


async def promote(event: Mapping[str, Any], seats: SeatPlan | None) -> list[int]:
    """Move waiting registrations to confirmed while seats and quotas allow; returns their ids. Runs inside a
    transaction that holds the event row (``capacity.lock_event``).

    Someone whose category's quota is full keeps their place; the next person of another category may get
    the seat. Nobody is promoted once the event has started or when it is cancelled.
    """
    if event["status"] == EventStatus.cancelled or rules.started(event, None, now_utc()):
        return []
    audiences = await loaders.audiences(event["id"])
    waiting = (
        await Registration.select(Registration.id, Registration.category)
        .where((Registration.event == event["id"]) & (Registration.status == RegistrationStatus.waitlisted))
        .order_by(Registration.id)
    )
    promoted: list[int] = []
    full_categories: set[str] = set()
    for candidate in waiting:
        if candidate["category"] in full_categories:
            continue
        audience = audiences.get(candidate["category"])
        if not await capacity.claim_event(event["id"]):
            break
        if audience is not None and audience["quota"] is not None and not await capacity.claim_quota(audience["id"]):
            await capacity.release_event(event["id"])
            full_categories.add(candidate["category"])
            continue
        await Registration.update(
            {Registration.status: RegistrationStatus.confirmed.value, Registration.updated_at: now_utc()}
        ).where(Registration.id == candidate["id"])
        if seats is not None:
            await seats.confirm(candidate["id"])
        await notify(Notice.promoted, candidate["id"], seats=seats, event=event)
        promoted.append(candidate["id"])
    return promoted

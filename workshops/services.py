"""Workshop seats: the ``SeatPlan`` the registration flow books through, and what pages need about workshops.

Each workshop has its own capacity (``Workshop.capacity``, NULL = unlimited) and its own waiting list. A seat
row (``WorkshopSeat``) is:

* ``confirmed``: holds one of the workshop's seats (counted in ``Workshop.booked``);
* ``waitlisted``: the registration has an event seat but the workshop was full; served in the order people
  joined the workshop's list (seat row id);
* ``wished``: chosen while the registration itself waits for an event seat; it is booked (confirmed or
  waitlisted, joining the end of the list) when the registration is promoted.

Seats move only through ``events.capacity`` and every change first holds the event row, then workshop rows in
ascending id order, the same order as the registration flow, so concurrent flows never deadlock. All methods
run inside the caller's ``samrad.core.db.atomic()``.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from piccolo.query.functions.aggregate import Count

from events import capacity
from events.contracts import Notice, RegistrationError, SeatLine
from events.messaging.notifications import notify
from events.tables import Registration
from samrad.core import db
from samrad.core.i18n import _
from workshops.join_codes import insert_table, insert_workshop
from workshops.tables import SeatStatus, Workshop, WorkshopSeat, WorkshopTable

log = logging.getLogger("samrad.workshops")


class WorkshopSeatPlan:
    """Workshop seats for ``events.contracts`` (implements its ``SeatPlan`` protocol)."""

    async def validate(self, event_id: int, choice_ids: Sequence[int]) -> None:
        """Every chosen workshop belongs to the event, and no two of them overlap in time."""
        wanted = set(choice_ids)
        if not wanted:
            return
        rows = await Workshop.select(Workshop.id, Workshop.starts_at, Workshop.ends_at).where(
            (Workshop.event == event_id) & Workshop.id.is_in(list(wanted))
        )
        if len(rows) != len(wanted):
            raise RegistrationError("unknown_workshop")
        timed = sorted(
            (row for row in rows if row["starts_at"] is not None and row["ends_at"] is not None),
            key=lambda row: row["starts_at"],
        )
        for earlier, later in itertools.pairwise(timed):
            if later["starts_at"] < earlier["ends_at"]:
                raise RegistrationError(
                    "unknown_workshop", _("Two of the chosen workshops take place at the same time.")
                )

    async def book(self, registration_id: int, choice_ids: Sequence[int], *, confirmed: bool) -> None:
        """Seats for a new registration: booked when it has an event seat, wished while it waits."""
        if not choice_ids:
            return
        if confirmed:  # wished seats take no capacity, so they need no lock
            await self._hold_event(registration_id)
        for workshop_id in capacity.in_lock_order(choice_ids):
            await self._add_seat(workshop_id, registration_id, confirmed=confirmed)

    async def confirm(self, registration_id: int) -> None:
        """The registration got an event seat: book what it wished for (each joins the end of a full list)."""
        wished = (
            await WorkshopSeat.select(WorkshopSeat.id, WorkshopSeat.workshop)
            .where((WorkshopSeat.registration == registration_id) & (WorkshopSeat.status == SeatStatus.wished))
            .order_by(WorkshopSeat.workshop)
        )
        if not wished:
            return
        await self._hold_event(registration_id)
        for seat in wished:
            await WorkshopSeat.delete().where(WorkshopSeat.id == seat["id"])
            await self._add_seat(seat["workshop"], registration_id, confirmed=True)

    async def release(self, registration_id: int) -> None:
        """The registration was cancelled: give its seats back and serve the workshops' waiting lists."""
        seats = (
            await WorkshopSeat.select(WorkshopSeat.id, WorkshopSeat.workshop, WorkshopSeat.status)
            .where(WorkshopSeat.registration == registration_id)
            .order_by(WorkshopSeat.workshop)
        )
        if not seats:
            return
        if any(seat["status"] == SeatStatus.confirmed for seat in seats):
            await self._hold_event(registration_id)
        await WorkshopSeat.delete().where(WorkshopSeat.registration == registration_id)
        for seat in seats:
            if seat["status"] == SeatStatus.confirmed:
                await capacity.release(Workshop, seat["workshop"])
                await self.promote(seat["workshop"])

    async def replace(self, registration_id: int, choice_ids: Sequence[int], *, confirmed: bool) -> None:
        """New workshop choices: kept choices keep their seat or place in line, dropped ones free theirs."""
        current = {
            seat["workshop"]: seat
            for seat in await WorkshopSeat.select(WorkshopSeat.id, WorkshopSeat.workshop, WorkshopSeat.status).where(
                WorkshopSeat.registration == registration_id
            )
        }
        wanted = set(choice_ids)
        if set(current) == wanted:
            return
        if confirmed or any(seat["status"] == SeatStatus.confirmed for seat in current.values()):
            await self._hold_event(registration_id)
        for workshop_id in capacity.in_lock_order(set(current) | wanted):
            seat = current.get(workshop_id)
            if seat is not None and workshop_id not in wanted:
                await WorkshopSeat.delete().where(WorkshopSeat.id == seat["id"])
                if seat["status"] == SeatStatus.confirmed:
                    await capacity.release(Workshop, workshop_id)
                    await self.promote(workshop_id)
            elif seat is None:
                await self._add_seat(workshop_id, registration_id, confirmed=confirmed)

    async def describe(self, registration_id: int) -> list[SeatLine]:
        rows = (
            await WorkshopSeat.select(
                WorkshopSeat.status,
                WorkshopSeat.workshop.id.as_alias("workshop_id"),
                WorkshopSeat.workshop.title.as_alias("title"),
                WorkshopSeat.workshop.room.as_alias("room"),
                WorkshopSeat.workshop.starts_at.as_alias("starts_at"),
                WorkshopSeat.workshop.ends_at.as_alias("ends_at"),
                WorkshopSeat.workshop.position.as_alias("position"),
            )
            .where(WorkshopSeat.registration == registration_id)
            .output(load_json=True)
        )
        rows.sort(key=lambda row: (row["starts_at"] or datetime.max.replace(tzinfo=UTC), row["position"],
                                   row["workshop_id"]))
        return [
            SeatLine(
                title=row["title"] or {},
                status=row["status"],
                workshop_id=row["workshop_id"],
                room=row["room"] or "",
                starts_at=row["starts_at"],
                ends_at=row["ends_at"],
            )
            for row in rows
        ]

    async def promote(self, workshop_id: int) -> list[int]:
        """Give a workshop's free seats to its waiting list in order; returns the registration ids promoted.

        Nobody is moved once the event has started. Each person moved gets a ``workshop_seat`` email listing
        their workshops.
        """
        workshop = await Workshop.select(
            Workshop.event.starts_at.as_alias("event_starts_at")
        ).where(Workshop.id == workshop_id).first()
        if workshop is None or datetime.now(UTC) >= workshop["event_starts_at"]:
            return []
        promoted: list[int] = []
        while True:
            first = (
                await WorkshopSeat.select(WorkshopSeat.id, WorkshopSeat.registration)
                .where((WorkshopSeat.workshop == workshop_id) & (WorkshopSeat.status == SeatStatus.waitlisted))
                .order_by(WorkshopSeat.id)
                .first()
            )
            if first is None or not await capacity.claim(Workshop, workshop_id):
                break
            await WorkshopSeat.update({WorkshopSeat.status: SeatStatus.confirmed.value}).where(
                WorkshopSeat.id == first["id"]
            )
            await notify(Notice.workshop_seat, first["registration"], seats=self)
            promoted.append(first["registration"])
        if promoted:
            log.info("workshop %s: %s promoted from its waiting list", workshop_id, len(promoted))
        return promoted

    async def _hold_event(self, registration_id: int) -> None:
        row = await Registration.select(Registration.event).where(Registration.id == registration_id).first()
        if row is not None:
            await capacity.lock_event(row["event"])

    async def _add_seat(self, workshop_id: int, registration_id: int, *, confirmed: bool) -> str:
        if not confirmed:
            status = SeatStatus.wished
        elif await capacity.claim(Workshop, workshop_id):
            status = SeatStatus.confirmed
        else:
            status = SeatStatus.waitlisted
        await WorkshopSeat.insert(
            WorkshopSeat(
                workshop=workshop_id,
                registration=registration_id,
                status=status.value,
                seat_key=f"{workshop_id}:{registration_id}",
            )
        )
        return status.value


async def promote_workshop(workshop_id: int) -> list[int]:
    """Serve a workshop's waiting list after its capacity was raised (staff); returns promoted registrations."""
    async with db.atomic():
        row = await Workshop.select(Workshop.event).where(Workshop.id == workshop_id).first()
        if row is None:
            raise RegistrationError("not_found")
        await capacity.lock_event(row["event"])
        return await WorkshopSeatPlan().promote(workshop_id)


async def workshops_for_event(event_id: int) -> list[dict[str, Any]]:
    """The event's workshops in programme order, each with ``seats_left`` (None = unlimited) and
    ``waitlisted`` (how many wait for it)."""
    workshops = (
        await Workshop.select()
        .where(Workshop.event == event_id)
        .order_by(Workshop.position)
        .order_by(Workshop.starts_at)
        .order_by(Workshop.id)
        .output(load_json=True)
    )
    if not workshops:
        return []
    waiting = {
        row["workshop"]: row["count"]
        for row in await WorkshopSeat.select(WorkshopSeat.workshop, Count(alias="count"))
        .where(
            (WorkshopSeat.workshop.is_in([w["id"] for w in workshops]))
            & (WorkshopSeat.status == SeatStatus.waitlisted)
        )
        .group_by(WorkshopSeat.workshop)
    }
    for workshop in workshops:
        limit = workshop["capacity"]
        workshop["seats_left"] = None if limit is None else max(0, limit - workshop["booked"])
        workshop["waitlisted"] = waiting.get(workshop["id"], 0)
    return workshops


async def event_has_workshops(event_id: int) -> bool:
    return await Workshop.exists().where(Workshop.event == event_id)



async def duplicate_for_event(source_event_id: int, target_event_id: int) -> int:
    """Copy an event's workshops and their tables to a copy of the event (``events.management``'s duplicate),
    with new join codes and no seats; returns how many workshops were copied. Runs in the caller's transaction."""
    workshops = await Workshop.select().where(Workshop.event == source_event_id).order_by(Workshop.id).output(
        load_json=True
    )
    for workshop in workshops:
        copy_id, _code = await insert_workshop({
            Workshop.event: target_event_id, Workshop.title: workshop["title"],
            Workshop.description: workshop["description"], Workshop.room: workshop["room"],
            Workshop.starts_at: workshop["starts_at"], Workshop.ends_at: workshop["ends_at"],
            Workshop.capacity: workshop["capacity"], Workshop.booked: 0, Workshop.position: workshop["position"],
        })
        tables = await WorkshopTable.select(WorkshopTable.label, WorkshopTable.position).where(
            WorkshopTable.workshop == workshop["id"]
        ).order_by(WorkshopTable.position)
        for table in tables:
            await insert_table(copy_id, table["label"], table["position"])
    return len(workshops)

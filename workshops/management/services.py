"""Setting up the workshops of an event: create, change, reorder and remove them, with their tables (each with
a join code), the staff assigned to run them and the policy themes they work on.

Every change is one ``atomic()`` transaction with its audit entry. Changes that touch seats hold the event row
first (``events.capacity.lock_event``), the order every seat change follows, so they never deadlock with a
registration. The themes and the input belong to the feedback area and are reached through the services it
provides (``workshops.contracts``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from events import capacity
from samrad.core import audit, db
from samrad.core.i18n import _
from workshops import join_codes
from workshops.access import assignment_key
from workshops.contracts import ThemeLinks, WorkshopInput, WorkshopNotFound
from workshops.management import queries
from workshops.management.forms import FieldErrors, WorkshopData
from workshops.services import WorkshopSeatPlan
from workshops.tables import Workshop, WorkshopFacilitator, WorkshopSeat, WorkshopTable


class WorkshopConflict(Exception):
    """The change cannot be made as things are now (field -> translated message)."""

    def __init__(self, errors: FieldErrors) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Removal:
    """What removing a workshop touches: its input (kept on the event) and its seats (given up)."""

    input_items: int
    seats: int


def audit_subject(event_id: int, workshop_id: int) -> str:
    """How the audit log names a workshop: under its event (``event:12/workshop:40``), so filtering the log by
    the event finds its workshops' changes too (``samrad.core.audit``)."""
    return f"event:{event_id}/workshop:{workshop_id}"


def _columns(data: WorkshopData) -> dict[Any, Any]:
    return {
        Workshop.title: data.title, Workshop.description: data.description, Workshop.room: data.room,
        Workshop.starts_at: data.starts_at, Workshop.ends_at: data.ends_at,
    }


async def create_workshop(event_id: int, data: WorkshopData, links: ThemeLinks, actor: str) -> int:
    """A new workshop at the end of the event's programme, with its tables, facilitators and themes."""
    async with db.atomic():
        await capacity.lock_event(event_id)
        last = await Workshop.select(Workshop.position).where(Workshop.event == event_id).order_by(
            Workshop.position, ascending=False
        ).first()
        workshop_id, _code = await join_codes.insert_workshop({
            Workshop.event: event_id, **_columns(data), Workshop.capacity: data.capacity,
            Workshop.position: 0 if last is None else last["position"] + 1,
        })
        await _set_tables(workshop_id, data.tables, None)
        await _set_facilitators(workshop_id, data.facilitator_ids)
        await links.set_workshop_themes(workshop_id, data.theme_ids)
        await audit.record(actor, "workshop.create", audit_subject(event_id, workshop_id))
    return workshop_id


async def update_workshop(
    workshop_id: int, data: WorkshopData, links: ThemeLinks, inputs: WorkshopInput, actor: str
) -> list[int]:
    """Save the workshop; returns the registrations moved up from its waiting list by a larger capacity.

    The capacity cannot go below the seats already booked (checked by the UPDATE itself). Tables are matched
    by position: the first ones keep their join codes (printed posters keep working), tables cut off go, and
    their input stays with the workshop.
    """
    row = await Workshop.select(Workshop.event).where(Workshop.id == workshop_id).first()
    if row is None:
        raise WorkshopNotFound(workshop_id)
    async with db.atomic():
        await capacity.lock_event(row["event"])
        before = await Workshop.select(Workshop.capacity).where(Workshop.id == workshop_id).first()
        if before is None:
            raise WorkshopNotFound(workshop_id)
        changed = await Workshop.update({**_columns(data), Workshop.capacity: data.capacity}).where(
            (Workshop.id == workshop_id) & _fits(data.capacity)
        ).returning(Workshop.id)
        if not changed:
            booked = (await Workshop.select(Workshop.booked).where(Workshop.id == workshop_id).first())["booked"]
            raise WorkshopConflict({"capacity": _(
                "%(num)s seats are already booked: the capacity cannot be lower.", num=booked
            )})
        await _set_tables(workshop_id, data.tables, inputs)
        await _set_facilitators(workshop_id, data.facilitator_ids)
        await links.set_workshop_themes(workshop_id, data.theme_ids)
        promoted: list[int] = []
        if _raised(before["capacity"], data.capacity):
            promoted = await WorkshopSeatPlan().promote(workshop_id)
        await audit.record(actor, "workshop.edit", audit_subject(row["event"], workshop_id))
    return promoted


def _fits(new_capacity: int | None) -> Any:
    """The workshop's booked seats fit in the new capacity (always, without a limit)."""
    if new_capacity is None:
        return Workshop.id.is_not_null()
    return Workshop.booked <= new_capacity


def _raised(old: int | None, new: int | None) -> bool:
    return old is not None and (new is None or new > old)


async def _set_tables(workshop_id: int, labels: Sequence[str], inputs: WorkshopInput | None) -> None:
    current = (await queries.tables([workshop_id]))[workshop_id]
    for position, label in enumerate(labels):
        if position < len(current):
            table = current[position]
            if table["label"] != label or table["position"] != position:
                await WorkshopTable.update({WorkshopTable.label: label, WorkshopTable.position: position}).where(
                    WorkshopTable.id == table["id"]
                )
        else:
            await join_codes.insert_table(workshop_id, label, position)
    cut = [table["id"] for table in current[len(labels):]]
    if cut:
        if inputs is not None:
            await inputs.keep_without_tables(cut)
        await WorkshopTable.delete().where(WorkshopTable.id.is_in(cut))


async def _set_facilitators(workshop_id: int, staff_ids: Sequence[int]) -> None:
    await WorkshopFacilitator.delete().where(
        (WorkshopFacilitator.workshop == workshop_id) & WorkshopFacilitator.staff_user.not_in(list(staff_ids) or [0])
    )
    for staff_id in staff_ids:
        await WorkshopFacilitator.insert(
            WorkshopFacilitator(
                workshop=workshop_id, staff_user=staff_id, assignment_key=assignment_key(workshop_id, staff_id)
            )
        ).on_conflict(target=WorkshopFacilitator.assignment_key, action="DO NOTHING")


# --- order ------------------------------------------------------------------------------------------------

async def move_workshop(workshop_id: int, step: int) -> bool:
    """Move a workshop one place up (``step`` -1) or down (+1) in its event's programme; False at the end."""
    row = await Workshop.select(Workshop.event).where(Workshop.id == workshop_id).first()
    if row is None:
        raise WorkshopNotFound(workshop_id)
    async with db.atomic():
        await capacity.lock_event(row["event"])
        order = [
            r["id"] for r in await Workshop.select(Workshop.id).where(Workshop.event == row["event"])
            .order_by(Workshop.position).order_by(Workshop.starts_at).order_by(Workshop.id)
        ]
        index = order.index(workshop_id)
        other = index + step
        if not 0 <= other < len(order):
            return False
        order[index], order[other] = order[other], order[index]
        for position, moved_id in enumerate(order):
            await Workshop.update({Workshop.position: position}).where(Workshop.id == moved_id)
    return True


# --- removal ----------------------------------------------------------------------------------------------

async def removal_preview(workshop_id: int, inputs: WorkshopInput) -> Removal:
    counts = await inputs.counts([workshop_id])
    seats = await queries.seat_counts([workshop_id])
    return Removal(input_items=counts[workshop_id], seats=seats[workshop_id])


async def remove_workshop(workshop_id: int, inputs: WorkshopInput, actor: str) -> Removal:
    """Remove a workshop. Its input stays with the event (without workshop or table); the people holding or
    waiting for a seat in it keep their event registration and lose only this seat, without an email (no
    notice says "your workshop was removed": the organiser tells them, the confirmation page says so)."""
    row = await Workshop.select(Workshop.event).where(Workshop.id == workshop_id).first()
    if row is None:
        raise WorkshopNotFound(workshop_id)
    async with db.atomic():
        await capacity.lock_event(row["event"])
        kept = await inputs.keep_without_workshop(workshop_id)
        seats = await WorkshopSeat.delete().where(WorkshopSeat.workshop == workshop_id).returning(WorkshopSeat.id)
        await Workshop.delete().where(Workshop.id == workshop_id)
        await audit.record(actor, "workshop.remove", audit_subject(row["event"], workshop_id), count=len(seats))
    return Removal(input_items=kept, seats=len(seats))

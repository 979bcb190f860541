"""Reads for setting workshops up: the event they belong to, a workshop with its tables and facilitators, the
staff who may facilitate, and the list of an event's workshops with what each holds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from piccolo.query.functions.aggregate import Count, Max, Min

from events.tables import Event, Occurrence
from samrad.core.tables import Role, StaffUser
from workshops.tables import SeatStatus, Workshop, WorkshopFacilitator, WorkshopSeat, WorkshopTable

# Who may be assigned to run a workshop.
FACILITATOR_ROLES = (Role.facilitator.value, Role.organiser.value, Role.admin.value)

_EVENT_COLUMNS = (
    Event.id, Event.slug, Event.title, Event.timezone, Event.starts_at, Event.ends_at, Event.status,
    Event.recurrence_rule, Event.published, Event.kind, Event.sensitive,
)


async def event(event_id: int) -> dict[str, Any] | None:
    return await Event.select(*_EVENT_COLUMNS).where(Event.id == event_id).output(load_json=True).first()


async def event_by_slug(slug: str) -> dict[str, Any] | None:
    return await Event.select(*_EVENT_COLUMNS).where(Event.slug == slug).output(load_json=True).first()


async def event_span(event: dict[str, Any]) -> tuple[datetime, datetime]:
    """When the event takes place: its own start and end, or for a series from its first to its last date."""
    if not event["recurrence_rule"]:
        return event["starts_at"], event["ends_at"]
    row = await Occurrence.select(
        Min(Occurrence.starts_at, alias="first"), Max(Occurrence.ends_at, alias="last")
    ).where(Occurrence.event == event["id"]).first()
    if not row or row["first"] is None:
        return event["starts_at"], event["ends_at"]
    return min(row["first"], event["starts_at"]), max(row["last"], event["ends_at"])


async def workshop(workshop_id: int) -> dict[str, Any] | None:
    return await Workshop.select().where(Workshop.id == workshop_id).output(load_json=True).first()


async def tables(workshop_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Each workshop's tables in order (every asked id is a key)."""
    found: dict[int, list[dict[str, Any]]] = {workshop_id: [] for workshop_id in workshop_ids}
    if not found:
        return found
    rows = await WorkshopTable.select(
        WorkshopTable.id, WorkshopTable.workshop, WorkshopTable.label, WorkshopTable.position, WorkshopTable.join_code
    ).where(WorkshopTable.workshop.is_in(list(found))).order_by(WorkshopTable.position).order_by(WorkshopTable.id)
    for row in rows:
        found[row["workshop"]].append(row)
    return found


async def facilitators(workshop_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """The staff assigned to each workshop, by name (every asked id is a key)."""
    found: dict[int, list[dict[str, Any]]] = {workshop_id: [] for workshop_id in workshop_ids}
    if not found:
        return found
    rows = await WorkshopFacilitator.select(
        WorkshopFacilitator.workshop, WorkshopFacilitator.staff_user.as_alias("id"),
        WorkshopFacilitator.staff_user.name.as_alias("name"),
    ).where(WorkshopFacilitator.workshop.is_in(list(found))).order_by(WorkshopFacilitator.staff_user.name)
    for row in rows:
        found[row["workshop"]].append({"id": row["id"], "name": row["name"]})
    return found


async def facilitator_choices(keep: Sequence[int] = ()) -> list[dict[str, Any]]:
    """Active staff who may run a workshop, by name; inactive ones in ``keep`` too (still assigned)."""
    eligible = StaffUser.role.is_in(list(FACILITATOR_ROLES)) & StaffUser.active.eq(True)
    if keep:
        eligible = eligible | StaffUser.id.is_in(list(keep))
    return await StaffUser.select(StaffUser.id, StaffUser.name, StaffUser.role, StaffUser.active).where(
        eligible
    ).order_by(StaffUser.name).order_by(StaffUser.id)


async def seat_counts(workshop_ids: Sequence[int]) -> dict[int, int]:
    """Seats held or waited for in each workshop (every status; every asked id is a key)."""
    found = {workshop_id: 0 for workshop_id in workshop_ids}
    if not found:
        return found
    rows = await WorkshopSeat.select(WorkshopSeat.workshop, Count(alias="count")).where(
        WorkshopSeat.workshop.is_in(list(found))
    ).group_by(WorkshopSeat.workshop)
    for row in rows:
        found[row["workshop"]] = row["count"]
    return found


async def waiting_counts(workshop_ids: Sequence[int]) -> dict[int, int]:
    found = {workshop_id: 0 for workshop_id in workshop_ids}
    if not found:
        return found
    rows = await WorkshopSeat.select(WorkshopSeat.workshop, Count(alias="count")).where(
        WorkshopSeat.workshop.is_in(list(found)) & (WorkshopSeat.status == SeatStatus.waitlisted.value)
    ).group_by(WorkshopSeat.workshop)
    for row in rows:
        found[row["workshop"]] = row["count"]
    return found


async def event_workshops(event_id: int) -> list[dict[str, Any]]:
    """The event's workshops in programme order, each with its ``tables`` and ``facilitators``."""
    rows = await (
        Workshop.select().where(Workshop.event == event_id).order_by(Workshop.position)
        .order_by(Workshop.starts_at).order_by(Workshop.id).output(load_json=True)
    )
    ids = [row["id"] for row in rows]
    by_tables, by_people, waiting = await tables(ids), await facilitators(ids), await waiting_counts(ids)
    for row in rows:
        row["tables"] = by_tables[row["id"]]
        row["facilitators"] = by_people[row["id"]]
        row["waitlisted"] = waiting[row["id"]]
    return rows

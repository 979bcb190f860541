"""Who may run a workshop: the subject "workshop" of the permissions.

Facilitators capture and moderate only the workshops they are assigned to (``WorkshopFacilitator``: the scope
``assigned_workshop``); organisers those of the events whose team they are on (``team_workshop``);
administrators every workshop (``samrad.core.security.PERMISSIONS``). Every capture, moderation and
wall-control route and API call asks here, never reads the assignment table itself.

Also here: where routes find the workshop they are about (``WORKSHOP_IN_PATH``, ``EVENT_OF_WORKSHOP_IN_PATH``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from events.access import event_ids_for, on_event_team
from samrad.core.security import Action, Scope, SubjectFrom, may, scope_of
from workshops.tables import Workshop, WorkshopFacilitator


def assignment_key(workshop_id: int, staff_user_id: int) -> str:
    return f"{workshop_id}:{staff_user_id}"


def runs_every_workshop(user: Mapping[str, Any]) -> bool:
    """Administrators run every workshop; organisers those of their events, facilitators their own."""
    return scope_of(user["role"], Action.capture_input) is Scope.every


async def assigned_to_workshop(user: Mapping[str, Any], workshop_id: int) -> bool:
    """The predicate of ``Scope.assigned_workshop``."""
    return await WorkshopFacilitator.exists().where(
        WorkshopFacilitator.assignment_key == assignment_key(workshop_id, user["id"])
    )


async def on_workshop_event_team(user: Mapping[str, Any], workshop_id: int) -> bool:
    """The predicate of ``Scope.team_workshop``: the workshop's event has ``user`` on its team."""
    row = await Workshop.select(Workshop.event).where(Workshop.id == workshop_id).first()
    return row is not None and await on_event_team(user, row["event"])


async def may_run_workshop(user: Mapping[str, Any] | None, workshop_id: int, action: Action) -> bool:
    """``user`` may do ``action`` (capture or moderate input) for this workshop."""
    if user is None or not await Workshop.exists().where(Workshop.id == workshop_id):
        return False
    return await may(user, action, workshop_id)


async def workshop_ids_run_by(user: Mapping[str, Any]) -> list[int] | None:
    """The ids of the workshops ``user`` may run, or None when they may run every workshop."""
    scope = scope_of(user["role"], Action.capture_input)
    if scope is Scope.every:
        return None
    if scope is Scope.team_workshop:
        event_ids = await event_ids_for(user, Action.manage_events) or []
        rows = await Workshop.select(Workshop.id).where(Workshop.event.is_in(event_ids)) if event_ids else []
        return [row["id"] for row in rows]
    if scope is Scope.assigned_workshop:
        rows = await WorkshopFacilitator.select(WorkshopFacilitator.workshop).where(
            WorkshopFacilitator.staff_user == user["id"]
        )
        return [row["workshop"] for row in rows]
    return []


# --- where routes find their workshop ----------------------------------------------------------------------

async def existing_workshop(workshop_id: Any) -> int | None:
    if not isinstance(workshop_id, int):
        return None
    return workshop_id if await Workshop.exists().where(Workshop.id == workshop_id) else None


async def event_of_workshop(workshop_id: Any) -> int | None:
    if not isinstance(workshop_id, int):
        return None
    row = await Workshop.select(Workshop.event).where(Workshop.id == workshop_id).first()
    return row["event"] if row else None


# ``requires(Action.capture_input, subject=WORKSHOP_IN_PATH)``: the workshop itself is the subject;
# ``requires(Action.manage_events, subject=EVENT_OF_WORKSHOP_IN_PATH)``: setting a workshop up is managing its event.
WORKSHOP_IN_PATH = SubjectFrom("workshop_id", existing_workshop)
EVENT_OF_WORKSHOP_IN_PATH = SubjectFrom("workshop_id", event_of_workshop)

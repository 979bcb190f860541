"""Who may run a workshop: the subject "assigned workshop" of the permissions.

Facilitators capture and moderate only the workshops they are assigned to (``WorkshopFacilitator``);
organisers and administrators may run every workshop. Every capture, moderation and wall-control route and API
call asks here, never reads the assignment table itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from samrad.core.security import Action, can
from samrad.core.tables import Role
from workshops.tables import Workshop, WorkshopFacilitator


def assignment_key(workshop_id: int, staff_user_id: int) -> str:
    return f"{workshop_id}:{staff_user_id}"


def runs_every_workshop(user: Mapping[str, Any]) -> bool:
    """Organisers and administrators run every workshop; facilitators only their own."""
    return user["role"] in {Role.admin.value, Role.organiser.value}


async def may_run_workshop(user: Mapping[str, Any] | None, workshop_id: int, action: Action) -> bool:
    """``user`` may do ``action`` (capture or moderate input) for this workshop."""
    if user is None or not can(user["role"], action):
        return False
    if runs_every_workshop(user):
        return await Workshop.exists().where(Workshop.id == workshop_id)
    return await WorkshopFacilitator.exists().where(
        WorkshopFacilitator.assignment_key == assignment_key(workshop_id, user["id"])
    )


async def workshop_ids_run_by(user: Mapping[str, Any]) -> list[int] | None:
    """The ids of the workshops ``user`` is assigned to, or None when they may run every workshop."""
    if runs_every_workshop(user):
        return None
    rows = await WorkshopFacilitator.select(WorkshopFacilitator.workshop).where(
        WorkshopFacilitator.staff_user == user["id"]
    )
    return [row["workshop"] for row in rows]

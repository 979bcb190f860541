"""Who may do what to which event: the subject "event" of the permissions, and each event's team.

An organiser manages the events whose team they are on (the creator is put on it); check-in staff check people
in at the events whose team they are on; administrators do everything (``samrad.core.security.PERMISSIONS``).
Routes name their event with ``requires(Action.X, subject=EVENT_IN_PATH)`` (or ``DATE_IN_PATH``,
``EVENT_SLUG_IN_PATH``); code holding an event asks ``may_manage_event``. Nothing else reads the team table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from events.tables import Event, EventTeamMember, Occurrence
from samrad.core.security import Action, Scope, SubjectFrom, may, scope_of
from samrad.core.tables import Role, StaffUser

# Who may be put on a team: the roles whose event-scoped actions the team gives a subject to.
TEAM_ROLES = (Role.organiser.value, Role.checkin.value)


def member_key(event_id: int, staff_user_id: int) -> str:
    return f"{event_id}:{staff_user_id}"


async def on_event_team(user: Mapping[str, Any], event_id: int) -> bool:
    """The predicate of ``Scope.event_team``."""
    return await EventTeamMember.exists().where(EventTeamMember.member_key == member_key(event_id, user["id"]))


async def may_manage_event(
    user: Mapping[str, Any] | None, event_id: int, action: Action = Action.manage_events
) -> bool:
    """``user`` may do ``action`` (an event-scoped action) to this event."""
    return await may(user, action, event_id)


async def event_ids_for(user: Mapping[str, Any], action: Action) -> list[int] | None:
    """The events ``user`` may do ``action`` to: None for every event, else their ids (lists filter by it)."""
    scope = scope_of(user["role"], action)
    if scope is Scope.every:
        return None
    if scope is None:
        return []
    rows = await EventTeamMember.select(EventTeamMember.event).where(EventTeamMember.staff_user == user["id"])
    return [row["event"] for row in rows]


# --- where routes find their event ------------------------------------------------------------------------

async def _existing_event(event_id: Any) -> int | None:
    if not isinstance(event_id, int):
        return None
    return event_id if await Event.exists().where(Event.id == event_id) else None


async def event_of_date(occurrence_id: Any) -> int | None:
    if not isinstance(occurrence_id, int):
        return None
    row = await Occurrence.select(Occurrence.event).where(Occurrence.id == occurrence_id).first()
    return row["event"] if row else None


async def event_with_slug(slug: Any) -> int | None:
    if not isinstance(slug, str):
        return None
    row = await Event.select(Event.id).where(Event.slug == slug).first()
    return row["id"] if row else None


EVENT_IN_PATH = SubjectFrom("event_id", _existing_event)
DATE_IN_PATH = SubjectFrom("occurrence_id", event_of_date)
EVENT_SLUG_IN_PATH = SubjectFrom("slug", event_with_slug)


# --- the team ---------------------------------------------------------------------------------------------

async def add_to_team(event_id: int, staff_user_id: int) -> bool:
    """Put a colleague on the event's team; False when they were on it already (inside the caller's transaction)."""
    rows = await EventTeamMember.insert(
        EventTeamMember(event=event_id, staff_user=staff_user_id, member_key=member_key(event_id, staff_user_id))
    ).on_conflict(target=EventTeamMember.member_key, action="DO NOTHING").returning(EventTeamMember.id)
    return bool(rows)


async def remove_from_team(event_id: int, staff_user_id: int) -> bool:
    rows = await EventTeamMember.delete().where(
        EventTeamMember.member_key == member_key(event_id, staff_user_id)
    ).returning(EventTeamMember.id)
    return bool(rows)


async def team_of(event_id: int) -> list[dict[str, Any]]:
    """The event's team with each colleague's name, email, role and whether their account is active."""
    return await EventTeamMember.select(
        EventTeamMember.staff_user.as_alias("id"),
        EventTeamMember.staff_user.name.as_alias("name"),
        EventTeamMember.staff_user.email.as_alias("email"),
        EventTeamMember.staff_user.role.as_alias("role"),
        EventTeamMember.staff_user.active.as_alias("active"),
        EventTeamMember.added_at,
    ).where(EventTeamMember.event == event_id).order_by(EventTeamMember.staff_user.name)


async def team_candidates(event_id: int) -> list[dict[str, Any]]:
    """Active colleagues who could join the team (organisers and check-in staff not on it yet)."""
    members = {row["id"] for row in await team_of(event_id)}
    rows = await StaffUser.select(StaffUser.id, StaffUser.name, StaffUser.email, StaffUser.role).where(
        StaffUser.active.eq(True) & StaffUser.role.is_in(list(TEAM_ROLES))
    ).order_by(StaffUser.name)
    return [row for row in rows if row["id"] not in members]

"""An event's life beyond its details: publishing a draft (and taking it back), duplicating an event, its team.

A draft (``published`` false) is seen by staff only: the public pages, feeds and API read published events
(``events.loaders.published_event``, ``events.listing.queries``). Publishing is an explicit step that stamps
``published_at``. A duplicate is a new draft with the same texts, times, venue, settings, audiences (quotas,
no seats), questions and team, and the workshops (through the ``workshop_duplicator`` the workshops area
provides), but no registrations, headcounts or cancelled dates. Every change leaves an audit entry.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from litestar.di import NamedDependency
from litestar.params import SkipValidation

from events.access import TEAM_ROLES, add_to_team, remove_from_team, team_of
from events.management.services import new_ical_uid, unique_slug
from events.tables import Event, EventAudience, EventStatus, EventTeamMember, Occurrence
from samrad.core import audit, db
from samrad.core.clock import now_utc
from samrad.core.tables import StaffUser

# The workshops area's ``duplicate_for_event(source_event_id, target_event_id) -> int`` (``Area.provides``).
WorkshopDuplicator = Callable[[int, int], Awaitable[int]]
WorkshopDuplicatorDependency = SkipValidation[NamedDependency[WorkshopDuplicator]]


class LifecycleError(Exception):
    """The step cannot be taken as the event is now; ``code`` says why (``cancelled``, ``not_found``, ...)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


async def set_published(event_id: int, published: bool, actor: str) -> bool:
    """Publish a draft, or take an event back to draft; False when it already was so."""
    async with db.atomic():
        event = await Event.select(Event.status, Event.published).where(Event.id == event_id).first()
        if event is None:
            raise LifecycleError("not_found")
        if published and event["status"] == EventStatus.cancelled.value:
            raise LifecycleError("cancelled")
        values: dict[Any, Any] = {Event.published: published, Event.updated_at: now_utc()}
        if published:
            values[Event.published_at] = now_utc()
        changed = await Event.update(values).where(
            (Event.id == event_id) & (Event.published == (not published))
        ).returning(Event.id)
        if changed:
            await audit.record(actor, "event.publish" if published else "event.unpublish", f"event:{event_id}")
    return bool(changed)


_NOT_COPIED = {"id", "slug", "ical_uid", "ical_sequence", "booked", "published", "published_at", "status",
               "created_at", "updated_at", "created_by"}


async def duplicate_event(
    event_id: int, actor: Mapping[str, Any], base_url: str, workshops: WorkshopDuplicator | None
) -> int:
    """A new draft copied from the event (see the module's docstring); returns the copy's id."""
    async with db.atomic():
        source = await Event.select().where(Event.id == event_id).output(load_json=True).first()
        if source is None:
            raise LifecycleError("not_found")
        if not db.is_sqlite():
            await Event.raw("SELECT pg_advisory_xact_lock(hashtext('samrad.event.slug'))")
        now = now_utc()
        copy = Event(
            **{name: value for name, value in source.items() if name not in _NOT_COPIED},
            slug=await unique_slug(source["slug"], False), ical_uid=new_ical_uid(base_url), ical_sequence=0,
            booked=0, published=False, status=EventStatus.scheduled.value, created_by=actor["id"],
            created_at=now, updated_at=now,
        )
        await copy.save()
        audiences = await EventAudience.select(EventAudience.category, EventAudience.quota).where(
            EventAudience.event == event_id
        )
        if audiences:
            await EventAudience.insert(*(EventAudience(event=copy.id, category=row["category"], quota=row["quota"],
                                                       booked=0) for row in audiences))
        dates = await Occurrence.select(Occurrence.starts_at, Occurrence.ends_at, Occurrence.note).where(
            Occurrence.event == event_id
        ).order_by(Occurrence.starts_at).output(load_json=True)
        await Occurrence.insert(*(Occurrence(event=copy.id, starts_at=row["starts_at"], ends_at=row["ends_at"],
                                             note=row["note"]) for row in dates))
        for member in await team_of(event_id):
            await add_to_team(copy.id, member["id"])
        await add_to_team(copy.id, actor["id"])
        if workshops is not None:
            await workshops(event_id, copy.id)
        await audit.record(actor["email"], "event.duplicate", f"event:{copy.id}")
    return copy.id


# --- the team ---------------------------------------------------------------------------------------------

async def add_team_member(event_id: int, email: str, actor: str) -> dict[str, Any]:
    """Put the colleague with this address on the team; returns their account row.

    ``LifecycleError("no_account")`` when no active organiser or check-in account has this address.
    """
    async with db.atomic():
        user = await StaffUser.select(StaffUser.id, StaffUser.name, StaffUser.email).where(
            (StaffUser.email == email.strip().lower()) & StaffUser.active.eq(True)
            & StaffUser.role.is_in(list(TEAM_ROLES))
        ).first()
        if user is None:
            raise LifecycleError("no_account")
        if await add_to_team(event_id, user["id"]):
            await audit.record(actor, "event.team.add", f"event:{event_id}")
    return user


async def remove_team_member(event_id: int, staff_user_id: int, actor: str) -> bool:
    async with db.atomic():
        if await EventTeamMember.count().where(EventTeamMember.event == event_id) <= 1:
            raise LifecycleError("last_member")  # someone must still be able to manage the event
        removed = await remove_from_team(event_id, staff_user_id)
        if removed:
            await audit.record(actor, "event.team.remove", f"event:{event_id}")
    return removed

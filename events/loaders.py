"""The rows the events area loads in several places, loaded one way: events, registrations, dates, audiences.

An event by id or slug (or only if published, or with its venue's columns), a registration by id or by its
manage link, a date, an event's audiences, the event as the staff pages see it and the organisational units.
Plain dict rows (``load_json``), no personal data beyond the registration row itself, and nothing here writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from events.rules import is_dropin
from events.tables import Event, EventAudience, Occurrence, OrgUnit, Registration
from samrad.core.clock import now_utc
from samrad.core.security import hash_token

# --- events -----------------------------------------------------------------------------------------------

async def event_row(event_slug_or_id: int | str) -> dict[str, Any] | None:
    """An event row by id or by slug, published or not."""
    if isinstance(event_slug_or_id, int):
        where = Event.id == event_slug_or_id
    else:
        where = Event.slug == event_slug_or_id
    return await Event.select().where(where).output(load_json=True).first()


_VENUE_COLUMNS = (
    Event.venue.name.as_alias("venue_name"),
    Event.venue.address.as_alias("venue_address"),
    Event.venue.city.as_alias("venue_city"),
    Event.venue.accessibility.as_alias("venue_accessibility"),
    Event.venue.step_free.as_alias("venue_step_free"),
    Event.venue.hearing_loop.as_alias("venue_hearing_loop"),
    Event.venue.accessible_toilet.as_alias("venue_accessible_toilet"),
    Event.venue.quiet_room.as_alias("venue_quiet_room"),
)


async def published_event(slug: str) -> dict[str, Any] | None:
    """The event row (with its venue's columns prefixed ``venue_``) if it is published."""
    return (
        await Event.select(*Event.all_columns(), *_VENUE_COLUMNS)
        .where((Event.slug == slug) & (Event.published.eq(True)))
        .output(load_json=True)
        .first()
    )


async def event_with_venue(event_id: int) -> dict[str, Any] | None:
    """An event row with its venue's columns, published or not (for someone who registered for it)."""
    return (
        await Event.select(*Event.all_columns(), *_VENUE_COLUMNS)
        .where(Event.id == event_id)
        .output(load_json=True)
        .first()
    )


def venue_of(event: Mapping[str, Any]) -> dict[str, Any] | None:
    if event["venue"] is None:
        return None
    return {key.removeprefix("venue_"): value for key, value in event.items() if key.startswith("venue_")}


async def audience(event_id: int, category: str) -> dict[str, Any] | None:
    """The audience row of one category of an event (its quota), None if the category may not register."""
    return (
        await EventAudience.select()
        .where((EventAudience.event == event_id) & (EventAudience.category == category))
        .first()
    )


async def audiences(event_id: int) -> dict[str, dict[str, Any]]:
    """An event's audience rows by category, in the order they were added."""
    rows = await EventAudience.select().where(EventAudience.event == event_id).order_by(EventAudience.id)
    return {row["category"]: row for row in rows}


async def staff_event(event_id: int) -> dict[str, Any] | None:
    """One event with its audiences (``audiences``: category -> row) for the staff pages."""
    event = await event_row(event_id)
    if event is None:
        return None
    event["audiences"] = await audiences(event_id)
    event["dropin"] = is_dropin(event)
    event["next_date"] = await Occurrence.select(
        Occurrence.id, Occurrence.starts_at, Occurrence.ends_at, Occurrence.headcount
    ).where(
        (Occurrence.event == event_id) & (Occurrence.ends_at > now_utc()) & Occurrence.cancelled.eq(False)
    ).order_by(Occurrence.starts_at).first() if event["recurrence_rule"] else None
    return event


# --- registrations and dates ------------------------------------------------------------------------------

async def registration(registration_id: int) -> dict[str, Any] | None:
    """A registration row by id (anonymised or not)."""
    return await Registration.select().where(Registration.id == registration_id).output(load_json=True).first()


async def registration_by_token(token: str) -> dict[str, Any] | None:
    """The live (not anonymised) registration a manage link points at."""
    if not token or len(token) > 200:
        return None
    return (
        await Registration.select()
        .where((Registration.manage_token_hash == hash_token(token)) & Registration.anonymised_at.is_null())
        .output(load_json=True)
        .first()
    )


async def occurrence(occurrence_id: int | None) -> dict[str, Any] | None:
    """A date row by id; None for no id (a registration for the whole event) or an unknown one."""
    if occurrence_id is None:
        return None
    return await Occurrence.select().where(Occurrence.id == occurrence_id).output(load_json=True).first()


async def occurrence_with_event(occurrence_id: int) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """A date with its event as the staff pages see it (``staff_event``); None for an unknown date."""
    row = await occurrence(occurrence_id)
    if row is None:
        return None
    event = await staff_event(row["event"])
    assert event is not None
    return row, event


# --- organisation -----------------------------------------------------------------------------------------

async def org_units() -> list[dict[str, Any]]:
    """Units a staff member or leader can choose, by name."""
    return await OrgUnit.select(OrgUnit.id, OrgUnit.name, OrgUnit.code).order_by(OrgUnit.name)

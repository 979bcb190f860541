"""The event itself, as organisers change it: create (a café as a weekly series of dates), edit, cancel it or
one date of a series, put a date back.

A new time or venue and every cancellation are announced through
``events.messaging.notifications.announce_event_update`` in the same transaction (raising the calendar
SEQUENCE). Seats still only move through ``events.capacity``; every change leaves an audit entry.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from piccolo.query.functions.aggregate import Count

from events import capacity, loaders, rules
from events.access import add_to_team
from events.contracts import Notice, RegistrationError, SeatPlan
from events.management.forms import SLUG_LENGTH, EventDetails, FieldErrors, NewEvent, series_dates
from events.messaging.notifications import announce_event_update
from events.tables import (
    AudienceCategory,
    Event,
    EventAudience,
    EventStatus,
    Occurrence,
    Registration,
    RegistrationMode,
    RegistrationStatus,
    Venue,
)
from samrad.core import audit, db
from samrad.core.clock import now_utc
from samrad.core.i18n import _


class EventConflict(Exception):
    """The change cannot be made as things are now (field -> translated message, or one ``problem``)."""

    def __init__(self, errors: FieldErrors | None = None, problem: str = "") -> None:
        super().__init__(", ".join(errors or {}) or "conflict")
        self.errors = errors or {}
        self.problem = problem


@dataclass(frozen=True)
class DetailsResult:
    significant: bool
    notified: int


@dataclass(frozen=True)
class CancelResult:
    notified: int
    cancelled: int


def is_series(event: Mapping[str, Any]) -> bool:
    return bool(event.get("recurrence_rule"))


async def venue_choices() -> list[dict[str, Any]]:
    return await Venue.select(Venue.id, Venue.name, Venue.city).order_by(Venue.name)


# --- create and edit --------------------------------------------------------------------------------------

async def unique_slug(base: str, explicit: bool) -> str:
    taken = {row["slug"] for row in await Event.select(Event.slug).where(Event.slug.like(f"{base}%"))}
    if base not in taken:
        return base
    if explicit:
        raise EventConflict({"slug": _("Another event already uses this web address. Choose another one.")})
    number = 2
    while f"{base[:SLUG_LENGTH - 6]}-{number}" in taken:
        number += 1
    return f"{base[:SLUG_LENGTH - 6]}-{number}"


def new_ical_uid(base_url: str) -> str:
    host = urlsplit(base_url).hostname or "samrad.invalid"
    return f"{uuid.uuid4()}@{host}"


async def create_event(
    data: NewEvent, *, slug_given: bool, base_url: str, actor: str, creator_id: int | None = None
) -> int:
    """Create an event as a draft, with its date(s) and the default audience (citizens), and put its creator on
    its team; returns its id. Publishing is a separate, explicit step (``events.management.lifecycle``)."""
    details = data.details
    assert details.starts_at is not None and details.ends_at is not None
    rule, dates = ("", [(details.starts_at, details.ends_at)])
    if data.weekdays and data.until is not None:
        rule, dates = series_dates(details, data.weekdays, data.until)
    dropin = data.registration_mode == RegistrationMode.dropin
    async with db.atomic():
        if not db.is_sqlite():
            # Two organisers creating the same title at once must not both pick the same free slug.
            await Event.raw("SELECT pg_advisory_xact_lock(hashtext('samrad.event.slug'))")
        slug = await unique_slug(data.slug, slug_given)
        event = Event(
            slug=slug, kind=data.kind, title=details.title, summary=details.summary,
            description=details.description, programme=details.programme, timezone=details.timezone,
            starts_at=dates[0][0], ends_at=dates[0][1], recurrence_rule=rule, venue=details.venue_id,
            published=False, registration_mode=data.registration_mode, created_by=creator_id,
            capacity=None if dropin else data.capacity, waitlist_enabled=data.waitlist_enabled and not dropin,
            questions=[] if dropin else ["access_needs"], ical_uid=new_ical_uid(base_url), ical_sequence=0,
            sensitive=data.sensitive,
        )
        await event.save()
        await EventAudience.insert(EventAudience(event=event.id, category=AudienceCategory.citizen.value))
        await Occurrence.insert(*(Occurrence(event=event.id, starts_at=start, ends_at=end) for start, end in dates))
        if creator_id is not None:
            await add_to_team(event.id, creator_id)
        await audit.record(actor, "event.create", f"event:{event.id}")
    return event.id


async def update_details(
    event_id: int, details: EventDetails, seats: SeatPlan | None, actor: str
) -> DetailsResult:
    """Save the event's texts, time and venue. A new time or venue is announced to everyone registered
    (an updated invite with a higher SEQUENCE) in the same transaction; new texts alone email nobody."""
    async with db.atomic():
        await capacity.lock_event(event_id)
        event = await Event.select(
            Event.id, Event.status, Event.starts_at, Event.ends_at, Event.venue, Event.recurrence_rule,
            Event.timezone,
        ).where(Event.id == event_id).first()
        if event is None:
            raise RegistrationError("not_found")
        if event["status"] == EventStatus.cancelled:
            raise EventConflict(problem=_("This event is cancelled and can no longer be changed."))
        values: dict[Any, Any] = {
            Event.title: details.title, Event.summary: details.summary, Event.description: details.description,
            Event.programme: details.programme, Event.venue: details.venue_id, Event.updated_at: now_utc(),
        }
        moved = False
        if not is_series(event) and details.starts_at is not None and details.ends_at is not None:
            moved = details.starts_at != event["starts_at"] or details.ends_at != event["ends_at"]
            values |= {Event.timezone: details.timezone, Event.starts_at: details.starts_at,
                       Event.ends_at: details.ends_at}
        await Event.update(values).where(Event.id == event_id)
        if moved:
            await _move_single_date(event_id, details.starts_at, details.ends_at)
        significant = moved or details.venue_id != event["venue"]
        await audit.record(actor, "event.edit", f"event:{event_id}")
        notified = 0
        if significant:
            notified = await announce_event_update(event_id, Notice.event_changed, seats=seats)
    return DetailsResult(significant=significant, notified=notified)


async def _move_single_date(event_id: int, starts_at: datetime | None, ends_at: datetime | None) -> None:
    """A single event's one Occurrence follows the event's times (the public list reads the dates)."""
    rows = await Occurrence.select(Occurrence.id).where(Occurrence.event == event_id)
    if len(rows) == 1:
        await Occurrence.update({Occurrence.starts_at: starts_at, Occurrence.ends_at: ends_at}).where(
            Occurrence.id == rows[0]["id"]
        )
    elif not rows:
        await Occurrence.insert(Occurrence(event=event_id, starts_at=starts_at, ends_at=ends_at))


# --- cancel the event, or one date ------------------------------------------------------------------------

async def cancel_event(event_id: int, seats: SeatPlan | None, actor: str) -> CancelResult:
    """Cancel the whole event: everyone registered gets the cancellation (METHOD:CANCEL), then their
    registrations are cancelled and the seats given back, with no promotion from the waiting list."""
    async with db.atomic():
        await capacity.lock_event(event_id)
        event = await Event.select(Event.id, Event.status, Event.registration_mode).where(
            Event.id == event_id
        ).first()
        if event is None:
            raise RegistrationError("not_found")
        if event["status"] == EventStatus.cancelled:
            return CancelResult(0, 0)
        await Event.update(
            {Event.status: EventStatus.cancelled.value, Event.updated_at: now_utc()}
        ).where(Event.id == event_id)
        notified = await announce_event_update(event_id, Notice.event_cancelled, seats=seats)
        active = await Registration.select(Registration.id, Registration.status, Registration.category).where(
            (Registration.event == event_id) & (Registration.status != RegistrationStatus.cancelled.value)
        ).order_by(Registration.id)
        await _cancel_quietly(event, active, seats)
        await audit.record(actor, "event.cancel", f"event:{event_id}", count=len(active))
    return CancelResult(notified=notified, cancelled=len(active))


async def _cancel_quietly(
    event: Mapping[str, Any], registrations: Sequence[Mapping[str, Any]], seats: SeatPlan | None
) -> None:
    """Cancel registrations already told (by the announcement): seats back, no email, nobody moves up.

    Workshop seats are released after every registration is cancelled, those without a confirmed workshop
    seat first: when the confirmed seats are freed, nobody of this event is left waiting for them.
    """
    if not registrations:
        return
    now = now_utc()
    ids = [row["id"] for row in registrations]
    await Registration.update(
        {Registration.status: RegistrationStatus.cancelled.value, Registration.active_key: None,
         Registration.cancelled_at: now, Registration.updated_at: now}
    ).where(Registration.id.is_in(ids))
    if not rules.is_dropin(event):
        audiences = await loaders.audiences(event["id"])
        for row in registrations:
            if row["status"] == RegistrationStatus.confirmed:
                await capacity.release_seat(event["id"], audiences.get(row["category"]))
    if seats is None:
        return
    holding: list[int] = []
    for registration_id in ids:
        lines = await seats.describe(registration_id)
        if any(str(getattr(line, "status", "")) == "confirmed" for line in lines):
            holding.append(registration_id)
        else:
            await seats.release(registration_id)
    for registration_id in holding:
        await seats.release(registration_id)


async def event_dates(event_id: int) -> list[dict[str, Any]]:
    rows = await Occurrence.select().where(Occurrence.event == event_id).order_by(Occurrence.starts_at).output(
        load_json=True
    )
    signups = await Registration.select(Registration.occurrence, Count()).where(
        (Registration.event == event_id) & Registration.occurrence.is_not_null()
        & (Registration.status != RegistrationStatus.cancelled.value)
    ).group_by(Registration.occurrence)
    by_date = {row["occurrence"]: row["count"] for row in signups}
    for row in rows:
        row["signups"] = by_date.get(row["id"], 0)
    return rows


async def cancel_date(occurrence_id: int, seats: SeatPlan | None, actor: str) -> CancelResult:
    """Cancel one date of a series: the people holding the whole series get a CANCEL for that date
    (RECURRENCE-ID) and sign-ups for that date alone are told and cancelled. The other dates go ahead."""
    found = await Occurrence.select(Occurrence.id, Occurrence.event).where(Occurrence.id == occurrence_id).first()
    if found is None:
        raise RegistrationError("not_found")
    async with db.atomic():
        await capacity.lock_event(found["event"])
        occurrence = await Occurrence.select(Occurrence.cancelled).where(Occurrence.id == occurrence_id).first()
        event = await Event.select(Event.id, Event.status, Event.registration_mode).where(
            Event.id == found["event"]
        ).first()
        if event["status"] == EventStatus.cancelled:
            raise EventConflict(problem=_("The whole event is cancelled."))
        if occurrence["cancelled"]:
            return CancelResult(0, 0)
        if await Occurrence.count().where(Occurrence.event == event["id"]) < 2:
            raise EventConflict(problem=_("An event with one date is cancelled as a whole, from its details page."))
        await Occurrence.update({Occurrence.cancelled: True}).where(Occurrence.id == occurrence_id)
        await Event.update({Event.updated_at: now_utc()}).where(Event.id == event["id"])
        notified = await announce_event_update(
            event["id"], Notice.event_cancelled, seats=seats, occurrence_id=occurrence_id
        )
        signups = await Registration.select(Registration.id, Registration.status, Registration.category).where(
            (Registration.occurrence == occurrence_id) & (Registration.status != RegistrationStatus.cancelled.value)
        ).order_by(Registration.id)
        await _cancel_quietly(event, signups, seats)
        await audit.record(actor, "event.cancel_date", f"occurrence:{occurrence_id}")
    return CancelResult(notified=notified, cancelled=len(signups))


async def reinstate_date(occurrence_id: int, seats: SeatPlan | None, actor: str) -> int | None:
    """Put a cancelled date back; the people holding the whole series get the updated invite.
    Returns how many were told, or None when the date was not cancelled."""
    found = await Occurrence.select(Occurrence.id, Occurrence.event).where(Occurrence.id == occurrence_id).first()
    if found is None:
        raise RegistrationError("not_found")
    async with db.atomic():
        await capacity.lock_event(found["event"])
        occurrence = await Occurrence.select(Occurrence.cancelled).where(Occurrence.id == occurrence_id).first()
        event = await Event.select(Event.id, Event.status).where(Event.id == found["event"]).first()
        if event["status"] == EventStatus.cancelled:
            raise EventConflict(problem=_("The whole event is cancelled."))
        if not occurrence["cancelled"]:
            return None
        await Occurrence.update({Occurrence.cancelled: False}).where(Occurrence.id == occurrence_id)
        await Event.update({Event.updated_at: now_utc()}).where(Event.id == event["id"])
        notified = await announce_event_update(
            event["id"], Notice.event_changed, seats=seats, occurrence_id=occurrence_id
        )
        await audit.record(actor, "event.reinstate_date", f"occurrence:{occurrence_id}")
    return notified

"""An event's registration settings: capacity, waiting list, window, questions, audiences and their quotas.

``update_settings`` holds the event row first (the lock order of ``events.capacity``), so its checks against
the seats already booked see the latest counts; settings that contradict the registrations that exist are a
``SettingsConflict``. Raising a capacity or a quota promotes the waiting list
(``events.registration.waitlist.promote_waitlisted``) in the same transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from piccolo.query.functions.aggregate import Count

from events import capacity, loaders
from events.contracts import RegistrationError, SeatPlan
from events.management.forms import EventSettings, FieldErrors
from events.registration import waitlist
from events.tables import Event, EventAudience, Registration, RegistrationStatus
from samrad.core import audit, db
from samrad.core.clock import now_utc
from samrad.core.i18n import N_, _, ngettext


class SettingsConflict(Exception):
    """The settings contradict the registrations that exist (field -> translated message)."""

    def __init__(self, errors: FieldErrors) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class SettingsResult:
    promoted: list[int]


async def update_settings(
    event_id: int, settings: EventSettings, seats: SeatPlan | None, actor: str
) -> SettingsResult:
    """Save an event's settings; more seats (capacity or quota) go to the waiting list at once.

    Holds the event row first (the lock order of ``events.capacity``), so the checks against the seats already
    booked see the latest counts and no registration slips in between.
    """
    async with db.atomic():
        await capacity.lock_event(event_id)
        event = await Event.select(Event.id, Event.booked, Event.capacity, Event.status).where(
            Event.id == event_id
        ).first()
        if event is None:
            raise RegistrationError("not_found")
        audiences = await loaders.audiences(event_id)
        active, confirmed = await _by_category(event_id)
        _check_against_bookings(event, audiences, settings, active, confirmed)

        await Event.update(
            {
                Event.capacity: settings.capacity,
                Event.waitlist_enabled: settings.waitlist_enabled,
                Event.registration_opens_at: settings.registration_opens_at,
                Event.registration_closes_at: settings.registration_closes_at,
                Event.questions: list(settings.questions),
                Event.updated_at: now_utc(),
            }
        ).where(Event.id == event_id)
        for category, row in audiences.items():
            if category not in settings.audiences:
                await EventAudience.delete().where(EventAudience.id == row["id"])
            elif row["quota"] != settings.audiences[category]:
                # A quota's counter only runs while there is a quota: a new quota starts from the seats held.
                quota = settings.audiences[category]
                booked = row["booked"] if row["quota"] is not None else confirmed[category]
                await EventAudience.update(
                    {EventAudience.quota: quota, EventAudience.booked: booked if quota is not None else 0}
                ).where(EventAudience.id == row["id"])
        new = [
            EventAudience(event=event_id, category=category, quota=quota)
            for category, quota in settings.audiences.items()
            if category not in audiences
        ]
        if new:
            await EventAudience.insert(*new)
        await audit.record(actor, "event.settings", f"event:{event_id}")
        promoted = await waitlist.promote_waitlisted(event_id, seats)
    return SettingsResult(promoted)


async def _by_category(event_id: int) -> tuple[Counter[str], Counter[str]]:
    """Active (confirmed or waiting) and confirmed registrations per category."""
    rows = await Registration.select(Registration.category, Registration.status, Count()).where(
        (Registration.event == event_id) & (Registration.status != RegistrationStatus.cancelled.value)
    ).group_by(Registration.category, Registration.status)
    active: Counter[str] = Counter()
    confirmed: Counter[str] = Counter()
    for row in rows:
        active[row["category"]] += row["count"]
        if row["status"] == RegistrationStatus.confirmed:
            confirmed[row["category"]] += row["count"]
    return active, confirmed


def _check_against_bookings(
    event: Mapping[str, Any], audiences: Mapping[str, Mapping[str, Any]], settings: EventSettings,
    active: Counter[str], confirmed: Counter[str],
) -> None:
    errors: FieldErrors = {}
    if settings.capacity is not None and settings.capacity < event["booked"]:
        errors["capacity"] = ngettext(
            "%(num)s person already has a seat: the capacity cannot be lower.",
            "%(num)s people already have a seat: the capacity cannot be lower.",
            event["booked"],
        )
    for category, row in audiences.items():
        if category not in settings.audiences and active[category]:
            errors["audiences"] = _(
                "A group with registrations cannot be removed. Cancel those registrations first, or keep the "
                "group."
            )
        quota = settings.audiences.get(category)
        held = row["booked"] if row["quota"] is not None else confirmed[category]
        if quota is not None and quota < held:
            errors[f"quota_{category}"] = ngettext(
                "%(num)s person of this group already has a seat: the quota cannot be lower.",
                "%(num)s people of this group already have a seat: the quota cannot be lower.",
                held,
            )
    if errors:
        raise SettingsConflict(errors)


SETTINGS_SAVED = N_("The settings have been saved.")

"""A registration after booking: what its manage link shows, and changes made through it or by an organiser.

Changes (name, language, answers, workshops) are allowed until the event starts; the event seat stays, and
workshop seats are replaced through the ``SeatPlan`` (``events.contracts``). Each change runs in one
``samrad.core.db.atomic()`` that holds the event row first (``events.capacity.lock_event``) and queues
``Notice.changed`` in the same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from events import capacity, loaders, rules
from events.contracts import Notice, RegistrationChange, RegistrationError, SeatPlan
from events.messaging.notifications import notify
from events.registration.answers import answers_for, email_locale, one_line
from events.tables import EventStatus, Registration, RegistrationStatus
from samrad.core import audit, db
from samrad.core.clock import now_utc
from samrad.core.i18n import _

log = logging.getLogger("samrad.registration")


async def registration_for_token(token: str) -> dict | None:
    """The registration a manage link points at, with its event (``"event"``), date (``"occurrence"``) and
    place in the queue (``"waitlist_position"``, 1 = next; None unless waitlisted).

    None for an unknown link or erased data. The token hash is not included.
    """
    registration = await loaders.registration_by_token(token)
    if registration is None:
        return None
    registration.pop("manage_token_hash", None)
    registration["event"] = await loaders.event_row(registration["event"])
    registration["occurrence"] = await loaders.occurrence(registration["occurrence"])
    registration["waitlist_position"] = (
        await rules.waitlist_position(registration["event"]["id"], registration["id"])
        if registration["status"] == RegistrationStatus.waitlisted
        else None
    )
    return registration


async def change(token: str, changes: RegistrationChange, seats: SeatPlan | None) -> None:
    """Change one's own registration (name, language, answers, workshops) until the event starts.

    The event seat stays; workshop seats are replaced through the SeatPlan. Queues ``Notice.changed``.
    """
    found = await loaders.registration_by_token(token)
    if found is None:
        raise RegistrationError("not_found")
    await _change(found, changes, seats, manage_token=token)


async def change_by_staff(registration_id: int, changes: RegistrationChange, seats: SeatPlan | None,
                          actor: str) -> None:
    """An organiser changes a registration for the person (same rules as ``change``; audited). The email
    telling the person carries no manage link: only its hash is stored."""
    found = await loaders.registration(registration_id)
    if found is None or found["anonymised_at"] is not None:
        raise RegistrationError("not_found")
    await _change(found, changes, seats, manage_token=None, actor=actor)


async def _change(found: Mapping[str, Any], changes: RegistrationChange, seats: SeatPlan | None, *,
                  manage_token: str | None, actor: str | None = None) -> None:
    name = one_line(changes.name, "name")
    if not name:
        raise ValueError("name is required")
    async with db.atomic():
        await capacity.lock_event(found["event"])
        registration = await loaders.registration(found["id"])
        assert registration is not None
        if registration["status"] == RegistrationStatus.cancelled:
            raise RegistrationError("not_found", _("This registration has been cancelled."))
        event = await loaders.event_row(registration["event"])
        assert event is not None
        if event["status"] == EventStatus.cancelled:
            raise RegistrationError("cancelled_event")
        occurrence = await loaders.occurrence(registration["occurrence"])
        if rules.started(event, occurrence, now_utc()):
            raise RegistrationError("closed", _("The event has started: the registration can no longer be changed."))
        answers = answers_for(event, changes)
        asked = set(event["questions"] or ())
        if seats is not None and "workshops" in asked and not rules.is_dropin(event):
            if answers.workshop_ids:
                await seats.validate(event["id"], answers.workshop_ids)
            await seats.replace(
                registration["id"],
                answers.workshop_ids,
                confirmed=registration["status"] == RegistrationStatus.confirmed,
            )
        await Registration.update(
            {
                Registration.name: name,
                Registration.locale: email_locale(changes.locale),
                Registration.access_needs: answers.access_needs,
                Registration.access_other: answers.access_other,
                Registration.diet: answers.diet,
                Registration.pronouns: answers.pronouns,
                Registration.follow_up_opt_in: answers.follow_up_opt_in,
                Registration.updated_at: now_utc(),
            }
        ).where(Registration.id == registration["id"])
        await notify(Notice.changed, registration["id"], manage_token=manage_token, seats=seats, event=event,
                     registration={**registration, "locale": email_locale(changes.locale)})
        if actor is not None:
            await audit.record(actor, "registration.change", f"event:{event['id']}/registration:{registration['id']}")
    log.info("registration %s changed", registration["id"])

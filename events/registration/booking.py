"""Booking: a new registration takes a seat (or a place on the waiting list), workshop seats and its email.

The hottest write of the application, so it reads nothing the caller already loaded (``Prepared``, the form's
setup) and runs one short ``samrad.core.db.atomic()`` transaction of prepared statements: the event seat and
the category's quota seat, each one conditional UPDATE that returns what must be checked again under the
event row's lock (``events.capacity``); the INSERT, whose unique ``active_key`` refuses a second active
registration of one address and which counts what the email must tell; the email's intent (one outbox row,
``events.messaging.notifications.notify``); the content version. Capacity is never read and then written.

Someone already registered gets no second seat but a fresh manage link by email. Logs carry ids and
statuses, never names, emails or tokens; each registration is a DEBUG line, and the rate an INFO line a
minute (``samrad.core.tally``): the registration's row is its record.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from events import capacity, loaders, rules
from events.contracts import Notice, RegistrationError, RegistrationInput, RegistrationResult, SeatPlan
from events.messaging.notifications import notify
from events.registration.answers import active_key, answers_for, checked_person, email_locale
from events.tables import (
    AudienceCategory,
    EventAudience,
    EventStatus,
    Occurrence,
    OrgUnit,
    Registration,
    RegistrationStatus,
)
from samrad.core import audit, db
from samrad.core.clock import now_utc
from samrad.core.i18n import _
from samrad.core.security import hash_token, new_secret_token, new_ticket_code
from samrad.core.tally import Tally

log = logging.getLogger("samrad.registration")
_registrations = Tally(log, "registrations")


@dataclass(frozen=True)
class Prepared:
    """The event as the caller already loaded it (the form's ``RegistrationSetup``): its row, the audiences
    that may register and its upcoming dates. ``register`` then reads nothing before its transaction; what
    may have changed since (status, window, waiting list, the category and its quota) is checked again under
    the event row's lock, by the statements that take the seats (``events.capacity``)."""

    event: Mapping[str, Any] | None
    audiences: Sequence[Mapping[str, Any]]
    dates: Sequence[Mapping[str, Any]] | None = None  # None: not loaded (a date is then read)


class _AlreadyRegistered(Exception):
    """The address has an active registration for the event (the INSERT met its ``active_key``)."""


# Refusals that stand even for someone already registered; any other one re-sends their link instead.
_REFUSALS_BEFORE_DUPLICATES = frozenset({"not_found", "cancelled_event", "dropin_only"})


async def register(
    event_slug_or_id: int | str,
    data: RegistrationInput,
    seats: SeatPlan | None,
    *,
    prepared: Prepared | None = None,
) -> RegistrationResult:
    """Register someone: a seat (or a place on the waiting list), workshop seats and the confirmation email.

    Someone already registered (the same address, active) gets no second seat but a fresh manage link, even
    when a rule would refuse them now. Raises ``RegistrationError`` when a rule says no and ``ValueError`` for
    a missing name or an invalid email (forms check these first). Runs its own transaction; call it outside
    ``atomic()``. ``prepared`` saves the reads of the event when the caller holds them. Workshops plug in
    through ``seats`` (``events.contracts.SeatPlan``); None when the event has none or the caller ignores them.
    """
    name, email = checked_person(data.name, data.email)
    target = prepared or await _prepare(event_slug_or_id)
    event = target.event
    if event is None or not event["published"]:
        raise RegistrationError("not_found")
    if event["status"] == EventStatus.cancelled:
        raise RegistrationError("cancelled_event")
    dropin = rules.is_dropin(event)
    occurrence = await _occurrence_for(event, data.occurrence_id, dropin=dropin, known=target.dates)
    key = active_key(event["id"], email, occurrence["id"] if dropin and occurrence else None)
    for _attempt in range(3):
        try:
            return await _register_once(target, occurrence, key, data, name, email, seats)
        except _AlreadyRegistered:
            pass
        except RegistrationError as refusal:
            if refusal.code in _REFUSALS_BEFORE_DUPLICATES:
                raise
            resent = await _resend_link(key, seats)
            if resent is None:
                raise
            return resent
        resent = await _resend_link(key, seats)
        if resent is not None:
            return resent
        # The registration met at the INSERT was cancelled before its link went out again: register anew.
        log.info("registration race on one address for event %s: registering again", event["id"])
    raise RegistrationError("not_found")


async def _prepare(event_slug_or_id: int | str) -> Prepared:
    event = await loaders.event_row(event_slug_or_id)
    audiences = list((await loaders.audiences(event["id"])).values()) if event is not None else []
    return Prepared(event, audiences)


async def _register_once(
    target: Prepared,
    occurrence: Mapping[str, Any] | None,
    key: str,
    data: RegistrationInput,
    name: str,
    email: str,
    seats: SeatPlan | None,
) -> RegistrationResult:
    """Checks first (on the rows the caller loaded), then a transaction of a few statements: the seat claims
    (which return what must be checked again under the lock), the INSERT (the unique ``active_key`` refuses a
    second active registration), the email's intent and the content version."""
    event, now = target.event, now_utc()
    assert event is not None
    dropin = rules.is_dropin(event)
    _check_window(event, now, occurrence if dropin else None)
    categories = {row["category"] for row in target.audiences}
    if data.category not in categories and not (dropin and not categories and data.category in set(AudienceCategory)):
        raise RegistrationError("category_not_allowed")
    answers = answers_for(event, data)
    workshop_ids = answers.workshop_ids if seats is not None and not dropin else ()
    if workshop_ids:
        await seats.validate(event["id"], workshop_ids)  # type: ignore[union-attr]
    org_unit_id = answers.org_unit_id
    if org_unit_id is not None and not await OrgUnit.exists().where(OrgUnit.id == org_unit_id):
        org_unit_id = None
    token, ticket_code, locale = new_secret_token(), new_ticket_code(), email_locale(data.locale)

    async with db.atomic():
        state = None if dropin else await capacity.take_event_seat(event["id"])
        if state is not None and not await capacity.take_quota_seat(event["id"], data.category):
            await capacity.release_event(event["id"])  # the category's quota is full: the waiting list, maybe
            state = None
        status = RegistrationStatus.confirmed if dropin or state is not None else RegistrationStatus.waitlisted
        if state is None:
            # No seat taken, so nothing holds the event row yet: hold it before the registration gets its id, so
            # the place in the queue its email tells is exact.
            state = await capacity.hold_event_state(event["id"], data.category)
            _check_state(state, now, occurrence if dropin else None)
            if state["audience"] is None and not (dropin and await _open_dropin_category(event, data.category)):
                raise RegistrationError("category_not_allowed")
            if status == RegistrationStatus.waitlisted and not state["waitlist_enabled"]:
                raise RegistrationError("full")
        else:
            _check_state(state, now, None)

        insert = _INSERT_WAITLISTED if status == RegistrationStatus.waitlisted else _INSERT_CONFIRMED
        inserted = await insert.run(
            event["id"], occurrence["id"] if occurrence else None, status.value, name, email, locale,
            data.category, org_unit_id, answers.organisation, json.dumps(answers.access_needs),
            answers.access_other, answers.diet, answers.pronouns, answers.follow_up_opt_in, bool(data.added_by),
            now, key, hash_token(token), ticket_code, now, now, email,
        )
        if not inserted:
            raise _AlreadyRegistered()
        row = inserted[0]
        registration_id = row["id"]
        position = row["ahead"] + 1 if status == RegistrationStatus.waitlisted else None
        if data.added_by:
            await audit.record(data.added_by, "registration.add_by_staff",
                               f"event:{event['id']}/registration:{registration_id}")
        if workshop_ids:
            await seats.book(  # type: ignore[union-attr]
                registration_id, workshop_ids, confirmed=status == RegistrationStatus.confirmed
            )
        notice = Notice.confirmed if status == RegistrationStatus.confirmed else Notice.waitlisted
        await notify(
            notice, registration_id, manage_token=token, seats=seats, event=state,
            registration={"id": registration_id, "event": event["id"], "email": email, "locale": locale,
                          "status": status.value, "anonymised_at": None},
            waitlist_position=position, sequence_offset=2 * row["cancelled_before"],
        )
    log.debug("registration %s for event %s: %s", registration_id, event["id"], status.value)
    _registrations.add(status.value)
    return RegistrationResult(registration_id, status.value, ticket_code, token, position)


# One statement writes the registration and counts, under the event row's lock, what its email must tell:
# its place in the queue (``rules.waitlist_position``) and the person's earlier cancellations of the event
# (``events.messaging.calendar.invite_sequence_offset``; compared with ``lower()``, which SQLite applies to
# ASCII letters only). Both counts read the index on (event, status). ON CONFLICT: an active registration of
# the address exists (``active_key``).
_INSERT_CONFIRMED_SQL = """INSERT INTO registration (event, occurrence, status, name, email, locale, category,
  org_unit, organisation, access_needs, access_other, diet, pronouns, follow_up_opt_in, added_by_staff,
  consent_at, active_key, manage_token_hash, ticket_code, created_at, updated_at)
VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})
ON CONFLICT (active_key) DO NOTHING
RETURNING id, (SELECT count(*) FROM registration earlier WHERE earlier.event = registration.event
  AND earlier.status = 'cancelled' AND lower(earlier.email) = lower({})) AS cancelled_before, 0 AS ahead"""
_INSERT_CONFIRMED = db.Statement(_INSERT_CONFIRMED_SQL)
_INSERT_WAITLISTED = db.Statement(_INSERT_CONFIRMED_SQL.replace("0 AS ahead", """(SELECT count(*) FROM registration
  earlier WHERE earlier.event = registration.event AND earlier.status = 'waitlisted'
  AND earlier.id < registration.id) AS ahead"""))


def _check_window(event: Mapping[str, Any], now: datetime, occurrence: Mapping[str, Any] | None) -> None:
    refusal = rules.window_refusal(event, now, occurrence)
    if refusal is not None:
        raise RegistrationError(refusal)


def _check_state(state: Mapping[str, Any] | None, now: datetime, occurrence: Mapping[str, Any] | None) -> None:
    """The event as it stands under its lock still takes registrations."""
    if state is None or not state["published"]:
        raise RegistrationError("not_found")
    if state["status"] == EventStatus.cancelled:
        raise RegistrationError("cancelled_event")
    _check_window(state, now, occurrence)


async def _occurrence_for(
    event: Mapping[str, Any],
    occurrence_id: int | None,
    *,
    dropin: bool,
    known: Sequence[Mapping[str, Any]] | None = None,
) -> Mapping[str, Any] | None:
    """The date a registration is for: required for drop-in reminder sign-ups, optional otherwise. Looked up
    in ``known`` (the dates the caller loaded) first."""
    if occurrence_id is None:
        if dropin:
            raise RegistrationError("dropin_only")
        return None
    occurrence = next((row for row in known or () if row["id"] == occurrence_id), None)
    if occurrence is None:
        occurrence = (
            await Occurrence.select()
            .where((Occurrence.id == occurrence_id) & (Occurrence.event == event["id"]))
            .first()
        )
    if occurrence is None:
        raise RegistrationError("not_found", _("That date is not part of this event."))
    if occurrence["cancelled"]:
        raise RegistrationError("cancelled_event", _("This date has been cancelled."))
    return occurrence


async def _open_dropin_category(event: Mapping[str, Any], category: str) -> bool:
    """A drop-in event that lists no audiences takes reminder sign-ups from anyone (no seats, no quotas)."""
    return (
        rules.is_dropin(event)
        and category in set(AudienceCategory)
        and not await EventAudience.exists().where(EventAudience.event == event["id"])
    )


async def _resend_link(key: str, seats: SeatPlan | None) -> RegistrationResult | None:
    """Someone registered again with the same email: no second seat; a fresh manage link goes by email.
    None when no registration is active under ``key`` (any more)."""
    found = await Registration.select(Registration.id).where(Registration.active_key == key).first()
    if found is None:
        return None
    token = new_secret_token()
    async with db.atomic():
        still_active = await Registration.update(
            {Registration.manage_token_hash: hash_token(token), Registration.updated_at: now_utc()}
        ).where((Registration.id == found["id"]) & (Registration.active_key == key)).returning(Registration.id)
        if not still_active:
            return None
        await notify(Notice.link_resent, found["id"], manage_token=token, seats=seats)
    log.info("registration %s: duplicate, manage link re-sent", found["id"])
    return RegistrationResult(found["id"], "duplicate", None, None)

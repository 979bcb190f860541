"""Registration: booking, the waiting list, changes and cancellation.

Every write happens in one ``samrad.core.db.atomic()`` transaction together with the email it causes (queued
through ``events.messaging.notifications.notify`` as an intent the worker renders later; the rows loaded here are
passed in, so queueing reads almost nothing), so a change and its email exist together or not at all.
Seats only move through ``events.capacity``; the waiting list is served in registration id order and a
cancellation promotes in the same transaction. Flows that change existing registrations hold the event row
first (see ``events.capacity``), so concurrent cancellations, changes and promotions of one event take turns.

Workshops are not known here: they plug in through the ``SeatPlan`` protocol (``events.contracts``;
``workshops.services`` implements it); ``seats=None`` means the event has no workshops or the caller ignores
them. The rules (window, seats, drop-in) are ``events.rules``; the participant's data rights live in
``events.registration.rights``.

Personal data is stored only for the questions the event asks (``Event.questions``); the manage token is
stored as its SHA-256 only. Logs carry ids and statuses, never names, emails, free text or tokens.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from piccolo.querystring import QueryString

from events import capacity, loaders, rules
from events.contracts import (
    ACCESS_NEEDS,
    TEXT_LIMITS,
    Notice,
    RegistrationChange,
    RegistrationError,
    RegistrationInput,
    RegistrationResult,
    SeatPlan,
)
from events.messaging.notifications import notify
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
from samrad.core.accounts import normalise_email
from samrad.core.clock import now_utc
from samrad.core.i18n import _
from samrad.core.security import hash_token, new_secret_token, new_ticket_code
from samrad.core.settings import LOCALES

log = logging.getLogger("samrad.registration")


# --- helpers ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Answers:
    """The answers an event asks for, cleaned; questions it does not ask are not stored."""

    org_unit_id: int | None = None
    organisation: str = ""
    workshop_ids: tuple[int, ...] = ()
    access_needs: list[str] = field(default_factory=list)
    access_other: str = ""
    diet: str = ""
    pronouns: str = ""
    follow_up_opt_in: bool = False


def _text(value: str, field_name: str) -> str:
    return " ".join((value or "").split())[: TEXT_LIMITS[field_name]]


def active_key(event_id: int, email: str, occurrence_id: int | None = None) -> str:
    """The value that is unique while a registration is active: one active registration per person and event
    (per date for drop-in reminder sign-ups)."""
    if occurrence_id is not None:
        return f"{event_id}:{occurrence_id}:{normalise_email(email)}"
    return f"{event_id}:{normalise_email(email)}"


def _locale(locale: str) -> str:
    return locale if locale in LOCALES else LOCALES[0]


def _clean_needs(needs: Sequence[str], other: str) -> tuple[list[str], str]:
    chosen = set(needs)
    other_text = _text(other, "access_other")
    if other_text:
        chosen.add("other")
    return [need for need in ACCESS_NEEDS if need in chosen], other_text if "other" in chosen else ""


def _answers(event: Mapping[str, Any], data: RegistrationInput | RegistrationChange) -> _Answers:
    asked = set(event["questions"] or ())
    needs, other = _clean_needs(data.access_needs, data.access_other) if "access_needs" in asked else ([], "")
    return _Answers(
        org_unit_id=getattr(data, "org_unit_id", None) if "org_unit" in asked else None,
        organisation=_text(getattr(data, "organisation", ""), "organisation") if "organisation" in asked else "",
        workshop_ids=tuple(dict.fromkeys(data.workshop_ids)) if "workshops" in asked else (),
        access_needs=needs,
        access_other=other,
        diet=_text(data.diet, "diet") if "diet" in asked else "",
        pronouns=_text(data.pronouns, "pronouns") if "pronouns" in asked else "",
        follow_up_opt_in=bool(data.follow_up_opt_in) if "follow_up" in asked else False,
    )


def _check_person(name: str, email: str) -> tuple[str, str]:
    clean_name = _text(name, "name")
    clean_email = (email or "").strip()
    if not clean_name:
        raise ValueError("name is required")
    local, at, domain = clean_email.rpartition("@")
    if not at or not local or "." not in domain or len(clean_email) > TEXT_LIMITS["email"] or " " in clean_email:
        raise ValueError("a valid email address is required")
    return clean_name, clean_email


# --- register ---------------------------------------------------------------------------------------------

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
    ``atomic()``. ``prepared`` saves the reads of the event when the caller holds them.
    """
    name, email = _check_person(data.name, data.email)
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
    answers = _answers(event, data)
    workshop_ids = answers.workshop_ids if seats is not None and not dropin else ()
    if workshop_ids:
        await seats.validate(event["id"], workshop_ids)  # type: ignore[union-attr]
    org_unit_id = answers.org_unit_id
    if org_unit_id is not None and not await OrgUnit.exists().where(OrgUnit.id == org_unit_id):
        org_unit_id = None
    token, ticket_code, locale = new_secret_token(), new_ticket_code(), _locale(data.locale)

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

        inserted = await db.engine().run_querystring(QueryString(
            _INSERT_WAITLISTED if status == RegistrationStatus.waitlisted else _INSERT_CONFIRMED,
            event["id"], occurrence["id"] if occurrence else None, status.value, name, email, locale,
            data.category, org_unit_id, answers.organisation, json.dumps(answers.access_needs),
            answers.access_other, answers.diet, answers.pronouns, answers.follow_up_opt_in, bool(data.added_by),
            now, key, hash_token(token), ticket_code, now, now, email.strip(),
        ))
        if not inserted:
            raise _AlreadyRegistered()
        row = inserted[0]
        registration_id = row["id"]
        position = row["ahead"] + 1 if status == RegistrationStatus.waitlisted else None
        if data.added_by:
            await audit.record(data.added_by, "registration.add_by_staff", f"registration:{registration_id}")
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
    log.info("registration %s for event %s: %s", registration_id, event["id"], status.value)
    return RegistrationResult(registration_id, status.value, ticket_code, token, position)


# One statement writes the registration and counts, under the event row's lock, what its email must tell:
# its place in the queue (``rules.waitlist_position``) and the person's earlier cancellations of the event
# (``events.messaging.calendar.invite_sequence_offset``; compared with ``lower()``, which SQLite applies to
# ASCII letters only). ON CONFLICT: an active registration of the address exists (``active_key``).
_INSERT_CONFIRMED = """INSERT INTO registration (event, occurrence, status, name, email, locale, category, org_unit,
  organisation, access_needs, access_other, diet, pronouns, follow_up_opt_in, added_by_staff, consent_at, active_key,
  manage_token_hash, ticket_code, created_at, updated_at)
VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})
ON CONFLICT (active_key) DO NOTHING
RETURNING id, (SELECT count(*) FROM registration earlier WHERE earlier.event = registration.event
  AND earlier.status = 'cancelled' AND lower(earlier.email) = lower({})) AS cancelled_before, 0 AS ahead"""
_INSERT_WAITLISTED = _INSERT_CONFIRMED.replace("0 AS ahead", """(SELECT count(*) FROM registration earlier
  WHERE earlier.event = registration.event AND earlier.status = 'waitlisted' AND earlier.id < registration.id)
  AS ahead""")


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


# --- reading ----------------------------------------------------------------------------------------------

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


# --- change -----------------------------------------------------------------------------------------------

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
    name = _text(changes.name, "name")
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
        answers = _answers(event, changes)
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
                Registration.locale: _locale(changes.locale),
                Registration.access_needs: answers.access_needs,
                Registration.access_other: answers.access_other,
                Registration.diet: answers.diet,
                Registration.pronouns: answers.pronouns,
                Registration.follow_up_opt_in: answers.follow_up_opt_in,
                Registration.updated_at: now_utc(),
            }
        ).where(Registration.id == registration["id"])
        await notify(Notice.changed, registration["id"], manage_token=manage_token, seats=seats, event=event,
                     registration={**registration, "locale": _locale(changes.locale)})
        if actor is not None:
            await audit.record(actor, "registration.change", f"registration:{registration['id']}")
    log.info("registration %s changed", registration["id"])


# --- cancel and promote -----------------------------------------------------------------------------------

async def cancel(token: str, seats: SeatPlan | None) -> list[int]:
    """Cancel one's own registration; returns the ids promoted from the waiting list. Cancelling twice is
    harmless (the second time returns [])."""
    found = await loaders.registration_by_token(token)
    if found is None:
        raise RegistrationError("not_found")
    async with db.atomic():
        await capacity.lock_event(found["event"])
        return await cancel_locked(found["id"], seats)


async def cancel_by_staff(registration_id: int, seats: SeatPlan | None, actor: str) -> list[int]:
    """Cancel a registration on someone's behalf (audited); returns the ids promoted from the waiting list."""
    found = await Registration.select(Registration.id, Registration.event).where(
        Registration.id == registration_id
    ).first()
    if found is None:
        raise RegistrationError("not_found")
    async with db.atomic():
        await capacity.lock_event(found["event"])
        promoted = await cancel_locked(registration_id, seats)
        await audit.record(actor, "registration.cancel", f"registration:{registration_id}")
    return promoted


async def cancel_locked(registration_id: int, seats: SeatPlan | None) -> list[int]:
    """Cancel inside a transaction that holds the event row (``capacity.lock_event``): release seats, tell the
    person, promote."""
    registration = await loaders.registration(registration_id)
    assert registration is not None
    if registration["status"] == RegistrationStatus.cancelled:
        return []
    now = now_utc()
    await Registration.update(
        {
            Registration.status: RegistrationStatus.cancelled.value,
            Registration.active_key: None,
            Registration.cancelled_at: now,
            Registration.updated_at: now,
        }
    ).where(Registration.id == registration_id)
    event = await loaders.event_row(registration["event"])
    assert event is not None
    held_seat = (
        registration["status"] == RegistrationStatus.confirmed
        and not rules.is_dropin(event)
    )
    if held_seat:
        await capacity.release_seat(event["id"], await loaders.audience(event["id"], registration["category"]))
    await notify(Notice.cancelled, registration_id, seats=seats, event=event,
                 registration={**registration, "status": RegistrationStatus.cancelled.value})
    if seats is not None:
        await seats.release(registration_id)
    promoted = await _promote(event, seats) if held_seat else []
    log.info("registration %s cancelled; promoted %s", registration_id, len(promoted))
    return promoted


async def promote_waitlisted(event_id: int, seats: SeatPlan | None) -> list[int]:
    """Give free seats to the waiting list (for example after the capacity or a quota was raised)."""
    async with db.atomic():
        await capacity.lock_event(event_id)
        event = await loaders.event_row(event_id)
        if event is None:
            raise RegistrationError("not_found")
        return await _promote(event, seats)


async def _promote(event: Mapping[str, Any], seats: SeatPlan | None) -> list[int]:
    """Move waiting registrations to confirmed, first come first served, while seats and quotas allow.

    Someone whose category's quota is full keeps their place; the next person of another category may get
    the seat. Nobody is promoted once the event has started or when it is cancelled.
    """
    if event["status"] == EventStatus.cancelled or rules.started(event, None, now_utc()):
        return []
    audiences = await loaders.audiences(event["id"])
    waiting = (
        await Registration.select(Registration.id, Registration.category)
        .where((Registration.event == event["id"]) & (Registration.status == RegistrationStatus.waitlisted))
        .order_by(Registration.id)
    )
    promoted: list[int] = []
    full_categories: set[str] = set()
    for candidate in waiting:
        if candidate["category"] in full_categories:
            continue
        audience = audiences.get(candidate["category"])
        if not await capacity.claim_event(event["id"]):
            break
        if audience is not None and audience["quota"] is not None and not await capacity.claim_quota(audience["id"]):
            await capacity.release_event(event["id"])
            full_categories.add(candidate["category"])
            continue
        await Registration.update(
            {Registration.status: RegistrationStatus.confirmed.value, Registration.updated_at: now_utc()}
        ).where(Registration.id == candidate["id"])
        if seats is not None:
            await seats.confirm(candidate["id"])
        await notify(Notice.promoted, candidate["id"], seats=seats, event=event)
        promoted.append(candidate["id"])
    return promoted

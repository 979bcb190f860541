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

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

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

class _ConcurrentDuplicate(Exception):
    """Another transaction registered the same email for the same event first; roll back and re-send."""


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

async def register(
    event_slug_or_id: int | str, data: RegistrationInput, seats: SeatPlan | None
) -> RegistrationResult:
    """Register someone: a seat (or a place on the waiting list), workshop seats and the confirmation email.

    Raises ``RegistrationError`` when a rule says no and ``ValueError`` for a missing name or an invalid
    email (forms check these first). Runs its own transaction; call it outside ``atomic()``.
    """
    name, email = _check_person(data.name, data.email)
    for _attempt in range(2):
        try:
            return await _register_once(event_slug_or_id, data, name, email, seats)
        except _ConcurrentDuplicate:
            # The other registration is committed now: the next attempt finds it and re-sends its link.
            log.info("registration race on one address for event %s: retrying as a duplicate", event_slug_or_id)
    return await _register_once(event_slug_or_id, data, name, email, seats)


async def _register_once(
    event_slug_or_id: int | str, data: RegistrationInput, name: str, email: str, seats: SeatPlan | None
) -> RegistrationResult:
    async with db.atomic():
        now = now_utc()
        event = await loaders.event_row(event_slug_or_id)
        if event is None or not event["published"]:
            raise RegistrationError("not_found")
        if event["status"] == EventStatus.cancelled:
            raise RegistrationError("cancelled_event")
        dropin = rules.is_dropin(event)
        occurrence = await _occurrence_for(event, data.occurrence_id, dropin=dropin)

        key = active_key(event["id"], email, occurrence["id"] if dropin and occurrence else None)
        existing = await Registration.select(Registration.id).where(Registration.active_key == key).first()
        if existing is not None:
            return await _resend_link(existing["id"], seats)

        refusal = rules.window_refusal(event, now, occurrence if dropin else None)
        if refusal is not None:
            raise RegistrationError(refusal)
        audience = await loaders.audience(event["id"], data.category)
        if audience is None and not await _open_dropin_category(event, data.category):
            raise RegistrationError("category_not_allowed")
        answers = _answers(event, data)
        workshop_ids = answers.workshop_ids if seats is not None and not dropin else ()
        if workshop_ids:
            await seats.validate(event["id"], workshop_ids)  # type: ignore[union-attr]
        org_unit_id = answers.org_unit_id
        if org_unit_id is not None and not await OrgUnit.exists().where(OrgUnit.id == org_unit_id):
            org_unit_id = None

        if dropin or await capacity.claim_seat(event["id"], audience):
            status = RegistrationStatus.confirmed
        elif event["waitlist_enabled"]:
            status = RegistrationStatus.waitlisted
            # Hold the event row before the registration gets its id: the place in the queue its email tells is
            # then exact (on PostgreSQL a claim that finds the event full locks nothing).
            await capacity.lock_event(event["id"])
        else:
            raise RegistrationError("full")

        token = new_secret_token()
        ticket_code = new_ticket_code()
        row = Registration(
            event=event["id"],
            occurrence=occurrence["id"] if occurrence else None,
            status=status.value,
            name=name,
            email=email,
            locale=_locale(data.locale),
            category=data.category,
            org_unit=org_unit_id,
            organisation=answers.organisation,
            access_needs=answers.access_needs,
            access_other=answers.access_other,
            diet=answers.diet,
            pronouns=answers.pronouns,
            follow_up_opt_in=answers.follow_up_opt_in,
            consent_at=now,
            active_key=key,
            manage_token_hash=hash_token(token),
            ticket_code=ticket_code,
            created_at=now,
            updated_at=now,
        )
        inserted = (
            await Registration.insert(row)
            .on_conflict(target=Registration.active_key, action="DO NOTHING")
            .returning(Registration.id)
        )
        if not inserted:
            raise _ConcurrentDuplicate()
        registration_id = inserted[0]["id"]

        if workshop_ids:
            await seats.book(  # type: ignore[union-attr]
                registration_id, workshop_ids, confirmed=status == RegistrationStatus.confirmed
            )
        notice = Notice.confirmed if status == RegistrationStatus.confirmed else Notice.waitlisted
        await notify(
            notice, registration_id, manage_token=token, seats=seats, event=event,
            registration={"id": registration_id, "event": event["id"], "email": email, "locale": row.locale,
                          "status": status.value, "anonymised_at": None},
        )
    log.info("registration %s for event %s: %s", registration_id, event["id"], status.value)
    return RegistrationResult(registration_id, status.value, ticket_code, token)


async def _occurrence_for(
    event: Mapping[str, Any], occurrence_id: int | None, *, dropin: bool
) -> dict[str, Any] | None:
    """The date a registration is for: required for drop-in reminder sign-ups, optional otherwise."""
    if occurrence_id is None:
        if dropin:
            raise RegistrationError("dropin_only")
        return None
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


async def _resend_link(registration_id: int, seats: SeatPlan | None) -> RegistrationResult:
    """Someone registered again with the same email: no second seat; a fresh manage link goes by email."""
    token = new_secret_token()
    await Registration.update(
        {Registration.manage_token_hash: hash_token(token), Registration.updated_at: now_utc()}
    ).where(Registration.id == registration_id)
    await notify(Notice.link_resent, registration_id, manage_token=token, seats=seats)
    log.info("registration %s: duplicate, manage link re-sent", registration_id)
    return RegistrationResult(registration_id, "duplicate", None, None)


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
    name = _text(changes.name, "name")
    if not name:
        raise ValueError("name is required")
    found = await loaders.registration_by_token(token)
    if found is None:
        raise RegistrationError("not_found")
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
        await notify(Notice.changed, registration["id"], manage_token=token, seats=seats, event=event,
                     registration={**registration, "locale": _locale(changes.locale)})
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

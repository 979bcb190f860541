"""Registration: booking, the waiting list, changes, cancellation, check-in and the participant's data rights.

Every write happens in one ``samrad.core.db.atomic()`` transaction together with the email it causes (queued
through ``events.notifications.notify``), so a change and its email exist together or not at all. Seats only
move through ``events.capacity``; the waiting list is served in registration id order and a cancellation
promotes in the same transaction. Flows that change existing registrations hold the event row first (see
``events.capacity``), so concurrent cancellations, changes and promotions of one event take turns.

Workshops are not known here: they plug in through the ``SeatPlan`` protocol (``workshops.services``
implements it); ``seats=None`` means the event has no workshops or the caller ignores them.

Personal data is stored only for the questions the event asks (``Event.questions``); the manage token is
stored as its SHA-256 only. Logs carry ids and statuses, never names, emails, free text or tokens.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from events import capacity
from events.notifications import Notice, notify
from events.retention import anonymise
from events.tables import (
    AudienceCategory,
    Event,
    EventAudience,
    EventStatus,
    Occurrence,
    OrgUnit,
    Registration,
    RegistrationMode,
    RegistrationStatus,
)
from samrad.core import db
from samrad.core.i18n import N_, _
from samrad.core.security import hash_token, new_secret_token, new_ticket_code
from samrad.core.settings import LOCALES
from samrad.core.tables import AuditEntry, OutboxMessage

log = logging.getLogger("samrad.registration")

ACCESS_NEEDS = ("sign_language", "speech_to_text", "hearing_loop", "step_free", "assistant", "quiet_room", "other")
QUESTIONS = ("org_unit", "organisation", "workshops", "access_needs", "diet", "pronouns", "follow_up")

# Column lengths (events/tables.py): free text is trimmed to fit rather than failing the whole registration.
_LIMITS = {"name": 200, "email": 254, "organisation": 200, "access_other": 500, "diet": 300, "pronouns": 60}


# --- errors and data types --------------------------------------------------------------------------------

class RegistrationError(Exception):
    """A registration rule said no. ``code`` is stable (for code and the API), ``message`` is translated."""

    MESSAGES: Mapping[str, str] = {
        "not_open_yet": N_("Registration has not opened yet."),
        "closed": N_("Registration is closed."),
        "full": N_("The event is fully booked."),
        "category_not_allowed": N_("This event is not open to the group you chose."),
        "dropin_only": N_("This is a drop-in event: no registration is needed, just come. "
                          "You can sign up for a reminder for a particular date."),
        "cancelled_event": N_("This event has been cancelled."),
        "unknown_workshop": N_("One of the chosen workshops is not part of this event."),
        "not_found": N_("We could not find that registration or event."),
    }
    # What an HTTP answer should say about each code.
    STATUS_CODES: Mapping[str, int] = {
        "not_open_yet": 409,
        "closed": 409,
        "full": 409,
        "category_not_allowed": 422,
        "dropin_only": 409,
        "cancelled_event": 409,
        "unknown_workshop": 422,
        "not_found": 404,
    }

    def __init__(self, code: str, message: str | None = None) -> None:
        if code not in self.MESSAGES:
            raise ValueError(f"unknown registration error code {code!r}")
        self.code = code
        self.message = message or _(self.MESSAGES[code])
        super().__init__(code)

    @property
    def status_code(self) -> int:
        return self.STATUS_CODES[self.code]


@dataclass(frozen=True)
class RegistrationInput:
    name: str
    email: str
    category: str
    locale: str
    org_unit_id: int | None = None
    organisation: str = ""
    workshop_ids: tuple[int, ...] = ()
    access_needs: tuple[str, ...] = ()
    access_other: str = ""
    diet: str = ""
    pronouns: str = ""
    follow_up_opt_in: bool = False
    occurrence_id: int | None = None


@dataclass(frozen=True)
class RegistrationChange:
    name: str
    locale: str
    workshop_ids: tuple[int, ...] = ()
    access_needs: tuple[str, ...] = ()
    access_other: str = ""
    diet: str = ""
    pronouns: str = ""
    follow_up_opt_in: bool = False


@dataclass(frozen=True)
class RegistrationResult:
    registration_id: int
    status: str  # "confirmed" | "waitlisted" | "duplicate"
    ticket_code: str | None  # None for a duplicate
    manage_token: str | None  # plaintext, only ever here (stored hashed); None for a duplicate


@dataclass(frozen=True)
class SeatLine:
    """One workshop a registration holds or waits for, as pages and emails show it."""

    title: dict  # translatable {"da", "sv", "en"}
    status: str  # "confirmed" | "waitlisted" | "wished"
    workshop_id: int = 0
    room: str = ""
    starts_at: datetime | None = None
    ends_at: datetime | None = None


class SeatPlan(Protocol):
    """Seats inside an event (workshops), booked in the registration's transaction."""

    async def book(self, registration_id: int, choice_ids: Sequence[int], *, confirmed: bool) -> None: ...

    async def confirm(self, registration_id: int) -> None: ...

    async def release(self, registration_id: int) -> None: ...

    async def replace(self, registration_id: int, choice_ids: Sequence[int], *, confirmed: bool) -> None: ...

    async def describe(self, registration_id: int) -> list[SeatLine]: ...

    async def validate(self, event_id: int, choice_ids: Sequence[int]) -> None: ...


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


# --- helpers ----------------------------------------------------------------------------------------------

def _now() -> datetime:
    return datetime.now(UTC)


def _text(value: str, field_name: str) -> str:
    return " ".join((value or "").split())[: _LIMITS[field_name]]


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


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
    if not at or not local or "." not in domain or len(clean_email) > _LIMITS["email"] or " " in clean_email:
        raise ValueError("a valid email address is required")
    return clean_name, clean_email


async def _event(event_slug_or_id: int | str) -> dict[str, Any] | None:
    if isinstance(event_slug_or_id, int):
        where = Event.id == event_slug_or_id
    else:
        where = Event.slug == event_slug_or_id
    return await Event.select().where(where).output(load_json=True).first()


async def _registration(registration_id: int) -> dict[str, Any] | None:
    return await Registration.select().where(Registration.id == registration_id).output(load_json=True).first()


async def _registration_by_token(token: str) -> dict[str, Any] | None:
    """The live (not anonymised) registration a manage link points at."""
    if not token or len(token) > 200:
        return None
    return (
        await Registration.select()
        .where((Registration.manage_token_hash == hash_token(token)) & Registration.anonymised_at.is_null())
        .output(load_json=True)
        .first()
    )


async def _audience(event_id: int, category: str) -> dict[str, Any] | None:
    return (
        await EventAudience.select()
        .where((EventAudience.event == event_id) & (EventAudience.category == category))
        .first()
    )


def _started(event: Mapping[str, Any], occurrence: Mapping[str, Any] | None, now: datetime) -> bool:
    starts_at = occurrence["starts_at"] if occurrence else event["starts_at"]
    return now >= starts_at


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
        now = _now()
        event = await _event(event_slug_or_id)
        if event is None or not event["published"]:
            raise RegistrationError("not_found")
        if event["status"] == EventStatus.cancelled:
            raise RegistrationError("cancelled_event")
        dropin = event["registration_mode"] == RegistrationMode.dropin
        occurrence = await _occurrence_for(event, data.occurrence_id, dropin=dropin)

        key = active_key(event["id"], email, occurrence["id"] if dropin and occurrence else None)
        existing = await Registration.select(Registration.id).where(Registration.active_key == key).first()
        if existing is not None:
            return await _resend_link(existing["id"], seats)

        _check_window(event, occurrence if dropin else None, now)
        audience = await _audience(event["id"], data.category)
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
        await notify(notice, registration_id, manage_token=token, seats=seats)
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
        event["registration_mode"] == RegistrationMode.dropin
        and category in set(AudienceCategory)
        and not await EventAudience.exists().where(EventAudience.event == event["id"])
    )


def _check_window(event: Mapping[str, Any], occurrence: Mapping[str, Any] | None, now: datetime) -> None:
    """Registration is open from ``registration_opens_at`` until ``registration_closes_at`` (default: the
    start). A drop-in reminder sign-up is possible until its date starts."""
    opens_at = event["registration_opens_at"]
    if opens_at is not None and now < opens_at:
        raise RegistrationError("not_open_yet")
    if occurrence is not None:
        closes_at = occurrence["starts_at"]
    else:
        closes_at = event["registration_closes_at"] or event["starts_at"]
    if now >= closes_at:
        raise RegistrationError("closed")


async def _resend_link(registration_id: int, seats: SeatPlan | None) -> RegistrationResult:
    """Someone registered again with the same email: no second seat; a fresh manage link goes by email."""
    token = new_secret_token()
    await Registration.update(
        {Registration.manage_token_hash: hash_token(token), Registration.updated_at: _now()}
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
    registration = await _registration_by_token(token)
    if registration is None:
        return None
    registration.pop("manage_token_hash", None)
    registration["event"] = await Event.select().where(Event.id == registration["event"]).output(load_json=True).first()
    registration["occurrence"] = (
        await Occurrence.select().where(Occurrence.id == registration["occurrence"]).output(load_json=True).first()
        if registration["occurrence"] is not None
        else None
    )
    registration["waitlist_position"] = (
        await Registration.count().where(
            (Registration.event == registration["event"]["id"])
            & (Registration.status == RegistrationStatus.waitlisted)
            & (Registration.id <= registration["id"])
        )
        if registration["status"] == RegistrationStatus.waitlisted
        else None
    )
    return registration


async def seats_left(event_row: Mapping[str, Any] | Event) -> int | None:
    """Free seats of an event row; None when unlimited or drop-in."""
    row = event_row.to_dict() if isinstance(event_row, Event) else event_row
    if row.get("registration_mode") == RegistrationMode.dropin or row.get("capacity") is None:
        return None
    return max(0, row["capacity"] - (row.get("booked") or 0))


# --- change -----------------------------------------------------------------------------------------------

async def change(token: str, changes: RegistrationChange, seats: SeatPlan | None) -> None:
    """Change one's own registration (name, language, answers, workshops) until the event starts.

    The event seat stays; workshop seats are replaced through the SeatPlan. Queues ``Notice.changed``.
    """
    name = _text(changes.name, "name")
    if not name:
        raise ValueError("name is required")
    found = await _registration_by_token(token)
    if found is None:
        raise RegistrationError("not_found")
    async with db.atomic():
        await capacity.lock_event(found["event"])
        registration = await _registration(found["id"])
        assert registration is not None
        if registration["status"] == RegistrationStatus.cancelled:
            raise RegistrationError("not_found", _("This registration has been cancelled."))
        event = await Event.select().where(Event.id == registration["event"]).output(load_json=True).first()
        assert event is not None
        if event["status"] == EventStatus.cancelled:
            raise RegistrationError("cancelled_event")
        occurrence = (
            await Occurrence.select().where(Occurrence.id == registration["occurrence"]).output(load_json=True).first()
            if registration["occurrence"] is not None
            else None
        )
        if _started(event, occurrence, _now()):
            raise RegistrationError("closed", _("The event has started: the registration can no longer be changed."))
        answers = _answers(event, changes)
        asked = set(event["questions"] or ())
        if seats is not None and "workshops" in asked and event["registration_mode"] != RegistrationMode.dropin:
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
                Registration.updated_at: _now(),
            }
        ).where(Registration.id == registration["id"])
        await notify(Notice.changed, registration["id"], manage_token=token, seats=seats)
    log.info("registration %s changed", registration["id"])


# --- cancel and promote -----------------------------------------------------------------------------------

async def cancel(token: str, seats: SeatPlan | None) -> list[int]:
    """Cancel one's own registration; returns the ids promoted from the waiting list. Cancelling twice is
    harmless (the second time returns [])."""
    found = await _registration_by_token(token)
    if found is None:
        raise RegistrationError("not_found")
    async with db.atomic():
        await capacity.lock_event(found["event"])
        return await _cancel_locked(found["id"], seats)


async def cancel_by_staff(registration_id: int, seats: SeatPlan | None, actor: str) -> list[int]:
    """Cancel a registration on someone's behalf (audited); returns the ids promoted from the waiting list."""
    found = await Registration.select(Registration.id, Registration.event).where(
        Registration.id == registration_id
    ).first()
    if found is None:
        raise RegistrationError("not_found")
    async with db.atomic():
        await capacity.lock_event(found["event"])
        promoted = await _cancel_locked(registration_id, seats)
        await AuditEntry.insert(
            AuditEntry(actor=actor, action="registration.cancel", subject=f"registration:{registration_id}", count=1)
        )
    return promoted


async def _cancel_locked(registration_id: int, seats: SeatPlan | None) -> list[int]:
    """Cancel inside a transaction that holds the event row: release seats, tell the person, promote."""
    registration = await _registration(registration_id)
    assert registration is not None
    if registration["status"] == RegistrationStatus.cancelled:
        return []
    now = _now()
    await Registration.update(
        {
            Registration.status: RegistrationStatus.cancelled.value,
            Registration.active_key: None,
            Registration.cancelled_at: now,
            Registration.updated_at: now,
        }
    ).where(Registration.id == registration_id)
    event = await Event.select().where(Event.id == registration["event"]).output(load_json=True).first()
    assert event is not None
    held_seat = (
        registration["status"] == RegistrationStatus.confirmed
        and event["registration_mode"] != RegistrationMode.dropin
    )
    if held_seat:
        await capacity.release_seat(event["id"], await _audience(event["id"], registration["category"]))
    await notify(Notice.cancelled, registration_id, seats=seats)
    if seats is not None:
        await seats.release(registration_id)
    promoted = await _promote(event, seats) if held_seat else []
    log.info("registration %s cancelled; promoted %s", registration_id, len(promoted))
    return promoted


async def promote_waitlisted(event_id: int, seats: SeatPlan | None) -> list[int]:
    """Give free seats to the waiting list (for example after the capacity or a quota was raised)."""
    async with db.atomic():
        await capacity.lock_event(event_id)
        event = await Event.select().where(Event.id == event_id).output(load_json=True).first()
        if event is None:
            raise RegistrationError("not_found")
        return await _promote(event, seats)


async def _promote(event: Mapping[str, Any], seats: SeatPlan | None) -> list[int]:
    """Move waiting registrations to confirmed, first come first served, while seats and quotas allow.

    Someone whose category's quota is full keeps their place; the next person of another category may get
    the seat. Nobody is promoted once the event has started or when it is cancelled.
    """
    if event["status"] == EventStatus.cancelled or _now() >= event["starts_at"]:
        return []
    audiences = {
        row["category"]: row
        for row in await EventAudience.select().where(EventAudience.event == event["id"])
    }
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
            {Registration.status: RegistrationStatus.confirmed.value, Registration.updated_at: _now()}
        ).where(Registration.id == candidate["id"])
        if seats is not None:
            await seats.confirm(candidate["id"])
        await notify(Notice.promoted, candidate["id"], seats=seats)
        promoted.append(candidate["id"])
    return promoted


# --- data rights ------------------------------------------------------------------------------------------

async def erase(token: str, seats: SeatPlan | None) -> None:
    """"Delete my data": cancel (promoting the waiting list) and anonymise now, leaving an audit entry
    without personal data. The manage link stops working."""
    found = await _registration_by_token(token)
    if found is None:
        raise RegistrationError("not_found")
    async with db.atomic():
        await capacity.lock_event(found["event"])
        await _cancel_locked(found["id"], seats)
        await anonymise([found["id"]], _now())
        await AuditEntry.insert(
            AuditEntry(actor="participant", action="registration.erase", subject=f"registration:{found['id']}", count=1)
        )
    log.info("registration %s erased by its owner", found["id"])


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def personal_data(token: str, seats: SeatPlan | None = None) -> dict:
    """"Download my data": everything stored about the person behind a manage link, JSON-able."""
    registration = await _registration_by_token(token)
    if registration is None:
        raise RegistrationError("not_found")
    event = await Event.select(
        Event.slug, Event.title, Event.starts_at, Event.ends_at, Event.timezone
    ).where(Event.id == registration["event"]).output(load_json=True).first()
    assert event is not None
    occurrence = (
        await Occurrence.select(Occurrence.starts_at, Occurrence.ends_at)
        .where(Occurrence.id == registration["occurrence"])
        .first()
        if registration["occurrence"] is not None
        else None
    )
    org_unit = (
        await OrgUnit.select(OrgUnit.name, OrgUnit.code).where(OrgUnit.id == registration["org_unit"]).first()
        if registration["org_unit"] is not None
        else None
    )
    lines = await seats.describe(registration["id"]) if seats is not None else []
    emails = (
        await OutboxMessage.select(
            OutboxMessage.kind, OutboxMessage.subject, OutboxMessage.status,
            OutboxMessage.created_at, OutboxMessage.sent_at,
        )
        .where(OutboxMessage.to_address == registration["email"])
        .order_by(OutboxMessage.id)
    )
    return {
        "registration": {
            "id": registration["id"],
            "status": registration["status"],
            "name": registration["name"],
            "email": registration["email"],
            "language": registration["locale"],
            "category": registration["category"],
            "org_unit": org_unit,
            "organisation": registration["organisation"],
            "access_needs": list(registration["access_needs"] or []),
            "access_other": registration["access_other"],
            "diet": registration["diet"],
            "pronouns": registration["pronouns"],
            "follow_up_opt_in": registration["follow_up_opt_in"],
            "ticket_code": registration["ticket_code"],
            "consent_at": _iso(registration["consent_at"]),
            "created_at": _iso(registration["created_at"]),
            "updated_at": _iso(registration["updated_at"]),
            "cancelled_at": _iso(registration["cancelled_at"]),
            "checked_in_at": _iso(registration["checked_in_at"]),
            "reminder_sent_at": _iso(registration["reminder_sent_at"]),
        },
        "event": {
            "slug": event["slug"],
            "title": event["title"],
            "starts_at": _iso(event["starts_at"]),
            "ends_at": _iso(event["ends_at"]),
            "timezone": event["timezone"],
        },
        "date": (
            {"starts_at": _iso(occurrence["starts_at"]), "ends_at": _iso(occurrence["ends_at"])}
            if occurrence
            else None
        ),
        "workshops": [
            {"title": line.title, "status": line.status, "room": line.room, "starts_at": _iso(line.starts_at)}
            for line in lines
        ],
        "emails": [
            {
                "kind": message["kind"],
                "subject": message["subject"],
                "status": message["status"],
                "queued_at": _iso(message["created_at"]),
                "sent_at": _iso(message["sent_at"]),
            }
            for message in emails
        ],
    }


# --- at the door ------------------------------------------------------------------------------------------

def normalise_ticket_code(code: str) -> str:
    """People read codes aloud and type them with spaces or dashes, in any case."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


_REFUSALS: Mapping[str, str] = {
    "cancelled": N_("This registration has been cancelled."),
    "waitlisted": N_("This person is on the waiting list and has no seat."),
    "cancelled_event": N_("This event has been cancelled."),
    "other_event": N_("This ticket is for another event."),
}


async def check_in(ticket_code: str, event_id: int | None = None) -> dict | None:
    """Check a ticket in at the door (once; scanning again says so). None for an unknown code.

    The answer: ``ok`` (bool), ``reason``/``message`` when refused, ``already_checked_in``, and who and what
    it is for (``registration_id``, ``name``, ``category``, ``status``, ``event_id``, ``event_title``,
    ``checked_in_at``). ``event_id`` refuses tickets for other events.
    """
    code = normalise_ticket_code(ticket_code)
    if not code or len(code) > 16:
        return None
    row = (
        await Registration.select(
            Registration.id, Registration.status, Registration.name, Registration.category,
            Registration.checked_in_at, Registration.anonymised_at, Registration.access_needs,
            Registration.event, Registration.event.title.as_alias("event_title"),
            Registration.event.status.as_alias("event_status"),
        )
        .where(Registration.ticket_code == code)
        .output(load_json=True)
        .first()
    )
    if row is None:
        return None
    info: dict[str, Any] = {
        "ok": False,
        "reason": None,
        "message": "",
        "already_checked_in": False,
        "registration_id": row["id"],
        "name": row["name"],
        "category": row["category"],
        "status": row["status"],
        "access_needs": list(row["access_needs"] or []),
        "event_id": row["event"],
        "event_title": row["event_title"],
        "checked_in_at": row["checked_in_at"],
    }
    if event_id is not None and row["event"] != event_id:
        reason = "other_event"
    elif row["event_status"] == EventStatus.cancelled:
        reason = "cancelled_event"
    elif row["status"] == RegistrationStatus.cancelled or row["anonymised_at"] is not None:
        reason = "cancelled"
    elif row["status"] == RegistrationStatus.waitlisted:
        reason = "waitlisted"
    else:
        reason = None
    if reason is not None:
        info.update(reason=reason, message=_(_REFUSALS[reason]))
        return info
    async with db.atomic():
        updated = (
            await Registration.update({Registration.checked_in_at: _now()})
            .where((Registration.id == row["id"]) & Registration.checked_in_at.is_null())
            .returning(Registration.checked_in_at)
        )
        if updated:
            checked_in_at = updated[0]["checked_in_at"]
        else:
            current = await Registration.select(Registration.checked_in_at).where(Registration.id == row["id"]).first()
            checked_in_at = current["checked_in_at"] if current else None
    info.update(ok=True, already_checked_in=not updated, checked_in_at=checked_in_at)
    return info


# --- drop-in headcount ------------------------------------------------------------------------------------

async def set_headcount(occurrence_id: int, count: int) -> int:
    """Record how many came to one date (a number, never names)."""
    if count < 0:
        raise ValueError("a headcount cannot be negative")
    async with db.atomic():
        rows = (
            await Occurrence.update({Occurrence.headcount: count})
            .where(Occurrence.id == occurrence_id)
            .returning(Occurrence.headcount)
        )
    if not rows:
        raise RegistrationError("not_found")
    return rows[0]["headcount"]


async def add_headcount(occurrence_id: int, delta: int) -> int:
    """Count visitors at the door: +1 / -1 as they come, atomically (two counters at two doors add up);
    never below zero."""
    async with db.atomic():
        rows = await Occurrence.raw(
            "UPDATE occurrence SET headcount = CASE WHEN COALESCE(headcount, 0) + {} < 0 THEN 0 "
            "ELSE COALESCE(headcount, 0) + {} END WHERE id = {} RETURNING headcount",
            int(delta),
            int(delta),
            int(occurrence_id),
        )
    if not rows:
        raise RegistrationError("not_found")
    return rows[0]["headcount"]

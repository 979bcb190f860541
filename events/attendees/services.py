"""What organisers do to registrations, one at a time: open, move up from the waiting list by hand, resend the
confirmation, see the emails; registering someone who phoned in; opening one registration of a sensitive event.

Seats move only through ``events.capacity`` (a manual promotion is one conditional UPDATE per counter, inside
``atomic()`` with the event row held first, like every other flow), and every write commits together with its
email (the outbox) and its audit entry. Changing and cancelling on someone's behalf are
``events.registration.changes.change_by_staff`` and ``cancellation.cancel_by_staff``; registering is
``booking.register``.
Audit entries name the registration by id, never by the person's name or address.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from events import capacity, loaders
from events.contracts import Notice, RegistrationInput, RegistrationResult, SeatPlan
from events.messaging.notifications import notify
from events.registration import booking
from events.rules import normalise_ticket_code
from events.tables import EventStatus, Registration, RegistrationStatus
from samrad.core import audit, db
from samrad.core.accounts import normalise_email
from samrad.core.clock import now_utc
from samrad.core.i18n import N_, _
from samrad.core.security import hash_token, new_secret_token
from samrad.core.tables import OutboxMessage

log = logging.getLogger("samrad.attendees")

HISTORY_LIMIT = 50


class AttendeeError(Exception):
    """An organiser's action that a rule refuses; ``message`` is translated."""

    MESSAGES: Mapping[str, str] = {
        "not_waiting": N_("This person is not on the waiting list (any more)."),
        "full": N_("There is no free seat for this person: the event or the group's quota is full. Raise the "
                   "capacity or the quota in the settings first."),
        "cancelled": N_("This registration is cancelled."),
        "cancelled_event": N_("This event has been cancelled."),
        "not_found": N_("We could not find that registration."),
    }

    def __init__(self, code: str) -> None:
        self.code = code
        self.message = _(self.MESSAGES[code])
        super().__init__(code)


async def registration_of_event(event_id: int, registration_id: int) -> dict[str, Any]:
    """One registration of this event, its data still kept; ``AttendeeError("not_found")`` otherwise."""
    row = await Registration.select(
        *Registration.all_columns(exclude=[Registration.manage_token_hash, Registration.active_key]),
        Registration.org_unit.name.as_alias("unit_name"),
    ).where(
        (Registration.id == registration_id) & (Registration.event == event_id) & Registration.anonymised_at.is_null()
    ).output(load_json=True).first()
    if row is None:
        raise AttendeeError("not_found")
    return row


# --- the waiting list, by hand -------------------------------------------------------------------------------

async def promote_by_hand(event_id: int, registration_id: int, seats: SeatPlan | None, actor: str) -> None:
    """Give one waiting person a seat now, ahead of the queue, if a seat (and their group's quota) is free.

    The seat is claimed by the same conditional UPDATEs as every booking (``capacity.claim_seat``), after the
    event row is held, so two organisers promoting at once, or a promotion racing a registration, can never
    take more seats than there are. The status changes only from ``waitlisted`` (a conditional UPDATE too).
    """
    async with db.atomic():
        await capacity.lock_event(event_id)
        event = await loaders.event_row(event_id)
        if event is None:
            raise AttendeeError("not_found")
        if event["status"] == EventStatus.cancelled:
            raise AttendeeError("cancelled_event")
        row = await Registration.select(Registration.id, Registration.category, Registration.status).where(
            (Registration.id == registration_id) & (Registration.event == event_id)
            & Registration.anonymised_at.is_null()
        ).first()
        if row is None:
            raise AttendeeError("not_found")
        if row["status"] != RegistrationStatus.waitlisted:
            raise AttendeeError("not_waiting")
        if not await capacity.claim_seat(event_id, await loaders.audience(event_id, row["category"])):
            raise AttendeeError("full")
        moved = await Registration.update(
            {Registration.status: RegistrationStatus.confirmed.value, Registration.updated_at: now_utc()}
        ).where(
            (Registration.id == registration_id) & (Registration.status == RegistrationStatus.waitlisted.value)
        ).returning(Registration.id)
        if not moved:  # unreachable while the event row is held; never keep a seat nobody has
            raise AttendeeError("not_waiting")
        if seats is not None:
            await seats.confirm(registration_id)
        await notify(Notice.promoted, registration_id, seats=seats, event=event)
        await audit.record(actor, "registration.promote", f"event:{event_id}/registration:{registration_id}")
    log.info("registration %s promoted by hand", registration_id)


# --- emails ----------------------------------------------------------------------------------------------------

async def resend_confirmation(event_id: int, registration_id: int, seats: SeatPlan | None, actor: str) -> None:
    """Send the confirmation (or the waiting-list email) again, with a fresh manage link.

    Only the link's hash is stored, so the email carries a new link and the old one stops working.
    """
    async with db.atomic():
        row = await Registration.select(
            Registration.id, Registration.event, Registration.email, Registration.locale, Registration.status,
            Registration.anonymised_at,
        ).where((Registration.id == registration_id) & (Registration.event == event_id)).first()
        if row is None or row["anonymised_at"] is not None:
            raise AttendeeError("not_found")
        if row["status"] == RegistrationStatus.cancelled:
            raise AttendeeError("cancelled")
        token = new_secret_token()
        await Registration.update(
            {Registration.manage_token_hash: hash_token(token), Registration.updated_at: now_utc()}
        ).where(Registration.id == registration_id)
        notice = Notice.confirmed if row["status"] == RegistrationStatus.confirmed else Notice.waitlisted
        await notify(notice, registration_id, manage_token=token, seats=seats, registration=row)
        await audit.record(actor, "registration.resend", f"event:{event_id}/registration:{registration_id}")


async def email_history(registration: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The emails queued for this registration, newest first: kind, subject (once written), delivery state."""
    if not (registration["email"] or "").strip():
        return []
    rows = await OutboxMessage.select(
        OutboxMessage.id, OutboxMessage.kind, OutboxMessage.subject, OutboxMessage.status, OutboxMessage.attempts,
        OutboxMessage.created_at, OutboxMessage.sent_at, OutboxMessage.last_error, OutboxMessage.intent,
    ).where(OutboxMessage.to_address == registration["email"]).order_by(
        OutboxMessage.id, ascending=False
    ).output(load_json=True)
    history = []
    for row in rows:
        intent = row.pop("intent") or {}
        # Sent emails keep no intent; their address is this registration's and the kind tells the area.
        if intent and intent.get("registration") != registration["id"]:
            continue
        if not intent and not row["kind"].startswith(("notice.", "attendees.")):
            continue
        row["message_subject"] = intent.get("subject", "") if isinstance(intent, Mapping) else ""
        history.append(row)
        if len(history) >= HISTORY_LIMIT:
            break
    return history


# --- registering someone who phoned in ---------------------------------------------------------------------

async def register_phone_in(
    event_id: int, data: RegistrationInput, seats: SeatPlan | None, actor: str
) -> RegistrationResult:
    """Register someone on their behalf: the normal confirmation email, the row marked as added by staff and
    the addition audited, in the registration's own transaction."""
    return await booking.register(event_id, replace(data, added_by=actor), seats)


# --- sensitive events: one registration, on purpose ---------------------------------------------------------

async def open_sensitive(event: Mapping[str, Any], ticket_or_email: str, actor: str) -> int | None:
    """Find one registration of a sensitive event by its exact ticket code or email address, and audit that an
    organiser opened it. None (and nothing audited) when nothing matches: no partial matches, no lists."""
    text = (ticket_or_email or "").strip()
    if not text:
        return None
    if "@" in text:
        where = Registration.active_key == f"{event['id']}:{normalise_email(text)}"
    else:
        code = normalise_ticket_code(text)
        if not code:
            return None
        where = (Registration.ticket_code == code) & (Registration.event == event["id"])
    row = await Registration.select(Registration.id).where(where & Registration.anonymised_at.is_null()).first()
    if row is None:
        return None
    async with db.atomic():
        await audit.record(actor, "registration.open_sensitive", f"event:{event['id']}/registration:{row['id']}")
    return row["id"]


"""Emails to registrants: what happened to their registration or their event, queued as intents.

``notify`` runs inside the caller's ``atomic()`` and writes one outbox row, so the email goes out only if the
change it tells about is committed. It renders nothing: the row holds the intent (the notice, the ids, the
language, the manage token when the email carries the link) and what must be frozen at the time of the change:
the registration status the notice is about, the place on the waiting list (counted here, after the booking,
while the transaction holds the event row, so concurrent registrations are told distinct places) and the
calendar SEQUENCE the invite will carry. The worker writes the email when it sends it
(``events.messaging.rendering``), which keeps the templates, the ``.ics`` and the QR image out of the booking
transaction. Callers pass the rows they already hold; queueing then reads only the waiting-list count (for
people waiting) and the person's earlier cancellations of the event (for emails that carry an invite).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from events import rules
from events.contracts import Notice, SeatPlan
from events.messaging import calendar
from events.messaging.rendering import carries_invite
from events.tables import Event, Registration, RegistrationStatus
from samrad.core import mail

# What ``notify`` needs of a registration (callers that hold the row pass it in instead).
_COLUMNS = (
    Registration.id, Registration.event, Registration.email, Registration.locale, Registration.status,
    Registration.anonymised_at,
)


async def notify(
    notice: Notice | str,
    registration_id: int,
    *,
    manage_token: str | None = None,
    seats: SeatPlan | None = None,
    occurrence_id: int | None = None,
    registration: Mapping[str, Any] | None = None,
    event: Mapping[str, Any] | None = None,
    waitlist_position: int | None = None,
    sequence_offset: int | None = None,
) -> int | None:
    """Queue the email for ``notice`` to the registrant; returns the outbox id (None if there is no address).

    ``registration`` is the row as it stands after the change (``id``, ``event``, ``email``, ``locale``,
    ``status``, ``anonymised_at``) and ``event`` the event row (its ``ical_sequence``), when the caller holds
    them; otherwise they are read. With ``seats`` the email lists the workshop seats (described at send time).
    ``occurrence_id`` names the one date of a series that an ``event_cancelled`` notice is about; people
    signed up for the whole series then get a CANCEL for that date only (RECURRENCE-ID). A caller that counted
    the place in the queue (``waitlist_position``) or the invite's ``sequence_offset`` (see
    ``calendar.invite_sequence_offset``) under the event row's lock passes them, and they are not read again.
    """
    notice = Notice(notice)
    if registration is None or event is None:
        loaded = await Registration.select(
            *_COLUMNS, Registration.event.ical_sequence.as_alias("ical_sequence")
        ).where(Registration.id == registration_id).first()
        if loaded is None:
            raise LookupError(f"registration {registration_id} does not exist")
        registration = registration or loaded
        event = event or {"id": loaded["event"], "ical_sequence": loaded["ical_sequence"]}
    if registration.get("anonymised_at") is not None or not (registration["email"] or "").strip():
        return None
    status = registration["status"]
    position = waitlist_position
    if position is None and status == RegistrationStatus.waitlisted.value:
        position = await rules.waitlist_position(registration["event"], registration["id"])
    offset = 0
    if carries_invite(notice, status):
        offset = sequence_offset if sequence_offset is not None else await calendar.invite_sequence_offset(registration)
    return await _queue(
        notice, registration, sequence=int(event["ical_sequence"] or 0) + offset, position=position,
        manage_token=manage_token, workshops=seats is not None, occurrence_id=occurrence_id,
    )


async def _queue(
    notice: Notice,
    registration: Mapping[str, Any],
    *,
    sequence: int,
    position: int | None,
    manage_token: str | None,
    workshops: bool,
    occurrence_id: int | None,
) -> int:
    intent = {
        "notice": notice.value,
        "registration": registration["id"],
        "event": registration["event"],
        "locale": registration["locale"],
        "status": registration["status"],
        "waitlist_position": position,
        "sequence": sequence,  # before the +1 of a CANCEL, as ``Event.ical_sequence``
        "occurrence": occurrence_id,
        "manage_token": manage_token,
        "workshops": workshops,
    }
    return await mail.queue_intent(f"notice.{notice.value}", registration["email"], intent)


async def announce_event_update(
    event_id: int,
    notice: Notice | str,
    *,
    seats: SeatPlan | None = None,
    occurrence_id: int | None = None,
) -> int:
    """Tell everyone registered that the event changed or was cancelled (or one date of a series was).

    Call it inside the ``atomic()`` that saves the change, after saving it. It raises the event's SEQUENCE
    (calendars take the new invite, or the cancellation, as current) and queues ``notice`` for each active,
    not yet anonymised registration concerned: for one date of a series, the people registered for the whole
    series and those signed up for that date. Registrations keep their status; cancelling them is the
    caller's business, after this call (cancelled registrations are not told again). Returns how many emails
    were queued. Three reads for any number of people: the registrations, the waiting list, the cancellations.
    """
    notice = Notice(notice)
    if notice not in {Notice.event_changed, Notice.event_cancelled}:
        raise ValueError("announce_event_update sends event_changed or event_cancelled")
    raised = await Event.update({Event.ical_sequence: Event.ical_sequence + 1}).where(
        Event.id == event_id
    ).returning(Event.ical_sequence)
    if not raised:
        return 0
    concerned = (
        (Registration.event == event_id)
        & Registration.anonymised_at.is_null()
        & (Registration.status != RegistrationStatus.cancelled.value)
    )
    if occurrence_id is not None:
        concerned &= Registration.occurrence.is_null() | (Registration.occurrence == occurrence_id)
    rows = [
        row for row in await Registration.select(*_COLUMNS).where(concerned).order_by(Registration.id)
        if (row["email"] or "").strip()
    ]
    if not rows:
        return 0
    waiting = RegistrationStatus.waitlisted.value
    positions = await _waitlist_positions(event_id) if any(row["status"] == waiting for row in rows) else {}
    offsets = await calendar.invite_sequence_offsets(
        event_id, [row for row in rows if carries_invite(notice, row["status"])]
    )
    for row in rows:
        await _queue(
            notice, row, sequence=raised[0]["ical_sequence"] + offsets.get(row["id"], 0),
            position=positions.get(row["id"]), manage_token=None, workshops=seats is not None,
            occurrence_id=occurrence_id,
        )
    return len(rows)


async def _waitlist_positions(event_id: int) -> dict[int, int]:
    """Every waiting registration's place in the queue (``rules.waitlist_position`` for all at once)."""
    rows = await Registration.select(Registration.id).where(
        (Registration.event == event_id) & (Registration.status == RegistrationStatus.waitlisted.value)
    ).order_by(Registration.id)
    return {row["id"]: place for place, row in enumerate(rows, start=1)}

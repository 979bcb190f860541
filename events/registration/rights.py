"""The participant's data rights behind the manage link: "download my data" and "delete my data".

``personal_data`` gathers everything stored about the person (registration, event, date, workshop seats,
the emails queued to them), JSON-able. ``erase`` cancels through ``events.registration.cancellation`` (promoting
the waiting list) and anonymises at once with ``events.registration.retention.anonymise``, leaving an audit
entry without personal data; the manage link stops working.
"""

from __future__ import annotations

import logging
from datetime import datetime

from events import capacity, loaders
from events.contracts import RegistrationError, SeatPlan
from events.registration.cancellation import cancel_locked
from events.registration.retention import anonymise
from events.tables import Event, Occurrence, OrgUnit
from samrad.core import audit, db
from samrad.core.clock import now_utc
from samrad.core.tables import OutboxMessage

log = logging.getLogger("samrad.registration")


async def erase(token: str, seats: SeatPlan | None) -> None:
    """"Delete my data": cancel (promoting the waiting list) and anonymise now, leaving an audit entry
    without personal data. The manage link stops working."""
    found = await loaders.registration_by_token(token)
    if found is None:
        raise RegistrationError("not_found")
    async with db.atomic():
        await capacity.lock_event(found["event"])
        await cancel_locked(found["id"], seats)
        await anonymise([found["id"]], now_utc())
        await audit.record("participant", "registration.erase", f"event:{found['event']}/registration:{found['id']}")
    log.info("registration %s erased by its owner", found["id"])


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def personal_data(token: str, seats: SeatPlan | None = None) -> dict:
    """"Download my data": everything stored about the person behind a manage link, JSON-able."""
    registration = await loaders.registration_by_token(token)
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

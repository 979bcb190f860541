"""Shared set-up for the mail, calendar, worker and retention tests: rows made directly, emails read back."""

from __future__ import annotations

import email
import email.policy
import itertools
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

_counter = itertools.count(1)


def soon(days: float = 7, hour: int = 10) -> datetime:
    base = datetime.now(UTC).replace(minute=0, second=0, microsecond=0, hour=hour)
    return base + timedelta(days=days)


async def make_venue(**fields: Any) -> dict[str, Any]:
    from events.tables import Venue

    values = {"name": "Kulturhuset", "address": "Storegade 1", "city": "Randers", **fields}
    row = Venue(**values)
    await row.save()
    return {"id": row.id, **values}


async def make_event(*, starts_at: datetime | None = None, duration: timedelta = timedelta(hours=3),
                     venue: int | None = None, **fields: Any) -> dict[str, Any]:
    from events.tables import Event, Occurrence

    number = next(_counter)
    starts_at = starts_at or soon()
    values = {
        "slug": f"event-{number}",
        "kind": "conference",
        "title": {"en": f"Equality conference {number}", "da": f"Ligestillingskonference {number}",
                  "sv": f"Jämställdhetskonferens {number}"},
        "summary": {"en": "Talks and workshops.", "da": "Oplæg og workshops.", "sv": "Föredrag och workshoppar."},
        "timezone": "Europe/Copenhagen",
        "starts_at": starts_at,
        "ends_at": starts_at + duration,
        "ical_uid": f"event-{number}@test.samrad",
        "ical_sequence": 0,
        "venue": venue,
        **fields,
    }
    row = Event(**values)
    await row.save()
    if not values.get("recurrence_rule"):
        await Occurrence(event=row.id, starts_at=values["starts_at"], ends_at=values["ends_at"]).save()
    return {"id": row.id, **values}


async def make_occurrences(event_id: int, starts: list[datetime], duration: timedelta,
                           cancelled: set[datetime] = frozenset()) -> list[int]:
    from events.tables import Occurrence

    ids = []
    for start in starts:
        row = Occurrence(event=event_id, starts_at=start, ends_at=start + duration, cancelled=start in cancelled)
        await row.save()
        ids.append(row.id)
    return ids


async def make_registration(event_id: int, **fields: Any) -> dict[str, Any]:
    from events.tables import Registration
    from samrad.core.security import hash_token, new_secret_token, new_ticket_code

    number = next(_counter)
    email_address = fields.pop("email", f"person{number}@example.org")
    status = fields.pop("status", "confirmed")
    values = {
        "event": event_id,
        "status": status,
        "name": f"Person {number}",
        "email": email_address,
        "locale": "en",
        "category": "citizen",
        "access_needs": ["hearing_loop"],
        "diet": "vegetarian",
        "pronouns": "they/them",
        "organisation": "Foreningen",
        "active_key": None if status == "cancelled" else f"{event_id}:{email_address}",
        "manage_token_hash": hash_token(new_secret_token()),
        "ticket_code": new_ticket_code(),
        **fields,
    }
    row = Registration(**values)
    await row.save()
    return {"id": row.id, **values}


async def rendered(rows: list[dict[str, Any]], provided: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Outbox rows as the worker sends them: an intent not sent yet gets its subject, bodies and attachments
    from the renderer the worker uses (``samrad.core.mail.render_row`` with the areas' renderers), at the time
    of reading. ``provided`` adds to or replaces what the areas provide (a test's own ``seat_plan``)."""
    from samrad.areas import mail_renderers
    from samrad.areas import provided as areas_provided
    from samrad.core.mail import render_row

    renderers, offered = mail_renderers(), {**areas_provided(), **(provided or {})}
    result = []
    for row in rows:
        if isinstance(row.get("intent"), str):
            row = {**row, "intent": json.loads(row["intent"])}
        if isinstance(row.get("attachments"), str):
            row = {**row, "attachments": json.loads(row["attachments"])}
        if row.get("intent") is not None and row["status"] != "sent":
            row = await render_row(row, renderers, offered) or row  # None: nothing to send (erased)
        result.append(row)
    return result


async def outbox_rows(provided: Mapping[str, Any] | None = None, **where: Any) -> list[dict[str, Any]]:
    """Every outbox row (``where``: column values to keep), rendered as the worker would send it."""
    from samrad.core.tables import OutboxMessage

    rows = await rendered(await OutboxMessage.select().order_by(OutboxMessage.id).output(load_json=True), provided)
    return [row for row in rows if all(row[key] == value for key, value in where.items())]


async def deliver_due(settings: Any, limit: int = 50, **options: Any) -> Any:
    """``samrad.core.mail.deliver_due`` as the worker calls it: with the areas' mail renderers and what they
    provide (``samrad.worker.build_worker``)."""
    from samrad.areas import mail_renderers, provided
    from samrad.core import mail

    return await mail.deliver_due(settings, limit, renderers=mail_renderers(), provided=provided(), **options)


def parse_eml(data: bytes) -> EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)  # type: ignore[return-value]


def eml_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.eml")) if directory.exists() else []


def part_types(message: EmailMessage) -> list[str]:
    """The content types of a message's parts, depth first (with ``method`` for calendars)."""
    types = []
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == "text/calendar":
            content_type += f";method={part.get_param('method')}"
        types.append(content_type)
    return types

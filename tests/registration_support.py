"""Shared set-up for the registration, workshop-seat and concurrency tests: rows made directly, people to
register, and a database pool for tests that commit from many tasks at once."""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

_counter = itertools.count(1)

MANAGE_LINK = re.compile(r"/manage/([A-Za-z0-9_\-]+)")


def soon(days: float = 7, hour: int = 10) -> datetime:
    base = datetime.now(UTC).replace(minute=0, second=0, microsecond=0, hour=hour)
    return base + timedelta(days=days)


async def make_event(
    *,
    capacity: int | None = 10,
    categories: tuple[str, ...] = ("citizen",),
    quotas: dict[str, int] | None = None,
    questions: tuple[str, ...] = ("org_unit", "organisation", "workshops", "access_needs", "diet", "pronouns",
                                  "follow_up"),
    starts_at: datetime | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A published, scheduled event with its audiences (one date unless it is a drop-in series)."""
    from events.tables import Event, EventAudience, Occurrence

    number = next(_counter)
    starts_at = starts_at or soon()
    values = {
        "slug": f"reg-event-{number}",
        "kind": "conference",
        "title": {"en": f"Equality conference {number}", "da": f"Ligestillingskonference {number}"},
        "timezone": "Europe/Copenhagen",
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=3),
        "ical_uid": f"reg-event-{number}@test.samrad",
        "capacity": capacity,
        "questions": list(questions),
        **fields,
    }
    event = Event(**values)
    await event.save()
    for category in categories:
        await EventAudience(event=event.id, category=category, quota=(quotas or {}).get(category)).save()
    if values.get("registration_mode") != "dropin":
        await Occurrence(event=event.id, starts_at=values["starts_at"], ends_at=values["ends_at"]).save()
    return {"id": event.id, **values}


async def make_occurrence(event_id: int, starts_at: datetime, *, cancelled: bool = False) -> int:
    from events.tables import Occurrence

    row = Occurrence(event=event_id, starts_at=starts_at, ends_at=starts_at + timedelta(hours=2), cancelled=cancelled)
    await row.save()
    return row.id


async def make_workshop(event_id: int, *, capacity: int | None = 5, title: str | None = None,
                        starts_at: datetime | None = None, minutes: int = 60) -> int:
    from workshops.tables import Workshop

    number = next(_counter)
    row = Workshop(
        event=event_id,
        title={"en": title or f"Workshop {number}", "da": f"Værksted {number}"},
        room=f"Room {number}",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes) if starts_at else None,
        capacity=capacity,
        position=number,
        join_code=f"W{number:08d}",
    )
    await row.save()
    return row.id


def person(number: int | str, **fields: Any):
    """A registrant: ``person(3)`` is always the same name and email."""
    from events.contracts import RegistrationInput

    values: dict[str, Any] = {
        "name": f"Person {number}",
        "email": f"person{number}@example.org",
        "category": "citizen",
        "locale": "en",
        **fields,
    }
    return RegistrationInput(**values)


async def registration(registration_id: int) -> dict[str, Any]:
    from events.tables import Registration

    row = await Registration.select().where(Registration.id == registration_id).output(load_json=True).first()
    assert row is not None
    return row


async def statuses(event_id: int) -> dict[int, str]:
    from events.tables import Registration

    rows = await Registration.select(Registration.id, Registration.status).where(
        Registration.event == event_id
    ).order_by(Registration.id)
    return {row["id"]: row["status"] for row in rows}


async def booked(table, row_id: int) -> int:
    row = await table.select(table.booked).where(table.id == row_id).first()
    return row["booked"]


async def outbox(**where: Any) -> list[dict[str, Any]]:
    """The outbox rows with these column values, rendered as the worker would send them (see
    ``mailcal_support.outbox_rows``)."""
    from mailcal_support import outbox_rows

    return await outbox_rows(**where)


async def sent_kinds(email: str) -> list[str]:
    return [row["kind"] for row in await outbox(to_address=email)]


def manage_token_in(message: dict[str, Any]) -> str:
    match = MANAGE_LINK.search(message["text_body"])
    assert match, "the email has no manage link"
    return match.group(1)


@pytest.fixture
async def database_pool() -> AsyncIterator[None]:
    """What the app's lifespan opens (the PostgreSQL pool of 20, WAL on SQLite), for tests without the app:
    many concurrent transactions then queue for connections instead of exhausting the server."""
    from samrad.core import db

    await db.start()
    try:
        yield
    finally:
        await db.stop()

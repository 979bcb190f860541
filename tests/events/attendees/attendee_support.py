"""Shared by the participant tests: registering people quickly, the organiser's pages, reading the outbox."""

from __future__ import annotations

import itertools
from typing import Any

from events.contracts import RegistrationInput
from events.registration import services

_people = itertools.count(1)


async def register(event_id: int, name: str | None = None, *, seats=None, **fields: Any):
    number = next(_people)
    data = RegistrationInput(
        name=name or f"Participant {number}",
        email=fields.pop("email", None) or f"participant{number}@example.org",
        category=fields.pop("category", "citizen"),
        locale=fields.pop("locale", "en"),
        **fields,
    )
    return await services.register(event_id, data, seats)


def base(event: dict[str, Any]) -> str:
    return f"/staff/events/{event['id']}/registrations"


def seat_plan():
    from samrad.areas import provided

    return provided()["seat_plan"]


def roster():
    from samrad.areas import provided

    return provided()["workshop_roster"]

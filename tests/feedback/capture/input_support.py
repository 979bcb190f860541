"""Shared set-up for the capture and moderation tests: an event with a workshop, tables and themes; staff in
each role, assigned or not; items captured through the real services."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from registration_support import make_event, make_workshop, soon
from staff_support import login, make_staff

_numbers = itertools.count(1)


@dataclass
class Setup:
    event_id: int
    workshop_id: int
    join_code: str
    table_ids: list[int]
    table_codes: list[str]
    theme_ids: list[int]
    other_workshop_id: int
    other_theme_id: int = 0


async def make_setup(*, moderation: str = "post", voting: bool = True, participant_input: bool = True,
                     days: float = 0, hours: float = 1) -> Setup:
    """An event going on now (``days`` from now), a workshop with two tables and two themes, a second
    workshop of the same event, and a theme nobody links."""
    from events.tables import Event, Occurrence
    from feedback.tables import EventInputSettings, Policy, Theme, WorkshopTheme
    from workshops.tables import Workshop, WorkshopTable

    number = next(_numbers)
    started_an_hour_ago = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=1)
    starts_at = soon(days=days) if days else started_an_hour_ago
    event = await make_event(starts_at=starts_at)
    await Event.update({Event.ends_at: starts_at + timedelta(hours=hours + 1)}).where(Event.id == event["id"])
    await Occurrence.update({Occurrence.ends_at: starts_at + timedelta(hours=hours + 1)}).where(
        Occurrence.event == event["id"]
    )
    workshop_id = await make_workshop(event["id"])
    other_workshop_id = await make_workshop(event["id"])
    join_code = (await Workshop.select(Workshop.join_code).where(Workshop.id == workshop_id).first())["join_code"]
    table_ids, table_codes = [], []
    for position in range(2):
        code = f"T{number:05d}{position}"
        table = WorkshopTable(workshop=workshop_id, label=f"Table {position + 1}", position=position, join_code=code)
        await table.save()
        table_ids.append(table.id)
        table_codes.append(code)
    policy = Policy(code=f"policy-{number}", kind="municipal", name={"en": f"Policy {number}"})
    await policy.save()
    theme_ids = []
    for position, name in enumerate(("Workplace", "Services", "Safety")):
        theme = Theme(policy=policy.id, code=f"T{position}", name={"en": name, "da": name, "sv": name},
                      position=position, theme_key=f"{policy.id}:T{position}")
        await theme.save()
        theme_ids.append(theme.id)
    for theme_id in theme_ids[:2]:
        await WorkshopTheme(workshop=workshop_id, theme=theme_id, link_key=f"{workshop_id}:{theme_id}").save()
    await EventInputSettings(event=event["id"], moderation=moderation, voting=voting,
                             participant_input=participant_input).save()
    return Setup(event_id=event["id"], workshop_id=workshop_id, join_code=join_code, table_ids=table_ids,
                 table_codes=table_codes, theme_ids=theme_ids[:2], other_workshop_id=other_workshop_id,
                 other_theme_id=theme_ids[2])


async def assign(workshop_id: int, email: str) -> int:
    """Assign the staff account with this email to facilitate the workshop; returns its id."""
    from samrad.core.tables import StaffUser
    from workshops.access import assignment_key
    from workshops.tables import WorkshopFacilitator

    user = await StaffUser.select(StaffUser.id).where(StaffUser.email == email).first()
    await WorkshopFacilitator(workshop=workshop_id, staff_user=user["id"],
                              assignment_key=assignment_key(workshop_id, user["id"])).save()
    return user["id"]


async def facilitator(client, workshop_id: int | None) -> int:
    """Log ``client`` in as a facilitator assigned to the workshop (or to none); returns the account id."""
    from samrad.core.tables import StaffUser

    email = await make_staff("facilitator")
    user_id = await assign(workshop_id, email) if workshop_id is not None else (
        await StaffUser.select(StaffUser.id).where(StaffUser.email == email).first())["id"]
    response = await login(client, email)
    assert response.status_code == 303
    return user_id


async def organiser(client, event_id: int | None) -> int:
    """Log in as an organiser on the event's team (or on none)."""
    from events.access import add_to_team
    from samrad.core import db
    from samrad.core.tables import StaffUser

    email = await make_staff("organiser")
    user_id = (await StaffUser.select(StaffUser.id).where(StaffUser.email == email).first())["id"]
    if event_id is not None:
        async with db.atomic():
            await add_to_team(event_id, user_id)
    response = await login(client, email)
    assert response.status_code == 303
    return user_id


def new_id() -> str:
    return str(uuid.uuid4())


async def capture(setup: Setup, text: str, *, staff_user_id: int | None = None, **fields: Any) -> dict[str, Any]:
    """One item captured through the service, as a facilitator."""
    from feedback.capture import services
    from feedback.tables import InputSource

    context = await services.load_workshop(setup.workshop_id)
    draft = services.parse_item({"client_id": new_id(), "text": text, **fields}, context)
    assert not isinstance(draft, dict), draft
    captured = await services.capture(context, [draft], source=InputSource.facilitator, staff_user_id=staff_user_id)
    return captured[0].item


async def item(item_id: int) -> dict[str, Any]:
    from feedback.capture.services import items_by_id

    return (await items_by_id([item_id]))[item_id]


async def count_items(**where: Any) -> int:
    from feedback.tables import InputItem

    query = InputItem.count()
    for name, value in where.items():
        query = query.where(getattr(InputItem, name) == value)
    return await query

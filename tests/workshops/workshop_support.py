"""Set-up shared by the workshop back-office tests: an event with themes, staff on its team, a workshop form."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from registration_support import make_event, soon
from staff_support import login, make_staff


async def staff_id(email: str) -> int:
    from samrad.core.tables import StaffUser

    return (await StaffUser.select(StaffUser.id).where(StaffUser.email == email).first())["id"]


async def log_in_as_organiser(client, event_id: int | None) -> int:
    """An organiser on the event's team (or on none), logged in; returns the account's id."""
    from events.access import add_to_team
    from samrad.core import db

    email = await make_staff("organiser")
    user_id = await staff_id(email)
    if event_id is not None:
        async with db.atomic():
            await add_to_team(event_id, user_id)
    assert (await login(client, email)).status_code == 303
    return user_id


async def log_in_as(client, role: str) -> int:
    email = await make_staff(role)
    assert (await login(client, email)).status_code == 303
    return await staff_id(email)


async def conference(starts_at: datetime | None = None, **fields: Any) -> dict[str, Any]:
    """A published conference of seven hours, from 9 o'clock (Copenhagen) a week ahead unless told otherwise."""
    start = starts_at or soon(7, hour=8)
    return await make_event(starts_at=start, ends_at=start + timedelta(hours=7), **fields)


async def make_themes() -> dict[str, int]:
    """A policy with two themes (one with a sub-theme) and an archived one; ids by code."""
    from feedback.tables import Policy, Theme
    from samrad.core.clock import now_utc

    policy = Policy(code="test-policy", kind="municipal", name={"en": "Equality policy", "da": "Ligestillingspolitik"})
    await policy.save()
    ids: dict[str, int] = {}
    for position, (code, parent, archived) in enumerate(
        (("T1", None, False), ("T1.1", "T1", False), ("T2", None, False), ("T9", None, True))
    ):
        theme = Theme(
            policy=policy.id, parent=ids.get(parent) if parent else None, level=2 if parent else 1, code=code,
            name={"en": f"Theme {code}", "da": f"Tema {code}"}, position=position,
            archived_at=now_utc() if archived else None, theme_key=f"{policy.id}:{code}",
        )
        await theme.save()
        ids[code] = theme.id
    return ids


def local(event: dict[str, Any], hours: float) -> str:
    """A datetime-local value ``hours`` after the event starts, in its time zone."""
    from zoneinfo import ZoneInfo

    moment = event["starts_at"] + timedelta(hours=hours)
    return moment.astimezone(ZoneInfo(event["timezone"])).strftime("%Y-%m-%dT%H:%M")


def workshop_fields(event: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """A valid workshop form: one hour from the event's second hour, two tables."""
    fields: dict[str, Any] = {
        "title_da": "Lige løn", "title_sv": "Lika lön", "title_en": "Equal pay",
        "description_en": "How do we close the pay gap?", "room": "Lokale 1.10",
        "starts_at": local(event, 1), "ends_at": local(event, 2), "capacity": "30", "table_count": "2",
        "table_label_1": "", "table_label_2": "",
    }
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not None}

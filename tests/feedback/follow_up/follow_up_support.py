"""Test data of the follow-up tests, written straight through the tables (input comes from capture, which has
its own tests): a policy with a small theme tree, events, items with tags."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

_numbers = itertools.count(1)


async def make_policy(code: str | None = None) -> dict[str, Any]:
    """A policy with themes A (sub-themes A.1, A.2), B and C; returns ids by code and the policy id."""
    from feedback.tables import Policy, Theme

    number = next(_numbers)
    policy = Policy(code=code or f"pol{number}", kind="municipal",
                    name={"en": f"Policy {number}", "da": f"Politik {number}", "sv": f"Policy {number}"})
    await policy.save()
    ids: dict[str, Any] = {"policy": policy.id, "code": policy.code}

    async def theme(code: str, parent: str | None, level: int, position: int) -> None:
        row = Theme(policy=policy.id, parent=ids.get(parent), level=level, code=code,
                    name={"en": f"Theme {code}", "da": f"Tema {code}", "sv": f"Tema {code}"}, position=position,
                    theme_key=f"{policy.id}:{code}")
        await row.save()
        ids[code] = row.id

    await theme("A", None, 1, 0)
    await theme("A.1", "A", 2, 0)
    await theme("A.2", "A", 2, 1)
    await theme("B", None, 1, 1)
    await theme("C", None, 1, 2)
    return ids


async def make_event(title: str = "Dialogue", *, days_ago: int = 3, **fields: Any) -> dict[str, Any]:
    from events.tables import Event, Occurrence

    number = next(_numbers)
    starts_at = datetime.now(UTC).replace(microsecond=0, second=0) - timedelta(days=days_ago)
    values = {
        "slug": f"fu-event-{number}", "kind": "conference",
        "title": {"en": f"{title} {number}", "da": f"{title} {number} (da)", "sv": f"{title} {number} (sv)"},
        "timezone": "Europe/Copenhagen", "starts_at": starts_at, "ends_at": starts_at + timedelta(hours=3),
        "ical_uid": f"fu-event-{number}@test.samrad", **fields,
    }
    event = Event(**values)
    await event.save()
    await Occurrence(event=event.id, starts_at=values["starts_at"], ends_at=values["ends_at"]).save()
    return {"id": event.id, **values}


async def make_item(
    event_id: int, text: str, *, themes: tuple[int, ...] = (), status: str = "published", kind: str = "idea",
    source: str = "facilitator", speaker: str = "", created_at: datetime | None = None,
    workshop: int | None = None, table: int | None = None,
) -> int:
    from feedback.tables import InputItem, InputTag

    item = InputItem(event=event_id, text=text, status=status, kind=kind, source=source, speaker_category=speaker,
                     created_at=created_at or datetime.now(UTC).replace(second=0, microsecond=0),
                     workshop=workshop, workshop_table=table)
    await item.save()
    for theme_id in themes:
        await InputTag(input_item=item.id, theme=theme_id, tag_key=f"{item.id}:{theme_id}").save()
    return item.id


async def link_event_themes(event_id: int, *theme_ids: int) -> None:
    from feedback.tables import EventTheme

    for theme_id in theme_ids:
        await EventTheme(event=event_id, theme=theme_id, link_key=f"{event_id}:{theme_id}").save()

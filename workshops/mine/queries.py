"""The workshops a staff member runs: those they are assigned to, or every one for organisers and
administrators (``workshops.access``), today's first, then the coming ones, then the past ones.

Cancelled events are left out (nothing is captured there), and so are workshops that ended more than
``PAST_DAYS`` ago: their input is followed up in the feedback area, not at the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from events.tables import EventStatus
from workshops.access import workshop_ids_run_by
from workshops.management.queries import tables
from workshops.tables import Workshop

PAST_DAYS = 60
SECTIONS = ("today", "upcoming", "past")


@dataclass
class EventGroup:
    event: dict[str, Any]
    workshops: list[dict[str, Any]] = field(default_factory=list)


async def workshops_run_by(user: Mapping[str, Any], now: datetime) -> list[dict[str, Any]]:
    """The workshops ``user`` may run, each with ``event`` (id, slug, title, timezone), ``tables`` and
    ``section`` (today, upcoming or past), in the order of the sections, then by time."""
    ids = await workshop_ids_run_by(user)
    if ids == []:
        return []
    condition = (Workshop.event.status != EventStatus.cancelled.value) & (
        Workshop.event.ends_at >= now - timedelta(days=PAST_DAYS)
    )
    if ids is not None:
        condition &= Workshop.id.is_in(ids)
    rows = await Workshop.select(
        Workshop.id, Workshop.title, Workshop.room, Workshop.starts_at, Workshop.ends_at, Workshop.join_code,
        Workshop.position, Workshop.event.id.as_alias("event_id"), Workshop.event.slug.as_alias("event_slug"),
        Workshop.event.title.as_alias("event_title"), Workshop.event.timezone.as_alias("event_timezone"),
        Workshop.event.starts_at.as_alias("event_starts_at"), Workshop.event.ends_at.as_alias("event_ends_at"),
    ).where(condition).output(load_json=True)
    by_tables = await tables([row["id"] for row in rows])
    found = []
    for row in rows:
        starts_at = row["starts_at"] or row["event_starts_at"]
        ends_at = row["ends_at"] or row["event_ends_at"]
        if ends_at < now - timedelta(days=PAST_DAYS):
            continue
        found.append({
            "id": row["id"], "title": row["title"], "room": row["room"], "starts_at": starts_at,
            "ends_at": ends_at, "join_code": row["join_code"], "position": row["position"],
            "tables": by_tables[row["id"]],
            "event": {"id": row["event_id"], "slug": row["event_slug"], "title": row["event_title"],
                      "timezone": row["event_timezone"]},
            "section": section(starts_at, ends_at, row["event_timezone"], now),
        })
    found.sort(key=_order)
    return found


def section(starts_at: datetime, ends_at: datetime, zone: str, now: datetime) -> str:
    """Today (it runs now, or starts or ends on today's date where it takes place), upcoming or past."""
    local = ZoneInfo(zone)
    today = now.astimezone(local).date()
    if starts_at <= now < ends_at or today in {starts_at.astimezone(local).date(), ends_at.astimezone(local).date()}:
        return "today"
    return "upcoming" if starts_at > now else "past"


def _order(workshop: dict[str, Any]) -> tuple[Any, ...]:
    rank = SECTIONS.index(workshop["section"])
    moment = workshop["starts_at"].timestamp()
    # The past: the most recent first.
    return rank, -moment if workshop["section"] == "past" else moment, workshop["position"], workshop["id"]


def grouped(workshops: list[dict[str, Any]]) -> dict[str, list[EventGroup]]:
    """By section, then by event (in the order of each event's first workshop)."""
    sections: dict[str, list[EventGroup]] = {name: [] for name in SECTIONS}
    for workshop in workshops:
        groups = sections[workshop["section"]]
        group = next((g for g in groups if g.event["id"] == workshop["event"]["id"]), None)
        if group is None:
            group = EventGroup(event=workshop["event"])
            groups.append(group)
        group.workshops.append(workshop)
    return sections

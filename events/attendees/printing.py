"""What goes on paper: name badges on A4 sheets, the door list, and the attendance figures.

Badges and the door list are HTML pages with print CSS (``static/css/attendees.css``): the browser prints them,
so they need no PDF library and read the same on screen. Only confirmed participants get a badge or a line on
the door list; badges carry the ticket's QR code (the code alone, as on the ticket), so the badge checks its
wearer in at the door.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from events.attendees.forms import BADGE_SIZES
from events.attendees.queries import name_key
from events.messaging.tickets import qr_svg
from events.tables import OrgUnit, RegistrationStatus


def qr_data_uri(code: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(code)).decode("ascii")


def confirmed(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [row for row in rows if row["status"] == RegistrationStatus.confirmed]


def badges(rows: Sequence[Mapping[str, Any]], titles: Mapping[int, str], size: str) -> list[list[dict[str, Any]]]:
    """Badges of the confirmed rows, grouped into A4 sheets of ``size``."""
    per_sheet = BADGE_SIZES[size][1]
    items = [
        {
            "name": row["name"],
            "pronouns": row["pronouns"],
            "category": row["category"],
            "workshops": [titles[w] for w, status in row["workshops"] if status == "confirmed" and w in titles],
            "ticket_code": row["ticket_code"],
            "qr": qr_data_uri(row["ticket_code"]),
        }
        for row in confirmed(rows)
    ]
    return [items[start:start + per_sheet] for start in range(0, len(items), per_sheet)]


def door_list(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Confirmed participants in the alphabetical order of the page's language (``queries.name_key``)."""
    return sorted(confirmed(rows), key=lambda row: (name_key(row["name"]), row["id"]))


# --- attendance ---------------------------------------------------------------------------------------------

@dataclass
class Attendance:
    label: str
    registered: int = 0
    checked_in: int = 0
    headcount: int | None = None  # a unit's staff: the base of a training's coverage

    @property
    def share(self) -> float | None:
        return self.checked_in / self.registered if self.registered else None

    @property
    def coverage(self) -> float | None:
        return self.checked_in / self.headcount if self.headcount else None


@dataclass
class AttendanceFigures:
    total: Attendance
    by_category: list[Attendance] = field(default_factory=list)
    by_unit: list[Attendance] = field(default_factory=list)


async def attendance(rows: Sequence[Mapping[str, Any]], *, with_units: bool) -> AttendanceFigures:
    """Registered (confirmed) and checked in: for the event, per audience category, per unit."""
    total = Attendance("")
    categories: dict[str, Attendance] = {}
    units: dict[int | None, Attendance] = {}
    for row in confirmed(rows):
        came = row["checked_in_at"] is not None
        buckets = [total, categories.setdefault(row["category"], Attendance(row["category"]))]
        if with_units:
            buckets.append(units.setdefault(row["org_unit"], Attendance(row["unit_name"] or "")))
        for bucket in buckets:
            bucket.registered += 1
            bucket.checked_in += came
    if with_units and units:
        heads = await OrgUnit.select(OrgUnit.id, OrgUnit.headcount).where(
            OrgUnit.id.is_in([unit for unit in units if unit is not None] or [0])
        )
        for row in heads:
            units[row["id"]].headcount = row["headcount"] or None
    by_unit = sorted((figures for key, figures in units.items() if key is not None), key=lambda f: name_key(f.label))
    if None in units:
        by_unit.append(units[None])
    return AttendanceFigures(total, sorted(categories.values(), key=lambda f: f.label), by_unit)

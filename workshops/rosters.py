"""Who is in which workshop of an event, for the organiser's lists, exports, badges and group emails.

Provided to the events area as ``workshop_roster`` (``workshops.area``): the events area filters and prints
registrations by workshop without importing this area. One query for a whole event.
"""

from __future__ import annotations

from workshops.tables import Workshop, WorkshopSeat


async def workshop_roster(event_id: int) -> dict[int, list[tuple[int, str]]]:
    """Registration id → its workshop seats of the event as (workshop id, seat status), in workshop order."""
    rows = await WorkshopSeat.select(WorkshopSeat.registration, WorkshopSeat.workshop, WorkshopSeat.status).where(
        WorkshopSeat.workshop.is_in(Workshop.select(Workshop.id).where(Workshop.event == event_id))
    ).order_by(WorkshopSeat.workshop)
    roster: dict[int, list[tuple[int, str]]] = {}
    for row in rows:
        roster.setdefault(row["registration"], []).append((row["workshop"], row["status"]))
    return roster

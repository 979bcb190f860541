"""The workshops area's invariants for ``samrad check`` (``samrad.core.invariants``), as ``workshops.services``
keeps them.

* **Workshop seats**: ``Workshop.booked`` is the number of confirmed seat rows, and at most the capacity.
* **Workshop waiting lists**: nobody waits for a workshop with a free seat (a freed seat goes to its list in the
  same transaction) until the event starts. A place is the seat row's rank by id among those waiting, so places
  are 1..n by construction.
* **Seats follow the registration**: a confirmed registration holds confirmed or waiting seats, a registration on
  the event's waiting list only wished ones, a cancelled registration none (they were given back).
"""

from __future__ import annotations

from datetime import datetime

from events.tables import RegistrationStatus
from samrad.core.invariants import Invariant, Result, ids, rows
from samrad.core.settings import Settings
from workshops.tables import SeatStatus

_SEATS = """SELECT w.id, w.event, w.capacity, w.booked,
  (SELECT count(*) FROM workshop_seat s WHERE s.workshop = w.id AND s.status = {}) AS confirmed
FROM workshop w ORDER BY w.id"""


async def check_workshop_seats(now: datetime, settings: Settings) -> Result:
    result = Result()
    for row in await rows(_SEATS, SeatStatus.confirmed.value):
        result.checked += 1
        where = f"workshop {row['id']} (event {row['event']})"
        if row["booked"] != row["confirmed"]:
            result.mismatches.append(f"{where}: booked {row['booked']}, but {row['confirmed']} confirmed seats")
        if row["capacity"] is not None and row["booked"] > row["capacity"]:
            result.mismatches.append(f"{where}: booked {row['booked']} of a capacity of {row['capacity']}")
    return result


_WAITING = """SELECT s.workshop, count(*) AS waiting, min(s.id) AS first_id, w.capacity, w.booked,
  CASE WHEN e.starts_at > {} THEN 1 ELSE 0 END AS upcoming
FROM workshop_seat s JOIN workshop w ON w.id = s.workshop JOIN event e ON e.id = w.event
WHERE s.status = {}
GROUP BY s.workshop, w.capacity, w.booked, e.starts_at ORDER BY s.workshop"""
_STRAY_SEATS = """SELECT s.id, s.status AS seat, r.status AS registration FROM workshop_seat s
JOIN registration r ON r.id = s.registration
WHERE (r.status = {} AND s.status = {}) OR (r.status = {} AND s.status <> {}) OR r.status = {}
ORDER BY s.id"""


async def check_workshop_waiting(now: datetime, settings: Settings) -> Result:
    result = Result(checked=(await rows("SELECT count(*) AS n FROM workshop_seat"))[0]["n"])
    for row in await rows(_WAITING, now, SeatStatus.waitlisted.value):
        if row["upcoming"] and (row["capacity"] is None or row["booked"] < row["capacity"]):
            result.mismatches.append(
                f"workshop {row['workshop']}: {row['waiting']} waiting (first: workshop_seat {row['first_id']}) "
                f"although {'a seat is' if row['capacity'] is not None else 'seats are'} free"
            )
    confirmed, waitlisted, cancelled = (status.value for status in RegistrationStatus)
    stray: dict[tuple[str, str], list[int]] = {}
    for row in await rows(_STRAY_SEATS, confirmed, SeatStatus.wished.value, waitlisted, SeatStatus.wished.value,
                          cancelled):
        stray.setdefault((row["seat"], row["registration"]), []).append(row["id"])
    for (seat, registration), seat_ids in stray.items():
        result.mismatches.append(f"workshop_seat {ids(seat_ids)}: {seat} for a {registration} registration")
    return result


INVARIANTS = (
    Invariant("workshop seats", "a workshop's booked seats are its confirmed seats, within its capacity",
              check_workshop_seats),
    Invariant("workshop waiting lists", "nobody waits for a free workshop seat; seats follow the registration",
              check_workshop_waiting),
)

"""The events area's invariants for ``samrad check`` (``samrad.core.invariants``): seats, quotas, waiting lists
and the one-active-registration-per-address rule, as ``events.capacity`` and the registration flow keep them.

* **Event seats**: ``Event.booked`` is the number of confirmed registrations, and at most the capacity. A drop-in
  event books no seats (its sign-ups are reminders), so its counter stays 0.
* **Quotas**: an audience with a quota counts its confirmed registrations in ``EventAudience.booked``, at most the
  quota; without a quota the counter stays 0 (``events.management.settings``: it runs only while there is one).
* **Waiting lists**: nobody waits while a seat they may take is free: a freed seat goes to the list in the same
  transaction (``events.registration.waitlist.promote``), unless the event has started or is cancelled. A
  place in a list is not stored: it is the registration's rank by id among those waiting
  (``events.rules.waitlist_position``), so places are 1..n without gaps or repeats by construction. Order is not
  checked against seats: an organiser may give a seat to someone out of turn
  (``events.attendees.services.promote_by_hand``).
* **Registrations**: an active registration (confirmed or waiting, not anonymised) has its ``active_key`` and a
  cancelled one has none; no two active registrations of one event (one date of a drop-in) share an address;
  a cancelled event has no active registrations.
"""

from __future__ import annotations

from datetime import datetime

from events.tables import EventStatus, RegistrationMode, RegistrationStatus
from samrad.core.invariants import Invariant, Result, ids, rows
from samrad.core.settings import Settings

CONFIRMED, WAITLISTED, CANCELLED = (status.value for status in RegistrationStatus)
DROPIN = RegistrationMode.dropin.value

_EVENT_SEATS = """SELECT e.id, e.booked, e.capacity, e.registration_mode,
  (SELECT count(*) FROM registration r WHERE r.event = e.id AND r.status = {}) AS confirmed
FROM event e ORDER BY e.id"""


async def check_event_seats(now: datetime, settings: Settings) -> Result:
    result = Result()
    for row in await rows(_EVENT_SEATS, CONFIRMED):
        result.checked += 1
        held = 0 if row["registration_mode"] == DROPIN else row["confirmed"]
        if row["booked"] != held:
            what = "a drop-in event books no seats" if row["registration_mode"] == DROPIN else (
                f"{row['confirmed']} confirmed registrations")
            result.mismatches.append(f"event {row['id']}: booked {row['booked']}, but {what}")
        if row["capacity"] is not None and row["booked"] > row["capacity"]:
            result.mismatches.append(f"event {row['id']}: booked {row['booked']} of a capacity of {row['capacity']}")
        if row["booked"] < 0:
            result.mismatches.append(f"event {row['id']}: booked {row['booked']} is negative")
    return result


_QUOTAS = """SELECT a.id, a.event, a.category, a.quota, a.booked, e.registration_mode,
  (SELECT count(*) FROM registration r WHERE r.event = a.event AND r.category = a.category AND r.status = {})
    AS confirmed
FROM event_audience a JOIN event e ON e.id = a.event ORDER BY a.id"""


async def check_quotas(now: datetime, settings: Settings) -> Result:
    result = Result()
    for row in await rows(_QUOTAS, CONFIRMED):
        result.checked += 1
        counting = row["quota"] is not None and row["registration_mode"] != DROPIN
        held = row["confirmed"] if counting else 0
        where = f"event_audience {row['id']} (event {row['event']}, {row['category']})"
        if row["booked"] != held:
            why = f"{row['confirmed']} confirmed registrations" if counting else "no quota counts here"
            result.mismatches.append(f"{where}: booked {row['booked']}, but {why}")
        if row["quota"] is not None and row["booked"] > row["quota"]:
            result.mismatches.append(f"{where}: booked {row['booked']} of a quota of {row['quota']}")
    return result


# Per event and category: how many wait, and whether a seat they may take is free. ``upcoming`` is decided in SQL
# so both databases compare the stored times the same way.
_WAITING = """SELECT r.event, r.category, count(*) AS waiting, min(r.id) AS first_id, e.capacity, e.booked,
  e.status, e.registration_mode, CASE WHEN e.starts_at > {} THEN 1 ELSE 0 END AS upcoming,
  a.quota, a.booked AS quota_booked
FROM registration r JOIN event e ON e.id = r.event
LEFT JOIN event_audience a ON a.event = r.event AND a.category = r.category
WHERE r.status = {}
GROUP BY r.event, r.category, e.capacity, e.booked, e.status, e.registration_mode, e.starts_at, a.quota, a.booked
ORDER BY r.event, r.category"""


async def check_waiting_lists(now: datetime, settings: Settings) -> Result:
    result = Result()
    for row in await rows(_WAITING, now, WAITLISTED):
        result.checked += 1
        where = f"event {row['event']} ({row['category']})"
        if row["registration_mode"] == DROPIN:
            result.mismatches.append(f"{where}: {row['waiting']} on the waiting list of a drop-in event "
                                     f"(first: registration {row['first_id']})")
            continue
        if row["status"] == EventStatus.cancelled or not row["upcoming"]:
            continue  # nobody is promoted once the event has started or is cancelled
        seat_free = row["capacity"] is None or row["booked"] < row["capacity"]
        quota_free = row["quota"] is None or row["quota_booked"] < row["quota"]
        if seat_free and quota_free:
            capacity = "unlimited" if row["capacity"] is None else row["capacity"]
            result.mismatches.append(
                f"{where}: {row['waiting']} waiting (first: registration {row['first_id']}) although a seat they "
                f"may take is free (booked {row['booked']} of {capacity})"
            )
    return result


_KEYS = """SELECT id, status FROM registration
WHERE (status <> {} AND anonymised_at IS NULL AND active_key IS NULL) OR (status = {} AND active_key IS NOT NULL)
ORDER BY id"""
# Active registrations sharing an address (compared as ``normalise_email`` does, in ASCII on SQLite) for one
# event, or one date of a drop-in event.
_SHARED_ADDRESSES = """SELECT r.event, count(*) AS n, min(r.id) AS first_id, max(r.id) AS last_id
FROM registration r JOIN event e ON e.id = r.event
WHERE r.status <> {} AND r.anonymised_at IS NULL
GROUP BY r.event, CASE WHEN e.registration_mode = {} THEN r.occurrence END, lower(trim(r.email))
HAVING count(*) > 1 ORDER BY r.event"""
_ACTIVE_IN_CANCELLED = """SELECT e.id, count(*) AS n FROM event e JOIN registration r ON r.event = e.id
WHERE e.status = {} AND r.status <> {} GROUP BY e.id ORDER BY e.id"""


async def check_registrations(now: datetime, settings: Settings) -> Result:
    result = Result(checked=(await rows("SELECT count(*) AS n FROM registration"))[0]["n"])
    keys = await rows(_KEYS, CANCELLED, CANCELLED)
    missing = [row["id"] for row in keys if row["status"] != CANCELLED]
    kept = [row["id"] for row in keys if row["status"] == CANCELLED]
    if missing:
        result.mismatches.append(f"registration {ids(missing)}: active without its active_key")
    if kept:
        result.mismatches.append(f"registration {ids(kept)}: cancelled but still holding its active_key")
    for row in await rows(_SHARED_ADDRESSES, CANCELLED, DROPIN):
        result.mismatches.append(f"event {row['event']}: {row['n']} active registrations share one address "
                                 f"(registrations {row['first_id']} to {row['last_id']})")
    for row in await rows(_ACTIVE_IN_CANCELLED, EventStatus.cancelled.value, CANCELLED):
        result.mismatches.append(f"event {row['id']}: cancelled, but {row['n']} registrations are still active")
    return result


INVARIANTS = (
    Invariant("event seats", "an event's booked seats are its confirmed registrations, within its capacity",
              check_event_seats),
    Invariant("quotas", "a group's booked seats are its confirmed registrations, within its quota",
              check_quotas),
    Invariant("waiting lists", "nobody waits while a seat they may take is free (until the event starts)",
              check_waiting_lists),
    Invariant("registrations", "one active registration per address and event; keys follow the status",
              check_registrations),
)

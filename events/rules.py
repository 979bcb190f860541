"""The registration rules, each written once, for the pages, the API, the services and the emails alike.

Is an event drop-in, how many seats are left, is registration open (its window), has an event or a date
started, can a registration still be changed, where someone stands on the waiting list, and what a ticket
code someone typed or scanned is. Pages showing a badge and the service refusing a registration ask the same
function, so they cannot disagree.

A leaf: it imports ``events.tables`` and the kernel only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from events.tables import AudienceCategory, EventStatus, Registration, RegistrationMode, RegistrationStatus

# Staff and leaders name their organisational unit, when the event asks for it.
UNIT_CATEGORIES = frozenset({AudienceCategory.staff.value, AudienceCategory.leader.value})


def is_dropin(event: Mapping[str, Any]) -> bool:
    """A drop-in event needs no registration: no seats are booked, staff count visitors, and people may sign
    up for a reminder of one date."""
    return event["registration_mode"] == RegistrationMode.dropin


def asks_for_unit(event: Mapping[str, Any], categories: Iterable[str]) -> bool:
    """Whether the registration asks for the organisational unit: the event asks the question, and staff or
    leaders (``categories``: the audiences it allows) may register. The form and the API then offer the units."""
    return (
        not is_dropin(event)
        and "org_unit" in (event["questions"] or ())
        and any(category in UNIT_CATEGORIES for category in categories)
    )


def seats_left(event: Mapping[str, Any]) -> int | None:
    """Free seats of an event row; None when registration is not needed (drop-in) or capacity is unlimited."""
    if is_dropin(event) or event["capacity"] is None:
        return None
    return max(0, event["capacity"] - (event["booked"] or 0))


# --- the registration window ------------------------------------------------------------------------------

def registration_closes_at(event: Mapping[str, Any], occurrence: Mapping[str, Any] | None = None) -> datetime:
    """Registration closes at ``registration_closes_at``, by default when the event starts. A drop-in reminder
    sign-up for one date (``occurrence``) is possible until that date starts."""
    if occurrence is not None:
        return occurrence["starts_at"]
    return event["registration_closes_at"] or event["starts_at"]


def window_refusal(
    event: Mapping[str, Any], now: datetime, occurrence: Mapping[str, Any] | None = None
) -> str | None:
    """Why registration is not possible at ``now`` (``"not_open_yet"`` or ``"closed"``, the codes of
    ``RegistrationError``), or None while the window is open. It opens at ``registration_opens_at`` (if set)."""
    opens_at = event["registration_opens_at"]
    if opens_at is not None and now < opens_at:
        return "not_open_yet"
    if now >= registration_closes_at(event, occurrence):
        return "closed"
    return None


def started(event: Mapping[str, Any], occurrence: Mapping[str, Any] | None, now: datetime) -> bool:
    """Whether the event (or, for a registration for one date, that date) has started."""
    starts_at = occurrence["starts_at"] if occurrence else event["starts_at"]
    return now >= starts_at


def changeable(registration: Mapping[str, Any], now: datetime) -> bool:
    """A registration can be changed or cancelled by its owner until its event (or its date) starts.

    ``registration`` carries its event row (``"event"``) and date row or None (``"occurrence"``), as
    ``events.registration.changes.registration_for_token`` returns it.
    """
    event = registration["event"]
    return (
        registration["status"] != RegistrationStatus.cancelled
        and event["status"] != EventStatus.cancelled
        and not started(event, registration["occurrence"], now)
    )


# --- the waiting list -------------------------------------------------------------------------------------

async def waitlist_position(event_id: int, registration_id: int) -> int:
    """1 for the first person on the waiting list (the order is registration id order)."""
    ahead = await Registration.count().where(
        (Registration.event == event_id)
        & (Registration.status == RegistrationStatus.waitlisted)
        & (Registration.id < registration_id)
    )
    return ahead + 1


# --- tickets ----------------------------------------------------------------------------------------------

def normalise_ticket_code(code: str) -> str:
    """People read codes aloud and type them with spaces or dashes, in any case."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())

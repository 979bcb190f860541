"""Where registration stands for an event, as its badges show it: open with seats left, waiting list, full,
drop-in, not open yet, closed or cancelled.

Seats left come from the event row's ``capacity - booked``, which only ``events.capacity`` changes, so every
page shows the exact figure; whether registration is open is decided by ``events.rules``, as the registration
service decides it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from events import rules
from events.tables import EventStatus
from samrad.core.i18n import _, ngettext, pgettext


class Availability(StrEnum):
    open = "open"  # registration open with seats left (or unlimited)
    waitlist = "waitlist"  # full; new registrations join the waiting list
    full = "full"  # full and no waiting list
    dropin = "dropin"  # no registration needed
    not_open_yet = "not_open_yet"
    closed = "closed"
    cancelled = "cancelled"


@dataclass(frozen=True)
class SeatState:
    availability: Availability
    seats_left: int | None  # None: unlimited or drop-in
    opens_at: datetime | None = None
    closes_at: datetime | None = None

    @property
    def registration_open(self) -> bool:
        return self.availability in {Availability.open, Availability.waitlist}

    @property
    def label(self) -> str:
        """What a badge says, translated."""
        match self.availability:
            case Availability.open if self.seats_left is not None:
                return ngettext("%(num)s seat left", "%(num)s seats left", self.seats_left)
            case Availability.open:
                return _("Registration open")
            case Availability.waitlist:
                return _("Waiting list")
            case Availability.full:
                return _("Full")
            case Availability.dropin:
                return _("Drop in, no registration needed")
            case Availability.not_open_yet:
                return _("Registration not open yet")
            case Availability.closed:
                return _("Registration closed")
            case Availability.cancelled:
                return pgettext("event status", "Cancelled")

    @property
    def tone(self) -> str:
        """The badge colour class (the text carries the meaning; colour only repeats it)."""
        return {
            Availability.open: "ok",
            Availability.waitlist: "warn",
            Availability.full: "bad",
            Availability.dropin: "info",
            Availability.not_open_yet: "info",
            Availability.closed: "warn",
            Availability.cancelled: "bad",
        }[self.availability]


def seat_state(event: Mapping[str, Any], now: datetime, *, date_cancelled: bool = False) -> SeatState:
    """Where registration stands for an event row, by the rules the registration service applies."""
    opens_at, closes_at = event["registration_opens_at"], event["registration_closes_at"]
    left = rules.seats_left(event)
    if event["status"] == EventStatus.cancelled or date_cancelled:
        return SeatState(Availability.cancelled, None, opens_at, closes_at)
    if rules.is_dropin(event):
        return SeatState(Availability.dropin, None, opens_at, closes_at)
    refusal = rules.window_refusal(event, now)
    if refusal == "not_open_yet":
        return SeatState(Availability.not_open_yet, left, opens_at, closes_at)
    closes_at = rules.registration_closes_at(event)
    if refusal == "closed":
        return SeatState(Availability.closed, left, opens_at, closes_at)
    if left == 0:
        state = Availability.waitlist if event["waitlist_enabled"] else Availability.full
        return SeatState(state, 0, opens_at, closes_at)
    return SeatState(Availability.open, left, opens_at, closes_at)

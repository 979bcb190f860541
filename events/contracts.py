"""What the events area and its neighbours agree on: registration data, refusals, the seat-plan protocol.

Registration input, change and result types, ``RegistrationError`` (stable codes, translated messages), the
``SeatPlan`` protocol through which workshop seats plug into registration (``workshops.services`` implements
it) and the workshop catalogue, the optional questions an event can ask, the access needs people can name,
the text limits of the registration columns and the kinds of email (``Notice``).

A leaf, so that every module of the area and the areas above it can import it without an import circle: it
imports ``events.tables`` and the kernel only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from litestar.di import NamedDependency
from litestar.params import SkipValidation

from samrad.core.i18n import N_, _

ACCESS_NEEDS = ("sign_language", "speech_to_text", "hearing_loop", "step_free", "assistant", "quiet_room", "other")
QUESTIONS = ("org_unit", "organisation", "workshops", "access_needs", "diet", "pronouns", "follow_up")

# Column lengths (events/tables.py). The forms refuse longer text (an error the person can fix); the
# registration service trims to fit rather than failing a whole registration.
TEXT_LIMITS = {"name": 200, "email": 254, "organisation": 200, "access_other": 500, "diet": 300, "pronouns": 60}


# --- registration data ------------------------------------------------------------------------------------

class RegistrationError(Exception):
    """A registration rule said no. ``code`` is stable (for code and the API), ``message`` is translated."""

    MESSAGES: Mapping[str, str] = {
        "not_open_yet": N_("Registration has not opened yet."),
        "closed": N_("Registration is closed."),
        "full": N_("The event is fully booked."),
        "category_not_allowed": N_("This event is not open to the group you chose."),
        "dropin_only": N_("This is a drop-in event: no registration is needed, just come. "
                          "You can sign up for a reminder for a particular date."),
        "cancelled_event": N_("This event has been cancelled."),
        "unknown_workshop": N_("One of the chosen workshops is not part of this event."),
        "not_found": N_("We could not find that registration or event."),
    }
    # What an HTTP answer should say about each code.
    STATUS_CODES: Mapping[str, int] = {
        "not_open_yet": 409,
        "closed": 409,
        "full": 409,
        "category_not_allowed": 422,
        "dropin_only": 409,
        "cancelled_event": 409,
        "unknown_workshop": 422,
        "not_found": 404,
    }

    def __init__(self, code: str, message: str | None = None) -> None:
        if code not in self.MESSAGES:
            raise ValueError(f"unknown registration error code {code!r}")
        self.code = code
        self.message = message or _(self.MESSAGES[code])
        super().__init__(code)

    @property
    def status_code(self) -> int:
        return self.STATUS_CODES[self.code]


@dataclass(frozen=True)
class RegistrationInput:
    name: str
    email: str
    category: str
    locale: str
    org_unit_id: int | None = None
    organisation: str = ""
    workshop_ids: tuple[int, ...] = ()
    access_needs: tuple[str, ...] = ()
    access_other: str = ""
    diet: str = ""
    pronouns: str = ""
    follow_up_opt_in: bool = False
    occurrence_id: int | None = None
    # The organiser who registered the person on their behalf (phoned in): marked on the row and audited.
    added_by: str = ""


@dataclass(frozen=True)
class RegistrationChange:
    name: str
    locale: str
    workshop_ids: tuple[int, ...] = ()
    access_needs: tuple[str, ...] = ()
    access_other: str = ""
    diet: str = ""
    pronouns: str = ""
    follow_up_opt_in: bool = False


@dataclass(frozen=True)
class RegistrationResult:
    registration_id: int
    status: str  # "confirmed" | "waitlisted" | "duplicate"
    ticket_code: str | None  # None for a duplicate
    manage_token: str | None  # plaintext, only ever here (stored hashed); None for a duplicate
    waitlist_position: int | None = None  # 1 = next, counted when it joined the waiting list; else None


@dataclass(frozen=True)
class SeatLine:
    """One workshop a registration holds or waits for, as pages and emails show it."""

    title: dict  # translatable {"da", "sv", "en"}
    status: str  # "confirmed" | "waitlisted" | "wished"
    workshop_id: int = 0
    room: str = ""
    starts_at: datetime | None = None
    ends_at: datetime | None = None


class SeatPlan(Protocol):
    """Seats inside an event (workshops), booked in the registration's transaction."""

    async def book(self, registration_id: int, choice_ids: Sequence[int], *, confirmed: bool) -> None: ...

    async def confirm(self, registration_id: int) -> None: ...

    async def release(self, registration_id: int) -> None: ...

    async def replace(self, registration_id: int, choice_ids: Sequence[int], *, confirmed: bool) -> None: ...

    async def describe(self, registration_id: int) -> list[SeatLine]: ...

    async def validate(self, event_id: int, choice_ids: Sequence[int]) -> None: ...


# --- workshop seats ---------------------------------------------------------------------------------------

# The workshops of an event with their seats, as the registration form and the API list them
# (``workshops.services.workshops_for_event``).
WorkshopCatalogue = Callable[[int], Awaitable[list[dict[str, Any]]]]


# The public "you said, we did" page of an event (id, slug), or None while it has nothing to show: the event page
# links to it (``feedback.follow_up.public_routes.event_follow_up_path``).
EventFollowUp = Callable[[int, str], Awaitable[str | None]]


# Injected by the app (samrad.app.area_dependencies); protocols and callables are not validated.
SeatPlanDependency = SkipValidation[NamedDependency[SeatPlan]]
CatalogueDependency = SkipValidation[NamedDependency[WorkshopCatalogue]]
EventFollowUpDependency = SkipValidation[NamedDependency[EventFollowUp]]


# --- emails -----------------------------------------------------------------------------------------------

class Notice(StrEnum):
    """The emails a registrant gets (``events.messaging.notifications.notify``)."""

    confirmed = "confirmed"
    waitlisted = "waitlisted"
    promoted = "promoted"
    changed = "changed"
    cancelled = "cancelled"
    link_resent = "link_resent"
    event_changed = "event_changed"
    event_cancelled = "event_cancelled"
    reminder = "reminder"
    workshop_seat = "workshop_seat"  # a seat in a workshop came free from its waiting list

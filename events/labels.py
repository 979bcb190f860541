"""Translated labels, in one place: kinds, audience categories, registration statuses, access needs, questions.

Each mapping holds the English source text (``N_``) and each ``*_label`` function translates it in the
current locale, falling back to the raw value for anything unknown. ``staff_labels`` hands the helpers to
every staff template of the area; the emails and the public pages call the same functions.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.lists import format_list

from events.contracts import QUESTIONS
from events.tables import AudienceCategory, EventKind, RegistrationStatus
from samrad.core.i18n import N_, _, current_locale, format_date, format_time

# --- what things are called -------------------------------------------------------------------------------

KIND_LABELS: dict[str, str] = {
    EventKind.conference: N_("Conference"),
    EventKind.cafe: N_("Café"),
    EventKind.training: N_("Training"),
    EventKind.meeting: N_("Meeting"),
}


CATEGORY_LABELS: dict[str, str] = {
    AudienceCategory.citizen: N_("Citizen"),
    AudienceCategory.staff: N_("Staff member"),
    AudienceCategory.leader: N_("Manager or leader"),
    AudienceCategory.council: N_("Member of a user council, relatives' council or school board"),
    AudienceCategory.elected: N_("Elected official"),
    AudienceCategory.partner: N_("Partner organisation"),
}


STATUS_LABELS: dict[str, str] = {
    RegistrationStatus.confirmed: N_("Confirmed"),
    RegistrationStatus.waitlisted: N_("On the waiting list"),
    RegistrationStatus.cancelled: N_("Cancelled"),
}


SEAT_STATUS_LABELS = {
    "confirmed": N_("place confirmed"),
    "waitlisted": N_("on the waiting list"),
    "wished": N_("your choice, booked if you get a place"),
}


ACCESS_NEED_LABELS: dict[str, str] = {
    "sign_language": N_("Sign-language interpreting"),
    "speech_to_text": N_("Speech-to-text interpreting (live captions)"),
    "hearing_loop": N_("Hearing loop"),
    "step_free": N_("Step-free access"),
    "assistant": N_("I come with an assistant or companion"),
    "quiet_room": N_("A quiet room to take a break"),
    "other": N_("Something else"),
}


QUESTION_LABELS: dict[str, str] = {
    "org_unit": N_("Organisational unit (staff and managers)"),
    "organisation": N_("Council or organisation (representatives)"),
    "workshops": N_("Workshop choice"),
    "access_needs": N_("Access needs"),
    "diet": N_("Diet"),
    "pronouns": N_("Pronouns"),
    "follow_up": N_("Wants to hear about the follow-up"),
}
assert tuple(QUESTION_LABELS) == QUESTIONS


STATUS_FILTER_LABELS: dict[str, str] = {
    "active": N_("Registered or waiting"),
    "confirmed": N_("Registered"),
    "waitlisted": N_("On the waiting list"),
    "cancelled": N_("Cancelled"),
}


# --- the staff forms --------------------------------------------------------------------------------------

TEXT_FIELD_LABELS: dict[str, str] = {
    "title": N_("Title"), "summary": N_("Summary"), "description": N_("Description"), "programme": N_("Programme"),
}


LANGUAGE_LABELS: dict[str, str] = {"da": N_("Danish"), "sv": N_("Swedish"), "en": N_("English")}


WEEKDAY_LABELS: dict[str, str] = {
    "MO": N_("Monday"), "TU": N_("Tuesday"), "WE": N_("Wednesday"), "TH": N_("Thursday"), "FR": N_("Friday"),
    "SA": N_("Saturday"), "SU": N_("Sunday"),
}


MODE_LABELS: dict[str, str] = {
    "required": N_("Registration: people book a seat"),
    "dropin": N_("Drop-in: no registration, staff count visitors (optional reminder sign-up)"),
}


# --- translating ------------------------------------------------------------------------------------------

def kind_label(kind: str) -> str:
    return _(KIND_LABELS[kind]) if kind in KIND_LABELS else kind


def category_label(category: str) -> str:
    return _(CATEGORY_LABELS[category]) if category in CATEGORY_LABELS else category


def registration_status_label(status: str) -> str:
    return _(STATUS_LABELS[status]) if status in STATUS_LABELS else status


def access_need_label(need: str) -> str:
    return _(ACCESS_NEED_LABELS[need]) if need in ACCESS_NEED_LABELS else need


def question_label(question: str) -> str:
    return _(QUESTION_LABELS[question]) if question in QUESTION_LABELS else question


def recurrence_label(rule: str, starts_at: datetime, zone: str) -> str:
    """How often a series meets, for people who read the listing: "Every Thursday, 17:00" for a weekly rule
    (the weekdays and the local time of ``starts_at``, a date of the series, in the page's language), and
    "Recurring" for any other rule (every other week, monthly, a weekday of the month): the event page lists
    the dates themselves."""
    fields = dict(part.split("=", 1) for part in rule.upper().removeprefix("RRULE:").split(";") if "=" in part)
    local = starts_at.astimezone(ZoneInfo(zone))
    codes = [code for code in fields.get("BYDAY", "").split(",") if code] or [list(WEEKDAY_LABELS)[local.weekday()]]
    if fields.get("FREQ") != "WEEKLY" or fields.get("INTERVAL", "1") != "1" or not set(codes) <= set(WEEKDAY_LABELS):
        return _("Recurring")
    # Babel names the weekdays (lower case where the language writes them so): the day of a date that falls on it.
    order = list(WEEKDAY_LABELS)
    names = [
        format_date(local + timedelta(days=order.index(code) - local.weekday()), form="EEEE")
        for code in sorted(codes, key=order.index)
    ]
    return _("Every %(weekdays)s, %(time)s", weekdays=format_list(names, locale=current_locale()),
             time=format_time(local))


def staff_labels() -> dict[str, Any]:
    """Label helpers every staff template of this area uses."""
    return {
        "kind_label": kind_label,
        "category_label": category_label,
        "status_label": registration_status_label,
        "access_need_label": access_need_label,
        "question_label": question_label,
    }

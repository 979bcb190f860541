"""What a registration may store, cleaned the same way when it is made and when it is changed.

Only the questions the event asks (``Event.questions``) are kept: answers to any other question are dropped
here, so they are never stored. Text is one line within its column's length (``TEXT_LIMITS``). The forms
(``events.registration.forms``) already refuse what a person can correct; this is the services' own guard for
callers that bypass a form (the organisers' desk, the demo, tests).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from events.contracts import ACCESS_NEEDS, TEXT_LIMITS, RegistrationChange, RegistrationInput
from samrad.core.accounts import normalise_email
from samrad.core.settings import LOCALES


@dataclass(frozen=True)
class Answers:
    """The answers an event asks for, cleaned; questions it does not ask are not stored."""

    org_unit_id: int | None = None
    organisation: str = ""
    workshop_ids: tuple[int, ...] = ()
    access_needs: list[str] = field(default_factory=list)
    access_other: str = ""
    diet: str = ""
    pronouns: str = ""
    follow_up_opt_in: bool = False


def one_line(value: str, field_name: str) -> str:
    """``value`` on one line, without stray spaces, cut to the column's length."""
    return " ".join((value or "").split())[: TEXT_LIMITS[field_name]]


def answers_for(event: Mapping[str, Any], data: RegistrationInput | RegistrationChange) -> Answers:
    asked = set(event["questions"] or ())
    needs, other = _clean_needs(data.access_needs, data.access_other) if "access_needs" in asked else ([], "")
    return Answers(
        org_unit_id=getattr(data, "org_unit_id", None) if "org_unit" in asked else None,
        organisation=one_line(getattr(data, "organisation", ""), "organisation") if "organisation" in asked else "",
        workshop_ids=tuple(dict.fromkeys(data.workshop_ids)) if "workshops" in asked else (),
        access_needs=needs,
        access_other=other,
        diet=one_line(data.diet, "diet") if "diet" in asked else "",
        pronouns=one_line(data.pronouns, "pronouns") if "pronouns" in asked else "",
        follow_up_opt_in=bool(data.follow_up_opt_in) if "follow_up" in asked else False,
    )


def _clean_needs(needs: Sequence[str], other: str) -> tuple[list[str], str]:
    chosen = set(needs)
    other_text = one_line(other, "access_other")
    if other_text:
        chosen.add("other")
    return [need for need in ACCESS_NEEDS if need in chosen], other_text if "other" in chosen else ""


def checked_person(name: str, email: str) -> tuple[str, str]:
    """The name and email to store; ``ValueError`` for a missing name or an address that cannot be one."""
    clean_name = one_line(name, "name")
    clean_email = (email or "").strip()
    if not clean_name:
        raise ValueError("name is required")
    local, at, domain = clean_email.rpartition("@")
    if not at or not local or "." not in domain or len(clean_email) > TEXT_LIMITS["email"] or " " in clean_email:
        raise ValueError("a valid email address is required")
    return clean_name, clean_email


def email_locale(locale: str) -> str:
    """The language the person's emails are written in: theirs if the app has it, else the first one."""
    return locale if locale in LOCALES else LOCALES[0]


def active_key(event_id: int, email: str, occurrence_id: int | None = None) -> str:
    """The value that is unique while a registration is active: one active registration per person and event
    (per date for drop-in reminder sign-ups)."""
    if occurrence_id is not None:
        return f"{event_id}:{occurrence_id}:{normalise_email(email)}"
    return f"{event_id}:{normalise_email(email)}"

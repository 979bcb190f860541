"""The registration form's rules, once: the HTML form and the JSON API both parse through here.

``parse_registration`` and ``parse_change`` take the submitted fields (a plain mapping: strings from a form,
typed values from JSON) and the event's ``FormContext``, and return either the service's input dataclass or a
dict of field name → translated message. Field names are the same in HTML and JSON, so an error can point at
the field in both.

Only the questions the event asks (``Event.questions``) are read; answers to questions it does not ask are
dropped here, so they are never stored. ``load_registration_setup`` loads what one event's form offers, and
the page helpers (``FIELD_ORDER``, ``error_anchors``, ``field_of``) serve the form, the change page and the API.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from events import loaders, rules
from events.contracts import (
    ACCESS_NEEDS,
    TEXT_LIMITS,
    RegistrationChange,
    RegistrationError,
    RegistrationInput,
    WorkshopCatalogue,
)
from events.listing.event_page import EventPage, event_page
from events.tables import AudienceCategory
from samrad.core.clock import now_utc
from samrad.core.i18n import N_, _, current_locale
from samrad.core.inputs import whole_number
from samrad.core.settings import LOCALES

# Who is asked for what: staff and leaders name their unit; representatives their council or organisation.
UNIT_CATEGORIES = rules.UNIT_CATEGORIES
ORGANISATION_CATEGORIES = frozenset(
    {AudienceCategory.council.value, AudienceCategory.partner.value, AudienceCategory.elected.value}
)
# An elected official may leave the organisation empty (the role says enough); councils and partners may not.
ORGANISATION_REQUIRED = frozenset({AudienceCategory.council.value, AudienceCategory.partner.value})

# The honeypot: a field people never see (CSS and aria-hidden) that simple bots fill in.
HONEYPOT_FIELD = "website"
# Fields a form may send several times (checkboxes).
LIST_FIELDS = frozenset({"workshop_ids", "access_needs"})
# Accepted by the JSON API only; the HTML form registers in the page's language.
LOCALE_FIELD = "locale"

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_TRUE = {"1", "true", "on", "yes"}
_FALSE = {"", "0", "false", "off", "no"}

FieldErrors = dict[str, str]


@dataclass(frozen=True)
class FormContext:
    """What one event's form offers: the questions it asks and the answers that exist."""

    event_id: int
    dropin: bool
    questions: frozenset[str]
    categories: tuple[str, ...]
    workshop_ids: frozenset[int] = frozenset()
    org_unit_ids: frozenset[int] = frozenset()
    occurrence_ids: frozenset[int] = frozenset()

    def asks(self, question: str) -> bool:
        if self.dropin:
            return False  # a reminder sign-up is a name and an email, nothing more
        # A question with nothing to choose from is not asked (no workshops, no units set up).
        if question == "workshops":
            return "workshops" in self.questions and bool(self.workshop_ids)
        if question == "org_unit":
            return "org_unit" in self.questions and bool(self.org_unit_ids)
        return question in self.questions

    @property
    def default_category(self) -> str | None:
        """The category to assume when there is nothing to choose (one allowed group, or a reminder)."""
        if self.categories and (self.dropin or len(self.categories) == 1):
            return self.categories[0]
        return None


def form_fields(form: Any) -> dict[str, Any]:
    """A submitted HTML form (Litestar's multi-dict) as the plain mapping the parsers read."""
    fields: dict[str, Any] = {}
    for key in form:
        values = form.getall(key)
        fields[key] = list(values) if key in LIST_FIELDS else values[-1]
    return fields


def honeypot_filled(fields: Mapping[str, Any]) -> bool:
    value = fields.get(HONEYPOT_FIELD)
    return isinstance(value, str) and bool(value.strip())


# --- registration -----------------------------------------------------------------------------------------

def parse_registration(fields: Mapping[str, Any], context: FormContext) -> RegistrationInput | FieldErrors:
    """A new registration from submitted fields, or what is wrong with them (field → message)."""
    reader = _Reader(fields)
    name = reader.text("name", required=N_("Enter your name."))
    email = reader.email()
    category = _category(reader, context)
    org_unit_id = None
    organisation = ""
    if category in UNIT_CATEGORIES and context.asks("org_unit"):
        org_unit_id = reader.choice_id(
            "org_unit_id", context.org_unit_ids, required=N_("Choose your unit from the list."),
            invalid=N_("Choose your unit from the list."),
        )
    if category in ORGANISATION_CATEGORIES and context.asks("organisation"):
        required = N_("Enter the name of your council or organisation.") if category in ORGANISATION_REQUIRED else None
        organisation = reader.text("organisation", required=required)
    occurrence_id = None
    if context.dropin:
        occurrence_id = reader.choice_id(
            "occurrence_id", context.occurrence_ids, required=N_("Choose the date you want a reminder for."),
            invalid=N_("Choose one of the upcoming dates in the list."),
        )
    answers = _answers(reader, context)
    locale = _locale(reader)
    if not reader.boolean("consent"):
        reader.fail("consent", N_("To register, please confirm that you have read the privacy notice."))
    if reader.errors:
        return reader.errors
    return RegistrationInput(
        name=name,
        email=email,
        category=category or "",
        locale=locale,
        org_unit_id=org_unit_id,
        organisation=organisation,
        occurrence_id=occurrence_id,
        **answers,
    )


def parse_change(fields: Mapping[str, Any], context: FormContext) -> RegistrationChange | FieldErrors:
    """Changes from the manage page (name, language, answers, workshops), or what is wrong with them."""
    reader = _Reader(fields)
    name = reader.text("name", required=N_("Enter your name."))
    locale = _locale(reader)
    answers = _answers(reader, context)
    if reader.errors:
        return reader.errors
    return RegistrationChange(name=name, locale=locale, **answers)


def _category(reader: _Reader, context: FormContext) -> str | None:
    raw = reader.text("category")
    if not raw:
        if context.default_category is not None:
            return context.default_category
        reader.fail("category", N_("Choose which group you register as."))
        return None
    if raw not in context.categories:
        reader.fail("category", N_("This event is not open to that group. Choose one of the groups listed."))
        return None
    return raw


def _answers(reader: _Reader, context: FormContext) -> dict[str, Any]:
    """The optional questions shared by new registrations and changes, for the questions the event asks."""
    answers: dict[str, Any] = {}
    if context.asks("workshops"):
        answers["workshop_ids"] = reader.choice_ids(
            "workshop_ids", context.workshop_ids, invalid=N_("Choose workshops from the list.")
        )
    if context.asks("access_needs"):
        needs = reader.choice_texts("access_needs", ACCESS_NEEDS, invalid=N_("Choose access needs from the list."))
        other = reader.text("access_other")
        if "other" in needs and not other:
            reader.fail("access_other", N_("Tell us what else you need, or untick “Something else”."))
        if other and "other" not in needs:
            needs = (*needs, "other")
        answers["access_needs"] = needs
        answers["access_other"] = other
    if context.asks("diet"):
        answers["diet"] = reader.text("diet")
    if context.asks("pronouns"):
        answers["pronouns"] = reader.text("pronouns")
    if context.asks("follow_up"):
        answers["follow_up_opt_in"] = reader.boolean("follow_up_opt_in")
    return answers


def _locale(reader: _Reader) -> str:
    """The language for emails: as chosen (API, manage page), else the language the page is read in."""
    requested = reader.text(LOCALE_FIELD)
    if requested and requested not in LOCALES:
        reader.fail(LOCALE_FIELD, N_("Choose one of the languages: da, sv or en."))
    return requested if requested in LOCALES else current_locale()


class _Reader:
    """Reads typed values out of submitted fields, collecting one translated message per bad field."""

    def __init__(self, fields: Mapping[str, Any]) -> None:
        self.fields = fields
        self.errors: FieldErrors = {}

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, _(message))

    def text(self, name: str, *, required: str | None = None) -> str:
        raw = self.fields.get(name)
        if raw is None:
            raw = ""
        if not isinstance(raw, str):
            self.fail(name, N_("Enter text here."))
            return ""
        value = " ".join(raw.split())  # one line: no stray spaces or line breaks
        if not value and required:
            self.fail(name, required)
        # The column lengths: too long is an error the person can fix, not a silent cut.
        limit = TEXT_LIMITS.get(name, 200)
        if len(value) > limit:
            self.errors.setdefault(name, _("Use at most %(limit)s characters.", limit=limit))
        return value

    def email(self) -> str:
        value = self.text("email", required=N_("Enter your email address."))
        if value and "email" not in self.errors and not _EMAIL.match(value):
            self.fail("email", N_("Enter an email address like name@example.com."))
        return value

    def boolean(self, name: str) -> bool:
        raw = self.fields.get(name)
        if raw is None or isinstance(raw, bool):
            return bool(raw)
        if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
            return raw.strip().lower() in _TRUE
        self.fail(name, N_("Tick the box or leave it empty."))
        return False

    def choice_id(self, name: str, allowed: frozenset[int], *, required: str, invalid: str) -> int | None:
        raw = self.fields.get(name)
        if raw is None or raw == "":
            self.fail(name, required)
            return None
        number = _as_int(raw)
        if number is None or number not in allowed:
            self.fail(name, invalid)
            return None
        return number

    def choice_ids(self, name: str, allowed: frozenset[int], *, invalid: str) -> tuple[int, ...]:
        chosen: list[int] = []
        for raw in self._many(name):
            number = _as_int(raw)
            if number is None or number not in allowed:
                self.fail(name, invalid)
                return ()
            if number not in chosen:
                chosen.append(number)
        return tuple(chosen)

    def choice_texts(self, name: str, allowed: Iterable[str], *, invalid: str) -> tuple[str, ...]:
        options = tuple(allowed)
        chosen = set()
        for raw in self._many(name):
            if not isinstance(raw, str) or raw not in options:
                self.fail(name, invalid)
                return ()
            chosen.add(raw)
        return tuple(option for option in options if option in chosen)

    def _many(self, name: str) -> list[Any]:
        raw = self.fields.get(name)
        if raw is None or raw == "":
            return []
        if isinstance(raw, list | tuple):
            return [item for item in raw if item != ""]
        return [raw]


def _as_int(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    return whole_number(raw)


# --- loading what a form needs ----------------------------------------------------------------------------

@dataclass
class RegistrationSetup:
    """An event page plus what its registration form offers (workshops, units) and the rules for it."""

    page: EventPage
    workshops: list[dict[str, Any]]
    org_units: list[dict[str, Any]]
    context: FormContext

    @property
    def event(self) -> dict[str, Any]:
        return self.page.event

    @property
    def open_dates(self) -> list[dict[str, Any]]:
        """Dates one can still ask a reminder for."""
        ids = self.context.occurrence_ids
        return [row for row in self.page.dates if row["id"] in ids]


async def load_registration_setup(slug: str, catalogue: WorkshopCatalogue | None) -> RegistrationSetup | None:
    """The published event ``slug`` with everything its form shows; None when there is no such event."""
    page = await event_page(slug)
    if page is None:
        return None
    event = page.event
    questions = frozenset(event["questions"] or ())
    dropin = rules.is_dropin(event)
    # Workshops are offered only when the event asks for them (``FormContext.asks``): otherwise none are read.
    asks_workshops = catalogue is not None and not dropin and "workshops" in questions
    workshops = await catalogue(event["id"]) if catalogue is not None and asks_workshops else []
    page.workshops = workshops
    units = await loaders.org_units() if rules.asks_for_unit(event, page.categories) else []
    now = now_utc()
    context = FormContext(
        event_id=event["id"],
        dropin=dropin,
        questions=questions,
        categories=tuple(page.categories),
        workshop_ids=frozenset(row["id"] for row in workshops),
        org_unit_ids=frozenset(row["id"] for row in units),
        occurrence_ids=frozenset(
            row["id"] for row in page.dates if not row["cancelled"] and not rules.started(event, row, now)
        ),
    )
    return RegistrationSetup(page=page, workshops=workshops, org_units=units, context=context)


# --- the form page ----------------------------------------------------------------------------------------

# The order errors are listed in the summary: the order of the fields on the page.
FIELD_ORDER = (
    "name", "email", "category", "org_unit_id", "organisation", "occurrence_id", "workshop_ids", "access_needs",
    "access_other", "diet", "pronouns", "follow_up_opt_in", "locale", "consent",
)


def error_anchors(setup: RegistrationSetup) -> dict[str, str]:
    """Where each error in the summary links to: the field, or the first option of a group."""
    anchors = {name: name for name in FIELD_ORDER}
    if setup.context.categories:
        anchors["category"] = f"category-{setup.context.categories[0]}"
    if setup.workshops:
        anchors["workshop_ids"] = f"workshop-{setup.workshops[0]['id']}"
    if setup.open_dates:
        anchors["occurrence_id"] = f"date-{setup.open_dates[0]['id']}"
    anchors["access_needs"] = f"need-{ACCESS_NEEDS[0]}"
    return anchors


def field_of(error: RegistrationError) -> str | None:
    """The form field a refusal is about, if it is about one."""
    return {"category_not_allowed": "category", "unknown_workshop": "workshop_ids"}.get(error.code)

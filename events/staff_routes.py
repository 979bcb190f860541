"""Organiser and check-in pages for events: the event list, settings, registrations, needs totals, the door.

Every route names the permission it needs (``guards=[requires(Action.…)]``); ``tests/test_security.py``
walks them all. Forms are CSRF-protected and answer POST with 303 (or the form again with its errors).
Reads and writes live in ``events.staff_services``; seats move only through ``events.services``.
Sensitive events never show a list of people here, only counts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter, SkipValidation
from litestar.response import Redirect, Template

from events import queries, services, staff_services
from events.forms import access_need_label
from events.services import QUESTIONS, RegistrationError, SeatPlan
from events.staff_services import EventConflict, SettingsConflict
from events.tables import AudienceCategory, EventKind, RegistrationMode
from samrad.core.i18n import N_, _, ngettext, pick
from samrad.core.security import Action, load_staff_user, requires
from samrad.core.settings import LOCALES
from samrad.core.staff import flash, form_value, staff_page

SeatPlanDependency = SkipValidation[NamedDependency[SeatPlan]]

CHECKIN_RESULT_KEY = "checkin_result"
MAX_HEADCOUNT = 10_000
DASHBOARD_EVENTS = 12

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


def _labels() -> dict[str, Any]:
    """Label helpers every staff template of this area uses."""
    return {
        "kind_label": queries.kind_label,
        "category_label": queries.category_label,
        "status_label": queries.registration_status_label,
        "access_need_label": access_need_label,
        "question_label": lambda q: _(QUESTION_LABELS[q]),
    }


async def _event_or_404(event_id: int) -> dict[str, Any]:
    event = await staff_services.staff_event(event_id)
    if event is None:
        raise NotFoundException()
    return event


async def _actor(request: Request) -> str:
    user = await load_staff_user(request)
    return user["email"] if user else "unknown"


def _promoted_message(promoted: list[int]) -> str:
    return ngettext(
        "%(num)s person moved up from the waiting list and has been told by email.",
        "%(num)s people moved up from the waiting list and have been told by email.",
        len(promoted),
    )


# --- dashboard data (the app hands it to samrad.core.staff's dashboard) ----------------------------------------

async def dashboard_context() -> dict[str, Any]:
    events = await staff_services.event_overview()
    return {"events": events[:DASHBOARD_EVENTS], "more_events": len(events) > DASHBOARD_EVENTS, **_labels()}


# --- event list -------------------------------------------------------------------------------------------

@get("/events", name="staff_events", guards=[requires(Action.manage_events)])
async def event_list(request: Request, past: Annotated[str | None, QueryParameter()] = None) -> Template:
    include_past = past == "1"
    events = await staff_services.event_overview(include_past=include_past)
    return await staff_page(request, "staff/events.html", events=events, include_past=include_past, **_labels())


# --- settings ---------------------------------------------------------------------------------------------

@get("/events/{event_id:int}/settings", name="staff_event_settings", guards=[requires(Action.manage_events)])
async def settings_form(request: Request, event_id: FromPath[int]) -> Template:
    event = await _event_or_404(event_id)
    return await _settings_page(request, event, staff_services.settings_form_values(event), {})


@post("/events/{event_id:int}/settings", name="staff_event_settings_save", status_code=303,
      guards=[requires(Action.manage_events)])
async def settings_save(
    request: Request, event_id: FromPath[int], seat_plan: SeatPlanDependency
) -> Template | Redirect:
    event = await _event_or_404(event_id)
    fields = _settings_fields(await request.form())
    parsed = staff_services.parse_settings(fields, event)
    if isinstance(parsed, dict):
        return await _settings_page(request, event, fields, parsed, status_code=422)
    try:
        result = await staff_services.update_settings(event_id, parsed, seat_plan, await _actor(request))
    except SettingsConflict as conflict:
        return await _settings_page(request, event, fields, conflict.errors, status_code=409)
    message = _(staff_services.SETTINGS_SAVED)
    if result.promoted:
        message = f"{message} {_promoted_message(result.promoted)}"
    flash(request, message)
    return Redirect(path=f"/staff/events/{event_id}/settings", status_code=303)


SETTINGS_FIELD_ORDER = [
    "capacity", "registration_opens_at", "registration_closes_at", "questions", "audiences",
    *(f"quota_{c.value}" for c in AudienceCategory),
]


def _settings_fields(form: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key in form:
        values = form.getall(key)
        fields[key] = list(values) if key in {"questions", "audiences"} else values[-1]
    return fields


async def _settings_page(
    request: Request, event: dict[str, Any], values: dict[str, Any], errors: dict[str, str], status_code: int = 200
) -> Template:
    counts = await staff_services.counts_by_category(event)
    return await staff_page(
        request,
        "staff/settings.html",
        status_code=status_code,
        event=event,
        values=values,
        errors=errors,
        questions=QUESTIONS,
        categories=[c.value for c in AudienceCategory],
        error_order=SETTINGS_FIELD_ORDER,
        category_counts={c.category: c for c in counts},
        **_labels(),
    )


# --- create and edit an event ------------------------------------------------------------------------------

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
DETAILS_FIELD_ORDER = [
    "kind", "slug", "title", *(f"{name}_{locale}" for name in staff_services.TEXT_FIELDS for locale in LOCALES),
    "timezone", "starts_at", "ends_at", "weekdays", "until", "venue", "registration_mode", "capacity",
]
MULTI_FIELDS = {"weekdays"}


def _form_fields(form: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key in form:
        values = form.getall(key)
        fields[key] = list(values) if key in MULTI_FIELDS else values[-1]
    return fields


def _form_labels() -> dict[str, Any]:
    return {
        "text_field_names": list(staff_services.TEXT_FIELDS),
        "text_field_label": lambda name: _(TEXT_FIELD_LABELS[name]),
        "text_field_limits": staff_services.TEXT_FIELDS,
        "locales": LOCALES,
        "language_label": lambda code: _(LANGUAGE_LABELS[code]),
        "timezones": staff_services.TIMEZONES,
        "weekdays": staff_services.WEEKDAYS,
        "weekday_label": lambda code: _(WEEKDAY_LABELS[code]),
        "kinds": [k.value for k in EventKind],
        "modes": [m.value for m in RegistrationMode],
        "mode_label": lambda mode: _(MODE_LABELS[mode]),
        "error_order": DETAILS_FIELD_ORDER,
    }


async def _venue_ids() -> set[int]:
    return {row["id"] for row in await staff_services.venue_choices()}


@get("/events/new", name="staff_event_new", guards=[requires(Action.manage_events)])
async def new_event_form(request: Request) -> Template:
    return await _new_event_page(request, staff_services.new_event_form_values(), {})


@post("/events/new", name="staff_event_create", status_code=303, guards=[requires(Action.manage_events)])
async def new_event_create(request: Request) -> Template | Redirect:
    """Create an event (a weekly series for cafés); organisers then choose who may register in its settings."""
    fields = _form_fields(await request.form())
    parsed = staff_services.parse_new_event(fields, await _venue_ids())
    if isinstance(parsed, dict):
        return await _new_event_page(request, fields, parsed, status_code=422)
    try:
        event_id = await staff_services.create_event(
            parsed, slug_given=bool(fields.get("slug", "").strip()), base_url=request.app.state.settings.base_url,
            actor=await _actor(request),
        )
    except EventConflict as conflict:  # the address was taken: a field to correct like any other
        return await _new_event_page(request, fields, conflict.errors, status_code=422)
    flash(request, _("The event has been created. Now choose who may register and what the form asks."))
    return Redirect(path=f"/staff/events/{event_id}/settings", status_code=303)


async def _new_event_page(
    request: Request, values: dict[str, Any], errors: dict[str, str], status_code: int = 200
) -> Template:
    return await staff_page(
        request, "staff/event_new.html", status_code=status_code, values=values, errors=errors,
        venues=await staff_services.venue_choices(), **_form_labels(), **_labels(),
    )


@get("/events/{event_id:int}/edit", name="staff_event_edit", guards=[requires(Action.manage_events)])
async def edit_event_form(request: Request, event_id: FromPath[int]) -> Template:
    event = await _event_or_404(event_id)
    return await _edit_page(request, event, staff_services.details_form_values(event), {})


@post("/events/{event_id:int}/edit", name="staff_event_save", status_code=303,
      guards=[requires(Action.manage_events)])
async def edit_event_save(
    request: Request, event_id: FromPath[int], seat_plan: SeatPlanDependency
) -> Template | Redirect:
    """Save texts, time and venue; a new time or venue is announced to everyone registered."""
    event = await _event_or_404(event_id)
    fields = _form_fields(await request.form())
    parsed = staff_services.parse_details(fields, await _venue_ids(), series=staff_services.is_series(event))
    if isinstance(parsed, dict):
        return await _edit_page(request, event, fields, parsed, status_code=422)
    try:
        result = await staff_services.update_details(event_id, parsed, seat_plan, await _actor(request))
    except EventConflict as conflict:
        return await _edit_page(request, event, fields, conflict.errors, problem=conflict.problem, status_code=409)
    message = _("The changes have been saved.")
    if result.significant:
        message = f"{message} " + ngettext(
            "%(num)s person registered has been sent the new details and an updated calendar invitation.",
            "%(num)s people registered have been sent the new details and an updated calendar invitation.",
            result.notified,
        )
    flash(request, message)
    return Redirect(path=f"/staff/events/{event_id}/edit", status_code=303)


async def _edit_page(
    request: Request, event: dict[str, Any], values: dict[str, Any], errors: dict[str, str], *,
    problem: str = "", status_code: int = 200,
) -> Template:
    counts = (await staff_services.counts_by_event([event["id"]]))[event["id"]]
    return await staff_page(
        request, "staff/event_edit.html", status_code=status_code, event=event, values=values, errors=errors,
        problem=problem or None, counts=counts, series=staff_services.is_series(event),
        venues=await staff_services.venue_choices(), **_form_labels(), **_labels(),
    )


# --- cancel an event or one date ----------------------------------------------------------------------------

CONFIRM_FIELD = "confirm"


@get("/events/{event_id:int}/cancel", name="staff_event_cancel_confirm", guards=[requires(Action.manage_events)])
async def cancel_event_confirm(request: Request, event_id: FromPath[int]) -> Template:
    event = await _event_or_404(event_id)
    return await _cancel_event_page(request, event, {})


@post("/events/{event_id:int}/cancel", name="staff_event_cancel", status_code=303,
      guards=[requires(Action.manage_events)])
async def cancel_event(request: Request, event_id: FromPath[int], seat_plan: SeatPlanDependency) -> Template | Redirect:
    """Cancel the whole event: everyone registered is told, with a calendar cancellation, and unregistered."""
    event = await _event_or_404(event_id)
    if form_value(await request.form(), CONFIRM_FIELD, 5) != "1":
        errors = {CONFIRM_FIELD: _("Tick the box to confirm that the event is cancelled.")}
        return await _cancel_event_page(request, event, errors, status_code=422)
    result = await staff_services.cancel_event(event_id, seat_plan, await _actor(request))
    flash(request, _("The event has been cancelled.") + " " + ngettext(
        "%(num)s person registered has been told by email.",
        "%(num)s people registered have been told by email.",
        result.notified,
    ))
    return Redirect(path=f"/staff/events/{event_id}/edit", status_code=303)


async def _cancel_event_page(
    request: Request, event: dict[str, Any], errors: dict[str, str], status_code: int = 200
) -> Template:
    counts = (await staff_services.counts_by_event([event["id"]]))[event["id"]]
    return await staff_page(
        request, "staff/event_cancel.html", status_code=status_code, event=event, counts=counts, errors=errors,
        **_labels(),
    )


@get("/events/{event_id:int}/dates", name="staff_event_dates", guards=[requires(Action.manage_events)])
async def event_dates(request: Request, event_id: FromPath[int]) -> Template:
    """The dates of an event; a series' dates can be cancelled one by one, and put back."""
    event = await _event_or_404(event_id)
    dates = await staff_services.event_dates(event_id)
    return await staff_page(request, "staff/event_dates.html", event=event, dates=dates, **_labels())


@get("/dates/{occurrence_id:int}/cancel", name="staff_date_cancel_confirm", guards=[requires(Action.manage_events)])
async def cancel_date_confirm(request: Request, occurrence_id: FromPath[int]) -> Template:
    occurrence, event = await _occurrence_or_404(occurrence_id)
    return await _cancel_date_page(request, occurrence, event, {})


@post("/dates/{occurrence_id:int}/cancel", name="staff_date_cancel", status_code=303,
      guards=[requires(Action.manage_events)])
async def cancel_date(
    request: Request, occurrence_id: FromPath[int], seat_plan: SeatPlanDependency
) -> Template | Redirect:
    """Cancel one date of a series; the people concerned are told and their calendars updated."""
    occurrence, event = await _occurrence_or_404(occurrence_id)
    if form_value(await request.form(), CONFIRM_FIELD, 5) != "1":
        errors = {CONFIRM_FIELD: _("Tick the box to confirm that this date is cancelled.")}
        return await _cancel_date_page(request, occurrence, event, errors, status_code=422)
    try:
        result = await staff_services.cancel_date(occurrence_id, seat_plan, await _actor(request))
    except EventConflict as conflict:
        return await _cancel_date_page(request, occurrence, event, {}, problem=conflict.problem, status_code=409)
    flash(request, _("The date has been cancelled.") + " " + ngettext(
        "%(num)s person has been told by email.", "%(num)s people have been told by email.", result.notified,
    ))
    return Redirect(path=f"/staff/events/{event['id']}/dates", status_code=303)


async def _cancel_date_page(
    request: Request, occurrence: dict[str, Any], event: dict[str, Any], errors: dict[str, str], *,
    problem: str = "", status_code: int = 200,
) -> Template:
    return await staff_page(
        request, "staff/date_cancel.html", status_code=status_code, occurrence=occurrence, event=event,
        errors=errors, problem=problem or None, **_labels(),
    )


@post("/dates/{occurrence_id:int}/reinstate", name="staff_date_reinstate", status_code=303,
      guards=[requires(Action.manage_events)])
async def reinstate_date(request: Request, occurrence_id: FromPath[int], seat_plan: SeatPlanDependency) -> Redirect:
    """Put a cancelled date back; those holding the whole series get the updated invitation."""
    _occurrence, event = await _occurrence_or_404(occurrence_id)
    try:
        notified = await staff_services.reinstate_date(occurrence_id, seat_plan, await _actor(request))
    except EventConflict as conflict:
        flash(request, conflict.problem, tone="warning")
    else:
        if notified is None:
            flash(request, _("This date was not cancelled."), tone="warning")
        else:
            flash(request, _("The date is back on.") + " " + ngettext(
                "%(num)s person has been told by email.", "%(num)s people have been told by email.", notified,
            ))
    return Redirect(path=f"/staff/events/{event['id']}/dates", status_code=303)


# --- registrations ----------------------------------------------------------------------------------------

@get("/events/{event_id:int}/registrations", name="staff_registrations",
     guards=[requires(Action.view_registrations)])
async def registrations(
    request: Request,
    event_id: FromPath[int],
    status: Annotated[str | None, QueryParameter()] = None,
    page: Annotated[str | None, QueryParameter()] = None,
) -> Template:
    """Counts by status and by group; for non-sensitive events, the people, in waiting-list order."""
    event = await _event_or_404(event_id)
    status = status if status in staff_services.STATUS_FILTERS else "active"
    counts = (await staff_services.counts_by_event([event_id]))[event_id]
    listing = None
    if not event["sensitive"]:
        listing = await staff_services.registrations_page(event, status, _page_number(page))
    return await staff_page(
        request,
        "staff/registrations.html",
        event=event,
        counts=counts,
        category_counts=await staff_services.counts_by_category(event),
        listing=listing,
        status=status,
        status_filters=[(key, _(label)) for key, label in STATUS_FILTER_LABELS.items()],
        page_url=lambda number: f"/staff/events/{event_id}/registrations?status={status}&page={number}",
        **_labels(),
    )


def _page_number(raw: str | None) -> int:
    try:
        return max(1, int(raw or 1))
    except ValueError:
        return 1


@post("/events/{event_id:int}/registrations/{registration_id:int}/cancel", name="staff_cancel_registration",
      status_code=303, guards=[requires(Action.manage_registrations)])
async def cancel_registration(
    request: Request, event_id: FromPath[int], registration_id: FromPath[int], seat_plan: SeatPlanDependency
) -> Redirect:
    """Cancel on someone's behalf (they are told by email); the waiting list moves up."""
    event = await _event_or_404(event_id)
    if event["sensitive"]:
        raise NotFoundException()
    back = safe_back(form_value(await request.form(), "back", 500), f"/staff/events/{event_id}/registrations")
    try:
        promoted = await staff_services.staff_cancel(event, registration_id, seat_plan, await _actor(request))
    except RegistrationError as error:
        raise NotFoundException() from error
    message = _("The registration has been cancelled and the person has been told by email.")
    if promoted:
        message = f"{message} {_promoted_message(promoted)}"
    flash(request, message)
    return Redirect(path=back, status_code=303)


def safe_back(target: str, default: str) -> str:
    """Return to the list page (with its filter) the button was on, never anywhere else."""
    return target if target.startswith(default) and "//" not in target else default


# --- needs totals -----------------------------------------------------------------------------------------

@get("/events/{event_id:int}/needs", name="staff_needs", guards=[requires(Action.view_registrations)])
async def needs(request: Request, event_id: FromPath[int]) -> Template:
    """What the caterer and the venue need to know: totals, never names."""
    event = await _event_or_404(event_id)
    totals = await staff_services.needs_totals(event)
    return await staff_page(request, "staff/needs.html", event=event, totals=totals, **_labels())


# --- check-in ---------------------------------------------------------------------------------------------

@get("/checkin", name="staff_checkin_index", guards=[requires(Action.check_in)])
async def checkin_index(request: Request) -> Template:
    events = [e for e in await staff_services.event_overview() if e["published"]]
    return await staff_page(request, "staff/checkin_index.html", events=events, **_labels())


@get("/checkin/{event_id:int}", name="staff_checkin", guards=[requires(Action.check_in)])
async def checkin_page(
    request: Request, event_id: FromPath[int], q: Annotated[str | None, QueryParameter()] = None
) -> Template:
    event = await _event_or_404(event_id)
    return await _checkin_page(request, event, query=(q or "").strip()[:100])


async def _checkin_page(
    request: Request, event: dict[str, Any], *, query: str = "", code: str = "",
    errors: dict[str, str] | None = None, status_code: int = 200,
) -> Template:
    result = request.session.pop(CHECKIN_RESULT_KEY, None) if request.scope.get("session") else None
    matches = None
    if query and not event["sensitive"]:
        matches = await staff_services.find_by_name(event, query)
    dates = await staff_services.headcount_dates(event) if event["dropin"] else []
    return await staff_page(
        request,
        "staff/checkin.html",
        status_code=status_code,
        event=event,
        counts=(await staff_services.counts_by_event([event["id"]]))[event["id"]],
        result=result,
        query=query,
        matches=matches,
        dates=dates,
        values={"code": code},
        errors=errors or {},
        **_labels(),
    )


@post("/checkin/{event_id:int}", name="staff_checkin_code", status_code=303, guards=[requires(Action.check_in)])
async def checkin_code(request: Request, event_id: FromPath[int]) -> Template | Redirect:
    """A scanned or typed ticket code: the result is shown on the check-in page, ready for the next one."""
    event = await _event_or_404(event_id)
    code = form_value(await request.form(), "code", 100).strip()
    if not services.normalise_ticket_code(code):
        errors = {"code": _("Enter or scan the ticket code.")}
        return await _checkin_page(request, event, code=code, errors=errors, status_code=422)
    outcome = await services.check_in(code, event_id)
    _remember_result(request, event, outcome, services.normalise_ticket_code(code))
    return Redirect(path=f"/staff/checkin/{event_id}", status_code=303)


@post("/checkin/{event_id:int}/registrations/{registration_id:int}", name="staff_checkin_person",
      status_code=303, guards=[requires(Action.check_in)])
async def checkin_person(request: Request, event_id: FromPath[int], registration_id: FromPath[int]) -> Redirect:
    """Someone without their ticket, found by name (non-sensitive events only)."""
    event = await _event_or_404(event_id)
    if event["sensitive"]:
        raise NotFoundException()
    outcome = await staff_services.check_in_registration(event, registration_id)
    if outcome is None:
        raise NotFoundException()
    _remember_result(request, event, outcome, "")
    return Redirect(path=f"/staff/checkin/{event_id}", status_code=303)


def _remember_result(request: Request, event: dict[str, Any], outcome: dict[str, Any] | None, code: str) -> None:
    """What the door needs to see after the redirect. Sensitive events: whether the ticket is valid, no name."""
    result: dict[str, Any] = {
        "ok": False, "message": "", "already": False, "name": "", "category": "", "access_needs": [],
        "checked_in_at": None, "code": code,
    }
    if outcome is None:
        result["message"] = _("No ticket has this code. Check the code, or find the person by name.")
    else:
        result |= {
            "ok": bool(outcome["ok"]),
            "message": outcome["message"],
            "already": bool(outcome["already_checked_in"]),
            "name": "" if event["sensitive"] else outcome["name"],
            "category": outcome["category"],
            "access_needs": [] if event["sensitive"] else outcome["access_needs"],
            "checked_in_at": outcome["checked_in_at"].isoformat() if outcome["checked_in_at"] else None,
            "code": code,
        }
    request.session[CHECKIN_RESULT_KEY] = result


# --- drop-in headcount ------------------------------------------------------------------------------------

async def _occurrence_or_404(occurrence_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    found = await staff_services.occurrence_with_event(occurrence_id)
    if found is None:
        raise NotFoundException()
    return found


@get("/checkin/dates/{occurrence_id:int}", name="staff_headcount", guards=[requires(Action.check_in)])
async def headcount_page(request: Request, occurrence_id: FromPath[int]) -> Template:
    occurrence, event = await _occurrence_or_404(occurrence_id)
    return await _headcount_page(request, occurrence, event)


async def _headcount_page(
    request: Request, occurrence: dict[str, Any], event: dict[str, Any], *, values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None, status_code: int = 200,
) -> Template:
    return await staff_page(
        request,
        "staff/headcount.html",
        status_code=status_code,
        occurrence=occurrence,
        event=event,
        values=values or {"count": "" if occurrence["headcount"] is None else str(occurrence["headcount"])},
        errors=errors or {},
        **_labels(),
    )


@post("/checkin/dates/{occurrence_id:int}/add", name="staff_headcount_add", status_code=303,
      guards=[requires(Action.check_in)])
async def headcount_add(request: Request, occurrence_id: FromPath[int]) -> Template | Redirect:
    """+1 as someone comes in (−1 to undo a mistaken tap): a number, never a name."""
    occurrence, event = await _occurrence_or_404(occurrence_id)
    delta = form_value(await request.form(), "delta", 5).strip()
    if delta not in {"1", "-1"}:
        errors = {"count": _("Use the buttons to add or remove one visitor.")}
        return await _headcount_page(request, occurrence, event, errors=errors, status_code=422)
    await services.add_headcount(occurrence_id, int(delta))
    return Redirect(path=f"/staff/checkin/dates/{occurrence_id}", status_code=303)


@post("/checkin/dates/{occurrence_id:int}/set", name="staff_headcount_set", status_code=303,
      guards=[requires(Action.check_in)])
async def headcount_set(request: Request, occurrence_id: FromPath[int]) -> Template | Redirect:
    """Set the count at once (counted by hand, or corrected afterwards)."""
    occurrence, event = await _occurrence_or_404(occurrence_id)
    raw = form_value(await request.form(), "count", 20).strip()
    if not raw.isdigit() or int(raw) > MAX_HEADCOUNT:
        errors = {"count": _("Enter the number of visitors as a whole number from 0 to %(max)s.", max=MAX_HEADCOUNT)}
        return await _headcount_page(request, occurrence, event, values={"count": raw}, errors=errors,
                                     status_code=422)
    await services.set_headcount(occurrence_id, int(raw))
    flash(request, _("The number of visitors has been saved."))
    return Redirect(path=f"/staff/checkin/dates/{occurrence_id}", status_code=303)


# --- JSON for scripts (bearer token) ----------------------------------------------------------------------

@get("/api/v1/staff/events", name="api_staff_events", guards=[requires(Action.view_registrations)])
async def api_staff_events(past: Annotated[str | None, QueryParameter()] = None) -> Response[dict[str, Any]]:
    """Events with their registration counts, for reports and scripts with an API token."""
    events = await staff_services.event_overview(include_past=past == "1")
    return Response(
        {
            "events": [
                {
                    "id": event["id"],
                    "slug": event["slug"],
                    "kind": event["kind"],
                    "title": pick(event["title"]),
                    "starts_at": _iso(event["starts_at"]),
                    "next_date": _iso(event["next_date"]["starts_at"]) if event["next_date"] else None,
                    "published": event["published"],
                    "sensitive": event["sensitive"],
                    "capacity": event["capacity"],
                    "confirmed": event["counts"].confirmed,
                    "waitlisted": event["counts"].waitlisted,
                    "cancelled": event["counts"].cancelled,
                    "checked_in": event["counts"].checked_in,
                }
                for event in events
            ]
        },
        headers={"Cache-Control": "no-store"},
    )


def _iso(value: datetime) -> str:
    return value.isoformat()


router = Router(
    path="/staff",
    route_handlers=[
        event_list, settings_form, settings_save, registrations, cancel_registration, needs,
        new_event_form, new_event_create, edit_event_form, edit_event_save, cancel_event_confirm, cancel_event,
        event_dates, cancel_date_confirm, cancel_date, reinstate_date,
        checkin_index, checkin_page, checkin_code, checkin_person, headcount_page, headcount_add, headcount_set,
    ],
    include_in_schema=False,  # HTML pages; the staff API below is documented
)
route_handlers = [router, api_staff_events]

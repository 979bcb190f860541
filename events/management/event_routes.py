"""Organiser pages that change the event itself: create one (a weekly series for cafés), edit its texts, time
and venue, cancel it, and cancel or put back one date of a series.

The forms are parsed by ``events.management.forms`` and saved by ``events.management.services``, which tells
everyone registered about a new time or venue and every cancellation. The shared staff helpers (the event or
date or 404, the acting user) are in ``events.management.routes``.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from events.access import DATE_IN_PATH, EVENT_IN_PATH
from events.contracts import SeatPlanDependency
from events.labels import LANGUAGE_LABELS, MODE_LABELS, TEXT_FIELD_LABELS, WEEKDAY_LABELS, staff_labels
from events.management import forms, services
from events.management.registrations import counts_by_event
from events.management.routes import actor, event_or_404, occurrence_or_404
from events.management.services import EventConflict
from events.tables import EventKind, RegistrationMode
from samrad.core.i18n import _, ngettext
from samrad.core.security import Action, load_staff_user, requires
from samrad.core.settings import LOCALES
from samrad.core.staff import flash, form_value, staff_page

# --- create and edit an event -----------------------------------------------------------------------------

DETAILS_FIELD_ORDER = [
    "kind", "slug", "title", *(f"{name}_{locale}" for name in forms.TEXT_FIELDS for locale in LOCALES),
    "timezone", "starts_at", "ends_at", "weekdays", "until", "venue", "registration_mode", "capacity",
]
MULTI_FIELDS = {"weekdays"}


def _form_labels() -> dict[str, Any]:
    return {
        "text_field_names": list(forms.TEXT_FIELDS),
        "text_field_label": lambda name: _(TEXT_FIELD_LABELS[name]),
        "text_field_limits": forms.TEXT_FIELDS,
        "locales": LOCALES,
        "language_label": lambda code: _(LANGUAGE_LABELS[code]),
        "timezones": forms.TIMEZONES,
        "weekdays": forms.WEEKDAYS,
        "weekday_label": lambda code: _(WEEKDAY_LABELS[code]),
        "kinds": [k.value for k in EventKind],
        "modes": [m.value for m in RegistrationMode],
        "mode_label": lambda mode: _(MODE_LABELS[mode]),
        "error_order": DETAILS_FIELD_ORDER,
    }


async def _venue_ids() -> set[int]:
    return {row["id"] for row in await services.venue_choices()}


@get("/events/new", name="staff_event_new", guards=[requires(Action.create_events)])
async def new_event_form(request: Request) -> Template:
    return await _new_event_page(request, forms.new_event_form_values(), {})


@post("/events/new", name="staff_event_create", status_code=303, guards=[requires(Action.create_events)])
async def new_event_create(request: Request) -> Template | Redirect:
    """Create an event (a weekly series for cafés); organisers then choose who may register in its settings."""
    fields = forms.form_fields(await request.form(), MULTI_FIELDS)
    parsed = forms.parse_new_event(fields, await _venue_ids())
    if isinstance(parsed, dict):
        return await _new_event_page(request, fields, parsed, status_code=422)
    try:
        user = await load_staff_user(request)
        event_id = await services.create_event(
            parsed, slug_given=bool(fields.get("slug", "").strip()), base_url=request.app.state.settings.base_url,
            actor=user["email"], creator_id=user["id"],
        )
    except EventConflict as conflict:  # the address was taken: a field to correct like any other
        return await _new_event_page(request, fields, conflict.errors, status_code=422)
    flash(request, _("The event has been created as a draft. Choose who may register and what the form asks, "
                     "then publish it."))
    return Redirect(path=f"/staff/events/{event_id}/settings", status_code=303)


async def _new_event_page(
    request: Request, values: dict[str, Any], errors: dict[str, str], status_code: int = 200
) -> Template:
    return await staff_page(
        request, "staff/event_new.html", status_code=status_code, values=values, errors=errors,
        venues=await services.venue_choices(), **_form_labels(), **staff_labels(),
    )


@get("/events/{event_id:int}/edit", name="staff_event_edit", guards=[requires(Action.manage_events, EVENT_IN_PATH)])
async def edit_event_form(request: Request, event_id: FromPath[int]) -> Template:
    event = await event_or_404(event_id)
    return await _edit_page(request, event, forms.details_form_values(event), {})


@post("/events/{event_id:int}/edit", name="staff_event_save", status_code=303,
      guards=[requires(Action.manage_events, EVENT_IN_PATH)])
async def edit_event_save(
    request: Request, event_id: FromPath[int], seat_plan: SeatPlanDependency
) -> Template | Redirect:
    """Save texts, time and venue; a new time or venue is announced to everyone registered."""
    event = await event_or_404(event_id)
    fields = forms.form_fields(await request.form(), MULTI_FIELDS)
    parsed = forms.parse_details(fields, await _venue_ids(), series=services.is_series(event))
    if isinstance(parsed, dict):
        return await _edit_page(request, event, fields, parsed, status_code=422)
    try:
        result = await services.update_details(event_id, parsed, seat_plan, await actor(request))
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
    counts = (await counts_by_event([event["id"]]))[event["id"]]
    return await staff_page(
        request, "staff/event_edit.html", status_code=status_code, event=event, values=values, errors=errors,
        problem=problem or None, counts=counts, series=services.is_series(event),
        venues=await services.venue_choices(), **_form_labels(), **staff_labels(),
    )


# --- cancel an event or one date --------------------------------------------------------------------------

CONFIRM_FIELD = "confirm"


@get("/events/{event_id:int}/cancel", name="staff_event_cancel_confirm",
     guards=[requires(Action.manage_events, EVENT_IN_PATH)])
async def cancel_event_confirm(request: Request, event_id: FromPath[int]) -> Template:
    event = await event_or_404(event_id)
    return await _cancel_event_page(request, event, {})


@post("/events/{event_id:int}/cancel", name="staff_event_cancel", status_code=303,
      guards=[requires(Action.manage_events, EVENT_IN_PATH)])
async def cancel_event(request: Request, event_id: FromPath[int], seat_plan: SeatPlanDependency) -> Template | Redirect:
    """Cancel the whole event: everyone registered is told, with a calendar cancellation, and unregistered."""
    event = await event_or_404(event_id)
    if form_value(await request.form(), CONFIRM_FIELD, 5) != "1":
        errors = {CONFIRM_FIELD: _("Tick the box to confirm that the event is cancelled.")}
        return await _cancel_event_page(request, event, errors, status_code=422)
    result = await services.cancel_event(event_id, seat_plan, await actor(request))
    flash(request, _("The event has been cancelled.") + " " + ngettext(
        "%(num)s person registered has been told by email.",
        "%(num)s people registered have been told by email.",
        result.notified,
    ))
    return Redirect(path=f"/staff/events/{event_id}/edit", status_code=303)


async def _cancel_event_page(
    request: Request, event: dict[str, Any], errors: dict[str, str], status_code: int = 200
) -> Template:
    counts = (await counts_by_event([event["id"]]))[event["id"]]
    return await staff_page(
        request, "staff/event_cancel.html", status_code=status_code, event=event, counts=counts, errors=errors,
        **staff_labels(),
    )


@get("/events/{event_id:int}/dates", name="staff_event_dates", guards=[requires(Action.manage_events, EVENT_IN_PATH)])
async def event_dates(request: Request, event_id: FromPath[int]) -> Template:
    """The dates of an event; a series' dates can be cancelled one by one, and put back."""
    event = await event_or_404(event_id)
    dates = await services.event_dates(event_id)
    return await staff_page(request, "staff/event_dates.html", event=event, dates=dates, **staff_labels())


@get("/dates/{occurrence_id:int}/cancel", name="staff_date_cancel_confirm",
     guards=[requires(Action.manage_events, DATE_IN_PATH)])
async def cancel_date_confirm(request: Request, occurrence_id: FromPath[int]) -> Template:
    occurrence, event = await occurrence_or_404(occurrence_id)
    return await _cancel_date_page(request, occurrence, event, {})


@post("/dates/{occurrence_id:int}/cancel", name="staff_date_cancel", status_code=303,
      guards=[requires(Action.manage_events, DATE_IN_PATH)])
async def cancel_date(
    request: Request, occurrence_id: FromPath[int], seat_plan: SeatPlanDependency
) -> Template | Redirect:
    """Cancel one date of a series; the people concerned are told and their calendars updated."""
    occurrence, event = await occurrence_or_404(occurrence_id)
    if form_value(await request.form(), CONFIRM_FIELD, 5) != "1":
        errors = {CONFIRM_FIELD: _("Tick the box to confirm that this date is cancelled.")}
        return await _cancel_date_page(request, occurrence, event, errors, status_code=422)
    try:
        result = await services.cancel_date(occurrence_id, seat_plan, await actor(request))
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
        errors=errors, problem=problem or None, **staff_labels(),
    )


@post("/dates/{occurrence_id:int}/reinstate", name="staff_date_reinstate", status_code=303,
      guards=[requires(Action.manage_events, DATE_IN_PATH)])
async def reinstate_date(request: Request, occurrence_id: FromPath[int], seat_plan: SeatPlanDependency) -> Redirect:
    """Put a cancelled date back; those holding the whole series get the updated invitation."""
    _occurrence, event = await occurrence_or_404(occurrence_id)
    try:
        notified = await services.reinstate_date(occurrence_id, seat_plan, await actor(request))
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


router = Router(
    path="/staff",
    route_handlers=[
        new_event_form, new_event_create, edit_event_form, edit_event_save, cancel_event_confirm, cancel_event,
        event_dates, cancel_date_confirm, cancel_date, reinstate_date,
    ],
    include_in_schema=False,
)
route_handlers = [router]

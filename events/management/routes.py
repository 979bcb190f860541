"""Organiser pages for events: the event list, the dashboard's events, settings, registrations, needs totals,
and the staff JSON API; also the helpers every staff page of the area shares.

Every route names the permission it needs (``guards=[requires(Action.…)]``); ``tests/test_security.py``
walks them all. Forms are CSRF-protected and answer POST with 303 (or the form again with its errors).
Reads and writes live in ``events.management``; seats move only through ``events.registration.services``.
Sensitive events never show a list of people here, only counts. Creating, editing and cancelling events is
``events.management.event_routes``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Request, Response, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from events import loaders
from events.contracts import QUESTIONS, RegistrationError, SeatPlanDependency
from events.labels import STATUS_FILTER_LABELS, staff_labels
from events.listing.queries import page_number
from events.management import forms
from events.management.registrations import (
    STATUS_FILTERS,
    counts_by_category,
    counts_by_event,
    event_overview,
    needs_totals,
    registrations_page,
    staff_cancel,
)
from events.management.settings import SETTINGS_SAVED, SettingsConflict, update_settings
from events.tables import AudienceCategory
from samrad.core.i18n import _, ngettext, pick
from samrad.core.security import Action, load_staff_user, requires
from samrad.core.staff import flash, form_value, staff_page

DASHBOARD_EVENTS = 12


# --- shared by the staff pages of the area ----------------------------------------------------------------

async def event_or_404(event_id: int) -> dict[str, Any]:
    """The event as the staff pages see it (``loaders.staff_event``), or 404."""
    event = await loaders.staff_event(event_id)
    if event is None:
        raise NotFoundException()
    return event


async def actor(request: Request) -> str:
    """Who acts, for the audit trail: the signed-in staff member's email."""
    user = await load_staff_user(request)
    return user["email"] if user else "unknown"


def promoted_message(promoted: list[int]) -> str:
    return ngettext(
        "%(num)s person moved up from the waiting list and has been told by email.",
        "%(num)s people moved up from the waiting list and have been told by email.",
        len(promoted),
    )


async def occurrence_or_404(occurrence_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """A date with its event (``loaders.occurrence_with_event``), or 404."""
    found = await loaders.occurrence_with_event(occurrence_id)
    if found is None:
        raise NotFoundException()
    return found


# --- dashboard data (the app hands it to samrad.core.staff's dashboard) -----------------------------------

async def dashboard_context() -> dict[str, Any]:
    events = await event_overview()
    return {"events": events[:DASHBOARD_EVENTS], "more_events": len(events) > DASHBOARD_EVENTS, **staff_labels()}


# --- event list -------------------------------------------------------------------------------------------

@get("/events", name="staff_events", guards=[requires(Action.manage_events)])
async def event_list(request: Request, past: Annotated[str | None, QueryParameter()] = None) -> Template:
    include_past = past == "1"
    events = await event_overview(include_past=include_past)
    return await staff_page(request, "staff/events.html", events=events, include_past=include_past, **staff_labels())


# --- settings ---------------------------------------------------------------------------------------------

@get("/events/{event_id:int}/settings", name="staff_event_settings", guards=[requires(Action.manage_events)])
async def settings_form(request: Request, event_id: FromPath[int]) -> Template:
    event = await event_or_404(event_id)
    return await _settings_page(request, event, forms.settings_form_values(event), {})


@post("/events/{event_id:int}/settings", name="staff_event_settings_save", status_code=303,
      guards=[requires(Action.manage_events)])
async def settings_save(
    request: Request, event_id: FromPath[int], seat_plan: SeatPlanDependency
) -> Template | Redirect:
    event = await event_or_404(event_id)
    fields = forms.form_fields(await request.form(), SETTINGS_MULTI_FIELDS)
    parsed = forms.parse_settings(fields, event)
    if isinstance(parsed, dict):
        return await _settings_page(request, event, fields, parsed, status_code=422)
    try:
        result = await update_settings(event_id, parsed, seat_plan, await actor(request))
    except SettingsConflict as conflict:
        return await _settings_page(request, event, fields, conflict.errors, status_code=409)
    message = _(SETTINGS_SAVED)
    if result.promoted:
        message = f"{message} {promoted_message(result.promoted)}"
    flash(request, message)
    return Redirect(path=f"/staff/events/{event_id}/settings", status_code=303)


SETTINGS_FIELD_ORDER = [
    "capacity", "registration_opens_at", "registration_closes_at", "questions", "audiences",
    *(f"quota_{c.value}" for c in AudienceCategory),
]


SETTINGS_MULTI_FIELDS = {"questions", "audiences"}


async def _settings_page(
    request: Request, event: dict[str, Any], values: dict[str, Any], errors: dict[str, str], status_code: int = 200
) -> Template:
    counts = await counts_by_category(event)
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
        **staff_labels(),
    )


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
    event = await event_or_404(event_id)
    status = status if status in STATUS_FILTERS else "active"
    counts = (await counts_by_event([event_id]))[event_id]
    listing = None
    if not event["sensitive"]:
        listing = await registrations_page(event, status, page_number(page))
    return await staff_page(
        request,
        "staff/registrations.html",
        event=event,
        counts=counts,
        category_counts=await counts_by_category(event),
        listing=listing,
        status=status,
        status_filters=[(key, _(label)) for key, label in STATUS_FILTER_LABELS.items()],
        page_url=lambda number: f"/staff/events/{event_id}/registrations?status={status}&page={number}",
        **staff_labels(),
    )


@post("/events/{event_id:int}/registrations/{registration_id:int}/cancel", name="staff_cancel_registration",
      status_code=303, guards=[requires(Action.manage_registrations)])
async def cancel_registration(
    request: Request, event_id: FromPath[int], registration_id: FromPath[int], seat_plan: SeatPlanDependency
) -> Redirect:
    """Cancel on someone's behalf (they are told by email); the waiting list moves up."""
    event = await event_or_404(event_id)
    if event["sensitive"]:
        raise NotFoundException()
    back = safe_back(form_value(await request.form(), "back", 500), f"/staff/events/{event_id}/registrations")
    try:
        promoted = await staff_cancel(event, registration_id, seat_plan, await actor(request))
    except RegistrationError as error:
        raise NotFoundException() from error
    message = _("The registration has been cancelled and the person has been told by email.")
    if promoted:
        message = f"{message} {promoted_message(promoted)}"
    flash(request, message)
    return Redirect(path=back, status_code=303)


def safe_back(target: str, default: str) -> str:
    """Return to the list page (with its filter) the button was on, never anywhere else."""
    return target if target.startswith(default) and "//" not in target else default


# --- needs totals -----------------------------------------------------------------------------------------

@get("/events/{event_id:int}/needs", name="staff_needs", guards=[requires(Action.view_registrations)])
async def needs(request: Request, event_id: FromPath[int]) -> Template:
    """What the caterer and the venue need to know: totals, never names."""
    event = await event_or_404(event_id)
    totals = await needs_totals(event)
    return await staff_page(request, "staff/needs.html", event=event, totals=totals, **staff_labels())


# --- JSON for scripts (bearer token) ----------------------------------------------------------------------

@get("/api/v1/staff/events", name="api_staff_events", guards=[requires(Action.view_registrations)])
async def api_staff_events(past: Annotated[str | None, QueryParameter()] = None) -> Response[dict[str, Any]]:
    """Events with their registration counts, for reports and scripts with an API token."""
    events = await event_overview(include_past=past == "1")
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
    route_handlers=[event_list, settings_form, settings_save, registrations, cancel_registration, needs],
    include_in_schema=False,  # HTML pages; the staff API below is documented
)
route_handlers = [router, api_staff_events]

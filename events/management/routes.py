"""Organiser pages for events: the event list, the dashboard's events, settings, needs totals,
and the staff JSON API; also the helpers every staff page of the area shares.

Every route names the permission it needs (``guards=[requires(Action.…)]``); ``tests/test_security.py``
walks them all. Forms are CSRF-protected and answer POST with 303 (or the form again with its errors).
Reads and writes live in ``events.management``; seats move only through ``events.registration`` (booking,
cancellation, the waiting list). Sensitive events never show a list of people here, only counts. Creating,
editing and cancelling events is ``events.management.event_routes``; the participant lists are
``events.attendees``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

from litestar import Request, Response, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template
from msgspec import Meta, Struct

from events import loaders
from events.access import EVENT_IN_PATH, event_ids_for
from events.contracts import QUESTIONS, SeatPlanDependency
from events.labels import staff_labels
from events.listing.api import BAD_REQUEST, FORBIDDEN, UNAUTHORIZED
from events.management import forms
from events.management.registrations import (
    counts_by_category,
    event_overview,
    needs_totals,
)
from events.management.settings import SETTINGS_SAVED, SettingsConflict, update_settings
from events.tables import AudienceCategory, EventKind
from samrad.core.i18n import _, ngettext, pick
from samrad.core.security import Action, can, load_staff_user, requires
from samrad.core.staff import flash, staff_page

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

async def dashboard_context(user: Mapping[str, Any]) -> dict[str, Any]:
    """The upcoming events ``user`` works on: the ones they manage, or check people in at."""
    action = Action.manage_events if can(user["role"], Action.manage_events) else Action.check_in
    events = await event_overview(event_ids=await event_ids_for(user, action))
    return {"events": events[:DASHBOARD_EVENTS], "more_events": len(events) > DASHBOARD_EVENTS, **staff_labels()}


# --- event list -------------------------------------------------------------------------------------------

@get("/events", name="staff_events", guards=[requires(Action.manage_events)])
async def event_list(request: Request, past: Annotated[str | None, QueryParameter()] = None) -> Template:
    include_past = past == "1"
    user = await load_staff_user(request)
    events = await event_overview(include_past=include_past, event_ids=await event_ids_for(user, Action.manage_events))
    return await staff_page(request, "staff/events.html", events=events, include_past=include_past, **staff_labels())


# --- settings ---------------------------------------------------------------------------------------------

@get("/events/{event_id:int}/settings", name="staff_event_settings",
     guards=[requires(Action.manage_events, EVENT_IN_PATH)])
async def settings_form(request: Request, event_id: FromPath[int]) -> Template:
    event = await event_or_404(event_id)
    return await _settings_page(request, event, forms.settings_form_values(event), {})


@post("/events/{event_id:int}/settings", name="staff_event_settings_save", status_code=303,
      guards=[requires(Action.manage_events, EVENT_IN_PATH)])
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


# --- needs totals -----------------------------------------------------------------------------------------

@get("/events/{event_id:int}/needs", name="staff_needs", guards=[requires(Action.view_registrations, EVENT_IN_PATH)])
async def needs(request: Request, event_id: FromPath[int]) -> Template:
    """What the caterer and the venue need to know: totals, never names."""
    event = await event_or_404(event_id)
    totals = await needs_totals(event)
    return await staff_page(request, "staff/needs.html", event=event, totals=totals, **staff_labels())


# --- JSON for scripts (bearer token) ----------------------------------------------------------------------

class StaffEventOut(Struct):
    id: int
    slug: str
    kind: EventKind
    title: Annotated[str, Meta(description="In the requested language.")]
    starts_at: Annotated[str, Meta(description="The first date's start (ISO 8601).")]
    next_date: Annotated[str | None, Meta(description="A series' next date (ISO 8601); null when none is left.")]
    published: bool
    sensitive: Annotated[bool, Meta(description="Counts only, never lists of people.")]
    capacity: int | None
    confirmed: int
    waitlisted: int
    cancelled: int
    checked_in: int


class StaffEventsOut(Struct):
    events: list[StaffEventOut]


@get(
    "/api/v1/staff/events", name="api_staff_events", tags=["Organisers: participants"],
    summary="My events with their registration counts",
    description="The events the caller may see the registrations of (its event teams; administrators: all), "
                "upcoming first, for reports and scripts.",
    guards=[requires(Action.view_registrations)],
    responses={400: BAD_REQUEST, 401: UNAUTHORIZED, 403: FORBIDDEN},
)
async def api_staff_events(
    request: Request,
    past: Annotated[str | None, QueryParameter(description="1: past events too (the latest ones).")] = None,
) -> Response[StaffEventsOut]:
    user = await load_staff_user(request)
    events = await event_overview(
        include_past=past == "1", event_ids=await event_ids_for(user, Action.view_registrations)
    )
    body = StaffEventsOut(events=[
        StaffEventOut(
            id=event["id"], slug=event["slug"], kind=event["kind"], title=pick(event["title"]),
            starts_at=_iso(event["starts_at"]),
            next_date=_iso(event["next_date"]["starts_at"]) if event["next_date"] else None,
            published=event["published"], sensitive=event["sensitive"], capacity=event["capacity"],
            confirmed=event["counts"].confirmed, waitlisted=event["counts"].waitlisted,
            cancelled=event["counts"].cancelled, checked_in=event["counts"].checked_in,
        )
        for event in events
    ])
    return Response(body, headers={"Cache-Control": "no-store"})


def _iso(value: datetime) -> str:
    return value.isoformat()


router = Router(
    path="/staff",
    route_handlers=[event_list, settings_form, settings_save, needs],
    include_in_schema=False,  # HTML pages; the staff API below is documented
)
route_handlers = [router, api_staff_events]

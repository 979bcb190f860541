"""The organiser API for participants (bearer token, ``/api/v1/staff/events/{event_id}/…``): list and filter an
event's registrations, register someone on their behalf, check a ticket in.

Scoped like the pages (``requires(Action…, subject=EVENT_IN_PATH)``: an organiser's token reaches the events
whose team they are on), rate limited per token (``SAMRAD_RATE_LIMIT_API`` per token); writes made with a
browser session instead of a token need its CSRF token (``api_write_guard``), and every answer is 200/201
or a 4xx with the error shape of the public API (``events.listing.api``: field errors as ``errors``). The list
uses the same filters as the page (``events.attendees.queries``); sensitive events give counts only, never a
row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, QueryParameter, SkipValidation
from msgspec import Meta, Struct

from events.access import EVENT_IN_PATH
from events.attendees import queries, services
from events.attendees.queries import WorkshopRoster
from events.checkin import services as checkin
from events.contracts import CatalogueDependency, RegistrationError, SeatPlanDependency
from events.listing.api import STAFF_RESPONSES, ErrorOut, error_response
from events.loaders import staff_event
from events.registration import forms as registration_forms
from events.registration.api import RegistrationIn
from events.rules import normalise_ticket_code
from events.tables import AudienceCategory, RegistrationStatus
from samrad.core.i18n import _
from samrad.core.openapi import REQUIRED, PathId
from samrad.core.security import Action, api_write_guard, load_staff_user, requires

TAGS = ["Organisers: participants"]
RosterDependency = SkipValidation[NamedDependency[WorkshopRoster]]
API_PER_PAGE = 100


# --- types ----------------------------------------------------------------------------------------------------

class RegistrationRowOut(Struct):
    id: int
    name: str
    email: str
    status: RegistrationStatus
    category: AudienceCategory
    org_unit_id: int | None
    unit: Annotated[str, Meta(description="The organisational unit's name, or the council/organisation given.")]
    workshop_ids: Annotated[list[int], Meta(description="Workshops the person holds a seat in.")]
    waiting_workshop_ids: Annotated[list[int], Meta(description="Workshops the person waits for.")]
    ticket_code: str
    locale: str
    pronouns: str
    checked_in_at: datetime | None
    registered_at: datetime
    added_by_staff: Annotated[bool, Meta(description="Registered by an organiser on the person's behalf.")]


class RegistrationListOut(Struct):
    items: Annotated[list[RegistrationRowOut], Meta(description="This page; empty for sensitive events.")]
    total: Annotated[int, Meta(description="Registrations matching the filters, on all pages.")]
    page: int
    per_page: int
    counts: Annotated[
        dict[str, dict[str, int]],
        Meta(description="Per filter (status, category, unit, workshop, checked_in, needs): how many each value "
                         "would give with the other filters applied. Sensitive events: status, category, "
                         "checked_in."),
    ]
    names_hidden: Annotated[bool, Meta(description="True for sensitive events: counts only, never names.")] = False


class CreatedOut(Struct):
    id: int
    status: Literal["confirmed", "waitlisted"]
    ticket_code: str | None


class CheckInIn(Struct, kw_only=True):
    code: Annotated[
        str, Meta(description="The ticket code as scanned or typed (spaces and lower case are fine).", extra=REQUIRED)
    ] = ""


class CheckInOut(Struct):
    ok: Annotated[bool, Meta(description="Checked in now or earlier; false when refused (see reason).")]
    already_checked_in: bool
    reason: Annotated[
        Literal["cancelled", "waitlisted", "cancelled_event", "other_event"] | None,
        Meta(description="Why it was refused; null when checked in."),
    ]
    message: str
    registration_id: int
    status: RegistrationStatus
    category: AudienceCategory
    name: Annotated[str | None, Meta(description="null for sensitive events.")]
    checked_in_at: datetime | None


# --- helpers --------------------------------------------------------------------------------------------------

async def _limit(request: Request) -> None:
    """Rate limit per API token (per account for a browser session)."""
    user = await load_staff_user(request)
    key = f"token:{user['api_token_id']}" if user and user.get("api_token_id") else f"user:{user['id'] if user else 0}"
    await request.app.state.rate_limiter.hit("staff-api", key, request.app.state.settings.api_rate)


def _row(row: dict[str, Any]) -> RegistrationRowOut:
    return RegistrationRowOut(
        id=row["id"], name=row["name"], email=row["email"], status=row["status"], category=row["category"],
        org_unit_id=row["org_unit"], unit=row["unit_name"] or row["organisation"] or "",
        workshop_ids=[w for w, status in row["workshops"] if status == "confirmed"],
        waiting_workshop_ids=[w for w, status in row["workshops"] if status != "confirmed"],
        ticket_code=row["ticket_code"], locale=row["locale"], pronouns=row["pronouns"],
        checked_in_at=row["checked_in_at"], registered_at=row["created_at"], added_by_staff=row["added_by_staff"],
    )


_ERRORS = {
    **STAFF_RESPONSES,
    404: ResponseSpec(ErrorOut, description="No such event."),
    422: ResponseSpec(ErrorOut, description="Field errors, with a message per field."),
}


# --- endpoints ------------------------------------------------------------------------------------------------

@get(
    "/api/v1/staff/events/{event_id:int}/registrations",
    name="api_staff_registrations",
    tags=TAGS,
    summary="List and filter an event's registrations",
    description="The same search and filters as the organiser's list page; counts per filter value.",
    guards=[requires(Action.view_registrations, subject=EVENT_IN_PATH)],
    responses=_ERRORS,
)
async def api_registrations(
    request: Request,
    event_id: PathId,
    workshop_roster: RosterDependency,
    q: Annotated[str | None, QueryParameter(description="Name, email or ticket code.")] = None,
    status: Annotated[str | None, QueryParameter(description="active (default), confirmed, waitlisted, "
                                                             "cancelled or all.")] = None,
    category: Annotated[str | None, QueryParameter(description="Audience category.")] = None,
    unit: Annotated[str | None, QueryParameter(description="Organisational unit id.")] = None,
    workshop: Annotated[str | None, QueryParameter(description="Workshop id.")] = None,
    checked_in: Annotated[str | None, QueryParameter(description="yes or no.")] = None,
    needs: Annotated[str | None, QueryParameter(description="any, an access need, or diet.")] = None,
    sort: Annotated[str | None, QueryParameter(description="registered (default), name, status, category, "
                                                           "unit or checked_in; prefix - for descending.")] = None,
    page: Annotated[str | None, QueryParameter(description="Page number, from 1.")] = None,
) -> Response[RegistrationListOut]:
    await _limit(request)
    params = {"q": q, "status": status, "category": category, "unit": unit, "workshop": workshop,
              "checked_in": checked_in, "needs": needs, "sort": sort, "page": page}
    list_filter, errors = queries.parse_filter(params)
    if errors:
        return error_response(422, _("Please check what you entered"),
                              errors={name: _(message) for name, message in errors.items()})
    event = await staff_event(event_id)
    assert event is not None  # the guard answered 404 otherwise
    if event["sensitive"]:
        counts = await queries.sensitive_counts(event, list_filter)
        return Response(RegistrationListOut(
            items=[], total=counts["status"].get(list_filter.status, 0), page=1, per_page=API_PER_PAGE,
            counts={key: dict(value) for key, value in counts.items()}, names_hidden=True,
        ), headers={"Cache-Control": "no-store"})
    found = await queries.participant_list(event, list_filter, workshop_roster, per_page=API_PER_PAGE)
    return Response(RegistrationListOut(
        items=[_row(row) for row in found.page.items], total=found.page.total, page=found.page.page,
        per_page=API_PER_PAGE, counts={key: dict(value) for key, value in found.facets.items()},
    ), headers={"Cache-Control": "no-store"})


@post(
    "/api/v1/staff/events/{event_id:int}/registrations",
    name="api_staff_register",
    tags=TAGS,
    summary="Register someone on their behalf",
    description=(
        "The registration form's fields and rules (consent: the person agreed to the privacy notice). The person "
        "gets the normal confirmation email; the registration is marked as added by staff."
    ),
    status_code=201,
    guards=[requires(Action.manage_registrations, subject=EVENT_IN_PATH), api_write_guard],
    responses={**_ERRORS, 409: ResponseSpec(ErrorOut, description="Closed, full, already registered, ... "
                                                                   "(see code).")},
)
async def api_register_on_behalf(
    request: Request,
    event_id: PathId,
    data: JSONBody[RegistrationIn],
    seat_plan: SeatPlanDependency,
    workshop_catalogue: CatalogueDependency,
) -> Response[CreatedOut]:
    await _limit(request)
    event = await staff_event(event_id)
    assert event is not None
    setup = await registration_forms.load_registration_setup(event["slug"], workshop_catalogue)
    if setup is None:
        return error_response(409, _("This event is not published: nobody can register for it yet."),
                              code="not_published")
    parsed = registration_forms.parse_registration(msgspec.structs.asdict(data), setup.context)
    if isinstance(parsed, dict):
        return error_response(422, _("Please check what you entered"), errors=parsed)
    user = await load_staff_user(request)
    try:
        result = await services.register_phone_in(event_id, parsed, seat_plan, user["email"] if user else "api")
    except RegistrationError as error:
        field_name = registration_forms.field_of(error)
        return error_response(error.status_code, error.message, code=error.code,
                              errors={field_name: error.message} if field_name else None)
    if result.status == "duplicate":
        return error_response(409, _("This email address is already registered for this event. We have sent a "
                                     "new link to it."), code="already_registered")
    return Response(CreatedOut(id=result.registration_id, status=result.status, ticket_code=result.ticket_code),
                    status_code=201)


@post(
    "/api/v1/staff/events/{event_id:int}/checkins",
    name="api_staff_checkin",
    tags=TAGS,
    summary="Check a ticket in",
    description="Once per ticket: checking in again answers ok with already_checked_in. Refusals say why.",
    status_code=200,
    guards=[requires(Action.check_in, subject=EVENT_IN_PATH), api_write_guard],
    responses={**_ERRORS, 404: ResponseSpec(ErrorOut, description="No such event, or no ticket has this code.")},
)
async def api_check_in(request: Request, event_id: PathId, data: JSONBody[CheckInIn]) -> Response[CheckInOut]:
    await _limit(request)
    if not normalise_ticket_code(data.code) or len(normalise_ticket_code(data.code)) > 16:
        return error_response(422, _("Please check what you entered"),
                              errors={"code": _("Enter or scan the ticket code.")})
    event = await staff_event(event_id)
    assert event is not None
    outcome = await checkin.check_in(data.code, event_id)
    if outcome is None:
        return error_response(404, _("No ticket has this code. Check the code, or find the person by name."),
                              code="unknown_ticket")
    return Response(CheckInOut(
        ok=outcome["ok"], already_checked_in=outcome["already_checked_in"], reason=outcome["reason"],
        message=outcome["message"], registration_id=outcome["registration_id"], status=outcome["status"],
        category=outcome["category"],
        name=None if event["sensitive"] or outcome["reason"] == "other_event" else outcome["name"],
        checked_in_at=outcome["checked_in_at"],
    ))


route_handlers = [api_registrations, api_register_on_behalf, api_check_in]

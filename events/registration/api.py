"""The registration API (``/api/v1``): register without the HTML form, and cancel with a manage token.

It parses registrations with the same rules as the HTML form (``events.registration.forms``), answers in the
language of ``?lang=`` or ``Accept-Language`` and shares the types, error shape and rate limit of the events
API (``events.listing.api``).

Sensitive events (``Event.sensitive``) answer every accepted registration the same way, ``"status":
"submitted"`` without ticket or link (both go by email), so the answer never tells whether an address was
already registered.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Request, Response, post
from litestar.exceptions import NotFoundException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody
from msgspec import Meta, Struct, field

from events.contracts import ACCESS_NEEDS, CatalogueDependency, RegistrationError, SeatPlanDependency
from events.listing.api import BAD_REQUEST, RATE_LIMITED, TAGS, ErrorOut, error_response, rate_limit
from events.registration import booking, cancellation, changes, forms
from events.tables import RegistrationStatus
from samrad.core.i18n import _
from samrad.core.openapi import REQUIRED, RowId

# --- request and result types -----------------------------------------------------------------------------

class RegistrationIn(Struct, kw_only=True):
    """The registration form's fields. Only the questions the event asks are read (see ``questions``).

    ``name``, ``email`` and ``consent`` are required (``REQUIRED``): a body without them is answered 422 with a
    message for every field that is missing or wrong at once, so they keep a default here.
    """

    name: Annotated[str, Meta(description="The person's name (one field, any order).", extra=REQUIRED)] = ""
    email: Annotated[str, Meta(description="Where the confirmation, ticket and manage link go.", extra=REQUIRED)] = ""
    category: Annotated[
        str, Meta(description="Audience category; must be one the event allows. May be left out if it allows one.")
    ] = ""
    org_unit_id: Annotated[
        RowId | None,
        Meta(description="Organisational unit: required for staff and leaders when the event asks for it, one of "
                         "the event's org_units."),
    ] = None
    organisation: Annotated[
        str, Meta(description="Council or organisation (required for council and partner).")
    ] = ""
    workshop_ids: Annotated[list[RowId], Meta(description="Chosen workshops of this event.")] = field(
        default_factory=list
    )
    access_needs: Annotated[
        list[str],
        Meta(description="Any of: " + ", ".join(ACCESS_NEEDS) + "."),
    ] = field(default_factory=list)
    access_other: Annotated[str, Meta(description="What else is needed (with access need 'other').")] = ""
    diet: str = ""
    pronouns: str = ""
    follow_up_opt_in: Annotated[bool, Meta(description="Hear about the follow-up of the event's input.")] = False
    consent: Annotated[
        bool, Meta(description="Must be true: the person has read the privacy notice.", extra=REQUIRED)
    ] = False
    occurrence_id: Annotated[
        RowId | None, Meta(description="Drop-in events only: the date to be reminded of (one of dates).")
    ] = None
    locale: Annotated[
        str | None, Meta(description="Language for emails: da, sv or en (default: the request's language).")
    ] = None


class RegistrationOut(Struct):
    status: Annotated[
        Literal["confirmed", "waitlisted", "submitted"],
        Meta(description="submitted for sensitive events: the details go by email only."),
    ]
    ticket_code: Annotated[str | None, Meta(description="The ticket code at the door (null if none is shown).")]
    manage_url: Annotated[
        str | None, Meta(description="Secret link to see, change or cancel the registration. Do not log it.")
    ]
    waitlist_position: Annotated[int | None, Meta(description="1 for the first on the waiting list.")] = None


class CancelOut(Struct):
    status: Literal["cancelled"]
    promoted: Annotated[int, Meta(description="How many people moved from the waiting list to a seat.")]


# --- registrations ----------------------------------------------------------------------------------------

@post(
    "/api/v1/events/{slug:str}/registrations",
    name="api_register",
    tags=TAGS,
    summary="Register for an event",
    description=(
        "The same fields and rules as the registration form. The confirmation email (with ticket, calendar "
        "invitation and manage link) is sent in any case. Languages of the messages: ?lang= or Accept-Language."
    ),
    status_code=201,
    responses={
        400: BAD_REQUEST,
        404: ResponseSpec(ErrorOut, description="No published event has this slug."),
        409: ResponseSpec(ErrorOut, description="Closed, not open yet, full without waiting list, already "
                                                "registered, drop-in only or cancelled (see code)."),
        422: ResponseSpec(ErrorOut, description="Field errors, with a message per field."),
        429: RATE_LIMITED,
    },
)
async def api_register(
    request: Request,
    slug: FromPath[str],
    data: JSONBody[RegistrationIn],
    seat_plan: SeatPlanDependency,
    workshop_catalogue: CatalogueDependency,
) -> Response[RegistrationOut]:
    settings = request.app.state.settings
    await rate_limit(request, "register", settings.registration_rate)
    setup = await forms.load_registration_setup(slug, workshop_catalogue)
    if setup is None:
        raise NotFoundException()
    parsed = forms.parse_registration(msgspec.structs.asdict(data), setup.context)
    if isinstance(parsed, dict):
        return error_response(422, _("Please check what you entered"), errors=parsed)
    try:
        prepared = booking.Prepared(setup.event, setup.page.audiences, setup.page.dates)
        result = await booking.register(setup.event["id"], parsed, seat_plan, prepared=prepared)
    except RegistrationError as error:
        field_name = forms.field_of(error)
        return error_response(
            error.status_code, error.message, code=error.code,
            errors={field_name: error.message} if field_name else None,
        )
    if setup.event["sensitive"]:
        return Response(RegistrationOut(status="submitted", ticket_code=None, manage_url=None), status_code=201)
    if result.status == "duplicate":
        return error_response(
            409,
            _("This email address is already registered for this event. We have sent a new link to it."),
            code="already_registered",
        )
    body = RegistrationOut(
        status=result.status,
        ticket_code=result.ticket_code,
        manage_url=f"{settings.base_url}/manage/{result.manage_token}",
        waitlist_position=result.waitlist_position,
    )
    return Response(body, status_code=201)


@post(
    "/api/v1/registrations/{token:str}/cancel",
    name="api_cancel",
    tags=TAGS,
    summary="Cancel a registration",
    description="Cancel with the secret token of the manage link. A freed seat goes to the waiting list.",
    status_code=200,
    responses={
        404: ResponseSpec(ErrorOut, description="Unknown token (or the data was deleted)."),
        409: ResponseSpec(ErrorOut, description="Already cancelled."),
        429: RATE_LIMITED,
    },
)
async def api_cancel(request: Request, token: FromPath[str], seat_plan: SeatPlanDependency) -> Response[CancelOut]:
    await rate_limit(request, "api", request.app.state.settings.api_rate)
    registration = await changes.registration_for_token(token)
    if registration is None:
        raise NotFoundException()
    if registration["status"] == RegistrationStatus.cancelled:
        return error_response(409, _("This registration is already cancelled."), code="already_cancelled")
    promoted = await cancellation.cancel(token, seat_plan)
    return Response(CancelOut(status=RegistrationStatus.cancelled.value, promoted=len(promoted)))


route_handlers = [api_register, api_cancel]

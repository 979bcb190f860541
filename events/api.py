"""The public JSON API (``/api/v1``): events to list on other sites, and registration without the HTML form.

Request and response types are msgspec Structs with descriptions, so ``/schema`` documents them. The API
parses registrations with the same rules as the HTML form (``events.forms``) and answers in the language of
``?lang=`` or ``Accept-Language``. Errors have one shape: ``{"status_code", "detail", "code"?, "errors"?}``
with ``errors`` as ``[{"field", "message"}]``.

Sensitive events (``Event.sensitive``) answer every accepted registration the same way, ``"status":
"submitted"`` without ticket or link (both go by email), so the answer never tells whether an address was
already registered.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter, SkipValidation
from msgspec import Meta, Struct, field

from events import forms, queries, services
from events.forms import WorkshopCatalogue
from events.queries import ListingFilter, SeatState
from events.services import RegistrationError, SeatPlan
from events.tables import RegistrationMode, RegistrationStatus
from samrad.core.i18n import _, pick
from samrad.core.security import client_address
from samrad.core.settings import LOCALES

# Injected by the app (samrad.app.area_dependencies); protocols and callables are not validated.
SeatPlanDependency = SkipValidation[NamedDependency[SeatPlan]]
CatalogueDependency = SkipValidation[NamedDependency[WorkshopCatalogue]]

TAGS = ["Events"]


# --- response types ---------------------------------------------------------------------------------------

class VenueOut(Struct):
    name: str
    address: str
    city: str
    step_free: Annotated[bool, Meta(description="Step-free access to the event rooms.")]
    hearing_loop: bool
    accessible_toilet: bool
    quiet_room: bool
    accessibility: Annotated[str, Meta(description="Accessibility notes in the requested language.")]


class EventOut(Struct):
    """One event date: a café series appears once per date in the listing (see ``occurrence_id``)."""

    slug: Annotated[str, Meta(description="Stable identifier, used in URLs.")]
    kind: Annotated[str, Meta(description="conference, cafe, training or meeting.")]
    title: Annotated[str, Meta(description="Title in the requested language (falls back to another).")]
    titles: Annotated[dict[str, str], Meta(description="The title in every language it has: da, sv, en.")]
    summary: Annotated[str, Meta(description="Short summary in the requested language.")]
    starts_at: Annotated[datetime, Meta(description="Start (RFC 3339, UTC).")]
    ends_at: Annotated[datetime, Meta(description="End (RFC 3339, UTC).")]
    timezone: Annotated[str, Meta(description="IANA time zone the event's times are given in locally.")]
    status: Annotated[str, Meta(description="scheduled or cancelled.")]
    registration_mode: Annotated[str, Meta(description="required (register for a seat) or dropin (just come).")]
    registration_open: Annotated[bool, Meta(description="Whether a registration sent now would be accepted.")]
    availability: Annotated[
        str,
        Meta(description="open, waitlist, full, dropin, not_open_yet, closed or cancelled."),
    ]
    seats_left: Annotated[
        int | None, Meta(description="Free seats now; null when capacity is unlimited or the event is drop-in.")
    ]
    waitlist: Annotated[bool, Meta(description="Whether the event has a waiting list when it is full.")]
    url: Annotated[str, Meta(description="The event's public page.")]
    occurrence_id: Annotated[int | None, Meta(description="The date's id (listing only).")] = None
    venue: VenueOut | None = None


class DateOut(Struct):
    id: int
    starts_at: datetime
    ends_at: datetime
    cancelled: bool


class AudienceOut(Struct):
    category: Annotated[str, Meta(description="citizen, staff, leader, council, elected or partner.")]
    label: Annotated[str, Meta(description="The category's name in the requested language.")]
    quota_left: Annotated[int | None, Meta(description="Seats left of this category's quota; null: no quota.")]


class WorkshopOut(Struct):
    id: int
    title: str
    room: str
    starts_at: datetime | None
    ends_at: datetime | None
    seats_left: Annotated[int | None, Meta(description="Free seats; null when unlimited.")]


class EventDetailOut(EventOut):
    description: str = ""
    programme: str = ""
    audiences: list[AudienceOut] = []
    questions: Annotated[
        list[str], Meta(description="Optional questions this event asks (field groups of the registration).")
    ] = []
    dates: Annotated[list[DateOut], Meta(description="Upcoming dates (for a series, several).")] = []
    workshops: list[WorkshopOut] = []


class EventListOut(Struct):
    items: list[EventOut]
    total: Annotated[int, Meta(description="Dates matching the filters, on all pages.")]
    page: int
    per_page: int
    next: Annotated[str | None, Meta(description="URL of the next page; null on the last.")] = None
    prev: Annotated[str | None, Meta(description="URL of the previous page; null on the first.")] = None


class FieldErrorOut(Struct):
    field: Annotated[str, Meta(description="The request field the message is about.")]
    message: Annotated[str, Meta(description="What is wrong, in the requested language.")]


class ErrorOut(Struct):
    status_code: int
    detail: Annotated[str, Meta(description="What went wrong, in the requested language.")]
    code: Annotated[
        str | None,
        Meta(description="Stable reason: not_open_yet, closed, full, already_registered, dropin_only, "
                         "cancelled_event, already_cancelled, category_not_allowed, unknown_workshop, not_found."),
    ] = None
    errors: list[FieldErrorOut] = []


# --- request and result types -----------------------------------------------------------------------------

class RegistrationIn(Struct, kw_only=True):
    """The registration form's fields. Only the questions the event asks are read (see ``questions``)."""

    name: Annotated[str, Meta(description="The person's name (one field, any order).")] = ""
    email: Annotated[str, Meta(description="Where the confirmation, ticket and manage link go.")] = ""
    category: Annotated[
        str, Meta(description="Audience category; must be one the event allows. May be left out if it allows one.")
    ] = ""
    org_unit_id: Annotated[int | None, Meta(description="Organisational unit (staff and leaders).")] = None
    organisation: Annotated[
        str, Meta(description="Council or organisation (required for council and partner).")
    ] = ""
    workshop_ids: Annotated[list[int], Meta(description="Chosen workshops of this event.")] = field(
        default_factory=list
    )
    access_needs: Annotated[
        list[str],
        Meta(description="Any of: " + ", ".join(services.ACCESS_NEEDS) + "."),
    ] = field(default_factory=list)
    access_other: Annotated[str, Meta(description="What else is needed (with access need 'other').")] = ""
    diet: str = ""
    pronouns: str = ""
    follow_up_opt_in: Annotated[bool, Meta(description="Hear about the follow-up of the event's input.")] = False
    consent: Annotated[bool, Meta(description="Must be true: the person has read the privacy notice.")] = False
    occurrence_id: Annotated[
        int | None, Meta(description="Drop-in events only: the date to be reminded of.")
    ] = None
    locale: Annotated[
        str | None, Meta(description="Language for emails: da, sv or en (default: the request's language).")
    ] = None


class RegistrationOut(Struct):
    status: Annotated[
        str,
        Meta(description="confirmed or waitlisted; submitted for sensitive events (details go by email only)."),
    ]
    ticket_code: Annotated[str | None, Meta(description="The ticket code at the door (null if none is shown).")]
    manage_url: Annotated[
        str | None, Meta(description="Secret link to see, change or cancel the registration. Do not log it.")
    ]
    waitlist_position: Annotated[int | None, Meta(description="1 for the first on the waiting list.")] = None


class CancelOut(Struct):
    status: Annotated[str, Meta(description="Always cancelled.")]
    promoted: Annotated[int, Meta(description="How many people moved from the waiting list to a seat.")]


# --- helpers ----------------------------------------------------------------------------------------------

def _error(
    status_code: int, detail: str, *, code: str | None = None, errors: dict[str, str] | None = None
) -> Response[Any]:
    body = ErrorOut(
        status_code=status_code,
        detail=detail,
        code=code,
        errors=[FieldErrorOut(field=name, message=message) for name, message in (errors or {}).items()],
    )
    return Response(content=body, status_code=status_code)


def _event_url(request: Request, slug: str) -> str:
    return f"{request.app.state.settings.base_url}/events/{slug}"


def _titles(title: dict[str, str] | None) -> dict[str, str]:
    return {locale: title[locale] for locale in LOCALES if title and title.get(locale)}


def _venue_out(venue: dict[str, Any] | None) -> VenueOut | None:
    if not venue:
        return None
    return VenueOut(
        name=venue["name"], address=venue.get("address") or "", city=venue.get("city") or "",
        step_free=bool(venue.get("step_free")), hearing_loop=bool(venue.get("hearing_loop")),
        accessible_toilet=bool(venue.get("accessible_toilet")), quiet_room=bool(venue.get("quiet_room")),
        accessibility=pick(venue.get("accessibility")),
    )


def _common(request: Request, row: dict[str, Any], state: SeatState) -> dict[str, Any]:
    return {
        "slug": row["slug"],
        "kind": row["kind"],
        "title": pick(row["title"]),
        "titles": _titles(row["title"]),
        "summary": pick(row["summary"]),
        "timezone": row["timezone"],
        "status": row["status"],
        "registration_mode": row["registration_mode"],
        "registration_open": state.registration_open,
        "availability": state.availability.value,
        "seats_left": state.seats_left,
        "waitlist": bool(row["waitlist_enabled"]) and row["registration_mode"] != RegistrationMode.dropin,
        "url": _event_url(request, row["slug"]),
    }


async def _rate_limit(request: Request, bucket: str, limit: tuple[int, int]) -> None:
    await request.app.state.rate_limiter.hit(bucket, client_address(request), limit)


# --- events -----------------------------------------------------------------------------------------------

@get(
    "/api/v1/events",
    name="api_events",
    tags=TAGS,
    summary="Upcoming event dates",
    description="Upcoming and ongoing dates of published events, soonest first, with live seat counts.",
    responses={400: ResponseSpec(ErrorOut, description="A filter could not be used.")},
)
async def api_events(
    request: Request,
    kind: Annotated[str | None, QueryParameter(description="Only this kind of event.")] = None,
    date_from: Annotated[
        str | None, QueryParameter(name="from", description="First local date (YYYY-MM-DD).")
    ] = None,
    date_to: Annotated[str | None, QueryParameter(name="to", description="Last local date (YYYY-MM-DD).")] = None,
    page: Annotated[int, QueryParameter(ge=1, description="Page number, from 1.")] = 1,
    per_page: Annotated[
        int, QueryParameter(ge=1, le=queries.MAX_PAGE_SIZE, description="Dates per page.")
    ] = queries.PAGE_SIZE,
) -> Response[EventListOut]:
    await _rate_limit(request, "api", request.app.state.settings.api_rate)
    filters, errors = ListingFilter.parse(kind, date_from, date_to)
    if errors:
        return _error(400, _("Some filters could not be used."), errors=errors)
    result = await queries.upcoming_dates(filters, page=page, per_page=per_page)
    items = [
        EventOut(
            **_common(request, row, row["state"]),
            starts_at=row["starts_at"],
            ends_at=row["ends_at"],
            occurrence_id=row["occurrence_id"],
        )
        for row in result.items
    ]

    def page_link(number: int) -> str:
        params = {**filters.query_params(), "page": str(number), "per_page": str(result.per_page)}
        return f"{request.app.state.settings.base_url}/api/v1/events?{urlencode(params)}"

    body = EventListOut(
        items=items,
        total=result.total,
        page=result.page,
        per_page=result.per_page,
        next=page_link(result.page + 1) if result.has_next else None,
        prev=page_link(result.page - 1) if result.has_prev else None,
    )
    return Response(content=body)


@get(
    "/api/v1/events/{slug:str}",
    name="api_event",
    tags=TAGS,
    summary="One event",
    description="An event with its venue, audiences, upcoming dates and workshops.",
    responses={404: ResponseSpec(ErrorOut, description="No published event has this slug.")},
)
async def api_event(
    request: Request, slug: FromPath[str], workshop_catalogue: CatalogueDependency
) -> EventDetailOut:
    await _rate_limit(request, "api", request.app.state.settings.api_rate)
    page = await queries.event_page(slug)
    if page is None:
        raise NotFoundException()
    event = page.event
    workshops = await workshop_catalogue(event["id"])
    return EventDetailOut(
        **_common(request, event, page.state),
        starts_at=event["starts_at"],
        ends_at=event["ends_at"],
        venue=_venue_out(page.venue),
        description=pick(event["description"]),
        programme=pick(event["programme"]),
        audiences=[
            AudienceOut(category=row["category"], label=row["label"], quota_left=row["quota_left"])
            for row in page.audiences
        ],
        questions=list(event["questions"] or []),
        dates=[
            DateOut(id=row["id"], starts_at=row["starts_at"], ends_at=row["ends_at"], cancelled=row["cancelled"])
            for row in page.dates
        ],
        workshops=[
            WorkshopOut(
                id=row["id"], title=pick(row["title"]), room=row["room"] or "", starts_at=row["starts_at"],
                ends_at=row["ends_at"], seats_left=row["seats_left"],
            )
            for row in workshops
        ],
    )


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
        400: ResponseSpec(ErrorOut, description="The body is not JSON or a field has the wrong type."),
        404: ResponseSpec(ErrorOut, description="No published event has this slug."),
        409: ResponseSpec(ErrorOut, description="Closed, not open yet, full without waiting list, already "
                                                "registered, drop-in only or cancelled (see code)."),
        422: ResponseSpec(ErrorOut, description="Field errors, with a message per field."),
        429: ResponseSpec(ErrorOut, description="Too many registrations from this address; see Retry-After."),
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
    await _rate_limit(request, "register", settings.registration_rate)
    setup = await forms.load_registration_setup(slug, workshop_catalogue)
    if setup is None:
        raise NotFoundException()
    parsed = forms.parse_registration(msgspec.structs.asdict(data), setup.context)
    if isinstance(parsed, dict):
        return _error(422, _("Please check what you entered"), errors=parsed)
    try:
        result = await services.register(setup.event["id"], parsed, seat_plan)
    except RegistrationError as error:
        field_name = {"category_not_allowed": "category", "unknown_workshop": "workshop_ids"}.get(error.code)
        return _error(
            error.status_code, error.message, code=error.code,
            errors={field_name: error.message} if field_name else None,
        )
    if setup.event["sensitive"]:
        return Response(RegistrationOut(status="submitted", ticket_code=None, manage_url=None), status_code=201)
    if result.status == "duplicate":
        return _error(
            409,
            _("This email address is already registered for this event. We have sent a new link to it."),
            code="already_registered",
        )
    position = None
    if result.status == RegistrationStatus.waitlisted:
        position = await queries.waitlist_position(setup.event["id"], result.registration_id)
    body = RegistrationOut(
        status=result.status,
        ticket_code=result.ticket_code,
        manage_url=f"{settings.base_url}/manage/{result.manage_token}",
        waitlist_position=position,
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
    },
)
async def api_cancel(request: Request, token: FromPath[str], seat_plan: SeatPlanDependency) -> Response[CancelOut]:
    await _rate_limit(request, "api", request.app.state.settings.api_rate)
    registration = await services.registration_for_token(token)
    if registration is None:
        raise NotFoundException()
    if registration["status"] == RegistrationStatus.cancelled:
        return _error(409, _("This registration is already cancelled."), code="already_cancelled")
    promoted = await services.cancel(token, seat_plan)
    return Response(CancelOut(status=RegistrationStatus.cancelled.value, promoted=len(promoted)))


route_handlers = [api_events, api_event, api_register, api_cancel]

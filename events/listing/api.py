"""The public JSON API (``/api/v1``) for events: upcoming dates and one event, to list on other sites.

Request and response types are msgspec Structs with descriptions, so ``/schema`` documents them, and the API
answers in the language of ``?lang=`` or ``Accept-Language``. Errors have one shape, shared with the
registration API (``events.registration.api``): ``{"status_code", "detail", "code"?, "errors"?}`` with
``errors`` as ``[{"field", "message"}]``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, QueryParameter
from msgspec import Meta, Struct

from events import loaders, rules
from events.contracts import CatalogueDependency
from events.listing import queries
from events.listing.availability import Availability, SeatState
from events.listing.event_page import event_page
from events.listing.queries import ListingFilter
from events.tables import AudienceCategory, EventKind, EventStatus, RegistrationMode
from samrad.core.i18n import _, pick
from samrad.core.openapi import MAX_PAGE
from samrad.core.security import client_address
from samrad.core.settings import LOCALES

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
    kind: EventKind
    title: Annotated[str, Meta(description="Title in the requested language (falls back to another).")]
    titles: Annotated[dict[str, str], Meta(description="The title in every language it has: da, sv, en.")]
    summary: Annotated[str, Meta(description="Short summary in the requested language.")]
    starts_at: Annotated[datetime, Meta(description="Start (RFC 3339, UTC).")]
    ends_at: Annotated[datetime, Meta(description="End (RFC 3339, UTC).")]
    timezone: Annotated[str, Meta(description="IANA time zone the event's times are given in locally.")]
    status: EventStatus
    registration_mode: Annotated[
        RegistrationMode, Meta(description="required (register for a seat) or dropin (just come).")
    ]
    registration_open: Annotated[bool, Meta(description="Whether a registration sent now would be accepted.")]
    availability: Availability
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
    category: AudienceCategory
    label: Annotated[str, Meta(description="The category's name in the requested language.")]
    quota_left: Annotated[int | None, Meta(description="Seats left of this category's quota; null: no quota.")]


class WorkshopOut(Struct):
    id: int
    title: str
    room: str
    starts_at: datetime | None
    ends_at: datetime | None
    seats_left: Annotated[int | None, Meta(description="Free seats; null when unlimited.")]


class OrgUnitOut(Struct):
    id: int
    name: str
    code: str


class EventDetailOut(EventOut):
    description: str = ""
    programme: str = ""
    audiences: list[AudienceOut] = []
    questions: Annotated[
        list[str], Meta(description="Optional questions this event asks (field groups of the registration).")
    ] = []
    org_units: Annotated[
        list[OrgUnitOut],
        Meta(description="When the event asks for the unit: the organisational units a registrant of category "
                         "staff or leader must choose one of (org_unit_id of the registration). Empty otherwise."),
    ] = []
    dates: Annotated[list[DateOut], Meta(description="Upcoming dates (for a series, several).")] = []
    workshops: list[WorkshopOut] = []


class EventListOut(Struct):
    items: list[EventOut]
    total: Annotated[int, Meta(description=(
        "Dates matching the filters, on all pages, when total_exact; otherwise the dates counted (at least "
        "2,000, or up to two pages past this one), and there are more: follow next."))]
    page: int
    per_page: int
    total_exact: Annotated[bool, Meta(description="Whether total counts every matching date.")] = True
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


# What any endpoint may answer besides its own outcomes; the staff endpoints add 401 and 403.
BAD_REQUEST = ResponseSpec(
    ErrorOut, description="A parameter or the body could not be read: not JSON, a wrong type, a value out of range."
)
UNAUTHORIZED = ResponseSpec(
    ErrorOut, description="No staff session or valid API token (Authorization: Bearer; unknown, expired or revoked)."
)
FORBIDDEN = ResponseSpec(
    ErrorOut, description="The account may not do this: its role, or it is not on the event's team. A write made "
                          "with a staff session also needs the page's CSRF token (X-CSRFToken)."
)
RATE_LIMITED = ResponseSpec(ErrorOut, description="Too many requests; see Retry-After.")
STAFF_RESPONSES = {400: BAD_REQUEST, 401: UNAUTHORIZED, 403: FORBIDDEN, 429: RATE_LIMITED}


# --- helpers ----------------------------------------------------------------------------------------------

def error_response(
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
        "waitlist": bool(row["waitlist_enabled"]) and not rules.is_dropin(row),
        "url": _event_url(request, row["slug"]),
    }


async def rate_limit(request: Request, bucket: str, limit: tuple[int, int]) -> None:
    await request.app.state.rate_limiter.hit(bucket, client_address(request), limit)


# --- events -----------------------------------------------------------------------------------------------

@get(
    "/api/v1/events",
    name="api_events",
    tags=TAGS,
    summary="Upcoming event dates",
    description="Upcoming and ongoing dates of published events, soonest first, with live seat counts.",
    responses={400: ResponseSpec(ErrorOut, description="A filter could not be used."), 429: RATE_LIMITED},
)
async def api_events(
    request: Request,
    kind: Annotated[EventKind | None, QueryParameter(description="Only this kind of event.")] = None,
    date_from: Annotated[
        str | None, QueryParameter(name="from", description="First local date (YYYY-MM-DD).")
    ] = None,
    date_to: Annotated[str | None, QueryParameter(name="to", description="Last local date (YYYY-MM-DD).")] = None,
    page: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE, description="Page number, from 1.")] = 1,
    per_page: Annotated[
        int, QueryParameter(ge=1, le=queries.MAX_PAGE_SIZE, description="Dates per page.")
    ] = queries.PAGE_SIZE,
) -> Response[EventListOut]:
    await rate_limit(request, "api", request.app.state.settings.api_rate)
    filters, errors = ListingFilter.parse(kind, date_from, date_to)
    if errors:
        return error_response(400, _("Some filters could not be used."), errors=errors)
    # Every date of a series, as other sites list dates (the public listing shows a series once).
    result = await queries.upcoming_dates(filters, page=page, per_page=per_page, series_once=False)
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
        total_exact=result.exact,
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
    responses={
        404: ResponseSpec(ErrorOut, description="No published event has this slug."),
        429: RATE_LIMITED,
    },
)
async def api_event(
    request: Request, slug: FromPath[str], workshop_catalogue: CatalogueDependency
) -> EventDetailOut:
    await rate_limit(request, "api", request.app.state.settings.api_rate)
    page = await event_page(slug)
    if page is None:
        raise NotFoundException()
    event = page.event
    workshops = await workshop_catalogue(event["id"])
    units = await loaders.org_units() if rules.asks_for_unit(event, page.categories) else []
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
        org_units=[OrgUnitOut(id=row["id"], name=row["name"], code=row["code"]) for row in units],
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


route_handlers = [api_events, api_event]

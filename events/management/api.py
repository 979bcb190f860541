"""The organiser API (``/api/v1/events``, bearer token): create, update, publish and cancel events.

The same rules as the staff pages: the bodies are read by the forms' parsers (``events.management.forms``), the
work is done by the same services, and the permissions are the same (``requires(Action.create_events)``;
``requires(Action.manage_events, EVENT_SLUG_IN_PATH)``: the event's team and administrators). Every write
answers 201/200, or 4xx with the error shape of the public API (``events.listing.api.ErrorOut``, field errors
as 422), and is rate limited per token. New events are drafts until published.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from litestar import Request, Response, patch, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody
from msgspec import Meta, Struct, field

from events import loaders
from events.access import EVENT_SLUG_IN_PATH
from events.contracts import SeatPlanDependency
from events.listing.api import STAFF_RESPONSES, ErrorOut, error_response
from events.management import forms, services
from events.management.lifecycle import LifecycleError, set_published
from events.management.services import EventConflict
from events.tables import EventKind, EventStatus, RegistrationMode
from samrad.core.i18n import _
from samrad.core.inputs import plausible
from samrad.core.openapi import MAX_ID, REQUIRED, RowId
from samrad.core.security import Action, api_write_guard, caller_key, load_staff_user, requires
from samrad.core.settings import LOCALES

TAGS = ["Organiser API"]
TEXTS = Annotated[dict[str, str], Meta(description="Per language: da, sv, en (any of them).")]
WHEN = Annotated[
    str | None,
    Meta(description="RFC 3339 (2027-03-04T09:00:00+01:00), or a local time in the event's time zone "
                     "(2027-03-04T09:00)."),
]

COMMON_RESPONSES = STAFF_RESPONSES


# --- bodies and answers -----------------------------------------------------------------------------------

class EventCreateIn(Struct, kw_only=True):
    """``kind``, ``title``, ``starts_at`` and ``ends_at`` are required (``REQUIRED``); they keep defaults so that
    a body without them is answered 422 with a message for every missing or wrong field at once."""

    kind: Annotated[str, Meta(description="conference, cafe, training or meeting.", extra=REQUIRED)] = ""
    slug: Annotated[str, Meta(description="Web address name (a-z, 0-9, hyphens); made from the title if empty.")] = ""
    title: Annotated[TEXTS, Meta(extra=REQUIRED)] = field(default_factory=dict)
    summary: TEXTS = field(default_factory=dict)
    description: TEXTS = field(default_factory=dict)
    programme: TEXTS = field(default_factory=dict)
    timezone: Annotated[str, Meta(description="IANA time zone, e.g. Europe/Copenhagen.")] = "Europe/Copenhagen"
    starts_at: Annotated[WHEN, Meta(extra=REQUIRED)] = None
    ends_at: Annotated[WHEN, Meta(extra=REQUIRED)] = None
    venue_id: RowId | None = None
    registration_mode: Annotated[str, Meta(description="required or dropin.")] = RegistrationMode.required.value
    capacity: Annotated[int | None, Meta(description="Seats; null for no limit.")] = None
    waitlist_enabled: bool = True
    sensitive: Annotated[bool, Meta(description="Counts only, never lists of people (e.g. an LGBTQ café).")] = False
    weekdays: Annotated[list[str], Meta(description="Cafés: MO..SU for a weekly series.")] = field(
        default_factory=list
    )
    until: Annotated[str | None, Meta(description="Cafés: the last date of the series (2027-06-30).")] = None


class EventUpdateIn(Struct, kw_only=True):
    """Only the fields given change; a text language given as "" is removed."""

    title: TEXTS | None = None
    summary: TEXTS | None = None
    description: TEXTS | None = None
    programme: TEXTS | None = None
    timezone: str | None = None
    starts_at: WHEN = None
    ends_at: WHEN = None
    venue_id: Annotated[
        Annotated[int, Meta(ge=0, le=MAX_ID)] | None, Meta(description="0 removes the venue.")
    ] = None


class EventStaffOut(Struct):
    id: int
    slug: str
    kind: EventKind
    titles: dict[str, str]
    status: EventStatus
    published: Annotated[bool, Meta(description="False for a draft: invisible to the public pages and API.")]
    starts_at: datetime
    ends_at: datetime
    timezone: str
    registration_mode: RegistrationMode
    capacity: int | None
    url: str


class CancelledOut(Struct):
    status: Literal["cancelled"]
    notified: Annotated[int, Meta(description="How many people registered were told by email.")]


# --- helpers ----------------------------------------------------------------------------------------------

async def _limit(request: Request) -> dict[str, Any]:
    """The acting account; one hit on its write budget (per API token, or per account when signed in by session)."""
    user = await load_staff_user(request)
    budget = request.app.state.settings.organiser_api_rate
    await request.app.state.rate_limiter.hit("organiser-api", caller_key(user), budget)
    return user


def _local_time(value: str | None, zone: str, name: str, errors: dict[str, str]) -> str:
    """An API time as the forms read it: a local ``YYYY-MM-DDTHH:MM`` in the event's zone."""
    if value is None or not value.strip():
        return ""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        errors[name] = _("Enter a date and time like 2027-03-04T09:00:00+01:00.")
        return ""
    if not plausible(moment):  # far years also overflow when moved between time zones
        errors[name] = _("Enter a date and time like 2027-03-04T09:00:00+01:00.")
        return ""
    if moment.tzinfo is not None:
        try:
            moment = moment.astimezone(ZoneInfo(zone))
        except (KeyError, ValueError):
            return ""  # the unknown time zone gets its own error from the parser
    return moment.strftime("%Y-%m-%dT%H:%M")


def _text_fields(fields: dict[str, Any], name: str, texts: dict[str, str]) -> dict[str, str]:
    errors = {}
    for locale, value in texts.items():
        if locale not in LOCALES:
            errors[f"{name}.{locale}"] = _("Use the languages da, sv and en.")
        else:
            fields[f"{name}_{locale}"] = value
    return errors


def _api_field(name: str) -> str:
    """The form's field name as the API calls it (``title_da`` -> ``title.da``, ``venue`` -> ``venue_id``)."""
    for text in forms.TEXT_FIELDS:
        for locale in LOCALES:
            if name == f"{text}_{locale}":
                return f"{text}.{locale}"
    return {"venue": "venue_id"}.get(name, name)


def _field_errors(errors: dict[str, str]) -> Response[Any]:
    return error_response(422, _("Please check what you entered"),
                          errors={_api_field(name): message for name, message in errors.items()})


def _out(request: Request, event: dict[str, Any]) -> EventStaffOut:
    return EventStaffOut(
        id=event["id"], slug=event["slug"], kind=event["kind"], titles=dict(event["title"] or {}),
        status=event["status"], published=event["published"], starts_at=event["starts_at"],
        ends_at=event["ends_at"], timezone=event["timezone"], registration_mode=event["registration_mode"],
        capacity=event["capacity"], url=f"{request.app.state.settings.base_url}/events/{event['slug']}",
    )


async def _venue_ids() -> set[int]:
    return {row["id"] for row in await services.venue_choices()}


# --- the endpoints ----------------------------------------------------------------------------------------

@post(
    "/api/v1/events", name="api_event_create", tags=TAGS, summary="Create an event (as a draft)",
    description="The fields of the new-event page. The event is a draft, on the team of the token's account, "
                "until it is published.",
    status_code=201, guards=[requires(Action.create_events), api_write_guard],
    responses={**COMMON_RESPONSES, 422: ResponseSpec(ErrorOut, description="Field errors, a message per field.")},
)
async def api_event_create(request: Request, data: JSONBody[EventCreateIn]) -> Response[EventStaffOut]:
    user = await _limit(request)
    fields: dict[str, Any] = {
        "kind": data.kind, "slug": data.slug, "timezone": data.timezone,
        "registration_mode": data.registration_mode, "weekdays": list(data.weekdays), "until": data.until or "",
        "capacity": "" if data.capacity is None else str(data.capacity),
        "venue": "" if data.venue_id is None else str(data.venue_id),
        "waitlist_enabled": "1" if data.waitlist_enabled else "", "sensitive": "1" if data.sensitive else "",
    }
    errors: dict[str, str] = {}
    for name in forms.TEXT_FIELDS:
        errors |= _text_fields(fields, name, getattr(data, name))
    fields["starts_at"] = _local_time(data.starts_at, data.timezone, "starts_at", errors)
    fields["ends_at"] = _local_time(data.ends_at, data.timezone, "ends_at", errors)
    parsed = forms.parse_new_event(fields, await _venue_ids())
    if isinstance(parsed, dict) or errors:
        return _field_errors({**(parsed if isinstance(parsed, dict) else {}), **errors})
    try:
        event_id = await services.create_event(
            parsed, slug_given=bool(data.slug.strip()), base_url=request.app.state.settings.base_url,
            actor=user["email"], creator_id=user["id"],
        )
    except EventConflict as conflict:
        return _field_errors(conflict.errors)
    return Response(_out(request, await loaders.event_row(event_id)), status_code=201)


@patch(
    "/api/v1/events/{slug:str}", name="api_event_update", tags=TAGS, summary="Change an event's details",
    description="Texts, time and venue, as on the details page; a new time or venue is announced to everyone "
                "registered with an updated calendar invitation. Only the fields given change.",
    guards=[requires(Action.manage_events, EVENT_SLUG_IN_PATH), api_write_guard],
    responses={**COMMON_RESPONSES, 404: ResponseSpec(ErrorOut, description="No event has this slug."),
               409: ResponseSpec(ErrorOut, description="The event is cancelled."),
               422: ResponseSpec(ErrorOut, description="Field errors, a message per field.")},
)
async def api_event_update(
    request: Request, slug: FromPath[str], data: JSONBody[EventUpdateIn], seat_plan: SeatPlanDependency
) -> Response[EventStaffOut]:
    user = await _limit(request)
    event = await loaders.event_row(slug)
    fields = forms.details_form_values(event)
    errors: dict[str, str] = {}
    for name in forms.TEXT_FIELDS:
        if (texts := getattr(data, name)) is not None:
            errors |= _text_fields(fields, name, texts)
    zone = data.timezone if data.timezone is not None else event["timezone"]
    fields["timezone"] = zone
    for name in ("starts_at", "ends_at"):
        if (value := getattr(data, name)) is not None:
            fields[name] = _local_time(value, zone, name, errors)
    if data.venue_id is not None:
        fields["venue"] = "" if data.venue_id == 0 else str(data.venue_id)
    parsed = forms.parse_details(fields, await _venue_ids(), series=services.is_series(event))
    if isinstance(parsed, dict) or errors:
        return _field_errors({**(parsed if isinstance(parsed, dict) else {}), **errors})
    try:
        await services.update_details(event["id"], parsed, seat_plan, user["email"])
    except EventConflict as conflict:
        if conflict.errors:
            return _field_errors(conflict.errors)
        return error_response(409, conflict.problem, code="cancelled_event")
    return Response(_out(request, await loaders.event_row(event["id"])), status_code=200)


@post(
    "/api/v1/events/{slug:str}/publish", name="api_event_publish", tags=TAGS, summary="Publish a draft",
    description="The event appears on the public pages, in the feeds and the public API, open for registration. "
                "Publishing a published event changes nothing.",
    status_code=200, guards=[requires(Action.manage_events, EVENT_SLUG_IN_PATH), api_write_guard],
    responses={**COMMON_RESPONSES, 404: ResponseSpec(ErrorOut, description="No event has this slug."),
               409: ResponseSpec(ErrorOut, description="A cancelled event cannot be published.")},
)
async def api_event_publish(request: Request, slug: FromPath[str]) -> Response[EventStaffOut]:
    user = await _limit(request)
    event = await loaders.event_row(slug)
    try:
        await set_published(event["id"], True, user["email"])
    except LifecycleError:
        return error_response(409, _("A cancelled event cannot be published."), code="cancelled_event")
    return Response(_out(request, await loaders.event_row(event["id"])), status_code=200)


@post(
    "/api/v1/events/{slug:str}/cancel", name="api_event_cancel", tags=TAGS, summary="Cancel an event",
    description="Everyone registered is told by email, with a calendar cancellation, and unregistered. "
                "This cannot be undone.",
    status_code=200, guards=[requires(Action.manage_events, EVENT_SLUG_IN_PATH), api_write_guard],
    responses={**COMMON_RESPONSES, 404: ResponseSpec(ErrorOut, description="No event has this slug."),
               409: ResponseSpec(ErrorOut, description="The event is cancelled already.")},
)
async def api_event_cancel(
    request: Request, slug: FromPath[str], seat_plan: SeatPlanDependency
) -> Response[CancelledOut]:
    user = await _limit(request)
    event = await loaders.event_row(slug)
    if event["status"] == EventStatus.cancelled.value:
        return error_response(409, _("This event is already cancelled."), code="already_cancelled")
    result = await services.cancel_event(event["id"], seat_plan, user["email"])
    return Response(CancelledOut(status=EventStatus.cancelled.value, notified=result.notified), status_code=200)


route_handlers = [api_event_create, api_event_update, api_event_publish, api_event_cancel]

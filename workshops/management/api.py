"""The organisers' workshop API: create, change and remove the workshops of an event.

The body is checked by the rules of the HTML form (``workshops.management.forms.check``): every mistake is a
422 with a message per field (a field of the wrong type too, see ``_field_errors``). A change names only the
fields it changes. Scripts write with a bearer token; a write made with a staff session must carry the page's
CSRF token (``samrad.core.security.api_write_guard``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Request, Response, delete, patch, post
from litestar.exceptions import NotFoundException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody
from msgspec import UNSET, Meta, Struct, UnsetType

from events.access import EVENT_SLUG_IN_PATH
from events.listing.api import ErrorOut, FieldErrorOut, error_response
from samrad.core.i18n import _
from samrad.core.inputs import plausible
from samrad.core.openapi import REQUIRED, PathId, RowId
from samrad.core.security import Action, api_write_guard, requires
from samrad.core.settings import LOCALES
from workshops.access import EVENT_OF_WORKSHOP_IN_PATH
from workshops.contracts import ThemeLinksDependency, WorkshopInputDependency, WorkshopNotFound
from workshops.management import forms, queries, services
from workshops.management.routes import actor, form_context
from workshops.management.services import WorkshopConflict

TAGS = ["Workshops"]
_UNKNOWN_FIELD = re.compile(r"unknown field `([^`]+)`")
_LANGUAGES = ", ".join(LOCALES)


class WorkshopIn(Struct, kw_only=True, forbid_unknown_fields=True):
    """A workshop's fields. Creating one needs a title and both times; a change names only what changes."""

    title: Annotated[
        dict[str, str] | UnsetType, Meta(description=f"By language ({_LANGUAGES}); at least one.")
    ] = UNSET
    description: Annotated[dict[str, str] | UnsetType, Meta(description=f"By language ({_LANGUAGES}).")] = UNSET
    room: str | UnsetType = UNSET
    starts_at: Annotated[
        datetime | UnsetType,
        Meta(description="ISO 8601; without an offset it is read in the event's time zone. Within the event."),
    ] = UNSET
    ends_at: Annotated[datetime | UnsetType, Meta(description="After starts_at, within the event.")] = UNSET
    capacity: Annotated[
        int | UnsetType | None, Meta(description="Seats; null for no limit. Not below the seats booked.")
    ] = UNSET
    tables: Annotated[
        list[str] | UnsetType,
        Meta(description="The tables' names in order (an empty name becomes \"Table n\" in the event's "
                         "language). Existing tables keep their join codes by position; tables cut off go."),
    ] = UNSET
    facilitator_ids: Annotated[
        list[RowId] | UnsetType, Meta(description="Staff accounts (facilitator, organiser or admin) to assign.")
    ] = UNSET
    theme_ids: Annotated[list[RowId] | UnsetType, Meta(description="Policy themes the workshop works on.")] = UNSET


class WorkshopCreateIn(WorkshopIn, kw_only=True, forbid_unknown_fields=True):
    """A new workshop: ``title``, ``starts_at`` and ``ends_at`` are required (``REQUIRED``). A body without them
    is answered 422 with a message for each missing or wrong field at once, so they keep their default here."""

    title: Annotated[
        dict[str, str] | UnsetType, Meta(description=f"By language ({_LANGUAGES}); at least one.", extra=REQUIRED)
    ] = UNSET
    starts_at: Annotated[
        datetime | UnsetType,
        Meta(description="ISO 8601; without an offset it is read in the event's time zone. Within the event.",
             extra=REQUIRED),
    ] = UNSET
    ends_at: Annotated[
        datetime | UnsetType, Meta(description="After starts_at, within the event.", extra=REQUIRED)
    ] = UNSET


class TableOut(Struct):
    id: int
    label: str
    join_code: str


class WorkshopOut(Struct):
    id: int
    event_id: int
    title: dict[str, str]
    description: dict[str, str]
    room: str
    starts_at: datetime | None
    ends_at: datetime | None
    capacity: int | None
    booked: int
    position: Annotated[int, Meta(description="Place in the event's programme (0 first).")]
    join_code: Annotated[str, Meta(description="Participants join with it (/j/{code}).")]
    tables: list[TableOut]
    facilitator_ids: list[int]
    theme_ids: list[int]


def _field_errors(request: Request, exc: Exception) -> Response[Any]:
    """A body Litestar could not read into ``WorkshopIn`` (not JSON, a wrong type, an unknown field): 422."""
    extra = exc.extra if isinstance(exc, ValidationException) else None
    errors = []
    for item in extra if isinstance(extra, list) else []:
        if not isinstance(item, dict):
            continue
        unknown = _UNKNOWN_FIELD.search(str(item.get("message", "")))
        if unknown:
            errors.append(FieldErrorOut(field=unknown.group(1), message=_("This is not a field of a workshop.")))
        elif item.get("key") and item["key"] != "data":
            errors.append(FieldErrorOut(field=str(item["key"]), message=_("This value has the wrong type.")))
    body = ErrorOut(
        status_code=422, detail=_("Please check what you entered"),
        errors=errors or [FieldErrorOut(field="", message=_("The request body is not a JSON object of a workshop's "
                                                            "fields."))],
    )
    return Response(body, status_code=422)


_RESPONSES = {
    401: ResponseSpec(ErrorOut, description="No bearer token (or staff session)."),
    403: ResponseSpec(ErrorOut, description="The caller may not manage this event, or a session write came "
                                            "without its CSRF token (x-csrftoken)."),
    404: ResponseSpec(ErrorOut, description="No such event or workshop."),
    422: ResponseSpec(ErrorOut, description="Field errors, with a message per field."),
}
_EVENT_GUARDS = [requires(Action.manage_events, subject=EVENT_SLUG_IN_PATH), api_write_guard]
_WORKSHOP_GUARDS = [requires(Action.manage_events, subject=EVENT_OF_WORKSHOP_IN_PATH), api_write_guard]
_HANDLERS = {400: _field_errors}  # ValidationException, and a body that is not JSON at all


@post("/api/v1/events/{slug:str}/workshops", name="api_workshop_create", tags=TAGS, summary="Add a workshop",
      status_code=201, guards=_EVENT_GUARDS, responses=_RESPONSES, exception_handlers=_HANDLERS)
async def api_create(
    request: Request, slug: FromPath[str], data: JSONBody[WorkshopCreateIn], theme_links: ThemeLinksDependency
) -> Response[WorkshopOut]:
    event = await queries.event_by_slug(slug)
    if event is None:
        raise NotFoundException()
    parsed = await _parse(data, event, None, theme_links)
    if isinstance(parsed, dict):
        return _invalid(parsed)
    workshop_id = await services.create_workshop(event["id"], parsed, theme_links, await actor(request))
    return Response(await _out(workshop_id, theme_links), status_code=201)


@patch("/api/v1/workshops/{workshop_id:int}", name="api_workshop_update", tags=TAGS, summary="Change a workshop",
       guards=_WORKSHOP_GUARDS, responses={**_RESPONSES, 409: ResponseSpec(ErrorOut, description="Capacity below the "
                                                                                          "seats booked.")},
       exception_handlers=_HANDLERS)
async def api_update(
    request: Request, workshop_id: PathId, data: JSONBody[WorkshopIn], theme_links: ThemeLinksDependency,
    workshop_input: WorkshopInputDependency,
) -> Response[WorkshopOut]:
    workshop = await queries.workshop(workshop_id)
    event = await queries.event(workshop["event"]) if workshop else None
    if workshop is None or event is None:
        raise NotFoundException()
    parsed = await _parse(data, event, workshop, theme_links)
    if isinstance(parsed, dict):
        return _invalid(parsed)
    try:
        await services.update_workshop(workshop_id, parsed, theme_links, workshop_input, await actor(request))
    except WorkshopConflict as conflict:
        return error_response(409, _("This could not be done right now"),
                              errors={forms.api_field(k): v for k, v in conflict.errors.items()})
    except WorkshopNotFound as missing:
        raise NotFoundException() from missing
    return Response(await _out(workshop_id, theme_links))


@delete("/api/v1/workshops/{workshop_id:int}", name="api_workshop_delete", tags=TAGS, summary="Remove a workshop",
        description="Its input stays with the event (without workshop and table); the people who chose it keep "
                    "their registration and lose this workshop only (no email is sent).",
        guards=_WORKSHOP_GUARDS, responses=_RESPONSES)
async def api_delete(request: Request, workshop_id: PathId, workshop_input: WorkshopInputDependency) -> None:
    try:
        await services.remove_workshop(workshop_id, workshop_input, await actor(request))
    except WorkshopNotFound as missing:
        raise NotFoundException() from missing


def _invalid(errors: dict[str, str]) -> Response[Any]:
    return error_response(422, _("Please check what you entered"),
                          errors={forms.api_field(name): message for name, message in errors.items()})


async def _parse(
    body: WorkshopIn, event: dict[str, Any], workshop: dict[str, Any] | None, links: Any
) -> forms.WorkshopData | dict[str, str]:
    """The body laid over the workshop as it is (nothing, for a new one), checked by the form's rules."""
    errors: dict[str, str] = {}
    current_tables = (await queries.tables([workshop["id"]]))[workshop["id"]] if workshop else []
    current_staff = [p["id"] for p in (await queries.facilitators([workshop["id"]]))[workshop["id"]]] if workshop \
        else []
    current_themes = (await links.workshop_themes([workshop["id"]]))[workshop["id"]] if workshop else []
    context, _choices = await form_context(event, links, keep_staff=current_staff, keep_themes=current_themes)

    def given(name: str, default: Any) -> Any:
        value = getattr(body, name)
        return default if value is UNSET else value

    texts = {}
    for name in forms.TEXT_LIMITS:
        value = given(name, (workshop or {}).get(name) or {})
        if any(locale not in LOCALES for locale in value):
            errors[name] = _("Use the languages %(languages)s.", languages=_LANGUAGES)
        texts[name] = {locale: text.strip() for locale, text in value.items() if locale in LOCALES}
    zone = ZoneInfo(event["timezone"])
    starts_at, ends_at = (_aware(given(name, (workshop or {}).get(name)), zone, name, errors)
                          for name in ("starts_at", "ends_at"))
    capacity = given("capacity", (workshop or {}).get("capacity"))
    if capacity is not None and not 0 <= capacity <= forms.MAX_CAPACITY:
        errors["capacity"] = forms.capacity_message()
    labels = [label.strip() for label in given("tables", [t["label"] for t in current_tables])]
    if len(labels) > forms.MAX_TABLES:
        errors["table_count"] = forms.tables_message()
        labels = []
    result = forms.check(
        texts=texts, room=given("room", (workshop or {}).get("room", "")).strip(), starts_at=starts_at,
        ends_at=ends_at, capacity=capacity, labels=labels,
        facilitator_ids=given("facilitator_ids", current_staff), theme_ids=given("theme_ids", current_themes),
        context=context, errors=errors,
    )
    return result


def _aware(value: datetime | None, zone: ZoneInfo, name: str, errors: dict[str, str]) -> datetime | None:
    if value is None:
        return None
    if not plausible(value):  # far years also overflow when moved to UTC
        errors[name] = _("Enter a date and time like 2027-03-01 09:00.")
        return None
    return (value.replace(tzinfo=zone) if value.tzinfo is None else value).astimezone(UTC)


async def _out(workshop_id: int, links: Any) -> WorkshopOut:
    row = await queries.workshop(workshop_id)
    assert row is not None
    tables = (await queries.tables([workshop_id]))[workshop_id]
    staff = (await queries.facilitators([workshop_id]))[workshop_id]
    themes = (await links.workshop_themes([workshop_id]))[workshop_id]
    return WorkshopOut(
        id=row["id"], event_id=row["event"], title=row["title"] or {}, description=row["description"] or {},
        room=row["room"] or "", starts_at=row["starts_at"], ends_at=row["ends_at"], capacity=row["capacity"],
        booked=row["booked"], position=row["position"], join_code=row["join_code"],
        tables=[TableOut(id=t["id"], label=t["label"], join_code=t["join_code"]) for t in tables],
        facilitator_ids=[p["id"] for p in staff], theme_ids=themes,
    )


route_handlers = [api_create, api_update, api_delete]

"""The input API (``/api/v1``): capture for staff (one item or a batch, idempotent by client id), the
workshop's items for staff, and participants' own input by join code.

Staff call it with a bearer token, or from the capture page with their session: then the CSRF token of the page
must come in the ``X-CSRFToken`` header (the app's CSRF middleware leaves ``/api/`` to the handlers). Errors have
the shape of the events API (``events.listing.api``): ``{"status_code", "detail", "code"?, "errors"?}``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter
from msgspec import Meta, Struct, field

from events.listing.api import (
    BAD_REQUEST,
    FORBIDDEN,
    RATE_LIMITED,
    UNAUTHORIZED,
    ErrorOut,
    error_response,
    rate_limit,
)
from feedback.capture import services
from feedback.tables import InputKind, InputSource, InputStatus
from samrad.core.i18n import _
from samrad.core.openapi import PathId, RowId
from samrad.core.security import Action, api_write_guard, caller_key, load_staff_user, requires
from workshops.access import may_run_workshop

TAGS = ["Input"]


# --- request and result types -----------------------------------------------------------------------------

class SuggestionIn(Struct):
    theme_id: RowId
    rank: Annotated[int, Meta(ge=1, le=100, description="1 for the best suggestion offered.")]
    score: Annotated[float, Meta(description="The suggestion's score when it was offered.")]


class ItemIn(Struct, kw_only=True):
    client_id: Annotated[str, Meta(description="A UUID made by the capturing device; sending it again is safe.")]
    text: Annotated[str, Meta(description="What was said (at most 2,000 characters). Never a name.")]
    kind: Annotated[str, Meta(description="idea, concern, question, experience or proposal.")] = "idea"
    theme_ids: Annotated[list[RowId], Meta(description="Themes of the workshop or its event.")] = field(
        default_factory=list
    )
    table: Annotated[RowId | None, Meta(description="The id of one of the workshop's tables.")] = None
    speaker_category: Annotated[
        str, Meta(description="Optional and coarse: citizen, staff, leader, council_member, elected_official, "
                              "partner. Never a name.")
    ] = ""
    language: Annotated[str | None, Meta(description="da, sv or en (default: the request's language).")] = None
    suggestions: Annotated[
        list[SuggestionIn], Meta(description="Suggested themes the facilitator accepted (also in theme_ids).")
    ] = field(default_factory=list)


class CaptureIn(Struct, kw_only=True):
    """One item (its fields at the top level) or a batch (``items``)."""

    items: Annotated[list[ItemIn] | None, Meta(description="A batch of items (at most 100).")] = None
    client_id: str | None = None
    text: str | None = None
    kind: str = "idea"
    theme_ids: list[RowId] = field(default_factory=list)
    table: RowId | None = None
    speaker_category: str = ""
    language: str | None = None
    suggestions: list[SuggestionIn] = field(default_factory=list)


class ParticipantIn(Struct, kw_only=True):
    text: Annotated[str, Meta(description="The participant's input (at most 2,000 characters).")]
    kind: str = "idea"
    theme_ids: list[RowId] = field(default_factory=list)
    client_id: Annotated[
        str | None, Meta(description="Optional UUID; sending it again returns the stored item.")
    ] = None


class ItemOut(Struct):
    id: int
    client_id: str | None
    event_id: int
    workshop_id: int | None
    table: int | None
    kind: InputKind
    text: str
    language: str
    source: InputSource
    speaker_category: str
    status: Annotated[InputStatus, Meta(description="held: waits for a moderator.")]
    merged_into: int | None
    votes: int
    theme_ids: list[int]
    created_at: Annotated[datetime, Meta(description="To the minute.")]
    created: Annotated[bool | None, Meta(description="In a capture answer: false when it was stored before.")] = None


class ItemsOut(Struct):
    items: list[ItemOut]


class ParticipantOut(Struct):
    id: int
    status: Annotated[Literal["published", "held"], Meta(description="held: until a moderator approves it.")]
    kind: InputKind
    text: str


def item_out(item: dict[str, Any], created: bool | None = None) -> ItemOut:
    return ItemOut(
        id=item["id"], client_id=item["client_id"], event_id=item["event"], workshop_id=item["workshop"],
        table=item["workshop_table"], kind=item["kind"], text=item["text"], language=item["language"],
        source=item["source"], speaker_category=item["speaker_category"], status=item["status"],
        merged_into=item["merged_into"], votes=item["votes"], theme_ids=item["theme_ids"],
        created_at=item["created_at"], created=created,
    )


# --- access -----------------------------------------------------------------------------------------------

async def workshop_for_caller(request: Request, workshop_id: int) -> services.WorkshopContext:
    user = await load_staff_user(request)
    if not await may_run_workshop(user, workshop_id, Action.capture_input):
        raise NotFoundException()
    context = await services.load_workshop(workshop_id)
    if context is None:
        raise NotFoundException()
    return context


# --- staff ------------------------------------------------------------------------------------------------

@post(
    "/api/v1/workshops/{workshop_id:int}/input",
    name="api_capture_input",
    tags=TAGS,
    summary="Capture input",
    description=(
        "One item, or a batch as {\"items\": [...]}. Each item carries a client_id (UUID): an item sent again "
        "is not stored twice, the answer then holds the stored item with created=false. 201 when anything new "
        "was stored, 200 when every item had been stored before. A batch is stored whole or not at all. "
        "Staff session (with the page's X-CSRFToken header) or bearer token; facilitators only for their "
        "workshops."
    ),
    status_code=201,
    guards=[requires(Action.capture_input), api_write_guard],
    responses={
        200: ResponseSpec(ItemsOut, description="Every item had been stored before (a replay)."),
        400: BAD_REQUEST,
        401: UNAUTHORIZED,
        403: ResponseSpec(ErrorOut, description="The account does not capture input, or a session call came "
                                                "without its CSRF token (X-CSRFToken)."),
        404: ResponseSpec(ErrorOut, description="No workshop with this id that the caller runs."),
        422: ResponseSpec(ErrorOut, description="Field errors, keyed items[i].field for batches."),
        429: RATE_LIMITED,
    },
)
async def api_capture(request: Request, workshop_id: PathId, data: JSONBody[CaptureIn]) -> Response[ItemsOut]:
    context = await workshop_for_caller(request, workshop_id)
    user = await load_staff_user(request)
    budget = request.app.state.settings.capture_api_rate
    await request.app.state.rate_limiter.hit("capture-api", caller_key(user), budget)
    raw = msgspec.to_builtins(data)
    batch = raw.pop("items", None)
    if batch is None:
        parsed = services.parse_item(raw, context)
        drafts = parsed if isinstance(parsed, dict) else [parsed]
    else:
        drafts = services.parse_batch(batch, context)
    if isinstance(drafts, dict):
        return error_response(422, _("Please check what you entered"), errors=drafts)
    try:
        captured = await services.capture(context, drafts, source=InputSource.facilitator, staff_user_id=user["id"])
    except services.ClientIdTaken:
        return error_response(422, _("Please check what you entered"), code="client_id_taken",
                              errors={"client_id": _("This id is already used by another workshop's item.")})
    body = ItemsOut(items=[item_out(entry.item, entry.created) for entry in captured])
    status = 201 if any(entry.created for entry in captured) else 200
    return Response(body, status_code=status, headers={"Cache-Control": "no-store"})


@get(
    "/api/v1/workshops/{workshop_id:int}/input",
    name="api_workshop_input",
    tags=TAGS,
    summary="A workshop's input",
    description="The workshop's items, newest first (at most 500). Staff only; facilitators for their workshops.",
    guards=[requires(Action.capture_input)],
    responses={
        400: BAD_REQUEST,
        401: UNAUTHORIZED,
        403: FORBIDDEN,
        404: ResponseSpec(ErrorOut, description="No workshop with this id that the caller runs."),
        422: ResponseSpec(ErrorOut, description="Unknown status."),
        429: RATE_LIMITED,
    },
)
async def api_workshop_input(
    request: Request,
    workshop_id: PathId,
    status: Annotated[str | None, QueryParameter(description="published, held, hidden or merged.")] = None,
) -> Response[ItemsOut]:
    await rate_limit(request, "api", request.app.state.settings.api_rate)
    context = await workshop_for_caller(request, workshop_id)
    if status is not None and status not in InputStatus.__members__:
        return error_response(422, _("Please check what you entered"),
                              errors={"status": _("Use published, held, hidden or merged.")})
    items = await services.workshop_items(context.id, status)
    return Response(ItemsOut(items=[item_out(item) for item in items]), headers={"Cache-Control": "no-store"})


# --- participants -----------------------------------------------------------------------------------------

@post(
    "/api/v1/join/{code:str}/input",
    name="api_participant_input",
    tags=TAGS,
    summary="Send input as a participant",
    description=(
        "Anonymous input to the workshop (or table) of a join code; nothing about the sender is stored. 201 when "
        "it is published, 202 when it waits for a moderator (the event pre-moderates, or a word of the word "
        "list occurs)."
    ),
    status_code=201,
    responses={
        202: ResponseSpec(ParticipantOut, description="Held until a moderator approves it."),
        400: BAD_REQUEST,
        403: ResponseSpec(ErrorOut, description="This workshop takes no input from participants."),
        404: ResponseSpec(ErrorOut, description="No workshop has this join code."),
        410: ResponseSpec(ErrorOut, description="The event is over."),
        422: ResponseSpec(ErrorOut, description="Field errors."),
        429: RATE_LIMITED,
    },
)
async def api_participant_input(
    request: Request, code: FromPath[str], data: JSONBody[ParticipantIn]
) -> Response[ParticipantOut]:
    await rate_limit(request, "participant-input", request.app.state.settings.participant_input_rate)
    found = await services.joined_workshop(code)
    if found is None:
        raise NotFoundException()
    context, table_id = found
    if context.over():
        return error_response(410, _("This event is over; it no longer takes input."), code="event_over")
    if not context.participant_input:
        return error_response(403, _("This workshop takes no input from participants."), code="closed")
    raw = msgspec.to_builtins(data)
    if not raw.get("client_id"):
        raw["client_id"] = services.new_client_id()
    parsed = services.parse_item(raw, context, participant=True)
    if isinstance(parsed, dict):
        return error_response(422, _("Please check what you entered"), errors=parsed)
    try:
        captured = await services.submit_participant_input(context, parsed, table_id)
    except services.ClientIdTaken:
        return error_response(422, _("Please check what you entered"), code="client_id_taken",
                              errors={"client_id": _("This id is already used by another workshop's item.")})
    item = captured.item
    body = ParticipantOut(id=item["id"], status=item["status"], kind=item["kind"], text=item["text"])
    held = item["status"] == InputStatus.held.value
    return Response(body, status_code=202 if held else 201, headers={"Cache-Control": "no-store"})


route_handlers = [api_capture, api_workshop_input, api_participant_input]

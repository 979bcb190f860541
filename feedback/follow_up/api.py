"""``GET /api/v1/input``: the input browser's filtered view for scripts, in JSON, CSV or XLSX.

The same filters as the page (``feedback.follow_up.filters``) as query parameters, the same visibility rule,
the same streamed exports. A staff session or an API token (``Authorization: Bearer …``) of someone who may
export feedback. Bad parameters answer 422 with ``errors`` as ``[{"field", "message"}]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, Operation, Schema
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType
from litestar.params import QueryParameter
from litestar.response import Stream
from msgspec import Meta, Struct

from events.listing.api import BAD_REQUEST, FORBIDDEN, UNAUTHORIZED, ErrorOut, error_response
from feedback.follow_up import exports, queries
from feedback.follow_up.filters import parse_filter
from feedback.tables import InputKind, InputSource, InputStatus
from samrad.core.exports import MEDIA_TYPES
from samrad.core.i18n import _
from samrad.core.security import Action, requires


class ThemeOut(Struct):
    id: int
    code: str
    name: Annotated[str, Meta(description="In the requested language.")]


class InputOut(Struct):
    id: int
    created_at: Annotated[str, Meta(description="When it was given, to the minute (RFC 3339).")]
    kind: InputKind
    source: InputSource
    status: Annotated[InputStatus, Meta(description="held and hidden only when asked for; never merged.")]
    language: str
    text: str
    votes: int
    themes: Annotated[list[ThemeOut], Meta(description="Its themes (within the filter's themes, if any).")]
    speaker_category: Annotated[str | None, Meta(description="Coarse and optional; never a name.")] = None
    table: str | None = None
    event: dict[str, Any] | None = None
    workshop: dict[str, Any] | None = None


class InputExportOut(Struct):
    filter: Annotated[dict[str, Any], Meta(description="The filter applied, as query parameters.")]
    count: int
    themes: Annotated[list[dict[str, Any]], Meta(description="Items per theme: id, code, name, count.")]
    speakers: Annotated[
        list[dict[str, Any]], Meta(description="Items per speaker category; count is null for fewer than 5.")
    ]
    items: list[InputOut]


@dataclass
class ExportOperation(Operation):
    """The operation's 200 in each format it can be asked for: the JSON body, and a CSV or XLSX file."""

    def __post_init__(self) -> None:
        ok = (self.responses or {}).get("200")
        if isinstance(ok, OpenAPIResponse) and ok.content is not None:
            for extension in ("csv", "xlsx"):
                media_type = MEDIA_TYPES[extension].partition(";")[0]
                ok.content[media_type] = OpenAPIMediaType(
                    schema=Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
                )


@get(
    "/api/v1/input",
    name="api_input",
    tags=["Input"],
    summary="Input, filtered, as JSON, CSV or XLSX",
    description=(
        "The input of the organisers' input browser with the same filters. Published input only unless "
        "`status` asks for held or hidden input. An item with several themes is listed under each theme in "
        "CSV and XLSX (one sheet per theme after a summary sheet). Streams any number of items."
    ),
    guards=[requires(Action.export_feedback)],
    responses={
        200: ResponseSpec(InputExportOut, description="JSON; or a CSV or XLSX file with format=csv|xlsx."),
        400: BAD_REQUEST,
        401: UNAUTHORIZED,
        403: FORBIDDEN,
        422: ResponseSpec(ErrorOut, description="A parameter could not be used."),
    },
    operation_class=ExportOperation,
)
async def api_input(
    request: Request,
    policy: Annotated[int | None, QueryParameter(description="Policy id.")] = None,
    theme: Annotated[int | None, QueryParameter(description="Theme id.")] = None,
    subthemes: Annotated[
        str | None, QueryParameter(description="1 (default): with the theme's sub-themes; 0: not.")
    ] = None,
    event: Annotated[int | None, QueryParameter(description="Event id.")] = None,
    workshop: Annotated[int | None, QueryParameter(description="Workshop id.")] = None,
    kind: Annotated[str | None, QueryParameter(description="idea, concern, question, experience or proposal.")] = None,
    source: Annotated[str | None, QueryParameter(description="facilitator, participant or import.")] = None,
    status: Annotated[
        list[str] | None, QueryParameter(description="published (default), held, hidden; repeat or comma-separate.")
    ] = None,
    date_from: Annotated[str | None, QueryParameter(name="from", description="First date (YYYY-MM-DD).")] = None,
    date_to: Annotated[str | None, QueryParameter(name="to", description="Last date (YYYY-MM-DD).")] = None,
    q: Annotated[str | None, QueryParameter(description="Words the text contains.")] = None,
    export_format: Annotated[str, QueryParameter(name="format", description="json (default), csv or xlsx.")] = "json",
    dialect: Annotated[str, QueryParameter(description="CSV only: semicolon (default) or comma.")] = "semicolon",
) -> Stream | Response[Any]:
    params: dict[str, list[str]] = {
        name: [str(value)] for name, value in (
            ("policy", policy), ("theme", theme), ("subthemes", subthemes), ("event", event),
            ("workshop", workshop), ("kind", kind), ("source", source), ("from", date_from), ("to", date_to),
            ("q", q),
        ) if value is not None
    }
    params["status"] = list(status or [])
    flt, errors = parse_filter(params)
    if export_format not in exports.FORMATS:
        errors["format"] = _("Choose json, csv or xlsx.")
    if dialect not in exports.DIALECTS:
        errors["dialect"] = _("Choose the semicolon or the comma dialect.")
    if errors:
        return error_response(422, _("Some parameters could not be used."), errors=errors)
    return await exports.download(flt, await queries.theme_tree(), export_format, dialect)


route_handlers = [api_input]

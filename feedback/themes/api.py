"""The themes API (``/api/v1``): the policies with their theme trees, and theme suggestions for a text.

For staff (a bearer token, or the session of a capture or moderation page). Asking for suggestions changes
nothing, but like every staff API POST a request made with a session carries the page's CSRF token
(``api_write_guard``); a suggestion becomes a tag only when a person accepts it through capture, moderation or
bulk tagging.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody
from msgspec import Meta, Struct

from events.listing.api import BAD_REQUEST, FORBIDDEN, UNAUTHORIZED, ErrorOut, error_response
from feedback.tables import PolicyKind
from feedback.themes import services
from feedback.themes.suggestions import MAX_TEXT, policies_with_themes, suggest
from samrad.core.i18n import _
from samrad.core.security import Action, api_write_guard, requires
from samrad.core.settings import LOCALES

TAGS = ["Themes"]


class ThemeOut(Struct):
    id: int
    code: str
    name: Annotated[dict[str, str], Meta(description="The name per language (da, sv, en).")]
    parent_id: int | None
    position: int
    colour: str


class PolicyOut(Struct):
    code: str
    kind: PolicyKind
    name: dict[str, str]
    themes: Annotated[list[ThemeOut], Meta(description="Active themes, ordered as in the back office (depth "
                                                        "first, by position).")]


class PoliciesOut(Struct):
    policies: list[PolicyOut]


class SuggestIn(Struct):
    text: Annotated[str, Meta(description="What was said (at most 2,000 characters).")]
    language: Annotated[str, Meta(description="da, sv or en.")]


class SuggestionOut(Struct):
    theme_id: int
    code: str
    name: Annotated[str, Meta(description="The theme's name in the text's language.")]
    path: Annotated[list[str], Meta(description="Theme codes from the top level down to this theme.")]
    score: Annotated[float, Meta(description="Confidence from 0 to 1.")]


class SuggestionsOut(Struct):
    suggestions: Annotated[list[SuggestionOut], Meta(description="At most three, best first; empty when nothing "
                                                                 "is confident enough.")]


@get("/api/v1/policies", name="api_policies", tags=TAGS, summary="Policies and their theme trees",
     guards=[requires(Action.capture_input)], responses={401: UNAUTHORIZED, 403: FORBIDDEN})
async def api_policies() -> PoliciesOut:
    return PoliciesOut(policies=[
        PolicyOut(code=policy["code"], kind=policy["kind"], name=policy["name"] or {}, themes=[
            ThemeOut(id=t["id"], code=t["code"], name=t["name"] or {}, parent_id=t["parent"],
                     position=t["position"], colour=t["colour"]) for t in policy["themes"]
        ]) for policy in await policies_with_themes()
    ])


@post("/api/v1/policies/{code:str}/suggestions", name="api_theme_suggestions", tags=TAGS, status_code=200,
      summary="Theme suggestions for a text",
      description="The policy's themes that best fit the text, at most three, best first, or none when nothing "
                  "is confident enough. Offline and deterministic; learns from confirmed tags. Nothing is stored.",
      guards=[requires(Action.capture_input), api_write_guard],
      responses={400: BAD_REQUEST, 401: UNAUTHORIZED, 403: FORBIDDEN,
                 404: ResponseSpec(ErrorOut, description="No policy has this code."),
                 422: ResponseSpec(ErrorOut, description="The text or the language cannot be used.")})
async def api_suggestions(code: FromPath[str], data: JSONBody[SuggestIn]) -> Response[SuggestionsOut]:
    policy = await services.policy_by_code(code)
    if policy is None:
        return error_response(404, _("No policy has this code."), code="not_found")
    errors = {}
    if not data.text.strip():
        errors["text"] = _("Enter the text to suggest themes for.")
    elif len(data.text) > MAX_TEXT:
        errors["text"] = _("The text is longer than %(max)s characters.", max=MAX_TEXT)
    if data.language not in LOCALES:
        errors["language"] = _("The language must be da, sv or en.")
    if errors:
        return error_response(422, _("The request cannot be used."), errors=errors)
    found = await suggest(policy["id"], data.text, data.language)
    return Response(SuggestionsOut(suggestions=[SuggestionOut(**s.as_json()) for s in found]))


route_handlers = [api_policies, api_suggestions]

"""Capture pages: the facilitator's capture page, participants' own input (``/j/{code}``), voting, and the
organiser's input settings of an event.

The facilitator's page works as a plain form (POST-redirect-GET, CSRF); ``static/js/capture.js`` turns it into
an offline-capable capture box that posts to the JSON API (``feedback.capture.api``, with the staff session and
the page's CSRF token in the ``X-CSRFToken`` header), with the service worker
served here from a path whose scope covers ``/staff/workshops/``. Staff routes name their permission
(``requires``) and ask ``workshops.access`` about the workshop; a workshop the staff member does not run
answers 404, as if it did not exist.
"""

from __future__ import annotations

import json
import secrets
from collections import Counter
from typing import Annotated, Any

from litestar import Request, Response, Router, get, post
from litestar.datastructures import Cookie
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from events.access import EVENT_IN_PATH
from events.management.routes import event_or_404
from feedback.capture import services
from feedback.capture.services import WorkshopContext
from feedback.moderation import services as moderation
from feedback.tables import InputStatus, Moderation
from feedback.themes.confidence import bands as confidence_bands
from samrad.core.i18n import _
from samrad.core.security import Action, client_address, load_staff_user, requires
from samrad.core.settings import ROOT
from samrad.core.staff import flash, staff_page
from workshops.access import may_run_workshop

VOTER_COOKIE = "samrad_voter"
SERVICE_WORKER = ROOT / "static" / "js" / "capture-sw.js"
TABLE_SESSION_KEY = "capture_table"


# --- shared -----------------------------------------------------------------------------------------------

async def workshop_run_by(request: Request, workshop_id: int, action: Action) -> tuple[WorkshopContext, dict]:
    """The workshop, when the signed-in staff member may ``action`` it; else 404."""
    user = await load_staff_user(request)
    if not await may_run_workshop(user, workshop_id, action):
        raise NotFoundException()
    context = await services.load_workshop(workshop_id)
    if context is None:
        raise NotFoundException()
    return context, user


def labels() -> dict[str, Any]:
    return {
        "kinds": services.kind_choices(),
        "speakers": services.speaker_choices(),
        "kind_label": services.kind_label,
        "speaker_label": services.speaker_label,
        "status_label": services.status_label,
    }


def form_fields(form: Any) -> dict[str, Any]:
    """The capture form's fields as ``parse_item`` reads them (themes may be given several times)."""
    return {
        "client_id": form.get("client_id", ""),
        "text": form.get("text", ""),
        "kind": form.get("kind", ""),
        "theme_ids": form.getall("theme_ids", []),
        "table": form.get("table", ""),
        "speaker_category": form.get("speaker_category", ""),
    }


# --- the facilitator's capture page -----------------------------------------------------------------------

@get("/workshops/{workshop_id:int}/capture", name="capture_page", guards=[requires(Action.capture_input)])
async def capture_page(request: Request, workshop_id: FromPath[int]) -> Template:
    context, _user = await workshop_run_by(request, workshop_id, Action.capture_input)
    table = request.session.get(TABLE_SESSION_KEY, {}).get(str(workshop_id), "") if request.scope.get(
        "session") else ""
    return await _capture_page(request, context, values={"table": table})


async def _capture_page(
    request: Request, context: WorkshopContext, *, values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None, status_code: int = 200,
) -> Template:
    values = {"kind": "idea", "theme_ids": [], "table": "", "speaker_category": "", "text": "", **(values or {})}
    if not errors or not services.normalise_client_id(values.get("client_id")):
        # A fresh id per rendered form: sending the same form twice stores it once.
        values["client_id"] = services.new_client_id()
    items = await services.recent_items(context.id)
    policy_codes = Counter(theme["policy_code"] for theme in context.themes)
    return await staff_page(
        request,
        "feedback/capture/capture.html",
        status_code=status_code,
        workshop=context,
        items=items,
        themes_by_id={theme["id"]: theme for theme in context.themes},
        tables_by_id={table["id"]: table["label"] for table in context.tables},
        undoable=services.undoable,
        values=values,
        errors=errors or {},
        max_length=services.MAX_TEXT_LENGTH,
        # Suggested themes come from the policies of the workshop's themes (``feedback.themes``).
        suggest_urls=" ".join(f"/api/v1/policies/{code}/suggestions" for code, _n in policy_codes.most_common()),
        suggest_confidence=json.dumps(confidence_bands(), ensure_ascii=False),
        **labels(),
    )


@post("/workshops/{workshop_id:int}/capture", name="capture_submit", status_code=303,
      guards=[requires(Action.capture_input)])
async def capture_submit(request: Request, workshop_id: FromPath[int]) -> Template | Redirect:
    context, user = await workshop_run_by(request, workshop_id, Action.capture_input)
    fields = form_fields(await request.form())
    parsed = services.parse_item(fields, context)
    if isinstance(parsed, dict):
        return await _capture_page(request, context, values=fields, errors=parsed, status_code=422)
    try:
        captured = await services.capture(context, [parsed], source=services.InputSource.facilitator,
                                          staff_user_id=user["id"])
    except services.ClientIdTaken:
        return await _capture_page(request, context, values=fields, status_code=422,
                                   errors={"text": _("This entry could not be saved. Please send it again.")})
    request.session.setdefault(TABLE_SESSION_KEY, {})[str(workshop_id)] = fields["table"]
    request.session[TABLE_SESSION_KEY] = dict(request.session[TABLE_SESSION_KEY])
    flash(request, _("Saved.") if captured[0].created else _("This entry was already saved."))
    return Redirect(path=f"/staff/workshops/{workshop_id}/capture", status_code=303)


@post("/workshops/{workshop_id:int}/capture/{item_id:int}/undo", name="capture_undo", status_code=303,
      guards=[requires(Action.capture_input)])
async def capture_undo(request: Request, workshop_id: FromPath[int], item_id: FromPath[int]) -> Redirect:
    """Take back an item just captured: it is hidden (kept in its history), within a short time only."""
    _context, user = await workshop_run_by(request, workshop_id, Action.capture_input)
    item = await moderation.item_or_none(item_id)
    if item is None or item["workshop"] != workshop_id:
        raise NotFoundException()
    if services.undoable(item):
        await moderation.hide(item, user["id"], action="undo")
        flash(request, _("Taken back. A moderator can still find it in the item's history."))
    else:
        flash(request, _("This can no longer be taken back here. Ask a moderator to hide it."), "warning")
    return Redirect(path=f"/staff/workshops/{workshop_id}/capture", status_code=303)


@get("/workshops/capture-sw.js", name="capture_service_worker", guards=[requires(Action.capture_input)])
async def capture_service_worker() -> Response[bytes]:
    """The service worker that keeps the capture page available offline once opened. Served from here, so its
    scope covers ``/staff/workshops/``."""
    return Response(
        SERVICE_WORKER.read_bytes(),
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/staff/workshops/"},
    )


# --- the organiser's input settings of an event -----------------------------------------------------------

@get("/events/{event_id:int}/input-settings", name="input_settings",
     guards=[requires(Action.manage_events, subject=EVENT_IN_PATH)])
async def input_settings_page(request: Request, event_id: FromPath[int]) -> Template:
    event = await event_or_404(event_id)
    return await _settings_page(request, event, await services.input_settings(event_id))


async def _settings_page(request: Request, event: dict, values: dict, errors: dict | None = None,
                         status_code: int = 200) -> Template:
    return await staff_page(request, "feedback/capture/input_settings.html", event=event, values=values,
                            errors=errors or {}, status_code=status_code,
                            workshops=await moderation.workshops_of_event(event["id"]))


@post("/events/{event_id:int}/input-settings", name="input_settings_save", status_code=303,
      guards=[requires(Action.manage_events, subject=EVENT_IN_PATH)])
async def input_settings_save(request: Request, event_id: FromPath[int]) -> Template | Redirect:
    event = await event_or_404(event_id)
    form = await request.form()
    values = {
        "moderation": form.get("moderation", ""),
        "voting": form.get("voting") == "1",
        "participant_input": form.get("participant_input") == "1",
    }
    if values["moderation"] not in Moderation.__members__:
        errors = {"moderation": _("Choose when participants' input is published.")}
        return await _settings_page(request, event, values, errors, status_code=422)
    await services.save_input_settings(event_id, values["moderation"], values["voting"], values["participant_input"])
    flash(request, _("The input settings have been saved."))
    return Redirect(path=f"/staff/events/{event_id}/input-settings", status_code=303)


staff_router = Router(
    path="/staff",
    route_handlers=[capture_page, capture_submit, capture_undo, capture_service_worker,
                    input_settings_page, input_settings_save],
    include_in_schema=False,
)


# --- participants -----------------------------------------------------------------------------------------

def _public(template: str, status_code: int = 200, cookies: list[Cookie] | None = None, **context: Any) -> Template:
    return Template(template_name=template, context={**labels(), **context}, status_code=status_code,
                    headers={"Cache-Control": "no-store"}, cookies=cookies or [])


@get("/j", name="join_form")
async def join_form(code: Annotated[str | None, QueryParameter()] = None) -> Template | Redirect:
    """The "have a code?" form: a known code goes on to its workshop's input page."""
    if code is None or not code.strip():
        return _public("feedback/capture/join.html", code="", error="")
    normalised = services.normalise_join_code(code)
    if await services.joined_workshop(normalised) is None:
        return _public("feedback/capture/join.html", status_code=404, code=code[:20],
                       error=_("No workshop has this code. Check the code on the poster or screen."))
    return Redirect(path=f"/j/{normalised}", status_code=303)


async def _participant_page(
    request: Request, code: str, *, values: dict | None = None, errors: dict | None = None, status_code: int = 200
) -> Template:
    found = await services.joined_workshop(code)
    if found is None:
        return _public("feedback/capture/join.html", status_code=404, code=code[:20],
                       error=_("No workshop has this code. Check the code on the poster or screen."))
    context, table_id = found
    if context.over():
        return _public("feedback/capture/closed.html", status_code=410, workshop=context)
    values = {"kind": "idea", "theme_ids": [], "text": "", **(values or {})}
    if not services.normalise_client_id(values.get("client_id")):
        values["client_id"] = services.new_client_id()
    sent = request.query_params.get("sent", "")
    return _public(
        "feedback/capture/participate.html",
        status_code=status_code,
        workshop=context,
        code=services.normalise_join_code(code),
        table_label=next((t["label"] for t in context.tables if t["id"] == table_id), ""),
        items=await services.published_items(context.id) if context.voting else [],
        values=values,
        errors=errors or {},
        sent=sent if sent in {"published", "held"} else "",
        voted=request.query_params.get("voted", ""),
        max_length=services.MAX_TEXT_LENGTH,
    )


@get("/j/{code:str}", name="participate")
async def participate(request: Request, code: FromPath[str]) -> Template:
    return await _participant_page(request, code)


@post("/j/{code:str}", name="participate_submit", status_code=303)
async def participate_submit(request: Request, code: FromPath[str]) -> Template | Redirect:
    found = await services.joined_workshop(code)
    if found is None:
        raise NotFoundException()
    context, table_id = found
    if context.over() or not context.participant_input:
        return await _participant_page(request, code, status_code=403)
    await request.app.state.rate_limiter.hit("participant-input", client_address(request),
                                             request.app.state.settings.participant_input_rate)
    form = await request.form()
    fields = {"client_id": form.get("client_id", ""), "text": form.get("text", ""), "kind": form.get("kind", ""),
              "theme_ids": form.getall("theme_ids", [])}
    parsed = services.parse_item(fields, context, participant=True)
    if isinstance(parsed, dict):
        return await _participant_page(request, code, values=fields, errors=parsed, status_code=422)
    try:
        captured = await services.submit_participant_input(context, parsed, table_id)
    except services.ClientIdTaken:
        return await _participant_page(request, code, values=fields, status_code=422,
                                       errors={"text": _("This could not be sent. Please send it again.")})
    sent = "held" if captured.item["status"] == InputStatus.held.value else "published"
    return Redirect(path=f"/j/{services.normalise_join_code(code)}?sent={sent}", status_code=303)


@post("/j/{code:str}/votes/{item_id:int}", name="participate_vote", status_code=303)
async def participate_vote(request: Request, code: FromPath[str], item_id: FromPath[int]) -> Redirect:
    """One vote per item per browser: a random id in a cookie, hashed with the server's secret."""
    found = await services.joined_workshop(code)
    if found is None or not found[0].voting or found[0].over():
        raise NotFoundException()
    await request.app.state.rate_limiter.hit("participant-vote", client_address(request),
                                             request.app.state.settings.api_rate)
    voter = request.cookies.get(VOTER_COOKIE, "")
    cookies = []
    if len(voter) < 32:
        voter = secrets.token_urlsafe(32)
        settings = request.app.state.settings
        cookies.append(Cookie(key=VOTER_COOKIE, value=voter, max_age=365 * 86400, httponly=True, samesite="lax",
                              secure=settings.cookie_secure, path="/j/"))
    counted = await services.vote(item_id, found[0].id, voter, request.app.state.settings.secret_key)
    target = f"/j/{services.normalise_join_code(code)}?voted={'1' if counted else '0'}#item-{item_id}"
    return Redirect(path=target, status_code=303, cookies=cookies)


public_router = Router(path="/", route_handlers=[join_form, participate, participate_submit, participate_vote],
                       include_in_schema=False)

route_handlers = [staff_router, public_router]

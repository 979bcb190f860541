"""What the check-in page's script talks to: the ticket list it keeps for a weak connection, and scans sent
from its queue.

A phone at the door loads the event's tickets once (``GET …/tickets``) and keeps them, so a scan is answered at
once, offline too: a second scan of the same ticket says "already checked in" before the first one has even
reached the server. Scans wait in the browser's queue until they can be sent (``POST …/scans``), each with an
id the page chose; the server checks the ticket in once and answers a repeated scan id as it did the first time
(``services.check_in(scan_id=…)``), so a scan sent twice (an answer lost on the way back) counts once.

Both need the check-in permission for the event; the POST is a JSON call from the page and carries the page's
CSRF token in the ``x-csrftoken`` header. A 403 says why in its ``code`` (``refused``): ``csrf`` when the token
was refused (the script fetches the page again for a fresh one and sends the scan once more), ``forbidden`` when
this account may not check people in at this event (any more): the script lists the scan as not recorded.
Sensitive events: no names, ever.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath, JSONBody
from msgspec import Struct

from events.access import EVENT_IN_PATH
from events.checkin import services
from events.labels import access_need_label, category_label
from events.management.routes import event_or_404
from events.rules import normalise_ticket_code
from samrad.core.i18n import _
from samrad.core.security import Action, requires
from samrad.core.web import CSRF_FAILED, error_response

SCAN_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")
GUARD = [requires(Action.check_in, subject=EVENT_IN_PATH)]


class ScanIn(Struct, kw_only=True):
    scan_id: str = ""
    code: str = ""


def headline(ok: bool, already: bool) -> str:
    if ok and already:
        return _("Already checked in")
    if ok:
        return _("Welcome: checked in")
    return _("Not checked in")


@get("/checkin/{event_id:int}/tickets", name="checkin_tickets", guards=GUARD)
async def tickets(event_id: FromPath[int]) -> Response[dict[str, Any]]:
    event = await event_or_404(event_id)
    found = await services.door_tickets(event)
    for ticket in found:
        ticket["category"] = category_label(ticket["category"])
    return Response({"event": event_id, "sensitive": event["sensitive"], "tickets": found},
                    headers={"Cache-Control": "no-store"})


@post("/checkin/{event_id:int}/scans", name="checkin_scan", status_code=200, guards=GUARD)
async def scan(request: Request, event_id: FromPath[int], data: JSONBody[ScanIn]) -> Response[dict[str, Any]]:
    """One scan from the page's queue: checked in once, the same answer for the same scan id."""
    event = await event_or_404(event_id)
    code = normalise_ticket_code(data.code)
    errors = {}
    if not SCAN_ID.match(data.scan_id):
        errors["scan_id"] = _("The scan has no valid id.")
    if not code or len(code) > 16:
        errors["code"] = _("Enter or scan the ticket code.")
    if errors:
        return Response({"status_code": 422, "detail": _("Please check what you entered"),
                         "errors": [{"field": k, "message": v} for k, v in errors.items()]}, status_code=422)
    outcome = await services.check_in(code, event_id, scan_id=data.scan_id)
    if outcome is None:
        return Response({"found": False, "ok": False, "already": False, "code": code,
                         "title": headline(False, False),
                         "message": _("No ticket has this code. Check the code, or find the person by name.")})
    private = event["sensitive"] or outcome["reason"] == "other_event"
    return Response({
        "found": True,
        "ok": outcome["ok"],
        "already": outcome["already_checked_in"],
        "code": code,
        "title": headline(outcome["ok"], outcome["already_checked_in"]),
        "message": outcome["message"],
        "name": "" if private else outcome["name"],
        "category": "" if outcome["reason"] == "other_event" else category_label(outcome["category"]),
        "access_needs": [] if private else [access_need_label(need) for need in outcome["access_needs"]],
    }, headers={"Cache-Control": "no-store"})


def refused(request: Request, exc: PermissionDeniedException) -> Response[Any]:
    """403 in the shape of every JSON error (``status_code``, ``detail``), with a ``code`` the page's script acts
    on: ``csrf`` (the page's token was refused; a fresh page has a fresh one) or ``forbidden`` (this account may
    not check people in at this event: not on its team, or no longer a role that checks people in)."""
    response = error_response(request, exc)
    if isinstance(response.content, dict):  # JSON; a page that asked for HTML gets the usual error page
        response.content["code"] = "csrf" if exc.detail == CSRF_FAILED else "forbidden"
    return response


router = Router(path="/staff", route_handlers=[tickets, scan], include_in_schema=False,
                exception_handlers={PermissionDeniedException: refused})
route_handlers = [router]

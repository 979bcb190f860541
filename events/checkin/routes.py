"""Check-in pages: the door (ticket codes and names) and headcounts of drop-in dates.

Every route needs the check-in permission (``guards=[requires(Action.check_in)]``). The result of a scan is
shown on the check-in page after the redirect, ready for the next one. Sensitive events show whether a
ticket is valid, never a name or a need. Reads and writes live in ``events.checkin.services``.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from events.access import DATE_IN_PATH, EVENT_IN_PATH, event_ids_for
from events.checkin import services
from events.labels import staff_labels
from events.management.registrations import counts_by_event, event_overview
from events.management.routes import event_or_404, occurrence_or_404
from events.rules import normalise_ticket_code
from samrad.core.i18n import _
from samrad.core.security import Action, load_staff_user, requires
from samrad.core.staff import flash, form_value, staff_page

CHECKIN_RESULT_KEY = "checkin_result"
MAX_HEADCOUNT = 10_000


# --- check-in ---------------------------------------------------------------------------------------------

@get("/checkin", name="staff_checkin_index", guards=[requires(Action.check_in)])
async def checkin_index(request: Request) -> Template:
    user = await load_staff_user(request)
    events = [e for e in await event_overview(event_ids=await event_ids_for(user, Action.check_in)) if e["published"]]
    return await staff_page(request, "staff/checkin_index.html", events=events, **staff_labels())


@get("/checkin/{event_id:int}", name="staff_checkin", guards=[requires(Action.check_in, EVENT_IN_PATH)])
async def checkin_page(
    request: Request, event_id: FromPath[int], q: Annotated[str | None, QueryParameter()] = None
) -> Template:
    event = await event_or_404(event_id)
    return await _checkin_page(request, event, query=(q or "").strip()[:100])


async def _checkin_page(
    request: Request, event: dict[str, Any], *, query: str = "", code: str = "",
    errors: dict[str, str] | None = None, status_code: int = 200,
) -> Template:
    result = request.session.pop(CHECKIN_RESULT_KEY, None) if request.scope.get("session") else None
    matches = None
    if query and not event["sensitive"]:
        matches = await services.find_by_name(event, query)
    dates = await services.headcount_dates(event) if event["dropin"] else []
    return await staff_page(
        request,
        "staff/checkin.html",
        status_code=status_code,
        event=event,
        counts=(await counts_by_event([event["id"]]))[event["id"]],
        result=result,
        query=query,
        matches=matches,
        dates=dates,
        values={"code": code},
        errors=errors or {},
        **staff_labels(),
    )


@post("/checkin/{event_id:int}", name="staff_checkin_code", status_code=303,
      guards=[requires(Action.check_in, EVENT_IN_PATH)])
async def checkin_code(request: Request, event_id: FromPath[int]) -> Template | Redirect:
    """A scanned or typed ticket code: the result is shown on the check-in page, ready for the next one."""
    event = await event_or_404(event_id)
    code = form_value(await request.form(), "code", 100).strip()
    if not normalise_ticket_code(code):
        errors = {"code": _("Enter or scan the ticket code.")}
        return await _checkin_page(request, event, code=code, errors=errors, status_code=422)
    outcome = await services.check_in(code, event_id)
    _remember_result(request, event, outcome, normalise_ticket_code(code))
    return Redirect(path=f"/staff/checkin/{event_id}", status_code=303)


@post("/checkin/{event_id:int}/registrations/{registration_id:int}", name="staff_checkin_person",
      status_code=303, guards=[requires(Action.check_in, EVENT_IN_PATH)])
async def checkin_person(request: Request, event_id: FromPath[int], registration_id: FromPath[int]) -> Redirect:
    """Someone without their ticket, found by name (non-sensitive events only)."""
    event = await event_or_404(event_id)
    if event["sensitive"]:
        raise NotFoundException()
    outcome = await services.check_in_registration(event, registration_id)
    if outcome is None:
        raise NotFoundException()
    _remember_result(request, event, outcome, "")
    return Redirect(path=f"/staff/checkin/{event_id}", status_code=303)


def _remember_result(request: Request, event: dict[str, Any], outcome: dict[str, Any] | None, code: str) -> None:
    """What the door needs to see after the redirect. Sensitive events: whether the ticket is valid, no name."""
    result: dict[str, Any] = {
        "ok": False, "message": "", "already": False, "name": "", "category": "", "access_needs": [],
        "checked_in_at": None, "code": code,
    }
    if outcome is None:
        result["message"] = _("No ticket has this code. Check the code, or find the person by name.")
    else:
        result |= {
            "ok": bool(outcome["ok"]),
            "message": outcome["message"],
            "already": bool(outcome["already_checked_in"]),
            "name": "" if event["sensitive"] else outcome["name"],
            "category": outcome["category"],
            "access_needs": [] if event["sensitive"] else outcome["access_needs"],
            "checked_in_at": outcome["checked_in_at"].isoformat() if outcome["checked_in_at"] else None,
            "code": code,
        }
    request.session[CHECKIN_RESULT_KEY] = result


# --- drop-in headcount ------------------------------------------------------------------------------------

@get("/checkin/dates/{occurrence_id:int}", name="staff_headcount", guards=[requires(Action.check_in, DATE_IN_PATH)])
async def headcount_page(request: Request, occurrence_id: FromPath[int]) -> Template:
    occurrence, event = await occurrence_or_404(occurrence_id)
    return await _headcount_page(request, occurrence, event)


async def _headcount_page(
    request: Request, occurrence: dict[str, Any], event: dict[str, Any], *, values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None, status_code: int = 200,
) -> Template:
    return await staff_page(
        request,
        "staff/headcount.html",
        status_code=status_code,
        occurrence=occurrence,
        event=event,
        values=values or {"count": "" if occurrence["headcount"] is None else str(occurrence["headcount"])},
        errors=errors or {},
        **staff_labels(),
    )


@post("/checkin/dates/{occurrence_id:int}/add", name="staff_headcount_add", status_code=303,
      guards=[requires(Action.check_in, DATE_IN_PATH)])
async def headcount_add(request: Request, occurrence_id: FromPath[int]) -> Template | Redirect:
    """+1 as someone comes in (−1 to undo a mistaken tap): a number, never a name."""
    occurrence, event = await occurrence_or_404(occurrence_id)
    delta = form_value(await request.form(), "delta", 5).strip()
    if delta not in {"1", "-1"}:
        errors = {"count": _("Use the buttons to add or remove one visitor.")}
        return await _headcount_page(request, occurrence, event, errors=errors, status_code=422)
    await services.add_headcount(occurrence_id, int(delta))
    return Redirect(path=f"/staff/checkin/dates/{occurrence_id}", status_code=303)


@post("/checkin/dates/{occurrence_id:int}/set", name="staff_headcount_set", status_code=303,
      guards=[requires(Action.check_in, DATE_IN_PATH)])
async def headcount_set(request: Request, occurrence_id: FromPath[int]) -> Template | Redirect:
    """Set the count at once (counted by hand, or corrected afterwards)."""
    occurrence, event = await occurrence_or_404(occurrence_id)
    raw = form_value(await request.form(), "count", 20).strip()
    if not raw.isdecimal() or int(raw) > MAX_HEADCOUNT:
        errors = {"count": _("Enter the number of visitors as a whole number from 0 to %(max)s.", max=MAX_HEADCOUNT)}
        return await _headcount_page(request, occurrence, event, values={"count": raw}, errors=errors,
                                     status_code=422)
    await services.set_headcount(occurrence_id, int(raw))
    flash(request, _("The number of visitors has been saved."))
    return Redirect(path=f"/staff/checkin/dates/{occurrence_id}", status_code=303)


router = Router(
    path="/staff",
    route_handlers=[
        checkin_index, checkin_page, checkin_code, checkin_person, headcount_page, headcount_add, headcount_set,
    ],
    include_in_schema=False,
)
route_handlers = [router]

"""Organiser pages for publishing an event (or taking it back to draft), duplicating it, and its team.

Every route is about one event, named in its path: ``requires(Action.manage_events, EVENT_IN_PATH)`` lets in
the event's team and administrators only. The work is done by ``events.management.lifecycle``.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from events.access import EVENT_IN_PATH, team_candidates, team_of
from events.labels import staff_labels
from events.management.lifecycle import (
    LifecycleError,
    WorkshopDuplicatorDependency,
    add_team_member,
    duplicate_event,
    remove_team_member,
    set_published,
)
from events.management.routes import actor, event_or_404
from samrad.core.i18n import _
from samrad.core.security import Action, load_staff_user, requires
from samrad.core.staff import flash, form_value, staff_page

MANAGE = [requires(Action.manage_events, EVENT_IN_PATH)]


# --- publish ----------------------------------------------------------------------------------------------

@post("/events/{event_id:int}/publish", name="staff_event_publish", status_code=303, guards=MANAGE)
async def publish(request: Request, event_id: FromPath[int]) -> Redirect:
    """Show the draft on the public pages, in the feeds and the API, and open it for registration."""
    try:
        await set_published(event_id, True, await actor(request))
    except LifecycleError:
        flash(request, _("A cancelled event cannot be published."), tone="warning")
    else:
        flash(request, _("The event is published: it is on the public pages and open for registration."))
    return Redirect(path=f"/staff/events/{event_id}/edit", status_code=303)


@post("/events/{event_id:int}/unpublish", name="staff_event_unpublish", status_code=303, guards=MANAGE)
async def unpublish(request: Request, event_id: FromPath[int]) -> Redirect:
    """Back to draft: gone from the public pages; people already registered keep their registration."""
    await set_published(event_id, False, await actor(request))
    flash(request, _("The event is a draft again: only staff can see it."))
    return Redirect(path=f"/staff/events/{event_id}/edit", status_code=303)


# --- duplicate --------------------------------------------------------------------------------------------

@get("/events/{event_id:int}/duplicate", name="staff_event_duplicate_confirm", guards=MANAGE)
async def duplicate_confirm(request: Request, event_id: FromPath[int]) -> Template:
    event = await event_or_404(event_id)
    return await staff_page(request, "staff/event_duplicate.html", event=event, **staff_labels())


@post("/events/{event_id:int}/duplicate", name="staff_event_duplicate", status_code=303, guards=MANAGE)
async def duplicate(request: Request, event_id: FromPath[int], workshop_duplicator: WorkshopDuplicatorDependency
                    ) -> Redirect:
    """A new draft like this event, without its registrations: then set its date and publish it."""
    user = await load_staff_user(request)
    copy_id = await duplicate_event(event_id, user, request.app.state.settings.base_url, workshop_duplicator)
    flash(request, _("This is a copy of the event, as a draft, without registrations. Set its date and texts, "
                     "then publish it."))
    return Redirect(path=f"/staff/events/{copy_id}/edit", status_code=303)


# --- the team ---------------------------------------------------------------------------------------------

@get("/events/{event_id:int}/team", name="staff_event_team", guards=MANAGE)
async def team_page(request: Request, event_id: FromPath[int]) -> Template:
    event = await event_or_404(event_id)
    return await _team_page(request, event, {}, "")


async def _team_page(
    request: Request, event: dict[str, Any], errors: dict[str, str], chosen: str, status_code: int = 200
) -> Template:
    return await staff_page(
        request, "staff/event_team.html", status_code=status_code, event=event, errors=errors, chosen=chosen,
        members=await team_of(event["id"]), candidates=await team_candidates(event["id"]), **staff_labels(),
    )


@post("/events/{event_id:int}/team", name="staff_event_team_add", status_code=303, guards=MANAGE)
async def team_add(request: Request, event_id: FromPath[int]) -> Template | Redirect:
    """Add an organiser (who may then manage the event) or check-in staff (who may check people in)."""
    event = await event_or_404(event_id)
    email = form_value(await request.form(), "email", 254).strip()
    if not email:
        return await _team_page(request, event, {"email": _("Choose a colleague to add.")}, email, 422)
    try:
        member = await add_team_member(event_id, email, await actor(request))
    except LifecycleError:
        errors = {"email": _("No active organiser or check-in account has this address. An administrator can "
                             "invite them first.")}
        return await _team_page(request, event, errors, email, 422)
    flash(request, _("%(name)s is on the team now.", name=member["name"]))
    return Redirect(path=f"/staff/events/{event_id}/team", status_code=303)


@post("/events/{event_id:int}/team/{staff_user_id:int}/remove", name="staff_event_team_remove", status_code=303,
      guards=MANAGE)
async def team_remove(request: Request, event_id: FromPath[int], staff_user_id: FromPath[int]) -> Redirect:
    try:
        removed = await remove_team_member(event_id, staff_user_id, await actor(request))
    except LifecycleError:
        flash(request, _("The last person on the team cannot be removed: add someone else first."), tone="warning")
    else:
        if removed:
            flash(request, _("The colleague is no longer on the team."))
    return Redirect(path=f"/staff/events/{event_id}/team", status_code=303)


router = Router(
    path="/staff",
    route_handlers=[publish, unpublish, duplicate_confirm, duplicate, team_page, team_add, team_remove],
    include_in_schema=False,
)
route_handlers = [router]

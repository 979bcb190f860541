"""Organiser pages for follow-up actions: the list, a new action, one action (details, status with its public
note, the linked input and which of it the public page quotes). ``Action.export_feedback`` on every route."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from events.tables import OrgUnit
from feedback.follow_up import actions, forms, queries, services
from feedback.follow_up.labels import labels_context
from feedback.follow_up.services import FollowUpError
from samrad.core.i18n import _
from samrad.core.security import Action, load_staff_user, requires
from samrad.core.staff import flash, form_value, staff_page

GUARD = [requires(Action.export_feedback)]


async def _actor(request: Request) -> str:
    user = await load_staff_user(request)
    return user["email"] if user else "unknown"


async def _form_context() -> dict[str, Any]:
    units = await OrgUnit.select(OrgUnit.id, OrgUnit.name).order_by(OrgUnit.name)
    return {"tree": await queries.theme_tree(), "units": units, **labels_context()}


@get("/actions", name="follow_up_actions", guards=GUARD)
async def action_list(request: Request) -> Template:
    rows = await actions.action_list()
    return await staff_page(request, "feedback/follow_up/actions.html", actions=rows,
                            tree=await queries.theme_tree(), **labels_context())


@get("/actions/new", name="follow_up_action_new", guards=GUARD)
async def action_new(request: Request) -> Template:
    values = forms.action_values()
    if (theme := request.query_params.get("theme", "")).isdigit():
        values["theme"] = theme
    return await staff_page(request, "feedback/follow_up/action_new.html", values=values, errors={},
                            **await _form_context())


@post("/actions/new", name="follow_up_action_create", status_code=303, guards=GUARD)
async def action_create(request: Request) -> Template | Redirect:
    form = await request.form()
    details, errors = forms.action_details(form)
    change, change_errors = forms.status_change(form)
    errors |= change_errors
    if not errors:
        try:
            action_id = await services.create_action(details, change, await _actor(request))
        except FollowUpError as error:
            errors = error.errors
    if errors:
        return await staff_page(request, "feedback/follow_up/action_new.html", status_code=422,
                                values=forms.submitted(form), errors=errors, **await _form_context())
    flash(request, _("The action has been created."))
    return Redirect(path=f"/staff/actions/{action_id}", status_code=303)


async def _action_or_404(action_id: int) -> dict[str, Any]:
    row = await actions.action(action_id)
    if row is None:
        raise NotFoundException()
    return row


async def _action_page(request: Request, row: dict[str, Any], *, values: dict[str, str] | None = None,
                       errors: dict[str, str] | None = None, status_code: int = 200) -> Template:
    return await staff_page(
        request, "feedback/follow_up/action.html", status_code=status_code, action=row,
        values=values or forms.action_values(row), errors=errors or {},
        history=(await actions.history([row["id"]]))[row["id"]], items=await actions.linked_items(row["id"]),
        **await _form_context(),
    )


@get("/actions/{action_id:int}", name="follow_up_action", guards=GUARD)
async def action_page(request: Request, action_id: FromPath[int]) -> Template:
    return await _action_page(request, await _action_or_404(action_id))


@post("/actions/{action_id:int}/details", name="follow_up_action_details", status_code=303, guards=GUARD)
async def action_details(request: Request, action_id: FromPath[int]) -> Template | Redirect:
    row = await _action_or_404(action_id)
    form = await request.form()
    details, errors = forms.action_details(form)
    if not errors:
        try:
            await services.update_details(action_id, details, await _actor(request))
        except FollowUpError as error:
            errors = error.errors
    if errors:
        return await _action_page(request, row, values=forms.action_values(row) | forms.submitted(form),
                                  errors=errors, status_code=422)
    flash(request, _("The action has been saved."))
    return Redirect(path=f"/staff/actions/{action_id}", status_code=303)


@post("/actions/{action_id:int}/status", name="follow_up_action_status", status_code=303, guards=GUARD)
async def action_status(request: Request, action_id: FromPath[int]) -> Template | Redirect:
    row = await _action_or_404(action_id)
    form = await request.form()
    change, errors = forms.status_change(form)
    changed = False
    if not errors:
        try:
            changed = await services.change_status(action_id, change, await _actor(request))
        except FollowUpError as error:
            errors = error.errors
    if errors:
        return await _action_page(request, row, values=forms.action_values(row) | forms.submitted(form),
                                  errors=errors, status_code=422)
    flash(request, _("The new status has been saved in the history.") if changed
          else _("Nothing changed: the status, progress and reason are as they were."))
    return Redirect(path=f"/staff/actions/{action_id}", status_code=303)


@post("/actions/{action_id:int}/items/{item_id:int}", name="follow_up_action_item", status_code=303, guards=GUARD)
async def action_item(request: Request, action_id: FromPath[int], item_id: FromPath[int]) -> Redirect:
    """Show a linked item on the public page, stop showing it, or unlink it (``step``)."""
    await _action_or_404(action_id)
    step = form_value(await request.form(), "step", 10)
    actor = await _actor(request)
    try:
        if step in {"show", "hide"}:
            done = await services.show_item(action_id, item_id, step == "show", actor)
        elif step == "unlink":
            done = await services.unlink_item(action_id, item_id, actor)
        else:
            flash(request, _("Choose what to do with the item."), "error")
            return Redirect(path=f"/staff/actions/{action_id}", status_code=303)
    except FollowUpError as error:
        flash(request, " ".join(error.errors.values()), "error")
        return Redirect(path=f"/staff/actions/{action_id}#linked", status_code=303)
    if not done:
        raise NotFoundException()
    flash(request, _("The linked input has been updated."))
    return Redirect(path=f"/staff/actions/{action_id}#linked", status_code=303)


router = Router(
    path="/staff",
    route_handlers=[action_list, action_new, action_create, action_page, action_details, action_status, action_item],
    include_in_schema=False,
)
route_handlers = [router]

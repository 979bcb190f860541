"""The input browser (organisers): filters that combine, counts per theme, keyset pages, bulk steps, and the
exports and print report of exactly the filtered view. The URL carries the filters (``filters``), so a view
can be bookmarked, shared, and exported as it is.

Every route needs ``Action.export_feedback``; bulk steps are CSRF-protected POSTs that come back to the view.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Stream, Template

from events.access import event_ids_for
from events.management.routes import actor
from events.tables import Event
from feedback.follow_up import exports, queries, services
from feedback.follow_up.filters import InputFilter, parse_filter
from feedback.follow_up.labels import labels_context
from feedback.tables import FollowUp
from feedback.themes import bulk
from samrad.core.i18n import _, ngettext
from samrad.core.security import Action, load_staff_user, requires
from samrad.core.staff import flash, form_value, staff_page
from workshops.tables import Workshop

PRINT_LIMIT = 5000
EVENT_CHOICES = 300  # the newest events in the filter's list (a bookmarked older one is added)
BULK_OPERATIONS = ("tag", "untag", "hide", "link")


def query_params(request: Request) -> dict[str, list[str]]:
    return {key: request.query_params.getall(key) for key in request.query_params}


async def filter_options(flt: InputFilter) -> dict[str, Any]:
    """What the filter form offers: events newest first, the chosen event's workshops, the theme tree."""
    events = await Event.select(Event.id, Event.title, Event.starts_at, Event.timezone).order_by(
        Event.starts_at, ascending=False
    ).limit(EVENT_CHOICES).output(load_json=True)
    if flt.event is not None and all(event["id"] != flt.event for event in events):
        events += await Event.select(Event.id, Event.title, Event.starts_at, Event.timezone).where(
            Event.id == flt.event).output(load_json=True)
    workshops = []
    if flt.event is not None:
        workshops = await Workshop.select(Workshop.id, Workshop.title).where(Workshop.event == flt.event).order_by(
            Workshop.position
        ).output(load_json=True)
    return {"events": events, "workshops": workshops}


async def action_choices() -> list[dict[str, Any]]:
    return await FollowUp.select(FollowUp.id, FollowUp.title, FollowUp.status).order_by(
        FollowUp.id, ascending=False
    ).output(load_json=True)


@get("/input", name="follow_up_input", guards=[requires(Action.export_feedback)])
async def input_browser(request: Request) -> Template:
    return await _browser_page(request)


async def _browser_page(request: Request, extra_errors: dict[str, str] | None = None) -> Template:
    flt, errors = parse_filter(query_params(request))
    errors |= extra_errors or {}
    cursor_raw = request.query_params.get("after", "")
    cursor = int(cursor_raw) if cursor_raw.isdecimal() and len(cursor_raw) < 10 else None
    if cursor_raw and cursor is None:
        errors["after"] = _("This page link is not valid; start from the first page.")
    tree = await queries.theme_tree()
    page = await queries.page(flt, tree, cursor=cursor)
    counts = await queries.theme_counts(flt, tree)
    return await staff_page(
        request,
        "feedback/follow_up/input.html",
        status_code=422 if errors else 200,
        flt=flt,
        errors=errors,
        tree=tree,
        page=page,
        cursor=cursor,
        total=await queries.count(flt, tree),
        counts=counts,
        untagged=await queries.untagged_count(flt, tree),
        actions=await action_choices(),
        **await filter_options(flt),
        **labels_context(),
    )


def _back(form: Any) -> str:
    query = form_value(form, "view", 2000)
    return "/staff/input" + (f"?{query}" if query else "")


@post("/input/bulk", name="follow_up_input_bulk", status_code=303, guards=[requires(Action.export_feedback)])
async def input_bulk(request: Request) -> Redirect:
    """Tag, untag, hide or link the chosen items; the view comes back with what was done. Tagging goes through
    the themes' bulk tagging (``feedback.themes.bulk``): the one place many items are tagged at once."""
    form = await request.form()
    back = _back(form)
    item_ids = [services.as_int(value) for value in form.getall("item", [])]
    item_ids = [item_id for item_id in item_ids if item_id is not None]
    operation = form_value(form, "operation", 10)
    user = await load_staff_user(request)
    if not item_ids:
        flash(request, _("Choose at least one item first."), "error")
        return Redirect(path=back, status_code=303)
    if operation not in BULK_OPERATIONS:
        flash(request, _("Choose what to do with the chosen items."), "error")
        return Redirect(path=back, status_code=303)
    outside = ""
    if operation in {"tag", "untag", "hide"}:
        item_ids, refused = await services.items_in_events(item_ids, await event_ids_for(user, Action.manage_events))
        if refused:
            outside = " " + ngettext(
                "%(num)s item was left as it was: it belongs to an event whose team you are not on.",
                "%(num)s items were left as they were: they belong to events whose team you are not on.", refused)
    if operation in {"tag", "untag"}:
        theme_id = services.as_int(form_value(form, "theme", 12))
        if theme_id is None or theme_id not in (await queries.theme_tree()).themes:
            flash(request, _("Choose the theme to add or remove."), "error")
            return Redirect(path=back, status_code=303)
        tagged = await bulk.bulk_tags(item_ids, theme_id, add=operation == "tag", staff_user_id=user["id"],
                                      actor=await actor(request))
        message = ngettext("%(num)s item changed.", "%(num)s items changed.", tagged.changed)
        if tagged.refused:
            message += " " + ngettext(
                "%(num)s item was left as it was: its event or workshop does not work on this theme.",
                "%(num)s items were left as they were: their event or workshop does not work on this theme.",
                tagged.refused)
        flash(request, message + outside, "error" if tagged.refused or outside else "success")
        return Redirect(path=back, status_code=303)
    if operation == "hide":
        result = await services.bulk_hide(item_ids, staff_user_id=user["id"])
    else:
        action_id = services.as_int(form_value(form, "action", 12))
        if action_id is None:
            flash(request, _("Choose the action to link the items to."), "error")
            return Redirect(path=back, status_code=303)
        try:
            added = await services.link_items(action_id, item_ids, user["email"])
        except LookupError:
            flash(request, _("Choose the action to link the items to."), "error")
            return Redirect(path=back, status_code=303)
        flash(request, ngettext("%(num)s item linked to the action.", "%(num)s items linked to the action.", added))
        return Redirect(path=back, status_code=303)
    message = ngettext("%(num)s item changed.", "%(num)s items changed.", result.changed)
    if result.refused:
        message += " " + " ".join(result.messages)
    flash(request, message + outside, "error" if result.refused or outside else "success")
    return Redirect(path=back, status_code=303)


@get("/input/export/{export_format:str}", name="follow_up_input_export", guards=[requires(Action.export_feedback)])
async def input_export(request: Request, export_format: FromPath[str]) -> Stream | Template:
    """``csv`` (``?dialect=semicolon|comma``), ``xlsx`` or ``json`` of exactly the filtered view."""
    if export_format not in exports.FORMATS:
        raise NotFoundException()
    flt, errors = parse_filter(query_params(request))
    dialect = request.query_params.get("dialect", "semicolon")
    if dialect not in exports.DIALECTS:
        errors["dialect"] = _("Choose the semicolon or the comma dialect.")
    if errors:
        return await _browser_page(request, errors)  # the view again, with what to correct
    return await exports.download(flt, await queries.theme_tree(), export_format, dialect)


@get("/input/report", name="follow_up_input_report", guards=[requires(Action.export_feedback)])
async def input_report(request: Request) -> Template:
    """The filtered view per theme, ready to print: one section per theme, each starting on a new page."""
    flt, errors = parse_filter(query_params(request))
    tree = await queries.theme_tree()
    summary = await exports.summary_data(flt, tree)
    sections: list[dict[str, Any]] = []
    shown = 0
    narrowings = [(theme, {"only_theme": theme["id"]}) for theme in summary["themes"]]
    if summary["untagged"]:
        narrowings.append(({"id": None, "code": "", "name": _("Without a theme"), "count": summary["untagged"]},
                           {"untagged": True}))
    names = queries.Names()
    for theme, narrowing in narrowings:
        items: list[dict[str, Any]] = []
        async for batch in queries.batches(flt, tree, names=names, size=500, **narrowing):
            room = PRINT_LIMIT - shown - len(items)
            items.extend(batch[:room])
            if len(items) + shown >= PRINT_LIMIT:
                break
        shown += len(items)
        sections.append({"theme": theme, "items": items})
        if shown >= PRINT_LIMIT:
            break
    return await staff_page(
        request,
        "feedback/follow_up/report.html",
        status_code=422 if errors else 200,
        flt=flt,
        errors=errors,
        tree=tree,
        summary=summary,
        sections=sections,
        truncated=shown >= PRINT_LIMIT,
        print_limit=PRINT_LIMIT,
        **labels_context(),
    )


router = Router(
    path="/staff",
    route_handlers=[input_browser, input_bulk, input_export, input_report],
    include_in_schema=False,
)
route_handlers = [router]

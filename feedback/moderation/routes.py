"""Moderation pages: the queue of a workshop and of an event, one item with its history, and the actions
(approve, hide, edit, edit for anonymity, re-tag, move, merge duplicates).

Facilitators moderate the workshops they are assigned to, organisers every workshop (``workshops.access``); an
item outside what the staff member runs answers 404. Buttons are plain forms (POST-redirect-GET, CSRF); the
keyboard shortcuts of the queue (``static/js/capture-queue.js``) only press them.
"""

from __future__ import annotations

import math
from typing import Any

from litestar import Request, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from events.access import EVENT_IN_PATH, may_manage_event
from events.management.routes import event_or_404
from feedback import tagging
from feedback.capture import services as capture
from feedback.capture.routes import labels
from feedback.moderation import services
from feedback.moderation.services import ModerationError
from feedback.tables import Theme
from feedback.themes.confidence import confidence
from feedback.themes.suggestions import suggest_for_themes
from samrad.core.i18n import N_, _, current_locale, ngettext
from samrad.core.inputs import whole_number
from samrad.core.security import Action, load_staff_user, requires
from samrad.core.settings import LOCALES
from samrad.core.staff import flash, form_value, staff_page
from samrad.core.tables import Role
from workshops.access import may_run_workshop

GUARD = [requires(Action.moderate_input)]

HISTORY_LABELS = {
    "capture": N_("Captured"),
    "approve": N_("Approved"),
    "hide": N_("Hidden"),
    "undo": N_("Taken back by the facilitator"),
    "edit": N_("Edited"),
    "anonymise": N_("Edited for anonymity"),
    "retag": N_("Themes changed"),
    "move": N_("Moved to another workshop"),
    "merge": N_("Duplicates merged into it"),
    "merged": N_("Merged into another item"),
}


def history_label(action: str) -> str:
    return _(HISTORY_LABELS[action]) if action in HISTORY_LABELS else action


async def may_moderate(user: dict[str, Any] | None, item: dict[str, Any]) -> bool:
    """Items of a workshop: those who run it; items of the event itself: those who manage the event."""
    if user is None:
        return False
    if item["workshop"] is None:
        return await may_manage_event(user, item["event"])
    return await may_run_workshop(user, item["workshop"], Action.moderate_input)


async def sees_originals(user: dict[str, Any], item: dict[str, Any]) -> bool:
    """Organisers of the event see what an anonymity edit took out; facilitators only that it happened."""
    return user["role"] in {Role.admin.value, Role.organiser.value} and await may_manage_event(user, item["event"])


async def item_for(request: Request, item_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    user = await load_staff_user(request)
    item = await services.item_or_none(item_id)
    if item is None or not await may_moderate(user, item):
        raise NotFoundException()
    return item, user


def back_to(form: Any, item: dict[str, Any]) -> str:
    """Where the button was: a staff queue or capture page, never anywhere else."""
    target = form_value(form, "back", 300)
    if target.startswith("/staff/") and "//" not in target and "\\" not in target:
        return target
    return f"/staff/input/{item['id']}"


async def theme_names(theme_ids: set[int]) -> dict[int, dict[str, Any]]:
    if not theme_ids:
        return {}
    rows = await Theme.select(Theme.id, Theme.code, Theme.name, Theme.colour).where(
        Theme.id.is_in(sorted(theme_ids))
    ).output(load_json=True)
    return {row["id"]: row for row in rows}


# --- queues -----------------------------------------------------------------------------------------------

@get("/workshops/{workshop_id:int}/queue", name="moderation_workshop_queue", guards=GUARD)
async def workshop_queue(request: Request, workshop_id: FromPath[int]) -> Template:
    user = await load_staff_user(request)
    if not await may_run_workshop(user, workshop_id, Action.moderate_input):
        raise NotFoundException()
    workshop = await capture.load_workshop(workshop_id)
    if workshop is None:
        raise NotFoundException()
    items = await services.queue(workshop_ids=[workshop_id])
    return await _queue_page(request, items, title=workshop.title, workshop=workshop, event_id=workshop.event_id,
                             back=f"/staff/workshops/{workshop_id}/queue")


@get("/events/{event_id:int}/queue", name="moderation_event_queue",
     guards=[requires(Action.manage_events, subject=EVENT_IN_PATH)])
async def event_queue(request: Request, event_id: FromPath[int]) -> Template:
    """Everything of the event that waits, for its organisers (facilitators use their workshops' queues)."""
    event = await event_or_404(event_id)
    items = await services.queue(event_id=event_id)
    return await _queue_page(request, items, title=event["title"], workshop=None, event_id=event_id,
                             back=f"/staff/events/{event_id}/queue")


async def _queue_page(request: Request, items: list[dict[str, Any]], *, title: dict, workshop: Any, event_id: int,
                      back: str) -> Template:
    themes = await theme_names({theme_id for item in items for theme_id in item["theme_ids"]})
    held = sum(1 for item in items if item["status"] == "held")
    return await staff_page(
        request, "feedback/moderation/queue.html", items=items, title=title, workshop=workshop, event_id=event_id,
        back=back, themes=themes, held=held, **labels(),
    )


# --- one item ---------------------------------------------------------------------------------------------

@get("/input/{item_id:int}", name="moderation_item", guards=GUARD)
async def item_page(request: Request, item_id: FromPath[int]) -> Template:
    item, user = await item_for(request, item_id)
    return await _item_page(request, item, user)


async def _item_page(request: Request, item: dict[str, Any], user: dict[str, Any], *,
                     values: dict | None = None, errors: dict | None = None, status_code: int = 200) -> Template:
    organiser = await sees_originals(user, item)
    history = await services.history(item["id"], see_originals=organiser)
    allowed = await tagging.allowed_theme_ids(item["event"], item["workshop"])
    themes = await theme_names(allowed | set(item["theme_ids"]))
    workshops = [w for w in await services.workshops_of_event(item["event"])
                 if await may_run_workshop(user, w["id"], Action.moderate_input)]
    suggested = await _suggested(item, allowed) if allowed and item["status"] != "merged" else None
    back = request.query_params.get("back", "")
    return await staff_page(
        request, "feedback/moderation/item.html", status_code=status_code, item=item, history=history,
        organiser=organiser, themes=themes, allowed_themes=sorted(allowed), workshops=workshops, suggested=suggested,
        values={"text": item["text"], "kind": item["kind"], **(values or {})}, errors=errors or {},
        back=back if back.startswith("/staff/") and "//" not in back else "", history_label=history_label,
        **labels(),
    )


async def _suggested(item: dict[str, Any], allowed: set[int]) -> list[dict[str, Any]]:
    """The best (at most three) of the item's possible themes for its text (``feedback.themes``), each with its
    rank among them, score and confidence; those the item has already are left out. Offered only: a moderator
    accepts one by ticking it (``retag``)."""
    language = item["language"] if item["language"] in LOCALES else current_locale()
    found = await suggest_for_themes(sorted(allowed), item["text"], language)
    return [{"theme_id": s.theme_id, "rank": rank, "score": s.score, "confidence": confidence(s.score)}
            for rank, s in enumerate(found, start=1) if s.theme_id not in item["theme_ids"]]


def accepted_suggestion(value: str) -> tuple[int, int, float] | None:
    """A ticked suggestion as the item page writes it, "theme:rank:score"; None when it is not that."""
    parts = value.split(":")
    if len(parts) != 3:
        return None
    theme_id, rank = whole_number(parts[0]), whole_number(parts[1])
    try:
        score = float(parts[2])
    except ValueError:
        return None
    if theme_id is None or rank is None or not 1 <= rank <= 3 or not math.isfinite(score) or score < 0:
        return None
    return theme_id, rank, score


async def _act(request: Request, item_id: int, action) -> Template | Redirect:
    """Run one moderation step; a refused step re-shows the item page with the reason."""
    item, user = await item_for(request, item_id)
    form = await request.form()
    try:
        message = await action(item, user, form)
    except ModerationError as error:
        errors = {error.field or "action": error.message}
        values = {"text": form_value(form, "text", 10_000), "kind": form_value(form, "kind", 20)} if (
            error.field in {"text", "kind"}) else None
        return await _item_page(request, item, user, values=values, errors=errors, status_code=422)
    flash(request, message)
    return Redirect(path=back_to(form, item), status_code=303)


@post("/input/{item_id:int}/approve", name="moderation_approve", status_code=303, guards=GUARD)
async def approve(request: Request, item_id: FromPath[int]) -> Template | Redirect:
    async def step(item, user, form) -> str:
        await services.approve(item, user["id"])
        return _("Published.")

    return await _act(request, item_id, step)


@post("/input/{item_id:int}/hide", name="moderation_hide", status_code=303, guards=GUARD)
async def hide(request: Request, item_id: FromPath[int]) -> Template | Redirect:
    async def step(item, user, form) -> str:
        await services.hide(item, user["id"])
        return _("Hidden. It no longer shows on walls or to participants.")

    return await _act(request, item_id, step)


@post("/input/{item_id:int}/edit", name="moderation_edit", status_code=303, guards=GUARD)
async def edit(request: Request, item_id: FromPath[int]) -> Template | Redirect:
    async def step(item, user, form) -> str:
        anonymity = form.get("anonymity") == "1"
        changed = await services.edit(item, form_value(form, "text", 10_000), form_value(form, "kind", 20),
                                      user["id"], anonymity=anonymity)
        if not changed:
            return _("Nothing was changed.")
        if anonymity:
            return _("Saved. The original text is kept only in the history, for organisers, until the event's "
                     "retention ends.")
        return _("Saved.")

    return await _act(request, item_id, step)


@post("/input/{item_id:int}/retag", name="moderation_retag", status_code=303, guards=GUARD)
async def retag(request: Request, item_id: FromPath[int]) -> Template | Redirect:
    async def step(item, user, form) -> str:
        theme_ids = [whole_number(value) for value in form.getall("theme_ids", [])]
        accepted = [accepted_suggestion(value) for value in form.getall("suggested", [])]
        if any(theme_id is None for theme_id in theme_ids) or any(entry is None for entry in accepted):
            raise ModerationError(_("Choose themes this workshop works on."), "theme_ids")
        suggestions = {theme_id: (rank, score) for theme_id, rank, score in accepted}
        await services.retag(item, list(dict.fromkeys([*theme_ids, *suggestions])), user["id"], suggestions)
        return _("The themes have been saved.")

    return await _act(request, item_id, step)


@post("/input/{item_id:int}/move", name="moderation_move", status_code=303, guards=GUARD)
async def move(request: Request, item_id: FromPath[int]) -> Template | Redirect:
    async def step(item, user, form) -> str:
        workshop_id = whole_number(form_value(form, "workshop", 20))
        if workshop_id is None or not await may_run_workshop(user, workshop_id, Action.moderate_input):
            raise ModerationError(_("Choose a workshop of the same event."), "workshop")
        moved = await services.move(item, workshop_id, user["id"])
        return _("Moved to the other workshop.") if moved else _("Nothing was changed.")

    return await _act(request, item_id, step)


@post("/input/merge", name="moderation_merge", status_code=303, guards=GUARD)
async def merge(request: Request) -> Template | Redirect:
    """Merge the chosen duplicates (``merge``, several) into the item chosen to stay (``keep``)."""
    form = await request.form()
    keep_raw = form_value(form, "keep", 20)
    keep_id = whole_number(keep_raw)
    if keep_id is None:
        flash(request, _("Choose the item to keep, and the duplicates to merge into it."), "warning")
        return Redirect(path=back_to(form, {"id": 0}) if form_value(form, "back", 300) else "/staff",
                        status_code=303)

    async def step(keep, user, form) -> str:
        chosen = [whole_number(value) for value in form.getall("merge", []) if value != keep_raw]
        if not chosen or any(duplicate_id is None for duplicate_id in chosen):
            raise ModerationError(_("Choose at least one other item to merge into the one you keep."), "merge")
        duplicates = []
        for duplicate_id in dict.fromkeys(chosen):
            duplicate = await services.item_or_none(duplicate_id)
            if duplicate is None or not await may_moderate(user, duplicate):
                raise ModerationError(_("One of the chosen items was not found."), "merge")
            duplicates.append(duplicate)
        count = await services.merge(keep, duplicates, user["id"])
        return ngettext("%(num)s item merged into the one kept.", "%(num)s items merged into the one kept.", count)

    return await _act(request, keep_id, step)


router = Router(
    path="/staff",
    route_handlers=[workshop_queue, event_queue, item_page, approve, hide, edit, retag, move, merge],
    include_in_schema=False,
)
route_handlers = [router]

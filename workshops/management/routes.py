"""Organiser pages for the workshops of an event: the list in programme order (move up and down with plain
buttons), create, edit, and remove after a confirmation that says what the workshop holds.

Every page needs ``manage_events``; forms are CSRF-protected and answer with 303 or the form again with its
errors (422, or 409 when the data changed meanwhile). The themes and the input are the feedback area's, and
arrive as injected services (``theme_links``, ``workshop_input``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from events import loaders
from events.access import EVENT_IN_PATH
from events.labels import LANGUAGE_LABELS, staff_labels
from samrad.core.i18n import _, ngettext, pick, use_locale
from samrad.core.inputs import whole_number
from samrad.core.security import Action, load_staff_user, requires
from samrad.core.settings import LOCALES
from samrad.core.staff import flash, form_value, staff_page
from workshops.access import EVENT_OF_WORKSHOP_IN_PATH
from workshops.contracts import ThemeLinks, ThemeLinksDependency, WorkshopInputDependency, WorkshopNotFound
from workshops.labels import role_label
from workshops.management import forms, queries, services
from workshops.management.services import WorkshopConflict

FIELD_ORDER = [
    *(f"title_{locale}" for locale in LOCALES), "title", *(f"description_{locale}" for locale in LOCALES), "room",
    "starts_at", "ends_at", "capacity", "table_count", *(f"table_label_{n}" for n in range(1, forms.MAX_TABLES + 1)),
    "facilitators", "themes",
]
CONFIRM_FIELD = "confirm"
# Setting workshops up is managing their event: its organisers (its team) and administrators.
EVENT_GUARD = [requires(Action.manage_events, subject=EVENT_IN_PATH)]
WORKSHOP_GUARD = [requires(Action.manage_events, subject=EVENT_OF_WORKSHOP_IN_PATH)]


# --- shared helpers ---------------------------------------------------------------------------------------

async def actor(request: Request) -> str:
    user = await load_staff_user(request)
    return user["email"] if user else "unknown"


async def staff_event_or_404(event_id: int) -> dict[str, Any]:
    event = await loaders.staff_event(event_id)
    if event is None:
        raise NotFoundException()
    return event


async def workshop_or_404(workshop_id: int) -> dict[str, Any]:
    workshop = await queries.workshop(workshop_id)
    if workshop is None:
        raise NotFoundException()
    return workshop


def event_language(event: dict[str, Any]) -> str:
    """The event's first language: the first of ours its title is written in."""
    return next((locale for locale in LOCALES if (event["title"] or {}).get(locale)), LOCALES[0])


def default_label(event: dict[str, Any]) -> Callable[[int], str]:
    """Tables are named in the event's own language when the organiser types no name ("Bord 3")."""
    language = event_language(event)

    def label(number: int) -> str:
        with use_locale(language):
            return _("Table %(number)s", number=number)

    return label


async def form_context(event: dict[str, Any], links: ThemeLinks, *, keep_staff: list[int] | None = None,
                       keep_themes: list[int] | None = None) -> tuple[forms.FormContext, dict[str, Any]]:
    """The rules' context and the choices the form shows (staff who may facilitate, the theme tree)."""
    starts_at, ends_at = await queries.event_span(event)
    people = await queries.facilitator_choices(keep_staff or [])
    theme_tree = await links.options(keep_themes or [])
    context = forms.FormContext(
        timezone=event["timezone"], starts_at=starts_at, ends_at=ends_at,
        facilitator_ids={person["id"] for person in people}, theme_ids=_theme_ids(theme_tree),
        default_label=default_label(event),
    )
    choices = {
        "people": people, "theme_tree": theme_tree, "event_span": (starts_at, ends_at),
        "default_label": context.default_label,
    }
    return context, choices


def _theme_ids(tree: Any) -> set[int]:
    found: set[int] = set()
    stack = [theme for policy in tree for theme in policy.themes]
    while stack:
        theme = stack.pop()
        found.add(theme.id)
        stack.extend(theme.children)
    return found


def _labels() -> dict[str, Any]:
    return {
        "locales": LOCALES,
        "language_label": lambda code: _(LANGUAGE_LABELS[code]),
        "text_limits": forms.TEXT_LIMITS,
        "max_tables": forms.MAX_TABLES,
        "error_order": FIELD_ORDER,
        "role_label": role_label,
        **staff_labels(),
    }


# --- the list ---------------------------------------------------------------------------------------------

@get("/events/{event_id:int}/workshops", name="staff_workshops", guards=EVENT_GUARD)
async def workshop_list(request: Request, event_id: FromPath[int], theme_links: ThemeLinksDependency) -> Template:
    """The event's workshops in programme order, with their tables, join codes, facilitators and themes."""
    event = await staff_event_or_404(event_id)
    workshops = await queries.event_workshops(event_id)
    themes = await theme_links.workshop_themes([w["id"] for w in workshops])
    names = _theme_names(await theme_links.options([t for ids in themes.values() for t in ids]))
    for workshop in workshops:
        workshop["themes"] = [names[t] for t in themes[workshop["id"]] if t in names]
    return await staff_page(request, "workshops/list.html", event=event, workshops=workshops, **_labels())


def _theme_names(tree: Any) -> dict[int, dict[str, str]]:
    names: dict[int, dict[str, str]] = {}
    stack = [theme for policy in tree for theme in policy.themes]
    while stack:
        theme = stack.pop()
        names[theme.id] = theme.name
        stack.extend(theme.children)
    return names


# --- create -----------------------------------------------------------------------------------------------

@get("/events/{event_id:int}/workshops/new", name="staff_workshop_new", guards=EVENT_GUARD)
async def new_workshop_form(request: Request, event_id: FromPath[int], theme_links: ThemeLinksDependency) -> Template:
    event = await staff_event_or_404(event_id)
    return await _form_page(request, event, None, forms.new_form_values(event), {}, theme_links)


@post("/events/{event_id:int}/workshops/new", name="staff_workshop_create", status_code=303,
      guards=EVENT_GUARD)
async def new_workshop_create(
    request: Request, event_id: FromPath[int], theme_links: ThemeLinksDependency
) -> Template | Redirect:
    event = await staff_event_or_404(event_id)
    fields = forms.form_fields(await request.form())
    context, _choices = await form_context(event, theme_links)
    parsed = forms.parse_form(fields, context)
    if isinstance(parsed, dict):
        return await _form_page(request, event, None, fields, parsed, theme_links, status_code=422)
    workshop_id = await services.create_workshop(event_id, parsed, theme_links, await actor(request))
    flash(request, _("The workshop has been created. Its join codes and posters are ready."))
    return Redirect(path=f"/staff/events/{event_id}/workshops#workshop-{workshop_id}", status_code=303)


# --- edit -------------------------------------------------------------------------------------------------

@get("/workshops/{workshop_id:int}/edit", name="staff_workshop_edit", guards=WORKSHOP_GUARD)
async def edit_workshop_form(
    request: Request, workshop_id: FromPath[int], theme_links: ThemeLinksDependency
) -> Template:
    workshop = await workshop_or_404(workshop_id)
    event = await staff_event_or_404(workshop["event"])
    tables = (await queries.tables([workshop_id]))[workshop_id]
    staff_ids = [p["id"] for p in (await queries.facilitators([workshop_id]))[workshop_id]]
    theme_ids = (await theme_links.workshop_themes([workshop_id]))[workshop_id]
    values = forms.form_values(workshop, tables, staff_ids, theme_ids, event["timezone"])
    return await _form_page(request, event, workshop, values, {}, theme_links)


@post("/workshops/{workshop_id:int}/edit", name="staff_workshop_save", status_code=303,
      guards=WORKSHOP_GUARD)
async def edit_workshop_save(
    request: Request, workshop_id: FromPath[int], theme_links: ThemeLinksDependency,
    workshop_input: WorkshopInputDependency,
) -> Template | Redirect:
    workshop = await workshop_or_404(workshop_id)
    event = await staff_event_or_404(workshop["event"])
    fields = forms.form_fields(await request.form())
    context, _choices = await form_context(event, theme_links, **await _kept(workshop_id, theme_links))
    parsed = forms.parse_form(fields, context)
    if isinstance(parsed, dict):
        return await _form_page(request, event, workshop, fields, parsed, theme_links, status_code=422)
    try:
        promoted = await services.update_workshop(workshop_id, parsed, theme_links, workshop_input,
                                                  await actor(request))
    except WorkshopConflict as conflict:
        return await _form_page(request, event, workshop, fields, conflict.errors, theme_links, status_code=409)
    except WorkshopNotFound as missing:
        raise NotFoundException() from missing
    message = _("The changes have been saved.")
    if promoted:
        message += " " + ngettext(
            "%(num)s person moved up from the waiting list and has been told by email.",
            "%(num)s people moved up from the waiting list and have been told by email.",
            len(promoted),
        )
    flash(request, message)
    return Redirect(path=f"/staff/events/{event['id']}/workshops#workshop-{workshop_id}", status_code=303)


async def _kept(workshop_id: int, links: ThemeLinks) -> dict[str, list[int]]:
    """What the workshop links to already stays choosable (an archived theme, a deactivated account)."""
    staff_ids = [p["id"] for p in (await queries.facilitators([workshop_id]))[workshop_id]]
    return {"keep_staff": staff_ids, "keep_themes": (await links.workshop_themes([workshop_id]))[workshop_id]}


async def _form_page(
    request: Request, event: dict[str, Any], workshop: dict[str, Any] | None, values: dict[str, Any],
    errors: dict[str, str], links: ThemeLinks, status_code: int = 200,
) -> Template:
    kept = await _kept(workshop["id"], links) if workshop else {}
    _context, choices = await form_context(event, links, **kept)
    tables = (await queries.tables([workshop["id"]]))[workshop["id"]] if workshop else []
    return await staff_page(
        request, "workshops/form.html", status_code=status_code, event=event, workshop=workshop, tables=tables,
        values=values, errors=errors, table_rows=_table_rows(values, tables), **choices, **_labels(),
    )


def _table_rows(values: dict[str, Any], tables: list[dict[str, Any]]) -> int:
    """How many label fields the form shows: the tables asked for, or those there are."""
    count = whole_number(values.get("table_count", ""), forms.MAX_TABLES)
    return len(tables) if count is None else count


# --- order ------------------------------------------------------------------------------------------------

@post("/workshops/{workshop_id:int}/move", name="staff_workshop_move", status_code=303,
      guards=WORKSHOP_GUARD)
async def move_workshop(request: Request, workshop_id: FromPath[int]) -> Redirect:
    """Move up or down one place; back to the list, at the workshop moved (keyboard focus follows it)."""
    workshop = await workshop_or_404(workshop_id)
    direction = form_value(await request.form(), "direction", 10)
    if direction in {"up", "down"}:
        try:
            moved = await services.move_workshop(workshop_id, -1 if direction == "up" else 1)
        except WorkshopNotFound as missing:
            raise NotFoundException() from missing
        if moved:
            flash(request, _("Moved up: %(title)s.", title=_title(workshop)) if direction == "up"
                  else _("Moved down: %(title)s.", title=_title(workshop)))
    return Redirect(path=f"/staff/events/{workshop['event']}/workshops#workshop-{workshop_id}", status_code=303)


def _title(workshop: dict[str, Any]) -> str:
    return pick(workshop["title"])


# --- remove -----------------------------------------------------------------------------------------------

@get("/workshops/{workshop_id:int}/remove", name="staff_workshop_remove_confirm",
     guards=WORKSHOP_GUARD)
async def remove_confirm(
    request: Request, workshop_id: FromPath[int], workshop_input: WorkshopInputDependency
) -> Template:
    workshop = await workshop_or_404(workshop_id)
    event = await staff_event_or_404(workshop["event"])
    return await _remove_page(request, event, workshop, workshop_input, {})


@post("/workshops/{workshop_id:int}/remove", name="staff_workshop_remove", status_code=303,
      guards=WORKSHOP_GUARD)
async def remove(
    request: Request, workshop_id: FromPath[int], workshop_input: WorkshopInputDependency
) -> Template | Redirect:
    """Remove after a confirmation when the workshop holds input or seats; its input stays with the event."""
    workshop = await workshop_or_404(workshop_id)
    event = await staff_event_or_404(workshop["event"])
    preview = await services.removal_preview(workshop_id, workshop_input)
    confirmed = form_value(await request.form(), CONFIRM_FIELD, 5) == "1"
    if (preview.input_items or preview.seats) and not confirmed:
        errors = {CONFIRM_FIELD: _("Tick the box to confirm that the workshop is removed.")}
        return await _remove_page(request, event, workshop, workshop_input, errors, status_code=422)
    try:
        await services.remove_workshop(workshop_id, workshop_input, await actor(request))
    except WorkshopNotFound as missing:
        raise NotFoundException() from missing
    flash(request, _("The workshop has been removed: %(title)s.", title=_title(workshop)))
    return Redirect(path=f"/staff/events/{event['id']}/workshops", status_code=303)


async def _remove_page(
    request: Request, event: dict[str, Any], workshop: dict[str, Any], inputs: Any, errors: dict[str, str],
    status_code: int = 200,
) -> Template:
    preview = await services.removal_preview(workshop["id"], inputs)
    return await staff_page(
        request, "workshops/remove.html", status_code=status_code, event=event, workshop=workshop,
        preview=preview, errors=errors, **staff_labels(),
    )


router = Router(
    path="/staff",
    route_handlers=[
        workshop_list, new_workshop_form, new_workshop_create, edit_workshop_form, edit_workshop_save,
        move_workshop, remove_confirm, remove,
    ],
    include_in_schema=False,
)
route_handlers = [router]

"""Organiser pages where themes meet events and input: which themes an event works on, and importing paper notes
into a workshop (upload, preview, save). Tagging many items at once is a step of the input browser
(``/staff/input/bulk``, through ``feedback.themes.bulk``)."""

from __future__ import annotations

import secrets
from typing import Any

from litestar import Request, Router, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from events.access import EVENT_IN_PATH
from events.management.routes import event_or_404
from feedback import links
from feedback.capture import services as capture
from feedback.themes import notes
from feedback.themes.routes import _labels
from samrad.core.i18n import _, current_locale, ngettext
from samrad.core.inputs import whole_number
from samrad.core.security import Action, requires, tokens_equal
from samrad.core.staff import flash, form_value, staff_page
from workshops.access import WORKSHOP_IN_PATH
from workshops.contracts import UnknownThemes

NOTES_KEY = "theme_notes_preview"


def _ints(values: list[Any]) -> list[int]:
    """The ids chosen; one that is no number stays as an id no row has (0), refused like any unknown theme."""
    return [whole_number(value) or 0 for value in values]


# --- the themes of an event -------------------------------------------------------------------------------

# Which themes an event works on is a setting of the event: its team decides.
EVENT_THEMES_GUARD = [requires(Action.manage_events, subject=EVENT_IN_PATH)]


@get("/events/{event_id:int}/themes", name="themes_event", guards=EVENT_THEMES_GUARD)
async def event_themes_page(request: Request, event_id: FromPath[int]) -> Template:
    event = await event_or_404(event_id)
    return await _event_page(request, event, await links.event_themes(event_id))


async def _event_page(request: Request, event: dict[str, Any], chosen: list[int], error: str = "",
                      status_code: int = 200) -> Template:
    options = await links.theme_options(keep=chosen)
    return await staff_page(request, "feedback/themes/event_themes.html", status_code=status_code, event=event,
                            options=options, chosen=set(chosen), error=error, **_labels())


@post("/events/{event_id:int}/themes", name="themes_event_save", status_code=303,
      guards=EVENT_THEMES_GUARD)
async def event_themes_save(request: Request, event_id: FromPath[int]) -> Template | Redirect:
    event = await event_or_404(event_id)
    chosen = _ints((await request.form()).getall("theme", []))
    try:
        await links.set_event_themes(event_id, chosen)
    except UnknownThemes:
        return await _event_page(request, event, chosen, error=_("Choose themes that exist and are not archived."),
                                 status_code=422)
    flash(request, _("The event's themes have been saved."))
    return Redirect(path=f"/staff/events/{event_id}/themes", status_code=303)


# --- paper notes ------------------------------------------------------------------------------------------

# Importing notes is capturing input for the workshop in the path: the guard checks who may run it.
NOTES_GUARD = [requires(Action.capture_input, subject=WORKSHOP_IN_PATH)]


async def _workshop(request: Request, workshop_id: int) -> capture.WorkshopContext:
    context = await capture.load_workshop(workshop_id)
    if context is None:
        raise NotFoundException()
    return context


@get("/workshops/{workshop_id:int}/notes", name="themes_notes", guards=NOTES_GUARD)
async def notes_page(request: Request, workshop_id: FromPath[int]) -> Template:
    context = await _workshop(request, workshop_id)
    return await _notes_page(request, context)


async def _notes_page(request: Request, context: capture.WorkshopContext, *, problems: list[str] | None = None,
                      preview: list[dict[str, Any]] | None = None, token: str = "", status_code: int = 200
                      ) -> Template:
    theme_codes = {theme["id"]: theme["code"] for theme in context.themes}
    table_labels = {table["id"]: table["label"] for table in context.tables}
    return await staff_page(request, "feedback/themes/notes.html", status_code=status_code, workshop=context,
                            problems=problems or [], preview=preview, token=token, theme_codes=theme_codes,
                            table_labels=table_labels, **_labels())


@post("/workshops/{workshop_id:int}/notes", name="themes_notes_preview", guards=NOTES_GUARD,
      status_code=200)
async def notes_preview(request: Request, workshop_id: FromPath[int]) -> Template:
    """Check the file and show what would be stored; nothing is stored yet."""
    context = await _workshop(request, workshop_id)
    upload = (await request.form()).get("file")
    if not isinstance(upload, UploadFile):
        return await _notes_page(request, context, problems=[_("Choose a CSV or Excel file to import.")],
                                 status_code=422)
    data = await upload.read(notes.MAX_FILE_BYTES + 1)
    try:
        found = notes.read_notes(upload.filename or "", data, context, current_locale())
    except notes.NotesError as error:
        return await _notes_page(request, context, problems=error.problems, status_code=422)
    token = secrets.token_urlsafe(16)
    request.session[NOTES_KEY] = {"token": token, "workshop": workshop_id, "notes": found}
    return await _notes_page(request, context, preview=found, token=token)


@post("/workshops/{workshop_id:int}/notes/save", name="themes_notes_save", status_code=303, guards=NOTES_GUARD)
async def notes_save(request: Request, workshop_id: FromPath[int]) -> Template | Redirect:
    context = await _workshop(request, workshop_id)
    pending = request.session.get(NOTES_KEY) or {}
    token = form_value(await request.form(), "token", 100)
    expected = pending.get("token")
    fresh = bool(token) and isinstance(expected, str) and tokens_equal(expected, token)
    if not fresh or pending.get("workshop") != workshop_id:
        return await _notes_page(request, context, problems=[_("Upload the file again: the preview has expired.")],
                                 status_code=422)
    try:
        count = await notes.save_notes(context, pending["notes"])
    except notes.NotesError as error:
        return await _notes_page(request, context, problems=error.problems, status_code=422)
    request.session.pop(NOTES_KEY, None)
    flash(request, ngettext("%(num)s note has been imported.", "%(num)s notes have been imported.", count))
    return Redirect(path=f"/staff/workshops/{workshop_id}/notes", status_code=303)


router = Router(
    path="/staff",
    route_handlers=[event_themes_page, event_themes_save, notes_page, notes_preview,
                    notes_save],
    include_in_schema=False,
)
route_handlers = [router]

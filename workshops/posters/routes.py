"""The printable posters of a workshop and of its tables (A4 or A5), for whoever may run the workshop: its
facilitators, the organisers of its event (``workshops.access``)."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from events import loaders
from samrad.core.i18n import _
from samrad.core.security import Action, requires
from samrad.core.staff import staff_page
from workshops.access import WORKSHOP_IN_PATH
from workshops.management import queries
from workshops.posters.services import SIZES, build_poster, poster_languages


@get("/staff/workshops/{workshop_id:int}/poster", name="staff_workshop_poster",
     guards=[requires(Action.capture_input, subject=WORKSHOP_IN_PATH)], include_in_schema=False)
async def poster(
    request: Request,
    workshop_id: FromPath[int],
    size: Annotated[str | None, QueryParameter()] = None,
    table: Annotated[str | None, QueryParameter()] = None,
) -> Template:
    """The workshop's poster, one table's (``?table=ID``) or every table's (``?table=all``), one per sheet."""
    workshop = await queries.workshop(workshop_id)
    event = await loaders.staff_event(workshop["event"]) if workshop else None
    if workshop is None or event is None:
        raise NotFoundException()
    tables = (await queries.tables([workshop_id]))[workshop_id]
    size = size if size in SIZES else SIZES[0]
    base_url = request.app.state.settings.base_url
    languages = poster_languages(event)
    if table == "all":
        chosen = tables
    elif table and table.isdecimal() and any(t["id"] == int(table) for t in tables):
        chosen = [t for t in tables if t["id"] == int(table)]
    else:
        table, chosen = "", []
    posters = [build_poster(base_url, t["join_code"], workshop, languages, t["label"]) for t in chosen] or [
        build_poster(base_url, workshop["join_code"], workshop, languages)
    ]
    return await staff_page(
        request, "workshops/poster.html", event=event, workshop=workshop, tables=tables, posters=posters,
        size=size, sizes=[("a4", _("A4 (wall)")), ("a5", _("A5 (table)"))], table_choice=table or "",
    )


route_handlers = [poster]

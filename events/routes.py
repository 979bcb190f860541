"""Public pages: the event listing, the event page, calendar files, registration and the manage link.

Every handler reads like its page: parse, load, call a service, render. Reads live in ``events.queries``,
writes in ``events.services``; workshop seats arrive through the ``seat_plan`` dependency (the SeatPlan
protocol), so this module never imports the workshops area.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from events import queries
from events.queries import ListingFilter

# --- listing ----------------------------------------------------------------------------------------------


@get("/", name="event_list")
async def event_list(
    kind: Annotated[str | None, QueryParameter()] = None,
    date_from: Annotated[str | None, QueryParameter(name="from")] = None,
    date_to: Annotated[str | None, QueryParameter(name="to")] = None,
    page: Annotated[str | None, QueryParameter()] = None,
) -> Template:
    """Upcoming dates of published events, filtered by kind and dates, twenty to a page."""
    filters, errors = ListingFilter.parse(kind, date_from, date_to)
    result = await queries.upcoming_dates(filters, page=_page_number(page))

    def page_url(number: int) -> str:
        params = filters.query_params()
        if number > 1:
            params["page"] = str(number)
        return "/?" + urlencode(params) if params else "/"

    return Template(
        template_name="events/list.html",
        context={
            "page": result,
            "filters": filters,
            "raw_filters": {"kind": kind or "", "from": date_from or "", "to": date_to or ""},
            "errors": errors,
            "kinds": [(value, queries.kind_label(value)) for value in queries.KIND_LABELS],
            "page_url": page_url,
            "kind_label": queries.kind_label,
        },
    )


def _page_number(raw: str | None) -> int:
    try:
        return max(1, int(raw or 1))
    except ValueError:
        return 1


# --- event page -------------------------------------------------------------------------------------------


@get("/events/{slug:str}", name="event_detail")
async def event_detail(request: Request, slug: FromPath[str]) -> Template:
    """Everything someone needs to decide to come: when, where, how accessible, who may register, seats."""
    page = await queries.event_page(slug)
    if page is None:
        raise NotFoundException()
    return Template(
        template_name="events/detail.html",
        context={"page": page, "event": page.event, "kind_label": queries.kind_label},
    )


route_handlers: list = [event_list, event_detail]

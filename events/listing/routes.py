"""Public pages: the event listing, the event page, and the calendar files and feeds.

Every handler reads like its page: parse, load, render. Reads live in ``events.listing.queries`` and
``events.listing.event_page``, calendar files are made by ``events.messaging.calendar``. The workshop list
arrives through the ``workshop_catalogue`` dependency provided by the app, so this module never imports the
workshops area; the link to the event's "you said, we did" page through ``event_follow_up`` (the feedback
area's).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from events import loaders
from events.contracts import CatalogueDependency, EventFollowUpDependency
from events.labels import KIND_LABELS, kind_label, recurrence_label
from events.listing import queries
from events.listing.event_page import event_page
from events.listing.queries import ListingFilter
from events.messaging import calendar
from samrad.core.i18n import _, pick

# --- listing ----------------------------------------------------------------------------------------------

@get("/", name="event_list", include_in_schema=False, opt={"page_cache": True})
async def event_list(
    kind: Annotated[str | None, QueryParameter()] = None,
    date_from: Annotated[str | None, QueryParameter(name="from")] = None,
    date_to: Annotated[str | None, QueryParameter(name="to")] = None,
    page: Annotated[str | None, QueryParameter()] = None,
) -> Template:
    """Upcoming events, twenty to a page, filtered by kind and dates: a series once, at its next date (in the
    chosen dates, with a date filter), with how often it meets and a link to all its dates."""
    filters, errors = ListingFilter.parse(kind, date_from, date_to)
    result = await queries.upcoming_dates(filters, page=queries.page_number(page))

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
            "kinds": [(value, kind_label(value)) for value in KIND_LABELS],
            "page_url": page_url,
            "kind_label": kind_label,
            "recurrence_label": recurrence_label,
        },
    )


# --- event page -------------------------------------------------------------------------------------------

@get("/events/{slug:str}", name="event_detail", include_in_schema=False, opt={"page_cache": True})
async def event_detail(
    slug: FromPath[str], workshop_catalogue: CatalogueDependency, event_follow_up: EventFollowUpDependency
) -> Template:
    """Everything someone needs to decide to come: when, where, how accessible, who may register, seats; and,
    once there is some, what came of the input given there."""
    page = await event_page(slug)
    if page is None:
        raise NotFoundException()
    page.workshops = await workshop_catalogue(page.event["id"])
    return Template(
        template_name="events/detail.html",
        context={"page": page, "event": page.event, "kind_label": kind_label,
                 "follow_up": await event_follow_up(page.event["id"], page.event["slug"])},
    )


# --- calendar files ---------------------------------------------------------------------------------------

# Subscribed calendars poll; a few minutes of caching keeps a popular feed cheap without going stale.
FEED_CACHE = "public, max-age=300"


def _calendar_response(body: bytes, filename: str, *, attachment: bool) -> Response[bytes]:
    disposition = "attachment" if attachment else "inline"
    return Response(
        content=body,
        media_type=calendar.CALENDAR_MEDIA_TYPE,
        headers={"Content-Disposition": f'{disposition}; filename="{filename}"', "Cache-Control": FEED_CACHE},
    )


async def _calendar_event(slug: str) -> dict:
    event = await loaders.published_event(slug)
    loaded = await calendar.load_event_for_calendar(event["id"]) if event else None
    if loaded is None:
        raise NotFoundException()
    return loaded


@get("/calendar.ics", name="feed_all", include_in_schema=False, opt={"page_cache": 3600})
async def feed_all(request: Request) -> Response[bytes]:
    """Every public event as one subscribable feed (METHOD:PUBLISH)."""
    events = await calendar.load_events_for_calendar(await queries.feed_event_ids())
    url = f"{request.app.state.settings.base_url}/calendar.ics"
    return _calendar_response(calendar.feed_ics(events, url=url), "events.ics", attachment=False)


@get("/events/{slug:str}/calendar.ics", name="event_calendar", include_in_schema=False, opt={"page_cache": 3600})
async def event_calendar(slug: FromPath[str]) -> Response[bytes]:
    """"Add to calendar": the event (or the whole series) as a file to open."""
    event = await _calendar_event(slug)
    return _calendar_response(calendar.event_ics(event), f"{event['slug']}.ics", attachment=True)


@get("/events/{slug:str}/feed.ics", name="event_feed", include_in_schema=False, opt={"page_cache": 3600})
async def event_feed(request: Request, slug: FromPath[str]) -> Response[bytes]:
    """A series as a feed: subscribers see new, moved and cancelled dates without downloading again."""
    event = await _calendar_event(slug)
    url = f"{request.app.state.settings.base_url}/events/{event['slug']}/feed.ics"
    name = _("%(title)s – all dates", title=pick(event["title"]))
    return _calendar_response(calendar.feed_ics([event], name=name, url=url), f"{event['slug']}.ics", attachment=False)


route_handlers: list = [event_list, event_detail, feed_all, event_calendar, event_feed]

""""My workshops": where a facilitator's day starts (the page, and ``GET /api/v1/me/workshops`` for the capture
app), with the links to capture, the moderation queue, the wall and the posters of each workshop."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from litestar import Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import Template
from msgspec import Meta, Struct

from events.listing.api import ErrorOut
from samrad.core.clock import now_utc
from samrad.core.i18n import _, pick
from samrad.core.security import Action, Scope, load_staff_user, requires, scope_of
from samrad.core.staff import staff_page
from workshops.contracts import ThemeLinksDependency
from workshops.labels import MY_WORKSHOPS
from workshops.mine.queries import grouped, workshops_run_by

TAGS = ["Workshops"]


@get("/staff/workshops", name="staff_my_workshops", guards=[requires(Action.capture_input)],
     include_in_schema=False)
async def my_workshops(request: Request) -> Template:
    user = await load_staff_user(request)
    assert user is not None  # the guard let only staff in
    workshops = await workshops_run_by(user, now_utc())
    # Facilitators see the workshops assigned to them; organisers those of their events, administrators all.
    assigned_only = scope_of(user["role"], Action.capture_input) is Scope.assigned_workshop
    return await staff_page(
        request, "workshops/mine.html", sections=grouped(workshops), heading=_(MY_WORKSHOPS) if assigned_only else "",
    )


# --- the API ----------------------------------------------------------------------------------------------

class EventRef(Struct):
    id: int
    slug: str
    title: Annotated[str, Meta(description="In the requested language (or another one it has).")]


class TableOut(Struct):
    id: int
    label: str
    join_code: Annotated[str, Meta(description="Participants at this table join with it (/j/{code}).")]


class MyWorkshopOut(Struct):
    id: int
    event: EventRef
    title: Annotated[str, Meta(description="In the requested language (or another one it has).")]
    starts_at: datetime
    ends_at: datetime
    join_code: Annotated[str, Meta(description="Participants join the workshop with it (/j/{code}).")]
    tables: list[TableOut]
    theme_ids: Annotated[list[int], Meta(description="The policy themes the workshop works on.")]
    section: Annotated[Literal["today", "upcoming", "past"], Meta(description="The order of the list.")]


class MyWorkshopsOut(Struct):
    workshops: list[MyWorkshopOut]


@get(
    "/api/v1/me/workshops",
    name="api_my_workshops",
    tags=TAGS,
    summary="The workshops I may capture for",
    description=(
        "For a staff session or a bearer token: the workshops the caller may run (a facilitator: those assigned "
        "to them; an organiser: those of the events on whose team they are; an administrator: all), today's "
        "first, then upcoming, then those of the last 60 days. Cancelled events are left out."
    ),
    guards=[requires(Action.capture_input)],
    responses={
        401: ResponseSpec(ErrorOut, description="No staff session or bearer token."),
        403: ResponseSpec(ErrorOut, description="The account's role does not capture input."),
    },
)
async def api_my_workshops(request: Request, theme_links: ThemeLinksDependency) -> Response[MyWorkshopsOut]:
    user = await load_staff_user(request)
    assert user is not None
    workshops = await workshops_run_by(user, now_utc())
    themes = await theme_links.workshop_themes([w["id"] for w in workshops])
    body = MyWorkshopsOut(workshops=[
        MyWorkshopOut(
            id=w["id"],
            event=EventRef(id=w["event"]["id"], slug=w["event"]["slug"], title=pick(w["event"]["title"])),
            title=pick(w["title"]),
            starts_at=w["starts_at"],
            ends_at=w["ends_at"],
            join_code=w["join_code"],
            tables=[TableOut(id=t["id"], label=t["label"], join_code=t["join_code"]) for t in w["tables"]],
            theme_ids=themes[w["id"]],
            section=w["section"],
        )
        for w in workshops
    ])
    return Response(body, headers={"Cache-Control": "no-store"})


route_handlers = [my_workshops, api_my_workshops]

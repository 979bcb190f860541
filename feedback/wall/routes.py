"""The live wall: a page per workshop and per event, and its event stream.

The page renders the current published input (newest first) and refreshes itself every few seconds without
JavaScript; with JavaScript it follows the stream instead. The stream opens with a ``snapshot`` of the wall
(so a reconnect starts from the full list again), then sends ``input`` for an item published or changed and
``removed`` for one hidden or merged; the README documents the format.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Any

from litestar import Request, Response, get
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import ServerSentEvent, Template
from litestar.response.sse import ServerSentEventMessage

from feedback.wall import items, services
from feedback.wall.services import Wall
from samrad.core.i18n import current_locale, ngettext, pick, use_locale
from samrad.core.security import load_staff_user

# Without JavaScript the page reloads itself this often.
REFRESH_SECONDS = 10
# A ``ping`` event this often keeps proxies from closing a quiet stream, notices a viewer that left, and tells
# the wall its connection still lives: after SILENCE_SECONDS without a word it connects again (static/js/wall.js).
KEEPALIVE_SECONDS = 15
SILENCE_SECONDS = 3 * KEEPALIVE_SECONDS
# How long a browser waits before reconnecting a dropped stream.
RETRY_MILLISECONDS = 2000
NO_STORE = {"Cache-Control": "no-store"}
# The channels plugin, injected as ``channels`` (``feedback.wall.channels``).
WallChannelsDependency = NamedDependency[ChannelsPlugin]


async def _wall_or_404(request: Request, wall: Wall | None) -> Wall:
    if wall is None or (not wall.event["published"] and await load_staff_user(request) is None):
        raise NotFoundException()
    return wall


async def _page(request: Request, wall: Wall) -> Template:
    settings = request.app.state.settings
    cards = [services.present(item) for item in await wall.items()]
    join = [{**entry, "url": services.join_url(settings.base_url, entry["code"])} for entry in wall.join_codes]
    if wall.workshop is not None:
        for entry in join:
            entry["qr"] = services.qr_svg(entry["url"])
    # An event's wall shows each workshop's code, and the QR code of the page that asks for one.
    join_page = services.join_url(settings.base_url, "").rstrip("/")
    title = pick(wall.workshop["title"]) if wall.workshop is not None else pick(wall.event["title"])
    return Template(
        template_name="feedback/wall/wall.html",
        context={
            "wall": wall,
            "title": title,
            "event_title": pick(wall.event["title"]),
            "cards": cards,
            "legend": services.legend(cards),
            "join": join,
            "join_page": {"url": join_page, "qr": services.qr_svg(join_page)} if wall.workshop is None else None,
            "refresh_seconds": REFRESH_SECONDS,
            "stream_url": f"{wall.path}/stream", "silence_seconds": SILENCE_SECONDS,
            # The item count as the script writes it ({n}: the number), in the forms the language has.
            "count_labels": {
                "one": ngettext("%(num)s item", "%(num)s items", 1, num="{n}"),
                "many": ngettext("%(num)s item", "%(num)s items", 2, num="{n}"),
            },
        },
        headers=NO_STORE,
    )


@get("/workshops/{workshop_id:int}/wall", name="workshop_wall", include_in_schema=False)
async def workshop_wall_page(request: Request, workshop_id: FromPath[int]) -> Template:
    wall = await _wall_or_404(request, await services.workshop_wall(workshop_id))
    return await _page(request, wall)


@get("/events/{slug:str}/wall", name="event_wall", include_in_schema=False)
async def event_wall_page(request: Request, slug: FromPath[str]) -> Template:
    wall = await _wall_or_404(request, await services.event_wall(slug))
    return await _page(request, wall)


@get("/workshops/{workshop_id:int}/wall/stream", name="workshop_wall_stream", include_in_schema=False)
async def workshop_wall_stream(
    request: Request, workshop_id: FromPath[int], channels: WallChannelsDependency
) -> ServerSentEvent:
    wall = await _wall_or_404(request, await services.workshop_wall(workshop_id))
    return _stream(wall, channels)


@get("/events/{slug:str}/wall/stream", name="event_wall_stream", include_in_schema=False)
async def event_wall_stream(request: Request, slug: FromPath[str], channels: WallChannelsDependency) -> ServerSentEvent:
    wall = await _wall_or_404(request, await services.event_wall(slug))
    return _stream(wall, channels)


def _stream(wall: Wall, channels: ChannelsPlugin) -> ServerSentEvent:
    headers = {**NO_STORE, "X-Accel-Buffering": "no"}  # nginx would otherwise hold the events back
    return ServerSentEvent(wall_events(wall, channels, current_locale()), headers=headers)


def _message(event: str, data: dict[str, Any]) -> ServerSentEventMessage:
    return ServerSentEventMessage(event=event, data=json.dumps(data, ensure_ascii=False, separators=(",", ":")))


async def wall_events(wall: Wall, channels: ChannelsPlugin, locale: str) -> AsyncIterator[ServerSentEventMessage]:
    """The wall's events for one viewer, in its language, until it leaves."""
    # Subscribed before the snapshot is read, so nothing published in between is missed (a duplicate is not a
    # problem: viewers replace an item they already show).
    async with channels.start_subscription([wall.channel]) as subscriber:
        snapshot = await wall.items()
        with use_locale(locale):
            yield ServerSentEventMessage(
                event="snapshot",
                data=json.dumps({"items": [services.present(item) for item in snapshot]}, ensure_ascii=False),
                retry=RETRY_MILLISECONDS,
            )
        messages = subscriber.iter_events()
        pending = asyncio.ensure_future(anext(messages))
        try:
            while True:
                done, _ = await asyncio.wait({pending}, timeout=KEEPALIVE_SECONDS)
                if not done:
                    yield ServerSentEventMessage(event="ping", data="{}")
                    continue
                raw = pending.result()
                pending = asyncio.ensure_future(anext(messages))
                event = _shaped(raw, locale, wall.scope)
                if event is _NEEDS_ITEM:  # a large item travels as its id only (``feedback.live``)
                    with use_locale(locale):
                        event = _item_event(wall.scope, await items.load_item(json.loads(raw)["id"]))
                if event is not None:
                    yield event
        finally:
            pending.cancel()


_NEEDS_ITEM = ServerSentEventMessage(comment="item to be read")


@lru_cache(maxsize=256)
def _shaped(raw: bytes, locale: str, scope: tuple[int, int | None]) -> ServerSentEventMessage | None:
    """A channel message as a wall's viewers get it. Every viewer of a wall in this process receives the same
    message, so it is shaped once per language and wall, not once per viewer."""
    message = json.loads(raw)
    if message.get("type") == "removed":
        return _message("removed", {"id": message["id"]})
    if message.get("type") != "input":
        return None
    if "item" not in message:
        return _NEEDS_ITEM
    with use_locale(locale):
        return _item_event(scope, message["item"])


def _item_event(scope: tuple[int, int | None], item: dict[str, Any] | None) -> ServerSentEventMessage | None:
    if item is None:
        return None
    if not services.shows(scope, item):  # held again, or moved to another workshop
        return _message("removed", {"id": item["id"]})
    return _message("input", services.present(item))


@get("/walls/themes.css", name="wall_theme_colours", include_in_schema=False)
async def theme_stylesheet() -> Response[str]:
    """Every theme's colour and the text colour that reads on it, as classes: the page's content security
    policy allows no inline styles, and a wall without JavaScript is still coloured by theme."""
    return Response(
        await services.theme_stylesheet(),
        media_type="text/css",
        headers={"Cache-Control": f"public, max-age={REFRESH_SECONDS}"},
    )


route_handlers = [workshop_wall_page, event_wall_page, workshop_wall_stream, event_wall_stream, theme_stylesheet]

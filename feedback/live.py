"""Telling the live walls that input changed.

Capture and moderation call these after the commit that published, changed, hid or merged an item. Each
message goes to the channel of the item's workshop and of its event (``feedback.wall.channels``); every wall
process subscribed to one of them, here or in another server process when the channels run on Redis or
PostgreSQL, passes it on to its viewers. A failure here never reaches the caller: the input is stored, and a
wall that missed a message catches up on its next reconnect or refresh. Logs never carry input text.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from litestar.channels import ChannelsPlugin

from feedback.wall import items

log = logging.getLogger(__name__)

PUBLISH_TIMEOUT_SECONDS = 2
MAX_MESSAGE_BYTES = 7000

# The channels of the app running in this process (one per process; tests may start a few). Set while the app
# runs (``feedback.wall.channels``); without one (a script, the worker) there is no wall to tell.
_running: list[ChannelsPlugin] = []


def attach(channels: ChannelsPlugin) -> None:
    _running.append(channels)


def detach(channels: ChannelsPlugin) -> None:
    if channels in _running:
        _running.remove(channels)


def workshop_channel(workshop_id: int) -> str:
    return f"wall.workshop.{workshop_id}"


def event_channel(event_id: int) -> str:
    return f"wall.event.{event_id}"


async def _publish(message: dict[str, Any], event_id: int, workshop_id: int | None) -> None:
    if not _running:
        return
    plugin = _running[-1]
    names = [event_channel(event_id)]
    if workshop_id is not None:
        names.append(workshop_channel(workshop_id))
    data = plugin.encode_data(message)
    if len(data) > MAX_MESSAGE_BYTES:
        # Only the id: each wall process reads the item itself (PostgreSQL's NOTIFY takes under 8,000 bytes).
        data = plugin.encode_data({"type": message["type"], "id": message["item"]["id"]})
    # Awaited here rather than queued, so a failing backend is noticed (and logged) by this call, and bounded,
    # so a backend that hangs cannot hold up capture.
    await asyncio.wait_for(plugin.wait_published(data, names), PUBLISH_TIMEOUT_SECONDS)


async def announce_input(item_id: int) -> None:
    """An item became visible or changed: walls show or update it (or remove it when it is no longer
    published, e.g. held again)."""
    if not _running:
        return
    try:
        item = await items.load_item(item_id)
        if item is None:
            return
        if item["status"] == items.PUBLISHED:
            await _publish({"type": "input", "item": item}, item["event_id"], item["workshop_id"])
        else:
            await _publish({"type": "removed", "id": item_id}, item["event_id"], item["workshop_id"])
    except Exception as error:  # the commit stands; the wall catches up on reconnect
        log.warning("live wall: could not announce input item %s (%s)", item_id, type(error).__name__)


async def announce_removed(item_id: int, event_id: int, workshop_id: int | None) -> None:
    """An item was hidden or merged: walls remove it. Moving an item to another workshop is a removal from the
    old workshop (``workshop_id`` = the old one) followed by ``announce_input``."""
    try:
        await _publish({"type": "removed", "id": item_id}, event_id, workshop_id)
    except Exception as error:
        log.warning("live wall: could not announce removal of input item %s (%s)", item_id, type(error).__name__)

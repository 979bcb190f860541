"""Which wall a request asks for, what it shows, and the QR code of its join link.

A wall is public for a published event (the routes check): it shows only published input, which carries no
name, and it is projected in the room with its join code on it. A draft event's wall is for signed-in staff.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from qrcode.image.svg import SvgPathFillImage

from events.tables import Event
from feedback import live
from feedback.capture.services import kind_label
from feedback.tables import Theme
from feedback.wall import items
from samrad.core.contrast import parse_hex, text_colour
from samrad.core.i18n import pick
from workshops.tables import Workshop

# A card without a theme, and a theme whose colour is not #rrggbb, are drawn on this (dark blue, white text).
NEUTRAL_COLOUR = "#1f3b57"


@dataclass
class Wall:
    """One wall: a workshop's (its input only) or an event's (the input of all its workshops)."""

    event: dict[str, Any]
    workshop: dict[str, Any] | None
    # What the wall shows to join: the workshop's code, or each workshop's on an event's wall.
    join_codes: list[dict[str, str]] = field(default_factory=list)

    @property
    def channel(self) -> str:
        if self.workshop is not None:
            return live.workshop_channel(self.workshop["id"])
        return live.event_channel(self.event["id"])

    @property
    def path(self) -> str:
        if self.workshop is not None:
            return f"/workshops/{self.workshop['id']}/wall"
        return f"/events/{self.event['slug']}/wall"

    @property
    def scope(self) -> tuple[int, int | None]:
        """(event id, workshop id or None): what ``shows`` needs to know about the wall."""
        return self.event["id"], self.workshop["id"] if self.workshop is not None else None

    async def items(self) -> list[dict[str, Any]]:
        workshop_id = self.workshop["id"] if self.workshop is not None else None
        return await items.published_items(event_id=self.event["id"], workshop_id=workshop_id)


def shows(scope: tuple[int, int | None], item: dict[str, Any]) -> bool:
    """Whether a wall of this scope shows the item: published, of its event, and of its workshop if it has one."""
    event_id, workshop_id = scope
    if item["status"] != items.PUBLISHED or item["event_id"] != event_id:
        return False
    return workshop_id is None or item["workshop_id"] == workshop_id


_EVENT_COLUMNS = (Event.id, Event.slug, Event.title, Event.published)


async def workshop_wall(workshop_id: int) -> Wall | None:
    workshop = (
        await Workshop.select(
            Workshop.id,
            Workshop.title,
            Workshop.join_code,
            Workshop.event.id,
            Workshop.event.slug,
            Workshop.event.title,
            Workshop.event.published,
        )
        .where(Workshop.id == workshop_id)
        .first()
        .output(load_json=True)
    )
    if workshop is None:
        return None
    event = {
        "id": workshop["event.id"],
        "slug": workshop["event.slug"],
        "title": workshop["event.title"],
        "published": workshop["event.published"],
    }
    join = [{"code": workshop["join_code"], "title": pick(workshop["title"])}] if workshop["join_code"] else []
    return Wall(
        event=event,
        workshop={"id": workshop["id"], "title": workshop["title"]},
        join_codes=join,
    )


async def event_wall(slug: str) -> Wall | None:
    event = await Event.select(*_EVENT_COLUMNS).where(Event.slug == slug).first().output(load_json=True)
    if event is None:
        return None
    workshops = (
        await Workshop.select(Workshop.title, Workshop.join_code)
        .where(Workshop.event == event["id"])
        .order_by(Workshop.position)
        .order_by(Workshop.id)
        .output(load_json=True)
    )
    join = [{"code": row["join_code"], "title": pick(row["title"])} for row in workshops if row["join_code"]]
    return Wall(event=event, workshop=None, join_codes=join)


def theme_colours(colour: str | None) -> tuple[str, str]:
    """A theme's background and the text colour that reads on it (AA), falling back to the neutral colour."""
    background = colour.lower() if colour and parse_hex(colour) else NEUTRAL_COLOUR
    return background, text_colour(background)


async def theme_stylesheet() -> str:
    rows = await Theme.select(Theme.id, Theme.colour).order_by(Theme.id)
    rules = []
    for row in rows:
        background, foreground = theme_colours(row["colour"])
        rules.append(f".theme-{row['id']}{{--theme-bg:{background};--theme-fg:{foreground}}}")
    return "\n".join(rules) + "\n"


def present(item: dict[str, Any]) -> dict[str, Any]:
    """An item as viewers get it, in the current language: the stream's ``input`` data and the page's cards."""
    themes = []
    for theme in item["themes"]:
        background, foreground = theme_colours(theme["colour"])
        themes.append(
            {
                "id": theme["id"],
                "code": theme["code"],
                "name": pick(theme["name"]),
                "colour": background,
                "text_colour": foreground,
            }
        )
    background, foreground = (themes[0]["colour"], themes[0]["text_colour"]) if themes else theme_colours(None)
    return {
        "id": item["id"],
        "workshop_id": item["workshop_id"],
        "kind": item["kind"],
        "kind_label": kind_label(item["kind"]),
        "text": item["text"],
        "language": item["language"],
        "table": item["table"],
        "votes": item["votes"],
        "created_at": item["created_at"],
        "colour": background,
        "text_colour": foreground,
        "themes": themes,
    }


def legend(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The themes on the wall, once each, in the order they first appear."""
    seen: dict[int, dict[str, Any]] = {}
    for card in cards:
        for theme in card["themes"]:
            seen.setdefault(theme["id"], theme)
    return list(seen.values())


def join_url(base_url: str, code: str) -> str:
    return f"{base_url}/j/{code}"


def qr_svg(data: str) -> str:
    """An inline SVG of the QR code of ``data`` (black on white, the quiet zone included)."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=10, border=4)
    qr.add_data(data)
    qr.make(fit=True)
    buffer = io.BytesIO()
    qr.make_image(image_factory=SvgPathFillImage).save(buffer)
    svg = buffer.getvalue().decode()
    svg = re.sub(r' (width|height)="[^"]*mm"', "", svg[svg.index("<svg") :])  # sized by the page's CSS
    # Hidden from assistive technology: the code and the link are in the text beside it.
    return svg.replace("<svg", '<svg aria-hidden="true" focusable="false"', 1)

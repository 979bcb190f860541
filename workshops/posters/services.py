"""Posters for a workshop and its tables: the join link as a QR code, the code in large type, the title and a
one-line instruction in each of the event's languages.

The QR code holds the absolute join link (``{base_url}/j/{code}``), so a phone's camera opens the input page
at once. It is drawn as inline SVG (sharp at any print size, no extra request). The tickets' QR helper
(``events.messaging.tickets``) encodes a bare ticket code in capitals, which is not what a poster needs.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from qrcode.image.svg import SvgPathFillImage

from samrad.core.i18n import _, pick, use_locale
from samrad.core.settings import LOCALES

SIZES = ("a4", "a5")
ET.register_namespace("", "http://www.w3.org/2000/svg")


@dataclass(frozen=True)
class PosterText:
    """What a poster says in one language."""

    locale: str
    title: str
    instruction: str


@dataclass(frozen=True)
class Poster:
    code: str
    link: str
    qr_svg: str
    texts: tuple[PosterText, ...]
    table_label: str  # the table's label, or "" on a workshop's poster


def join_link(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/j/{code}"


def poster_languages(event: Mapping[str, Any]) -> list[str]:
    """The event's languages: those its title is written in, in our order (all of them if it has none)."""
    title = event.get("title") or {}
    return [locale for locale in LOCALES if title.get(locale)] or list(LOCALES)


def qr_svg(link: str, label: str) -> str:
    """The link as an inline SVG QR code, scaled by CSS, named for screen readers."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4)
    qr.add_data(link)
    qr.make(fit=True)
    root = qr.make_image(image_factory=SvgPathFillImage).get_image()
    for attribute in ("width", "height"):
        root.attrib.pop(attribute, None)
    root.set("role", "img")
    root.set("aria-label", label)
    root.set("class", "poster-qr")
    root.set("shape-rendering", "crispEdges")
    return ET.tostring(root, encoding="unicode")


def build_poster(
    base_url: str, code: str, workshop: Mapping[str, Any], languages: Sequence[str], table_label: str = ""
) -> Poster:
    link = join_link(base_url, code)
    address = link.split("://", 1)[-1] if urlsplit(link).scheme else link
    texts = []
    seen_titles: set[str] = set()
    for locale in languages:
        with use_locale(locale):
            title = pick(workshop["title"], locale)
            texts.append(PosterText(
                locale=locale,
                # The same title twice (a workshop titled in one language only) is said once.
                title="" if title in seen_titles else title,
                instruction=_("Scan the QR code with your phone, or open %(link)s. Your input is anonymous.",
                              link=address),
            ))
            seen_titles.add(title)
    return Poster(
        code=code, link=link, qr_svg=qr_svg(link, _("QR code for %(link)s", link=address)), texts=tuple(texts),
        table_label=table_label,
    )

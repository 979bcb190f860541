"""Colour contrast after WCAG 2.x: the relative luminance of an sRGB colour, the contrast ratio of two colours,
and which text colour (black or white) reads on a background.

Organisers choose theme colours; a colour is accepted only when black or white text on it reaches AA for
normal text (4.5:1), and pages then draw the text in that colour (``text_colour``).
"""

from __future__ import annotations

import re

AA_NORMAL_TEXT = 4.5
_HEX = re.compile(r"^#([0-9a-fA-F]{6})$")
BLACK = "#000000"
WHITE = "#ffffff"


def parse_hex(colour: str) -> tuple[int, int, int] | None:
    """``#rrggbb`` as three 0-255 numbers, or None when it is not that form."""
    match = _HEX.match(colour.strip()) if isinstance(colour, str) else None
    if match is None:
        return None
    value = match.group(1)
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _channel(value: int) -> float:
    srgb = value / 255
    return srgb / 12.92 if srgb <= 0.04045 else ((srgb + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    rgb = parse_hex(colour)
    if rgb is None:
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    red, green, blue = (_channel(value) for value in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_colour(background: str) -> str:
    """Black or white, whichever contrasts more with ``background``."""
    return BLACK if contrast_ratio(background, BLACK) >= contrast_ratio(background, WHITE) else WHITE


def readable_background(colour: str, minimum: float = AA_NORMAL_TEXT) -> bool:
    """True when black or white text on ``colour`` reaches ``minimum`` (AA for normal text by default)."""
    if parse_hex(colour) is None:
        return False
    return contrast_ratio(colour, text_colour(colour)) >= minimum

"""QR tickets.

The QR code holds the ticket code and nothing else (for example ``K7MX2QH9PA``): no URL, no name, no event.
A scanned code is therefore exactly what a person reads aloud or types at the door, and check-in accepts
both the same way (``events.rules.normalise_ticket_code``). Ticket codes use an alphabet of capitals and digits,
which QR's alphanumeric mode stores compactly, so the symbol stays small and scans from a phone screen.
"""

from __future__ import annotations

import io

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from qrcode.image.svg import SvgPathFillImage

from events.rules import normalise_ticket_code
from samrad.core.security import TICKET_ALPHABET

# Module size in pixels and the quiet zone (4 modules is the minimum the QR standard asks for).
BOX_SIZE = 10
BORDER = 4


def _qr(code: str) -> qrcode.QRCode:
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=BOX_SIZE, border=BORDER)
    qr.add_data(qr_payload(code))
    qr.make(fit=True)
    return qr


def qr_payload(code: str) -> str:
    """What the QR code encodes: the ticket code itself."""
    return code.strip().upper()


def qr_png(code: str) -> bytes:
    """A black-on-white PNG of the ticket's QR code (for emails and the manage page)."""
    image = _qr(code).make_image(fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def qr_svg(code: str) -> bytes:
    """A scalable SVG of the ticket's QR code (crisp when printed)."""
    image = _qr(code).make_image(image_factory=SvgPathFillImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def normalise_scanned(text: str) -> str | None:
    """The ticket code in what a scanner or a person typed, or None when it cannot be one.

    Accepts lower case, spaces and dashes (people group characters when they read a code out), as check-in
    does; what is left must be made of the ticket alphabet.
    """
    cleaned = normalise_ticket_code(text)
    if not cleaned or any(ch not in TICKET_ALPHABET for ch in cleaned):
        return None
    return cleaned

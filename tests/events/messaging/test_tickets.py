"""QR tickets: the image decodes to exactly the ticket code, which check-in accepts as scanned."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import PIL.Image
import PIL.ImageDraw
import zxingcpp

from events.messaging.tickets import normalise_scanned, qr_payload, qr_png, qr_svg
from samrad.core.security import new_ticket_code


async def test_png_decodes_to_the_ticket_code():
    for code in (new_ticket_code() for _ in range(5)):
        image = PIL.Image.open(io.BytesIO(qr_png(code)))
        assert image.format == "PNG"
        [result] = zxingcpp.read_barcodes(image)
        assert result.format == zxingcpp.BarcodeFormat.QRCode
        assert result.text == code


async def test_svg_is_valid_xml_and_decodes_when_rendered():
    code = new_ticket_code()
    svg = qr_svg(code)
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox")
    # A white background, so the code stays readable on a dark page.
    assert any(element.get("fill") == "white" for element in root.iter())
    assert code.encode() not in svg  # the code is drawn, not written as text
    assert zxing_text(rasterise(root)) == code


def rasterise(root: ET.Element, scale: int = 8) -> PIL.Image.Image:
    """Draw the SVG's module squares (``M x,y H x2 V y2 H x z`` paths) onto a white image."""
    _x, _y, width, height = (float(part) for part in root.get("viewBox").split())
    image = PIL.Image.new("L", (int(width * scale), int(height * scale)), 255)
    draw = PIL.ImageDraw.Draw(image)
    for path in root.iter("{http://www.w3.org/2000/svg}path"):
        for x, y, x2, y2 in re.findall(r"M([\d.]+),([\d.]+)H([\d.]+)V([\d.]+)H[\d.]+z", path.get("d")):
            box = [float(x) * scale, float(y) * scale, float(x2) * scale - 1, float(y2) * scale - 1]
            draw.rectangle(box, fill=0)
    return image


def zxing_text(image: PIL.Image.Image) -> str:
    [result] = zxingcpp.read_barcodes(image)
    return result.text


async def test_payload_is_the_bare_code():
    assert qr_payload(" k7mx2qh9pa ") == "K7MX2QH9PA"


async def test_scanned_or_typed_codes_are_normalised():
    assert normalise_scanned("K7MX-2QH9-PA") == "K7MX2QH9PA"
    assert normalise_scanned(" k7mx 2qh9 pa\n") == "K7MX2QH9PA"
    assert normalise_scanned("https://example.org/") is None
    assert normalise_scanned("O0I1") is None
    assert normalise_scanned("") is None

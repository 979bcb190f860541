"""Exports of exactly the filtered list (CSV in two dialects with a BOM, XLSX; chosen columns; needs only as
counts unless asked for), the formula-injection guard, name badges and the door list, attendance figures."""

from __future__ import annotations

import asyncio
import csv
import io
import re

import openpyxl
import staff_support
from attendee_support import register, seat_plan
from public_support import make_org_unit
from registration_support import make_event, make_workshop
from staff_support import login_as

from events.checkin.services import check_in
from samrad.core import exports

client = staff_support.client

EVIL = "=HYPERLINK(\"http://evil.example\",\"x\")"


async def _event():
    unit = await make_org_unit("Dagtilbud Nord")
    event = await make_event(capacity=3, categories=("staff", "citizen"))
    workshop = await make_workshop(event["id"], capacity=5, title="Safe schools")
    seats = seat_plan()
    mette = await register(event["id"], "Mette Kjær", category="staff", org_unit_id=unit, pronouns="hun/hende",
                           workshop_ids=(workshop,), seats=seats, access_needs=("hearing_loop",), diet="vegan")
    await register(event["id"], EVIL, diet="+45 vegetar")
    await register(event["id"], "Åse Ødegård", category="staff", org_unit_id=unit, diet="Vegan")
    await register(event["id"], "Waiting Person")
    await check_in(mette.ticket_code, event["id"])
    return event, workshop, mette


def read_csv(content: bytes, delimiter: str) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=delimiter))


# --- the shared guard ------------------------------------------------------------------------------------

async def test_the_formula_guard_neutralises_every_dangerous_start():
    for dangerous in ("=1+1", "+45 12", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert exports.guard_formula(dangerous) == "'" + dangerous
    for safe in ("Mette", "", "a=b", "1+1"):
        assert exports.guard_formula(safe) == safe
    assert exports.guard_formula(-2) == -2 and exports.guard_formula(None) is None


async def test_the_csv_writer_guards_quotes_and_streams_in_batches():
    rows = [[f"name {n}", "=evil", 'say "hi"; bye'] for n in range(450)]
    chunks = [chunk async for chunk in exports.csv_chunks(["a", "b", "c"], rows, dialect="semicolon")]
    assert len(chunks) >= 3
    parsed = read_csv(b"".join(chunks), ";")
    assert parsed[0] == ["a", "b", "c"] and len(parsed) == 451
    assert parsed[1] == ["name 0", "'=evil", 'say "hi"; bye']


async def test_the_xlsx_writer_keeps_text_as_text():
    rows = [["=1+1"], [42], ["bell\x07"]]
    chunks = [chunk async for chunk in exports.xlsx_chunks(["name"], rows, sheet_title="People: [all]")]
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(chunks))).active
    assert sheet.title == "People   all" and sheet["A2"].value == "=1+1" and sheet["A2"].data_type == "s"
    assert sheet["A3"].value == 42 and sheet["A4"].value == "bell"


# --- the participant export ------------------------------------------------------------------------------

async def test_semicolon_csv_is_exactly_the_filtered_list_with_chosen_columns(client):
    event, _workshop, _mette = await _event()
    await login_as(client, "admin")
    response = await client.get(
        f"/staff/events/{event['id']}/export/list?format=csv-semicolon&category=staff&sort=name"
        "&columns=name&columns=unit&columns=workshops&columns=checked_in_at&columns=pronouns"
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    table = read_csv(response.content, ";")
    assert table[0] == ["Name", "Unit or organisation", "Workshops", "Pronouns", "Checked in"]
    assert [line[0] for line in table[1:]] == ["Åse Ødegård", "Mette Kjær"]
    assert table[2][1:4] == ["Dagtilbud Nord", "Safe schools", "hun/hende"] and table[2][4].startswith("20")
    assert "hearing" not in response.text.lower() and "vegan" not in response.text.lower()


async def test_comma_csv_guards_formulas_and_gives_needs_by_name_only_when_asked(client):
    event, _workshop, _mette = await _event()
    await login_as(client, "admin")
    path = f"/staff/events/{event['id']}/export/list?format=csv-comma&columns=name&columns=email"
    plain = read_csv((await client.get(path)).content, ",")
    assert plain[0] == ["Name", "Email address"] and len(plain) == 5
    assert ["'" + EVIL] == [line[0] for line in plain if "HYPERLINK" in line[0]]
    with_needs = read_csv((await client.get(path + "&with_needs=1")).content, ",")
    assert with_needs[0] == ["Name", "Email address", "Access needs", "Food and allergies"]
    mette = next(line for line in with_needs if line[0] == "Mette Kjær")
    assert mette[2:] == ["Hearing loop", "vegan"]
    evil = next(line for line in with_needs if "HYPERLINK" in line[0])
    assert evil[3] == "'+45 vegetar"


async def test_xlsx_has_the_list_and_the_needs_as_counts(client):
    event, _workshop, _mette = await _event()
    await login_as(client, "admin")
    response = await client.get(f"/staff/events/{event['id']}/export/list?format=xlsx&status=confirmed"
                                "&columns=name&columns=status")
    assert response.status_code == 200 and response.content[:2] == b"PK"
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    people, needs = workbook.worksheets
    values = [[cell.value for cell in line] for line in people.iter_rows()]
    assert values[0] == ["Name", "Status"] and len(values) == 4
    assert [EVIL, "Confirmed"] in values and people.cell(row=3, column=1).data_type == "s"
    counts = {line[0].value: line[1].value for line in needs.iter_rows(min_row=2)}
    assert counts["Participants"] == 3 and counts["Hearing loop"] == 1 and counts["Food: vegan"] == 2
    assert "Mette Kjær" not in str(counts)


async def test_bad_export_choices_show_the_form_again(client):
    event, _workshop, _mette = await _event()
    await login_as(client, "admin")
    response = await client.get(f"/staff/events/{event['id']}/export/list?format=pdf&columns=password")
    assert response.status_code == 422
    assert "Choose one of the file formats." in response.text and "Choose at least one column" in response.text


async def test_the_needs_counts_download_never_names_anyone(client):
    event = await make_event(sensitive=True)
    await register(event["id"], "Alex Sensitive-Name", diet="halal")
    await login_as(client, "admin")
    response = await client.get(f"/staff/events/{event['id']}/export/needs?format=csv-comma")
    table = read_csv(response.content, ",")
    assert table[0] == ["What", "Count"] and ["Food: halal", "1"] in table
    assert "Alex" not in response.text


# --- print -----------------------------------------------------------------------------------------------

def qr_text(svg: bytes) -> str:
    """Draw the QR SVG's module squares (``M x,y H x2 V y2 H x z`` paths) and read the code back with zxing."""
    import xml.etree.ElementTree as ET

    import zxingcpp
    from PIL import Image, ImageDraw

    root, scale = ET.fromstring(svg), 8
    _x, _y, width, height = (float(part) for part in root.get("viewBox").split())
    image = Image.new("L", (int(width * scale), int(height * scale)), 255)
    draw = ImageDraw.Draw(image)
    for path in root.iter("{http://www.w3.org/2000/svg}path"):
        for x, y, x2, y2 in re.findall(r"M([\d.]+),([\d.]+)H([\d.]+)V([\d.]+)H[\d.]+z", path.get("d")):
            draw.rectangle([float(x) * scale, float(y) * scale, float(x2) * scale - 1, float(y2) * scale - 1], fill=0)
    (result,) = zxingcpp.read_barcodes(image)
    assert result.format == zxingcpp.BarcodeFormat.QRCode
    return result.text


async def test_badges_carry_name_pronouns_group_workshop_and_the_ticket_qr(client):
    import base64

    event, _workshop, mette = await _event()
    await login_as(client, "admin")
    page = await client.get(f"/staff/events/{event['id']}/badges?size=a6&sort=name")
    assert page.status_code == 200
    assert page.text.count('class="name-badge"') == 3  # confirmed only: not the waiting person
    assert page.text.count('class="badge-sheet"') == 1 and "size-a6" in page.text
    badge = next(part for part in re.findall(r'<article class="name-badge">(.*?)</article>', page.text, re.S)
                 if "Mette Kjær" in part)
    assert "hun/hende" in badge and "Staff member" in badge and "Safe schools" in badge
    svg = base64.b64decode(re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', badge).group(1))
    assert mette.ticket_code in re.search(r'alt="([^"]+)"', badge).group(1)
    assert qr_text(svg) == mette.ticket_code  # the badge's QR code checks its wearer in at the door
    ten = await client.get(f"/staff/events/{event['id']}/badges?size=bogus")
    assert "size-90x55" in ten.text


async def test_the_door_list_is_alphabetical_with_boxes(client):
    event, _workshop, _mette = await _event()
    await login_as(client, "admin")
    page = await client.get(f"/staff/events/{event['id']}/door-list")
    assert page.status_code == 200
    names = re.findall(r'<th scope="row">([^<]+)</th>', page.text)
    assert names == [EVIL.replace('"', "&#34;"), "Åse Ødegård", "Mette Kjær"]  # English: Å reads as A
    danish = await client.get(f"/staff/events/{event['id']}/door-list?lang=da")
    names = re.findall(r'<th scope="row">([^<]+)</th>', danish.text)
    assert names[-1] == "Åse Ødegård"  # Danish: æ ø å come last
    assert page.text.count('class="tick-box"') == 2 and page.text.count('class="tick-box ticked"') == 1
    assert "attendees.css" in page.text


async def test_attendance_per_event_group_and_unit(client):
    event, _workshop, _mette = await _event()
    await login_as(client, "admin")
    page = await client.get(f"/staff/events/{event['id']}/attendance")
    assert page.status_code == 200
    assert "1 of 3 registered participants came" in page.text
    assert re.search(r"Dagtilbud Nord</th>\s*<td class=\"num\">2</td>\s*<td class=\"num\">1</td>", page.text)
    assert asyncio  # figures are computed from one read

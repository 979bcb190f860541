"""The exports' own writers, read back: CSV quoting and the formula guard in both dialects for what people type
and name, the workbook's sheets against the CSV's rows (dates as real date cells in the event's time zone), a
valid package, the view without items in every format."""

from __future__ import annotations

import csv
import gc
import io
import json
import sys
import zipfile
from datetime import UTC, datetime
from xml.etree import ElementTree

import pytest
import staff_support
from follow_up_support import make_event, make_item, make_policy
from staff_support import login_as

client = staff_support.client

TEXTS = [
    'Say "hi"; then, go',
    "line one\nline two\r\nline three",
    "=HYPERLINK(\"http://evil.example\")",
    "-2 degrees in the hall",
    "@everyone +1",
    "  spaced out  ",
    "ligeløn æøå jämställdhet <b>&amp;</b>",
]
WINTER = datetime(2025, 1, 15, 9, 0, tzinfo=UTC)  # 10:00 in Copenhagen
SUMMER = datetime(2025, 7, 15, 9, 0, tzinfo=UTC)  # 11:00 in Copenhagen


@pytest.fixture
async def view():
    themes = await make_policy()
    event = await make_event("Café; dialog, og =mere")
    items = [await make_item(event["id"], text, themes=(themes["A"],) if n % 2 else (themes["A"], themes["B"]),
                             created_at=WINTER if n % 2 else SUMMER)
             for n, text in enumerate(TEXTS)]
    return {"themes": themes, "event": event, "items": items}


def read_csv(body: bytes, delimiter: str) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=delimiter))


def guarded(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@pytest.mark.parametrize("dialect, delimiter", [("semicolon", ";"), ("comma", ",")])
async def test_csv_quotes_and_guards_what_people_typed_and_named(client, view, dialect, delimiter):
    await login_as(client, "organiser")
    response = await client.get(f"/staff/input/export/csv?policy={view['themes']['policy']}&dialect={dialect}")
    rows = read_csv(response.content, delimiter)
    assert len(rows[0]) == 14 and all(len(row) == 14 for row in rows)
    texts = {int(row[0]): row[10] for row in rows[1:]}
    assert texts == {item: guarded(text) for item, text in zip(view["items"], TEXTS, strict=True)}
    assert {row[2] for row in rows[1:]} == {view["event"]["title"]["en"]}
    by_theme = {(int(row[0]), row[12]) for row in rows[1:]}
    assert (view["items"][0], "A") in by_theme and (view["items"][0], "B") in by_theme
    assert {row[1] for row in rows[1:]} == {"2025-01-15 10:00", "2025-07-15 11:00"}


async def test_each_sheet_holds_the_csv_rows_of_its_theme_with_real_dates(client, view):
    from openpyxl import load_workbook

    await login_as(client, "organiser")
    query = f"policy={view['themes']['policy']}"
    rows = read_csv((await client.get(f"/staff/input/export/csv?{query}")).content, ";")
    workbook = load_workbook(io.BytesIO((await client.get(f"/staff/input/export/xlsx?{query}")).content))
    assert workbook.sheetnames == ["Summary", "A Theme A", "B Theme B"]
    for name, code in (("A Theme A", "A"), ("B Theme B", "B")):
        sheet = workbook[name]
        assert sheet.freeze_panes == "A2" and sheet["A1"].font.b
        got = [[cell.value for cell in line] for line in sheet.iter_rows(min_row=2)]
        assert all(isinstance(line[1], datetime) for line in got)
        listed = [[line[0], line[1].strftime("%Y-%m-%d %H:%M"), *("" if value is None else value for value in line[2:])]
                  for line in got]
        expected = [[int(row[0]), row[1], *row[2:10], row[10].removeprefix("'") if row[10][:2] in {"'=", "'-", "'@"}
                     else row[10], int(row[11])] for row in rows[1:] if row[12] == code]
        assert listed == expected
    assert {cell.data_type for cell in workbook["A Theme A"]["K"][1:]} == {"s"}


async def test_the_workbook_is_a_valid_package(client, view):
    await login_as(client, "organiser")
    data = (await client.get(f"/staff/input/export/xlsx?policy={view['themes']['policy']}")).content
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    assert {"[Content_Types].xml", "xl/workbook.xml", "xl/styles.xml", "xl/sharedStrings.xml",
            "xl/worksheets/sheet3.xml"} <= set(archive.namelist())
    for name in archive.namelist():
        ElementTree.fromstring(archive.read(name))


async def test_a_view_without_items_exports_in_every_format(client, view):
    await login_as(client, "organiser")
    query = "from=2001-01-01&to=2001-01-31"
    assert read_csv((await client.get(f"/staff/input/export/csv?{query}")).content, ";")[1:] == []
    exported = json.loads((await client.get(f"/staff/input/export/json?{query}")).content)
    assert exported["count"] == 0 and exported["items"] == []
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO((await client.get(f"/staff/input/export/xlsx?{query}")).content))
    assert workbook.sheetnames == ["Summary"] and workbook["Summary"]["B1"].value == 0


async def test_a_download_left_half_way_leaves_nothing_behind(view, monkeypatch):
    from feedback.follow_up import exports, queries
    from feedback.follow_up.filters import InputFilter

    complaints = []
    monkeypatch.setattr(sys, "unraisablehook", complaints.append)
    body = exports.xlsx_body(InputFilter(policy=view["themes"]["policy"]), await queries.theme_tree())
    assert (await anext(body))[:2] == b"PK"
    await anext(body)
    await body.aclose()  # what the server does when the client goes away
    del body
    gc.collect()
    assert complaints == []

"""The streaming XLSX writer (``samrad.core.xlsx``): every workbook is read back with openpyxl, its zip tested and
every part parsed as XML; text stays text (escaped, control characters dropped, formulas never run), numbers and
dates are real cells, sheet names follow Excel's rules, and a large sheet leaves in many small chunks."""

from __future__ import annotations

import gc
import io
import sys
import zipfile
from datetime import UTC, date, datetime
from xml.etree import ElementTree

import openpyxl

from samrad.core import xlsx

TRICKY = [
    "<b>bold</b> & \"quoted\" 'single'",
    "ligeløn æøå ÆØÅ jämställdhet 🎉 中文",
    "line one\nline two",
    "windows\r\nline and a lone\rreturn",
    "  leading and trailing  ",
    "]]> <![CDATA[ x",
]
FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+45 12 34", "-2", "@SUM(A1)", "=1+1"]


def written(*sheets: tuple[str, list[str], list[list]]) -> tuple[bytes, list[bytes]]:
    """A workbook of these sheets (title, header, rows), and the chunks it left in."""
    book = xlsx.XlsxStream()
    chunks = []
    for title, header, rows in sheets:
        chunks += [book.add_sheet(title, header), book.append(rows)]
    chunks.append(book.close())
    return b"".join(chunks), [chunk for chunk in chunks if chunk]


def valid(data: bytes) -> openpyxl.Workbook:
    """Checks a spreadsheet program relies on: the zip's CRCs, well-formed XML in every part, the parts a workbook
    needs; then the workbook as openpyxl reads it."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    names = set(archive.namelist())
    assert {"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
            "xl/styles.xml", "xl/worksheets/sheet1.xml"} <= names
    for name in names:
        ElementTree.fromstring(archive.read(name))
    return openpyxl.load_workbook(io.BytesIO(data))


def values(sheet) -> list[list]:
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


async def test_text_is_escaped_and_kept_exactly():
    data, _chunks = written(("Texts", ["Text"], [[text] for text in TRICKY]))
    sheet = valid(data)["Texts"]
    assert [row[0] for row in values(sheet)[1:]] == TRICKY


async def test_characters_xml_cannot_hold_are_dropped():
    data, _chunks = written(("Bells", ["Text"], [["bell\x07 null\x00 tab\tkept vt\x0b ff\x0c esc\x1b end\ufffe"]]))
    assert valid(data)["Bells"]["A2"].value == "bell null tab\tkept vt ff esc end"


async def test_formulas_stay_text():
    data, _chunks = written(("Evil", ["Text"], [[text] for text in FORMULAS]))
    sheet = valid(data)["Evil"]
    assert [sheet.cell(row=row, column=1).value for row in range(2, 7)] == FORMULAS
    assert {sheet.cell(row=row, column=1).data_type for row in range(2, 7)} == {"s"}
    assert b"<f>" not in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")


async def test_numbers_dates_and_empty_cells_keep_their_types():
    moment = datetime(2026, 3, 29, 14, 35, tzinfo=UTC)  # shown as given: the caller passes local times
    data, _chunks = written(("Types", ["a", "b", "c", "d", "e", "f", "g"],
                             [[42, 2.5, True, date(2026, 1, 31), moment, None, ""]]))
    sheet = valid(data)["Types"]
    assert values(sheet)[1] == [42, 2.5, True, datetime(2026, 1, 31), datetime(2026, 3, 29, 14, 35), None, None]
    assert sheet["E2"].number_format == "yyyy-mm-dd hh:mm" and sheet["D2"].number_format == "yyyy-mm-dd"


async def test_header_is_bold_and_frozen_with_column_widths():
    book = xlsx.XlsxStream()
    data = book.add_sheet("People", ["Name", "Text"], widths=(20, 60)) + book.append([["Åse", "x"]]) + book.close()
    sheet = valid(data)["People"]
    assert sheet["A1"].font.b and not sheet["A2"].font.b
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width == 20 and sheet.column_dimensions["B"].width == 60


async def test_text_longer_than_a_cell_holds_is_cut():
    data, _chunks = written(("Long", ["Text"], [["x" * 40_000 + "&"]]))
    assert valid(data)["Long"]["A2"].value == "x" * xlsx.MAX_TEXT


async def test_sheet_names_follow_excels_rules():
    used: set[str] = set()
    names = [xlsx.sheet_name(title, used) for title in (
        "People: [all]", "A/B?C*D\\E", "'quoted'", "", "x" * 40, "X" * 40, "Summary", "summary",
    )]
    assert names == ["People   all", "A B C D E", "quoted", "Sheet", "x" * 31, "X" * 27 + " (2)", "Summary",
                     "summary (2)"]
    data, _chunks = written(*((title, ["a"], [[1]]) for title in ("Tema & tal <1>", "Tema & tal <1>")))
    assert valid(data).sheetnames == ["Tema & tal <1>", "Tema & tal <1> (2)"]


async def test_an_empty_workbook_and_a_sheet_with_only_its_header_open():
    assert valid(xlsx.XlsxStream().close()).sheetnames == ["Sheet"]
    data, _chunks = written(("Nothing yet", ["Name", "Email"], []))
    assert values(valid(data)["Nothing yet"]) == [["Name", "Email"]]


async def test_a_large_sheet_leaves_in_many_small_chunks():
    book = xlsx.XlsxStream()
    chunks = [book.add_sheet("Many", ["Number", "Text"])]
    for start in range(0, 20_000, 500):
        chunks.append(book.append([[n, f"item {n} {TRICKY[n % len(TRICKY)]}"] for n in range(start, start + 500)]))
    chunks.append(book.close())
    data = b"".join(chunks)
    assert sum(1 for chunk in chunks if chunk) > 10 and max(len(chunk) for chunk in chunks) < len(data) / 5
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    rows = list(workbook["Many"].iter_rows(values_only=True))
    assert len(rows) == 20_001 and rows[1] == (0, f"item 0 {TRICKY[0]}") and rows[-1][0] == 19_999
    assert rows[5][1] == f"item 4 {TRICKY[4]}"


async def test_prepared_cells_and_plain_values_write_the_same_row():
    moment = datetime(2026, 5, 1, 9, 30)
    plain, _chunks = written(("Rows", ["a", "b", "c", "d"], [[7, moment, "Idé & <mere>", None]]))
    book = xlsx.XlsxStream()
    prepared = book.add_sheet("Rows", ["a", "b", "c", "d"]) + book.append_cells(
        [[xlsx.integer(7), xlsx.moment(moment), xlsx.text("Idé & <mere>"), xlsx.EMPTY]]
    ) + book.close()
    assert values(valid(plain)["Rows"]) == values(valid(prepared)["Rows"])


async def test_shared_strings_are_kept_once():
    book = xlsx.XlsxStream()
    cells = [[book.shared("Idé & <co>"), book.shared("Skrevet ned  "), book.shared("")] for _ in range(3)]
    data = book.add_sheet("Labels", ["a", "b", "c"]) + book.append_cells(cells) + book.close()
    assert values(valid(data)["Labels"])[1:] == [["Idé & <co>", "Skrevet ned  ", None]] * 3
    strings = zipfile.ZipFile(io.BytesIO(data)).read("xl/sharedStrings.xml").decode()
    assert strings.count("<si>") == 2 and strings.count("Idé &amp; &lt;co&gt;") == 1


async def test_a_workbook_let_go_half_way_goes_quietly(monkeypatch):
    complaints = []
    monkeypatch.setattr(sys, "unraisablehook", complaints.append)
    book = xlsx.XlsxStream()
    book.add_sheet("Half", ["a"])
    book.append([[1], [2]])
    book.discard()
    del book
    gc.collect()
    assert complaints == []

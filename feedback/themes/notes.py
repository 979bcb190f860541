"""Importing paper notes and spreadsheets into a workshop: CSV or XLSX with the columns ``text`` and ``kind``,
optionally ``themes`` (theme codes separated by semicolons) and ``table`` (a table's label).

``read_notes`` checks every row and lists each bad one by its row number (the header is row 1); nothing is
stored until the whole file is clean. ``save_notes`` stores the checked rows in one transaction through the
capture service, as source "import", attributed to the workshop and never to the person importing.
"""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from collections.abc import Sequence
from typing import Any

from feedback.capture import services as capture
from feedback.tables import InputKind, InputSource
from feedback.themes.taxonomy import NOT_CSV, NOT_TEXT, csv_rows, split_keywords
from samrad.core.i18n import _

MAX_FILE_BYTES = 2_000_000
MAX_ROWS = 1000
COLUMNS = ("text", "kind", "themes", "table", "language")


class NotesError(Exception):
    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


def _rows(filename: str, data: bytes) -> list[list[str]]:
    if len(data) > MAX_FILE_BYTES:
        raise NotesError([_("The file is larger than 2 MB.")])
    if filename.lower().endswith(".xlsx") or data[:2] == b"PK":
        rows = _xlsx_rows(data)
        if any("\x00" in cell for row in rows for cell in row):
            raise NotesError([_(NOT_TEXT)])
        return rows
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NotesError([_("The file is not UTF-8 text. Save it from your spreadsheet as \"CSV UTF-8\".")]) \
            from None
    if "\x00" in text:
        raise NotesError([_(NOT_TEXT)])
    try:
        return csv_rows(text)
    except csv.Error:
        raise NotesError([_(NOT_CSV)]) from None


def _xlsx_rows(data: bytes) -> list[list[str]]:
    """The first sheet's rows as text. A damaged or foreign file fails inside openpyxl in many ways (a broken
    zip, XML that does not parse, a missing part, no sheet), while loading or while reading the rows: each is
    the same clear message, never a server error."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            return [["" if cell is None else str(cell) for cell in row]
                    for row in sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 2)]
        finally:
            workbook.close()
    except (zipfile.BadZipFile, zlib.error, LookupError, OSError, ValueError, TypeError, AttributeError,
            SyntaxError, EOFError):  # SyntaxError: the XML parsers' errors (ElementTree's and lxml's)
        raise NotesError([_("The file could not be read as an Excel workbook (.xlsx).")]) from None


def read_notes(filename: str, data: bytes, context: capture.WorkshopContext, language: str
               ) -> list[dict[str, Any]]:
    """The file's notes as capture fields, checked against the workshop (its themes and tables)."""
    rows = _rows(filename, data)
    if not rows:
        raise NotesError([_("The file is empty.")])
    header = [cell.strip().lower() for cell in rows[0]]
    if "text" not in header:
        raise NotesError([_("Row 1 must name the columns: text, and optionally kind, themes, table, language.")])
    unknown = [c for c in header if c and c not in COLUMNS]
    if unknown:
        raise NotesError([_("Row 1 names columns Samråd does not know: %(columns)s.", columns=", ".join(unknown))])
    codes = {theme["code"].lower(): theme["id"] for theme in context.themes}
    tables = {str(table["label"]).strip().lower(): table["id"] for table in context.tables}
    problems: list[str] = []
    notes: list[dict[str, Any]] = []
    for number, row in enumerate(rows[1:], start=2):
        cells = {column: (row[index].strip() if index < len(row) else "") for index, column in enumerate(header)}
        if not any(cells.values()):
            continue
        raw: dict[str, Any] = {"client_id": capture.new_client_id(), "text": cells.get("text", ""),
                               "kind": cells.get("kind", "").lower() or InputKind.idea.value,
                               "language": cells.get("language", "").lower() or language}
        theme_ids = []
        for code in split_keywords(cells.get("themes", "")):
            if code.lower() not in codes:
                problems.append(_("Row %(row)s: the theme %(code)s is not one this workshop works on.", row=number,
                                  code=code))
            else:
                theme_ids.append(codes[code.lower()])
        raw["theme_ids"] = theme_ids
        if cells.get("table"):
            if cells["table"].lower() not in tables:
                problems.append(_("Row %(row)s: the workshop has no table called %(table)s.", row=number,
                                  table=cells["table"]))
            else:
                raw["table"] = tables[cells["table"].lower()]
        parsed = capture.parse_item(raw, context)
        if isinstance(parsed, dict):
            problems.extend(_("Row %(row)s: %(problem)s", row=number, problem=message)
                            for field, message in parsed.items() if field not in {"theme_ids", "table"})
            continue
        notes.append({**raw, "row": number})
        if len(notes) > MAX_ROWS:
            problems.append(_("A file may hold at most %(max)s notes.", max=MAX_ROWS))
            break
    if not notes and not problems:
        problems.append(_("The file has no notes: add one row per note below the column names."))
    if problems:
        raise NotesError(problems)
    return notes


async def save_notes(context: capture.WorkshopContext, notes: Sequence[dict[str, Any]]) -> int:
    """Store checked notes (from ``read_notes``) in one transaction; returns how many."""
    drafts = []
    for note in notes:
        draft = capture.parse_item({k: v for k, v in note.items() if k != "row"}, context)
        if isinstance(draft, dict):  # the workshop changed between preview and saving
            raise NotesError([_("Row %(row)s: %(problem)s", row=note["row"], problem=m) for m in draft.values()])
        drafts.append(draft)
    await capture.capture(context, drafts, source=InputSource.imported, staff_user_id=None)
    return len(drafts)

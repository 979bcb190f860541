"""Spreadsheet downloads, once for every area: rows in, CSV (two dialects) or XLSX out, streamed.

An export is a header and an iterable of rows (after pretix's exporters: one row source, one writer per format),
written in small batches so memory stays flat whatever the number of rows:

* CSV is UTF-8 with a byte-order mark (so Excel reads "ø" and "å" right), in the semicolon dialect (what
  Excel expects where the decimal separator is a comma: Denmark, Sweden) or the comma dialect.
* XLSX comes from openpyxl's write-only workbook; openpyxl needs a file to build the zip in, so the file is
  written to a temporary file and streamed from it.

Both guard against formula injection (a cell someone typed as ``=HYPERLINK(...)`` into a registration form must
not run in the organiser's spreadsheet): in CSV, text starting with ``= + - @``, a tab or a carriage return gets
a leading apostrophe, the usual defence (OWASP); in XLSX, text is always written as a text cell, never a formula.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

import anyio
from litestar.response import Stream

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_DELIMITERS = {"semicolon": ";", "comma": ","}
FORMATS = ("csv-semicolon", "csv-comma", "xlsx")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
BOM = "\ufeff"
BATCH = 200  # rows per chunk sent
CHUNK = 64 * 1024  # bytes per chunk of an XLSX file


def guard_formula(value: Any) -> Any:
    """A CSV cell that a spreadsheet will not run as a formula: text starting with = + - @ tab or CR is
    prefixed with an apostrophe. Numbers, dates and empty cells are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _plain(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


async def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[Any]], *, dialect: str) -> AsyncIterator[bytes]:
    """The CSV file in chunks: BOM and header first, then ``BATCH`` rows at a time."""
    delimiter = CSV_DELIMITERS[dialect]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    buffer.write(BOM)
    writer.writerow([guard_formula(str(cell)) for cell in header])
    count = 0
    for row in rows:
        writer.writerow([guard_formula(_plain(cell)) for cell in row])
        count += 1
        if count % BATCH == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, datetime):
        value = value.replace(tzinfo=None)  # Excel has no time zones; callers give local times
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        cell.data_type = "s"  # text stays text: "=..." is not turned into a formula
        return cell
    return WriteOnlyCell(sheet, value=value)


def write_xlsx(header: Sequence[str], rows: Iterable[Sequence[Any]], *, sheet_title: str,
               extra_sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]] = ()) -> str:
    """Write the workbook to a temporary file and return its path (the caller removes it)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for title, sheet_header, sheet_rows in ((sheet_title, header, rows), *extra_sheets):
        sheet = workbook.create_sheet(title=_sheet_title(title))
        sheet.append([_xlsx_cell(sheet, str(cell)) for cell in sheet_header])
        for row in sheet_rows:
            sheet.append([_xlsx_cell(sheet, None if cell is None else cell) for cell in row])
    handle, path = tempfile.mkstemp(prefix="samrad-export-", suffix=".xlsx")
    os.close(handle)
    workbook.save(path)
    return path


def _sheet_title(title: str) -> str:
    """Excel's rules for a sheet's name: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip()
    return (cleaned or "Sheet")[:31]


async def xlsx_chunks(path: str) -> AsyncIterator[bytes]:
    """A written workbook in chunks; the temporary file is removed when the last one is sent (or the client left)."""
    try:
        async with await anyio.open_file(path, "rb") as handle:
            while chunk := await handle.read(CHUNK):
                yield chunk
    finally:
        os.unlink(path)


def download(
    export_format: str,
    filename: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    sheet_title: str = "",
    extra_sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]] = (),
) -> Stream:
    """A streamed download in one of ``FORMATS``; ``filename`` without its extension."""
    if export_format not in FORMATS:
        raise ValueError(f"unknown export format {export_format!r}")
    if export_format == "xlsx":
        path = write_xlsx(header, rows, sheet_title=sheet_title or filename, extra_sheets=extra_sheets)
        body, extension = xlsx_chunks(path), "xlsx"
    else:
        body, extension = csv_chunks(header, rows, dialect=export_format.removeprefix("csv-")), "csv"
    name = f"{filename}.{extension}"
    ascii_name = name.encode("ascii", "replace").decode("ascii").replace("?", "_").replace('"', "_")
    return Stream(
        body,
        media_type=MEDIA_TYPES[extension],
        headers={
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}",
            "Cache-Control": "no-store",
        },
    )

"""Spreadsheet downloads, once for every area: rows in, CSV (two dialects) or XLSX out, streamed.

An export is a header and an iterable of rows (after pretix's exporters: one row source, one writer per format),
written in small batches so memory stays flat whatever the number of rows:

* CSV is UTF-8 with a byte-order mark (so Excel reads "ø" and "å" right), in the semicolon dialect (what
  Excel expects where the decimal separator is a comma: Denmark, Sweden) or the comma dialect.
* XLSX comes from ``samrad.core.xlsx``, a streaming writer: the zip is sent as it is written, no temporary file.

Both guard against formula injection (a cell someone typed as ``=HYPERLINK(...)`` into a registration form must
not run in the organiser's spreadsheet): in CSV, text starting with ``= + - @``, a tab or a carriage return gets
a leading apostrophe, the usual defence (OWASP); in XLSX, text is always written as a text cell, never a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from litestar.response import Stream

from samrad.core.xlsx import XlsxStream

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_DELIMITERS = {"semicolon": ";", "comma": ","}
FORMATS = ("csv-semicolon", "csv-comma", "xlsx")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
BOM = "\ufeff"
BATCH = 200  # rows per chunk sent


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


async def xlsx_chunks(
    header: Sequence[str], rows: Iterable[Sequence[Any]], *, sheet_title: str,
    extra_sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]] = (),
) -> AsyncIterator[bytes]:
    """The workbook in chunks, ``BATCH`` rows at a time: a sheet for the rows, then the extra sheets."""
    book = XlsxStream()
    for title, sheet_header, sheet_rows in ((sheet_title, header, rows), *extra_sheets):
        yield book.add_sheet(title, [str(cell) for cell in sheet_header])
        batch: list[Sequence[Any]] = []
        for row in sheet_rows:
            batch.append(row)
            if len(batch) == BATCH:
                yield book.append(batch)
                batch.clear()
        yield book.append(batch)
    yield book.close()


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
        body = xlsx_chunks(header, rows, sheet_title=sheet_title or filename, extra_sheets=extra_sheets)
        extension = "xlsx"
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

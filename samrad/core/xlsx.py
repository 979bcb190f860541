"""A small streaming XLSX writer: rows in, zipped SpreadsheetML out, a chunk at a time, so a workbook of any
size is sent while it is written and memory stays flat (no temporary file, nothing held per row).

What a workbook needs and no more: ``[Content_Types].xml``, ``_rels/.rels``, ``xl/workbook.xml`` and its
relationships, ``xl/styles.xml`` (a bold header, date and date-time formats), ``xl/sharedStrings.xml`` and one
``xl/worksheets/sheetN.xml`` per sheet, with a frozen header row and column widths. Text people typed goes as
inline strings (``t="inlineStr"``); text met on many rows (titles, labels) as shared strings, kept once. Either
way a cell is text, never a formula, so ``=HYPERLINK(...)`` typed into a form stays text in the spreadsheet;
characters XML cannot hold are dropped, a carriage return is kept as ``&#13;``. Numbers are numbers; dates and
times are real cells (serial numbers with a date format); time zones are the caller's business (pass local
times). Every cell carries its reference (``r="B7"``): the schema makes it optional and Excel and LibreOffice
do without, but some libraries that read workbooks do not. A sheet holds at most Excel's 1,048,576 rows.

The zip is written by ``zipfile`` onto a sink that cannot seek, so each part carries a data descriptor after
its data, as any streaming zip does; deflate level 1 (level 6 took four to five times the CPU for a file a
quarter smaller). ``Deflater`` runs the deflating in a worker thread while the caller prepares the next rows.

Sheets are written one after the other: ``add_sheet`` closes the one before. Every method returns the bytes
ready to send so far::

    book = XlsxStream()
    yield book.add_sheet("People", ["Name", "Age"])
    yield book.append([["Åse", 41], ["=1+1", None]])
    yield book.close()

For speed, a caller writing many similar rows prepares the cells itself (``text``, ``shared``, ``integer``,
``number``, ``moment``, ``cell``; a cell is the XML after ``<c r="A1"``) and passes them to ``append_cells``:
a title met on 10,000 rows is then escaped once, and a row is one ``str.format``.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

MAX_TEXT = 32767  # Excel's limit for one cell
MAX_SHEET_NAME = 31
COMPRESS_LEVEL = 1
DEFAULT_WIDTH, MAX_WIDTH = 10.0, 80.0
# Characters XML 1.0 cannot hold (tab, LF and CR can); those that must be escaped in text, and CR, which a reader
# would turn into LF unless it is written as a character reference.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ENTITIES = {"\r": "&#13;"}
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
_EXCEL_EPOCH_ORDINAL = date(1899, 12, 30).toordinal()

# Cell styles (indexes into ``cellXfs`` of STYLES): plain, bold header, date and time, date.
HEADER, MOMENT, DAY = 1, 2, 3

_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
STYLES = (
    f'{_XML}<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)


# --- cells --------------------------------------------------------------------------------------------------

def clean_text(value: str) -> str:
    """Text as a cell can hold it: without the characters XML cannot carry, at most Excel's 32,767 characters."""
    return _ILLEGAL.sub("", value)[:MAX_TEXT]


def text(value: str, style: int = 0) -> str:
    """A text cell: an inline string, never a formula."""
    if _SPECIAL.search(value) or len(value) > MAX_TEXT:
        value = escape(clean_text(value), _ENTITIES)
    space = ' xml:space="preserve"' if value.strip() != value else ""
    styled = f' s="{style}"' if style else ""
    return f'{styled} t="inlineStr"><is><t{space}>{value}</t></is>'


def number(value: int | float) -> str:
    return f"><v>{value!r}</v>" if isinstance(value, float) else f"><v>{int(value)}</v>"


def integer(value: int) -> str:
    """A whole number (the quicker ``number``, for columns known to hold ints)."""
    return f"><v>{value:d}</v>"


def moment(value: datetime) -> str:
    """A date and time (to the minute as shown, to the second as stored), as given: pass local times."""
    return f' s="{MOMENT}"><v>{serial(value)!r}</v>'


def serial(value: datetime | date) -> float:
    """Excel's serial number of a date or time: days since 1899-12-30 (the 1900 date system), from the date and
    clock time as given (a time zone is ignored)."""
    days = value.toordinal() - _EXCEL_EPOCH_ORDINAL
    if isinstance(value, datetime):
        return days + (value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6) / 86400
    return float(days)


EMPTY = ">"


def cell(value: Any) -> str:
    """Any value as a cell: text as text, numbers as numbers, dates as dates, None as an empty cell."""
    if value is None:
        return EMPTY
    if isinstance(value, str):
        return text(value) if value else EMPTY
    if isinstance(value, bool):
        return f' t="b"><v>{int(value)}</v>'
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
        return number(value)
    if isinstance(value, datetime):
        return moment(value)
    if isinstance(value, date):
        return f' s="{DAY}"><v>{serial(value)!r}</v>'
    return text(str(value))


def column_letter(index: int) -> str:
    """A, B, …, Z, AA, … for 0, 1, …"""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def sheet_name(title: str, used: set[str]) -> str:
    """A sheet name Excel accepts and the workbook has not used yet (compared case-insensitively, as Excel does):
    at most 31 characters, none of ``[]:*?/\\``, not starting or ending with an apostrophe, not empty."""
    cleaned = _SHEET_NAME_FORBIDDEN.sub(" ", _ILLEGAL.sub("", title)).strip().strip("'").strip()
    cleaned = cleaned[:MAX_SHEET_NAME].rstrip("'").strip() or "Sheet"
    name, number_ = cleaned, 2
    while name.lower() in used:
        suffix = f" ({number_})"
        name, number_ = cleaned[: MAX_SHEET_NAME - len(suffix)].rstrip("'") + suffix, number_ + 1
    used.add(name.lower())
    return name


# --- the stream ---------------------------------------------------------------------------------------------

class _Sink:
    """What the zip writes to: collected until taken. No ``seek`` or ``tell``, so ``zipfile`` streams."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


class XlsxStream:
    def __init__(self) -> None:
        self._sink = _Sink()
        self._zip = zipfile.ZipFile(self._sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL)
        self._sheets: list[str] = []
        self._used: set[str] = set()
        self._part: Any = None
        self._row = 0
        self._width = 0
        self._template = ""
        self._shared: dict[str, int] = {}
        self._shared_cells: dict[str, str] = {}

    def shared(self, value: str) -> str:
        """A text cell kept once in the workbook's shared strings, for text met on many rows (a title, a label):
        the row holds its number only. What people typed goes in ``text`` cells (the shared strings stay in
        memory until the workbook is closed)."""
        found = self._shared_cells.get(value)
        if found is None:
            if not value:
                return EMPTY
            index = self._shared.setdefault(clean_text(value), len(self._shared))
            found = self._shared_cells[value] = f' t="s"><v>{index}</v>'
        return found

    def add_sheet(self, title: str, header: Sequence[str] = (), widths: Sequence[float] = ()) -> bytes:
        """Start a sheet (ending the one before): its name made unique and acceptable to Excel, its header in
        bold and frozen, its columns as wide as ``widths`` (in characters; by default as the header needs)."""
        self._start_sheet(title, header, widths)
        return self._sink.take()

    def _start_sheet(self, title: str, header: Sequence[str], widths: Sequence[float]) -> None:
        self._end_sheet()
        self._sheets.append(sheet_name(title, self._used))
        self._part = self._zip.open(f"xl/worksheets/sheet{len(self._sheets)}.xml", "w")
        widths = list(widths) or [min(MAX_WIDTH, max(DEFAULT_WIDTH, len(str(name)) + 2)) for name in header]
        head = [f'{_XML}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">']
        if header:
            head.append('<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                        'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>')
        if widths:
            head.append("<cols>" + "".join(
                f'<col min="{index}" max="{index}" width="{width:g}" customWidth="1"/>'
                for index, width in enumerate(widths, start=1)
            ) + "</cols>")
        head.append("<sheetData>")
        self._part.write("".join(head).encode())
        self._row = 0
        self._set_width(len(header))
        if header:
            self._part.write(self.sheet_rows([[text(str(name), HEADER) if name else EMPTY for name in header]]))

    def _set_width(self, width: int) -> None:
        """A row template for rows of ``width`` cells: one ``str.format`` a row, the references built in."""
        self._width = width
        self._template = '<row r="{0}">' + "".join(
            f'<c r="{column_letter(index)}{{0}}"{{{index + 1}}}</c>' for index in range(width)
        ) + "</row>"

    def append(self, rows: Iterable[Sequence[Any]]) -> bytes:
        """Rows of plain values (see ``cell``)."""
        return self.append_cells([[cell(value) for value in row] for row in rows])

    def append_cells(self, rows: Iterable[Sequence[str]]) -> bytes:
        """Rows of prepared cells (``text``, ``shared``, ``number``, ``integer``, ``moment``, ``cell``, ``EMPTY``)."""
        return self.deflate(self.sheet_rows(rows))

    def sheet_rows(self, rows: Iterable[Sequence[str]]) -> bytes:
        """The first half of ``append_cells``: the rows' XML, numbered after the rows before, for ``deflate``."""
        if self._part is None:
            raise RuntimeError("add_sheet first")
        out = []
        number_ = self._row
        for row in rows:
            number_ += 1
            if len(row) != self._width:
                self._set_width(len(row))
            out.append(self._template.format(number_, *row))
        self._row = number_
        return "".join(out).encode()

    def deflate(self, xml: bytes) -> bytes:
        """The second half: rows' XML into the sheet (deflated, which lets go of the interpreter lock, so it may
        run in a worker thread: see ``Deflater``); the bytes ready to send."""
        self._part.write(xml)
        return self._sink.take()

    def _end_sheet(self) -> None:
        if self._part is not None:
            self._part.write(b"</sheetData></worksheet>")
            self._part.close()
            self._part = None

    def close(self) -> bytes:
        """End the last sheet, write the workbook's other parts and the zip's directory: the last bytes."""
        if not self._sheets:
            self._start_sheet("Sheet", (), ())
        self._end_sheet()
        count = len(self._sheets)
        strings = "".join(
            f'<si><t xml:space="preserve">{escape(value, _ENTITIES)}</t></si>' if value.strip() != value
            else f"<si><t>{escape(value, _ENTITIES)}</t></si>" for value in self._shared
        )
        sheets = "".join(f'<sheet name={quoteattr(name)} sheetId="{index}" r:id="rId{index}"/>'
                         for index, name in enumerate(self._sheets, start=1))
        parts = {
            "xl/workbook.xml": f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><bookViews><workbookView/>'
                               f"</bookViews><sheets>{sheets}</sheets></workbook>",
            "xl/_rels/workbook.xml.rels": f'{_XML}<Relationships xmlns="{_PKG_REL}">' + "".join(
                f'<Relationship Id="rId{index}" Type="{_REL}/worksheet" Target="worksheets/sheet{index}.xml"/>'
                for index in range(1, count + 1)
            ) + f'<Relationship Id="rId{count + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
              f'<Relationship Id="rId{count + 2}" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
              "</Relationships>",
            "xl/styles.xml": STYLES,
            "xl/sharedStrings.xml": f'{_XML}<sst xmlns="{_MAIN}" uniqueCount="{len(self._shared)}">{strings}</sst>',

            "_rels/.rels": f'{_XML}<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" '
                           f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
            "[Content_Types].xml": (
                f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/>'
                f'<Override PartName="/xl/styles.xml" ContentType="{_TYPE}.styles+xml"/>'
                f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_TYPE}.sharedStrings+xml"/>' + "".join(
                    f'<Override PartName="/xl/worksheets/sheet{index}.xml" ContentType="{_TYPE}.worksheet+xml"/>'
                    for index in range(1, count + 1)
                ) + "</Types>"
            ),
        }
        for name, content in parts.items():
            with self._zip.open(name, "w") as part:
                part.write(content.encode())
        self._zip.close()
        return self._sink.take()

    def discard(self) -> None:
        """Let an unfinished workbook go (the client left, or a read failed): the open part and the zip are
        closed into the sink, which is dropped, so nothing complains when they are collected."""
        with contextlib.suppress(Exception):
            if self._part is not None:
                self._part.close()
                self._part = None
            self._zip.close()
        self._sink.parts.clear()


class Deflater:
    """Deflates a batch of rows in a worker thread while the caller prepares the next one: on two cores an
    export's formatting (Python) and its compression (zlib, outside the interpreter lock) overlap. One batch
    is in flight at a time, in order; ``drain`` before ``add_sheet`` and ``close``."""

    def __init__(self, book: XlsxStream) -> None:
        self.book = book
        self._pending: asyncio.Future[bytes] | None = None

    async def push(self, xml: bytes) -> bytes:
        """Start deflating ``xml`` (from ``sheet_rows``); the bytes the batch before left."""
        ready = await self.drain()
        self._pending = asyncio.ensure_future(asyncio.to_thread(self.book.deflate, xml))
        return ready

    async def drain(self) -> bytes:
        """Wait for the batch in flight; its bytes."""
        pending, self._pending = self._pending, None
        return await pending if pending is not None else b""

    async def discard(self) -> None:
        """Let the workbook go unfinished (``XlsxStream.discard``), once the batch in flight is written."""
        with contextlib.suppress(Exception):
            await self.drain()
        self.book.discard()

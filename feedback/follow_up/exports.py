"""Exports of exactly the filtered view of the input browser: CSV (two dialects), XLSX (a summary sheet and one
sheet per theme), JSON, and the print report per theme.

One row source (``queries.batches``, the same filter and visibility rule as the page) and one writer per format,
streamed batch by batch so memory stays flat whatever the number of items. An item tagged with several themes
is listed under each; the CSV has one row per item and theme (an untagged item has one row without a theme).
The formula-injection guard, the CSV dialects and the byte-order mark come from ``samrad.core.exports``; XLSX
cells are always written as text, never as formulas.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import tempfile
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import date
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from litestar.response import Stream

from feedback.follow_up import queries
from feedback.follow_up.filters import InputFilter
from feedback.follow_up.labels import (
    KIND_LABELS,
    SOURCE_LABELS,
    SPEAKER_LABELS,
    input_status_label,
    kind_label,
    source_label,
    speaker_label,
)
from feedback.follow_up.queries import ThemeTree
from feedback.follow_up.suppression import fewer_than_label, suppress
from samrad.core.clock import now_utc
from samrad.core.exports import BOM, CSV_DELIMITERS, MEDIA_TYPES, guard_formula, xlsx_chunks
from samrad.core.i18n import _, pick

FORMATS = ("csv", "xlsx", "json")
DIALECTS = tuple(CSV_DELIMITERS)
MEDIA_TYPES_HERE = {**MEDIA_TYPES, "json": "application/json"}


def header() -> list[str]:
    return [
        _("Item"), _("Date and time"), _("Event"), _("Workshop"), _("Table"), _("Kind"), _("Source"), _("Status"),
        _("Speaker"), _("Language"), _("Text"), _("Votes"), _("Theme code"), _("Theme"),
    ]


class Cells:
    """What every row of one export shares, worked out once (an export has 100,000 rows): translated labels, the
    themes the filter allows, titles, time zones. ``guard`` is applied to text people typed (the CSV's formula
    guard; other formats keep text as text)."""

    def __init__(self, flt: InputFilter, tree: ThemeTree, guard: Callable[[Any], Any] = lambda value: value) -> None:
        self.tree = tree
        self.guard = guard
        wanted = queries.filter_theme_ids(flt, tree)
        self.wanted = None if wanted is None else set(wanted)
        self.kinds = {key: kind_label(key) for key in KIND_LABELS}
        self.sources = {key: source_label(key) for key in SOURCE_LABELS}
        self.statuses = {key: input_status_label(key) for key in ("published", "held", "hidden", "merged")}
        self.speakers = {key: speaker_label(key) for key in SPEAKER_LABELS}
        self.theme_cells = {theme_id: [guard(theme.code), guard(pick(theme.name))]
                            for theme_id, theme in tree.themes.items()}
        self._zones: dict[str, ZoneInfo] = {}
        self._titles: dict[tuple[str, int], str] = {}

    def themes_of(self, row: dict[str, Any]) -> list[int]:
        """The themes an item is listed under: all its themes, or those inside the filter's themes."""
        ids = [t for t in row["theme_ids"] if t in self.theme_cells and (self.wanted is None or t in self.wanted)]
        return sorted(ids, key=self.tree.position) if len(ids) > 1 else ids

    def local_time(self, row: dict[str, Any]) -> str:
        zone = self._zones.get(row["event_timezone"])
        if zone is None:
            zone = self._zones[row["event_timezone"]] = ZoneInfo(row["event_timezone"])
        at = row["created_at"].astimezone(zone)
        return f"{at.year:04d}-{at.month:02d}-{at.day:02d} {at.hour:02d}:{at.minute:02d}"

    def _title(self, kind: str, key: int | None, value: Any) -> str:
        if key is None:
            return ""
        title = self._titles.get((kind, key))
        if title is None:
            title = self._titles[kind, key] = self.guard(pick(value) if isinstance(value, dict) else value)
        return title

    def item(self, row: dict[str, Any]) -> list[Any]:
        """An item's cells before its theme, in the order of ``header``."""
        return [
            row["id"], self.local_time(row), self._title("event", row["event"], row["event_title"]),
            self._title("workshop", row["workshop"], row["workshop_title"]),
            self._title("table", row["workshop_table"], row["table_label"]), self.kinds.get(row["kind"], row["kind"]),
            self.sources.get(row["source"], row["source"]), self.statuses.get(row["status"], row["status"]),
            self.speakers.get(row["speaker_category"], row["speaker_category"]), row["language"],
            self.guard(row["text"]), row["votes"],
        ]

    def rows(self, row: dict[str, Any]) -> list[list[Any]]:
        """One row per theme the item is listed under (one row without a theme when it has none)."""
        cells = self.item(row)
        themes = self.themes_of(row)
        if not themes:
            return [[*cells, "", ""]]
        return [[*cells, *self.theme_cells[theme_id]] for theme_id in themes]


# --- file names -------------------------------------------------------------------------------------------

def _slug(text: str) -> str:
    kept = "".join(ch.lower() if ch.isalnum() else "-" for ch in text)
    return "-".join(part for part in kept.split("-") if part)[:40]


def file_stem(flt: InputFilter, tree: ThemeTree, today: date | None = None) -> str:
    """What the file holds: "input_<policy>_<theme>_<event>_<dates>_<today>" (the parts that apply)."""
    parts = [_slug(_("input")) or "input"]
    policy_id = flt.policy if flt.policy is not None else (
        tree.themes[flt.theme].policy if flt.theme is not None and flt.theme in tree.themes else None
    )
    if policy_id is not None and policy_id in tree.policies:
        parts.append(_slug(tree.policies[policy_id]["code"]))
    if flt.theme is not None and flt.theme in tree.themes:
        parts.append(_slug(tree.themes[flt.theme].code) + ("" if flt.subthemes else "-only"))
    if flt.event is not None:
        parts.append(f"event{flt.event}")
    if flt.date_from or flt.date_to:
        parts.append(f"{flt.date_from or ''}--{flt.date_to or ''}")
    parts.append((today or now_utc().date()).isoformat())
    return "_".join(part for part in parts if part)


def attachment(body: AsyncIterator[bytes], name: str, media_type: str) -> Stream:
    ascii_name = name.encode("ascii", "replace").decode("ascii").replace("?", "_").replace('"', "_")
    return Stream(
        body,
        media_type=media_type,
        headers={
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}",
            "Cache-Control": "no-store",
        },
    )


# --- CSV --------------------------------------------------------------------------------------------------

async def csv_body(flt: InputFilter, tree: ThemeTree, dialect: str) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_DELIMITERS[dialect], lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(header())
    cells = Cells(flt, tree, guard_formula)
    async for batch in queries.batches(flt, tree):
        for row in batch:
            writer.writerows(cells.rows(row))
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


# --- JSON -------------------------------------------------------------------------------------------------

def item_json(row: dict[str, Any], cells: Cells) -> dict[str, Any]:
    return {
        "id": row["id"],
        "created_at": row["created_at"].isoformat(),
        "event": {"id": row["event"], "title": pick(row["event_title"])},
        "workshop": {"id": row["workshop"], "title": pick(row["workshop_title"])} if row["workshop"] else None,
        "table": row["table_label"] or None,
        "kind": row["kind"],
        "source": row["source"],
        "status": row["status"],
        "speaker_category": row["speaker_category"] or None,
        "language": row["language"],
        "text": row["text"],
        "votes": row["votes"],
        "themes": [{"id": theme_id, "code": cells.theme_cells[theme_id][0], "name": cells.theme_cells[theme_id][1]}
                   for theme_id in cells.themes_of(row)],
    }


async def json_body(flt: InputFilter, tree: ThemeTree) -> AsyncIterator[bytes]:
    """``{"filter", "count", "themes", "items"}``, written as the items are read."""
    summary = await summary_data(flt, tree)
    head = {"filter": flt.query(), "count": summary["count"], "themes": summary["themes"],
            "speakers": summary["speakers"]}
    yield (json.dumps(head, ensure_ascii=False)[:-1] + ', "items": [').encode("utf-8")
    first = True
    cells = Cells(flt, tree)
    async for batch in queries.batches(flt, tree):
        parts = [json.dumps(item_json(row, cells), ensure_ascii=False) for row in batch]
        yield (("" if first else ",") + ",".join(parts)).encode("utf-8")
        first = False
    yield b"]}"


# --- summary (XLSX's first sheet, the JSON head, the print report) ----------------------------------------

async def summary_data(flt: InputFilter, tree: ThemeTree) -> dict[str, Any]:
    counts = await queries.theme_counts(flt, tree)
    speakers = suppress(
        await queries.grouped_counts(flt, tree, "speaker_category"),
        {key: speaker_label(key) for key in ("", "citizen", "staff", "leader", "council_member",
                                               "elected_official", "partner")},
    )
    return {
        "count": await queries.count(flt, tree),
        "untagged": await queries.untagged_count(flt, tree),
        "themes": [
            {"id": theme_id, "code": tree.themes[theme_id].code, "name": pick(tree.themes[theme_id].name),
             "count": counts[theme_id]}
            for theme_id in tree.order if counts.get(theme_id)
        ],
        "kinds": await queries.grouped_counts(flt, tree, "kind"),
        "speakers": [{"category": group.key, "label": group.label, "count": group.count} for group in speakers],
    }


# --- XLSX -------------------------------------------------------------------------------------------------

def _sheet_name(title: str, used: set[str]) -> str:
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip()[:31] or "Sheet"
    name, number = cleaned, 2
    while name.lower() in used:
        suffix = f" ({number})"
        name, number = cleaned[: 31 - len(suffix)] + suffix, number + 1
    used.add(name.lower())
    return name


def _text_row(sheet: Any, cells: Sequence[Any]) -> Sequence[Any]:
    """A row for a write-only sheet: text that a spreadsheet would read as a formula is written as a text cell,
    characters XML cannot hold are dropped; everything else goes as it is. Nearly every row needs neither, and
    is passed on untouched (openpyxl's own per-cell work is most of an export's time)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if not any(isinstance(value, str) and value and (value[0] == "=" or ILLEGAL_CHARACTERS_RE.search(value))
               for value in cells):
        return cells
    from openpyxl.cell import WriteOnlyCell

    out = list(cells)
    for index, value in enumerate(out):
        if not isinstance(value, str) or not value:
            continue
        if ILLEGAL_CHARACTERS_RE.search(value):
            value = out[index] = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith("="):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # text stays text: "=..." is never a formula
            out[index] = cell
    return out


async def xlsx_file(flt: InputFilter, tree: ThemeTree) -> str:
    """The workbook in a temporary file (the caller streams and removes it): a summary sheet, then one sheet per
    theme of the view in tree order, then the items without a theme."""
    from openpyxl import Workbook

    summary = await summary_data(flt, tree)
    workbook = Workbook(write_only=True)
    used: set[str] = set()
    sheet = workbook.create_sheet(_sheet_name(_("Summary"), used))
    sheet.append(_text_row(sheet, [_("Items"), summary["count"]]))
    for key, values in flt.query().items():
        sheet.append(_text_row(sheet, [key, ", ".join(values) if isinstance(values, list) else values]))
    sheet.append([])
    sheet.append(_text_row(sheet, [_("Theme code"), _("Theme"), _("Items")]))
    for theme in summary["themes"]:
        sheet.append(_text_row(sheet, [theme["code"], theme["name"], theme["count"]]))
    if summary["untagged"]:
        sheet.append(_text_row(sheet, ["", _("Without a theme"), summary["untagged"]]))
    sheet.append([])
    sheet.append(_text_row(sheet, [_("Kind"), _("Items")]))
    for kind, number in sorted(summary["kinds"].items()):
        sheet.append(_text_row(sheet, [kind_label(kind), number]))
    sheet.append([])
    sheet.append(_text_row(sheet, [_("Speaker"), _("Items")]))
    for group in summary["speakers"]:
        shown = group["count"] if group["count"] is not None else fewer_than_label()
        sheet.append(_text_row(sheet, [group["label"], shown]))

    names = queries.Names()
    cells = Cells(flt, tree)
    columns = header()[:-2]
    sections: list[tuple[str, dict[str, Any]]] = [
        (f"{theme['code']} {theme['name']}", {"only_theme": theme["id"]}) for theme in summary["themes"]
    ]
    if summary["untagged"]:
        sections.append((_("Without a theme"), {"untagged": True}))
    for title, narrowing in sections:
        sheet = workbook.create_sheet(_sheet_name(title, used))
        sheet.append(_text_row(sheet, columns))
        async for batch in queries.batches(flt, tree, names=names, **narrowing):
            # Writing cells is CPU work: in a thread, so the server goes on answering other requests meanwhile.
            await asyncio.to_thread(_append, sheet, [cells.item(row) for row in batch])
    handle, path = tempfile.mkstemp(prefix="samrad-input-", suffix=".xlsx")
    os.close(handle)
    try:
        await asyncio.to_thread(workbook.save, path)
    except BaseException:
        os.unlink(path)
        raise
    return path


def _append(sheet: Any, rows: list[list[Any]]) -> None:
    append = sheet.append
    for row in rows:
        append(_text_row(sheet, row))


# --- one entry point --------------------------------------------------------------------------------------

async def download(flt: InputFilter, tree: ThemeTree, export_format: str, dialect: str = "semicolon") -> Stream:
    """The filtered view as a streamed file in ``export_format`` (csv, xlsx or json)."""
    stem = file_stem(flt, tree)
    if export_format == "csv":
        return attachment(csv_body(flt, tree, dialect), f"{stem}.csv", MEDIA_TYPES_HERE["csv"])
    if export_format == "xlsx":
        path = await xlsx_file(flt, tree)
        return attachment(xlsx_chunks(path), f"{stem}.xlsx", MEDIA_TYPES_HERE["xlsx"])
    if export_format == "json":
        return attachment(json_body(flt, tree), f"{stem}.json", MEDIA_TYPES_HERE["json"])
    raise ValueError(export_format)

"""Exports of exactly the filtered view of the input browser: CSV (two dialects), XLSX (a summary sheet and one
sheet per theme), JSON, and the print report per theme.

One row source and one writer per format, streamed batch by batch so memory stays flat whatever the number of
items: ``queries.export_batches`` (the same filter and visibility rule as the page) reads plain rows through
``samrad.core.bulk_reads``, the next batch while this one is written; ``View`` holds what every row of an export
shares; each writer encodes every distinct title, label and set of themes once (``Memo``, ``Columns``) and per
row formats only what differs (id, time, text, votes) into one string template. The workbook's sheets (one per
theme) are read a few ahead, and deflated in a worker thread while the next rows are formatted. 100,000 items
take one to two seconds of server CPU, the workbook the most (``samrad.bench_exports``).

An item tagged with several themes is listed under each: the CSV has one row per item and theme (an untagged
item has one row without a theme), the workbook lists it on each theme's sheet. The formula-injection guard,
the CSV dialects and the byte-order mark come from ``samrad.core.exports``; the workbook is written by
``samrad.core.xlsx``, whose cells are always text, never formulas (so the guard's apostrophe is not needed
there), with dates and times as real date cells.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable, Hashable, Sequence
from datetime import date, datetime
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from litestar.response import Stream

from feedback.follow_up import queries
from feedback.follow_up.filters import InputFilter
from feedback.follow_up.labels import input_status_label, kind_label, source_label, speaker_label
from feedback.follow_up.queries import ThemeTree
from feedback.follow_up.suppression import fewer_than_label, suppress
from samrad.core import bulk_reads, xlsx
from samrad.core.clock import now_utc
from samrad.core.exports import BOM, CSV_DELIMITERS, MEDIA_TYPES, guard_formula
from samrad.core.i18n import _, pick

FORMATS = ("csv", "xlsx", "json")
DIALECTS = tuple(CSV_DELIMITERS)
MEDIA_TYPES_HERE = {**MEDIA_TYPES, "json": "application/json"}
DEFAULT_ZONE = "Europe/Copenhagen"
# Columns of an item sheet in the workbook (``header()`` without the theme), in characters.
SHEET_WIDTHS = (8, 16, 28, 24, 10, 12, 16, 12, 14, 9, 80, 7)
SUMMARY_WIDTHS = (24, 40, 10)


def header() -> list[str]:
    return [
        _("Item"), _("Date and time"), _("Event"), _("Workshop"), _("Table"), _("Kind"), _("Source"), _("Status"),
        _("Speaker"), _("Language"), _("Text"), _("Votes"), _("Theme code"), _("Theme"),
    ]


class Memo(dict):
    """A value per key, made by ``make(key)`` the first time it is asked for: ``memo[key]`` is then one dict
    lookup, the way a writer encodes a title met on thousands of rows once."""

    def __init__(self, make: Callable[[Any], Any]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, key: Hashable) -> Any:
        value = self[key] = self.make(key)
        return value


class View:
    """What every row of one export shares, worked out once: translated labels, the themes the filter lets an
    item be listed under, the names of the events, workshops and tables (loaded as batches meet them), time
    zones. Rows are ``queries.export_batches``'s: id, created_at, event, workshop, table, kind, source, status,
    speaker, language, text, votes, theme ids as text."""

    def __init__(self, flt: InputFilter, tree: ThemeTree) -> None:
        self.flt, self.tree = flt, tree
        wanted = queries.filter_theme_ids(flt, tree)
        self.wanted = None if wanted is None else set(wanted)
        self.names = queries.Names()
        self.kinds = Memo(kind_label)
        self.sources = Memo(source_label)
        self.statuses = Memo(input_status_label)
        self.speakers = Memo(speaker_label)
        self.themes = Memo(self._themes)
        self.event_titles = Memo(lambda event: pick(self.names.events.get(event, {}).get("title") or {}))
        self.workshop_titles = Memo(lambda workshop: pick(self.names.workshops.get(workshop)) if workshop else "")
        self.table_labels = Memo(lambda table: self.names.tables.get(table, "") if table else "")
        self.zones = Memo(lambda event: ZoneInfo(self.names.events.get(event, {}).get("timezone") or DEFAULT_ZONE))

    def _themes(self, ids: str | None) -> tuple[int, ...]:
        """The themes an item is listed under, in tree order: all its themes, or those inside the filter's."""
        if not ids:
            return ()
        found = [theme for theme in dict.fromkeys(int(part) for part in ids.split(","))
                 if theme in self.tree.themes and (self.wanted is None or theme in self.wanted)]
        return tuple(sorted(found, key=self.tree.position))

    def local(self, at: datetime | str, event: int) -> datetime:
        """When an item was given, in its event's time zone."""
        return queries.aware(at).astimezone(self.zones[event])

    def batches(self, read: bulk_reads.Read, sections: Sequence[queries.Section] = (queries.Section(),),
                **options: Any) -> AsyncIterator[tuple[int, Sequence[Sequence[Any]]]]:
        """(section's index, batch of rows), section after section (``queries.export_batches``)."""
        return queries.export_batches(read, self.flt, self.tree, self.names, sections, **options)


class Columns:
    """A view's repeated values as one format's cells, each encoded once: event and workshop titles and table
    labels with ``named`` (what people named: the CSV guards it), labels and language codes with ``label``."""

    def __init__(self, view: View, named: Callable[[str], str], label: Callable[[str], str]) -> None:
        self.events = Memo(lambda key: named(view.event_titles[key]))
        self.workshops = Memo(lambda key: named(view.workshop_titles[key]))
        self.tables = Memo(lambda key: named(view.table_labels[key]))
        self.kinds = Memo(lambda key: label(view.kinds[key]))
        self.sources = Memo(lambda key: label(view.sources[key]))
        self.statuses = Memo(lambda key: label(view.statuses[key]))
        self.speakers = Memo(lambda key: label(view.speakers[key]))
        self.languages = Memo(lambda key: label(key or ""))


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

def csv_quoting(delimiter: str) -> Callable[[str], str]:
    """A cell as the csv module's minimal quoting writes it: in double quotes (doubled inside) when it holds the
    delimiter, a quote or a line break."""
    special = re.compile(f'[{re.escape(delimiter)}"\r\n]')

    def quoted(value: str) -> str:
        return '"' + value.replace('"', '""') + '"' if special.search(value) else value

    return quoted


async def csv_body(flt: InputFilter, tree: ThemeTree, dialect: str) -> AsyncIterator[bytes]:
    """The BOM and the header, then a row per item and theme it is listed under."""
    delimiter = CSV_DELIMITERS[dialect]
    quoted = csv_quoting(delimiter)
    special = f'{re.escape(delimiter)}"\r\n'
    plain = re.compile(f"(?:[^=+\\-@\t{special}][^{special}]*)?")  # nothing to guard, nothing to quote

    def typed(value: str) -> str:  # what people typed or named: guarded against formulas, quoted if need be
        return value if plain.fullmatch(value) else quoted(guard_formula(value))

    yield (BOM + delimiter.join(quoted(name) for name in header()) + "\r\n").encode("utf-8")
    view = View(flt, tree)
    c = Columns(view, typed, quoted)
    ends = Memo(lambda ids: [
        f"{delimiter}{typed(tree.themes[theme].code)}{delimiter}{typed(pick(tree.themes[theme].name))}\r\n"
        for theme in view.themes[ids]
    ] or [f"{delimiter}{delimiter}\r\n"])
    template = delimiter.join(["{}"] * 12)
    async with bulk_reads.reader() as read:
        async for _section, rows in view.batches(read):
            lines = []
            for item, at, event, workshop, table, kind, source, status, speaker, language, text, votes, ids in rows:
                start = template.format(
                    item, view.local(at, event).isoformat(" ", "minutes")[:16], c.events[event],
                    c.workshops[workshop], c.tables[table], c.kinds[kind], c.sources[source], c.statuses[status],
                    c.speakers[speaker], c.languages[language], typed(text), votes,
                )
                lines += [start + end for end in ends[ids]]
            yield "".join(lines).encode("utf-8")


# --- JSON -------------------------------------------------------------------------------------------------

ITEM_JSON = (
    '{{"id": {}, "created_at": "{}", "event": {}, "workshop": {}, "table": {}, "kind": {}, "source": {}, '
    '"status": {}, "speaker_category": {}, "language": {}, "text": {}, "votes": {}, "themes": {}}}'
)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


async def json_body(flt: InputFilter, tree: ThemeTree) -> AsyncIterator[bytes]:
    """``{"filter", "count", "themes", "speakers", "items"}``, written as the items are read; an item is
    ``InputOut`` of ``feedback.follow_up.api``."""
    summary = await summary_data(flt, tree)
    head = {"filter": flt.query(), "count": summary["count"], "themes": summary["themes"],
            "speakers": summary["speakers"]}
    yield (_json(head)[:-1] + ', "items": [').encode("utf-8")
    view = View(flt, tree)
    events = Memo(lambda key: _json({"id": key, "title": view.event_titles[key]}))
    workshops = Memo(lambda key: _json({"id": key, "title": view.workshop_titles[key]}) if key else "null")
    tables = Memo(lambda key: _json(view.table_labels[key] or None))
    strings, speakers = Memo(_json), Memo(lambda key: _json(key or None))
    themes = Memo(lambda ids: _json([
        {"id": theme, "code": tree.themes[theme].code, "name": pick(tree.themes[theme].name)}
        for theme in view.themes[ids]
    ]))
    first = True
    async with bulk_reads.reader() as read:
        async for _section, rows in view.batches(read):
            parts = [
                ITEM_JSON.format(
                    item, queries.aware(at).isoformat(), events[event], workshops[workshop], tables[table],
                    strings[kind], strings[source], strings[status], speakers[speaker], strings[language],
                    encode_basestring(text), votes, themes[ids],
                )
                for item, at, event, workshop, table, kind, source, status, speaker, language, text, votes, ids in rows
            ]
            yield (("" if first else ",") + ",".join(parts)).encode("utf-8")
            first = False
    yield b"]}"


# --- summary (XLSX's first sheet, the JSON head, the print report) ----------------------------------------

async def summary_data(flt: InputFilter, tree: ThemeTree) -> dict[str, Any]:
    """The view's counts: items, per theme, without a theme, per kind and per speaker category (small groups
    suppressed). Five counts over the view, asked at once (each on a connection of its own)."""
    total, counts, untagged, kinds, speakers = await asyncio.gather(
        queries.count(flt, tree), queries.theme_counts(flt, tree), queries.untagged_count(flt, tree),
        queries.grouped_counts(flt, tree, "kind"), queries.grouped_counts(flt, tree, "speaker_category"),
    )
    groups = suppress(speakers, {key: speaker_label(key) for key in ("", "citizen", "staff", "leader",
                                                                      "council_member", "elected_official",
                                                                      "partner")})
    return {
        "count": total,
        "untagged": untagged,
        "themes": [
            {"id": theme_id, "code": tree.themes[theme_id].code, "name": pick(tree.themes[theme_id].name),
             "count": counts[theme_id]}
            for theme_id in tree.order if counts.get(theme_id)
        ],
        "kinds": kinds,
        "speakers": [{"category": group.key, "label": group.label, "count": group.count} for group in groups],
    }


# --- XLSX -------------------------------------------------------------------------------------------------

def summary_cells(flt: InputFilter, summary: dict[str, Any]) -> list[list[str]]:
    """The workbook's first sheet: the number of items, the filter, then items per theme, kind and speaker
    (small groups suppressed), each table under a bold heading."""
    def heading(*labels: str) -> list[str]:
        return [xlsx.text(label, xlsx.HEADER) for label in labels]

    def row(*values: Any) -> list[str]:
        return [xlsx.cell(value) for value in values]

    rows = [row(_("Items"), summary["count"])]
    rows += [row(key, ", ".join(values) if isinstance(values, list) else values) for key, values in flt.query().items()]
    rows += [[], heading(_("Theme code"), _("Theme"), _("Items"))]
    rows += [row(theme["code"], theme["name"], theme["count"]) for theme in summary["themes"]]
    if summary["untagged"]:
        rows.append(row("", _("Without a theme"), summary["untagged"]))
    rows += [[], heading(_("Kind"), _("Items"))]
    rows += [row(kind_label(kind), number) for kind, number in sorted(summary["kinds"].items())]
    rows += [[], heading(_("Speaker"), _("Items"))]
    rows += [row(group["label"], group["count"] if group["count"] is not None else fewer_than_label())
             for group in summary["speakers"]]
    return rows


async def xlsx_body(flt: InputFilter, tree: ThemeTree) -> AsyncIterator[bytes]:
    """The workbook: a summary sheet, then one sheet per theme of the view in tree order, then the items without
    a theme."""
    book = xlsx.XlsxStream()
    deflater = xlsx.Deflater(book)
    try:
        async for chunk in _workbook(flt, tree, book, deflater):
            yield chunk
    except BaseException:  # the client left or a read failed: the half-written workbook goes quietly
        await deflater.discard()
        raise


async def _workbook(
    flt: InputFilter, tree: ThemeTree, book: xlsx.XlsxStream, deflater: xlsx.Deflater
) -> AsyncIterator[bytes]:
    summary = await summary_data(flt, tree)
    yield book.add_sheet(_("Summary"), widths=SUMMARY_WIDTHS) + book.append_cells(summary_cells(flt, summary))
    view = View(flt, tree)
    c = Columns(view, book.shared, book.shared)
    integer, moment, text = xlsx.integer, xlsx.moment, xlsx.text
    columns = header()[:-2]
    sheets = [(f"{theme['code']} {theme['name']}", queries.Section(theme=theme["id"])) for theme in summary["themes"]]
    if summary["untagged"]:
        sheets.append((_("Without a theme"), queries.Section(untagged=True)))
    started = 0

    async def sheets_up_to(index: int) -> bytes:  # a section without a batch (emptied meanwhile) still has its sheet
        nonlocal started
        ready = await deflater.drain()
        while started <= index:
            ready += book.add_sheet(sheets[started][0], columns, SHEET_WIDTHS)
            started += 1
        return ready

    async with bulk_reads.reader() as read:
        async for section, rows in view.batches(read, [section for _title, section in sheets], with_themes=False):
            if section >= started:
                yield await sheets_up_to(section)
            # This batch is deflated in a thread while the next one is formatted.
            yield await deflater.push(book.sheet_rows([
                [integer(item), moment(view.local(at, event)), c.events[event], c.workshops[workshop],
                 c.tables[table], c.kinds[kind], c.sources[source], c.statuses[status], c.speakers[speaker],
                 c.languages[language], text(text_), integer(votes)]
                for item, at, event, workshop, table, kind, source, status, speaker, language, text_, votes, _ids
                in rows
            ]))
    yield await sheets_up_to(len(sheets) - 1) + book.close()


# --- one entry point --------------------------------------------------------------------------------------

async def download(flt: InputFilter, tree: ThemeTree, export_format: str, dialect: str = "semicolon") -> Stream:
    """The filtered view as a streamed file in ``export_format`` (csv, xlsx or json)."""
    stem = file_stem(flt, tree)
    if export_format == "csv":
        return attachment(csv_body(flt, tree, dialect), f"{stem}.csv", MEDIA_TYPES_HERE["csv"])
    if export_format == "xlsx":
        return attachment(xlsx_body(flt, tree), f"{stem}.xlsx", MEDIA_TYPES_HERE["xlsx"])
    if export_format == "json":
        return attachment(json_body(flt, tree), f"{stem}.json", MEDIA_TYPES_HERE["json"])
    raise ValueError(export_format)

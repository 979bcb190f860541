"""Reads of the input browser, its exports and reports: input through an ``InputFilter``, a page at a time
(keyset: newest first, ``id < cursor``) or in batches, with the themes of each item: as dicts with names for
the pages and the print report (``page``, ``batches``), as plain rows for the exports (``export_batches``,
through ``samrad.core.bulk_reads``: 100,000 items without the ORM's per-value work).

One SQL condition is built per filter (``_condition``); its status part always comes from
``feedback.follow_up.visibility``. The theme filter is an ``EXISTS`` on ``input_tag`` with the theme's
sub-themes resolved in Python (a policy's tree is small), so it uses the index ``input_tag (theme,
input_item)``; pages and batches walk ``input_item (status, id)`` or ``(event, status, id)``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from events.tables import Event
from feedback.follow_up.filters import InputFilter
from feedback.follow_up.visibility import visible_statuses
from feedback.tables import InputItem, InputTag, Policy, Theme
from samrad.core import bulk_reads, db
from samrad.core.i18n import pick
from workshops.tables import Workshop, WorkshopTable

PAGE_SIZE = 50
EXPORT_BATCH = 2000
SECTIONS_AHEAD = 3  # sections of an export read side by side (``export_batches``)


# --- themes -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ThemeInfo:
    id: int
    policy: int
    parent: int | None
    level: int
    code: str
    name: dict[str, str]
    colour: str
    position: int
    archived: bool

    def label(self) -> str:
        return f"{self.code} {pick(self.name)}".strip()


@dataclass
class ThemeTree:
    """Every theme, by id, in tree order (policy, then depth-first by position)."""

    themes: dict[int, ThemeInfo] = field(default_factory=dict)
    order: list[int] = field(default_factory=list)
    policies: dict[int, dict[str, Any]] = field(default_factory=dict)
    positions: dict[int, int] = field(default_factory=dict)

    def subtree(self, theme_id: int) -> list[int]:
        found = [theme_id]
        for candidate in self.order:
            parent = self.themes[candidate].parent
            if parent is not None and parent in found and candidate not in found:
                found.append(candidate)
        return found

    def of_policy(self, policy_id: int) -> list[int]:
        return [theme_id for theme_id in self.order if self.themes[theme_id].policy == policy_id]

    def position(self, theme_id: int) -> int:
        return self.positions.get(theme_id, len(self.order))


async def theme_tree() -> ThemeTree:
    policies = await Policy.select(Policy.id, Policy.code, Policy.name).order_by(Policy.id).output(load_json=True)
    rows = await Theme.select(
        Theme.id, Theme.policy, Theme.parent, Theme.level, Theme.code, Theme.name, Theme.colour, Theme.position,
        Theme.archived_at,
    ).order_by(Theme.policy).order_by(Theme.position).order_by(Theme.id).output(load_json=True)
    tree = ThemeTree(policies={row["id"]: row for row in policies})
    for row in rows:
        tree.themes[row["id"]] = ThemeInfo(
            id=row["id"], policy=row["policy"], parent=row["parent"], level=row["level"], code=row["code"],
            name=row["name"] or {}, colour=row["colour"], position=row["position"],
            archived=row["archived_at"] is not None,
        )
    children: dict[int | None, list[int]] = {}
    for row in rows:
        children.setdefault(row["parent"], []).append(row["id"])

    def walk(theme_id: int) -> None:
        tree.order.append(theme_id)
        for child in children.get(theme_id, []):
            walk(child)

    for policy_id in tree.policies:
        for root in children.get(None, []):
            if tree.themes[root].policy == policy_id:
                walk(root)
    tree.positions = {theme_id: index for index, theme_id in enumerate(tree.order)}
    return tree


def filter_theme_ids(flt: InputFilter, tree: ThemeTree) -> list[int] | None:
    """The themes an item must carry one of (None: any item, tagged or not)."""
    if flt.theme is not None:
        if flt.theme not in tree.themes:
            return []
        ids = tree.subtree(flt.theme) if flt.subthemes else [flt.theme]
        if flt.policy is not None:
            ids = [theme_id for theme_id in ids if tree.themes[theme_id].policy == flt.policy]
        return ids
    if flt.policy is not None:
        return tree.of_policy(flt.policy)
    return None


# --- the condition ----------------------------------------------------------------------------------------

def _placeholders(values: Sequence[Any]) -> str:
    return ", ".join("{}" for _ in values)


def _like_pattern(words: str) -> str:
    escaped = words.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _condition(flt: InputFilter, theme_ids: list[int] | None) -> tuple[str, list[Any]]:
    """The WHERE clause (on ``input_item i``) and its arguments."""
    parts = [f"i.status IN ({_placeholders(flt.statuses)})"]
    args: list[Any] = list(flt.statuses)
    for column, value in (("event", flt.event), ("workshop", flt.workshop), ("kind", flt.kind or None),
                          ("source", flt.source or None)):
        if value is not None:
            parts.append(f"i.{column} = {{}}")
            args.append(value)
    if flt.date_from:
        parts.append("i.created_at >= {}")
        args.append(datetime.combine(flt.date_from, time(), UTC))
    if flt.date_to:
        parts.append("i.created_at < {}")
        args.append(datetime.combine(flt.date_to + timedelta(days=1), time(), UTC))
    for word in flt.q.split()[:8]:
        parts.append("LOWER(i.text) LIKE {} ESCAPE '\\'")
        args.append(_like_pattern(word))
    if theme_ids is not None:
        if not theme_ids:
            parts.append("1 = 0")
        else:
            parts.append(
                "EXISTS (SELECT 1 FROM input_tag t WHERE t.input_item = i.id "  # noqa: S608
                f"AND t.theme IN ({_placeholders(theme_ids)}))"
            )
            args.extend(theme_ids)
    return " AND ".join(parts), args


# --- items ------------------------------------------------------------------------------------------------

ITEM_COLUMNS = (
    "i.id, i.event, i.workshop, i.workshop_table, i.kind, i.source, i.status, i.speaker_category, i.language, "
    "i.text, i.votes, i.created_at"
)


@dataclass
class Names:
    """Titles of the events, workshops and tables items point at, loaded once per id."""

    events: dict[int, dict[str, Any]] = field(default_factory=dict)
    workshops: dict[int, dict[str, str]] = field(default_factory=dict)
    tables: dict[int, str] = field(default_factory=dict)

    async def load(self, rows: Iterable[dict[str, Any]]) -> None:
        rows = list(rows)
        await self.load_ids({row["event"] for row in rows}, {row["workshop"] for row in rows if row["workshop"]},
                            {row["workshop_table"] for row in rows if row["workshop_table"]})

    async def load_ids(self, events: set[int], workshops: set[int], tables: set[int]) -> None:
        """The names of these events, workshops and tables not loaded yet."""
        event_ids = sorted(events - self.events.keys())
        if event_ids:
            for event in await Event.select(Event.id, Event.title, Event.timezone, Event.slug).where(
                Event.id.is_in(event_ids)
            ).output(load_json=True):
                self.events[event["id"]] = event
        workshop_ids = sorted(workshops - self.workshops.keys())
        if workshop_ids:
            for workshop in await Workshop.select(Workshop.id, Workshop.title).where(
                Workshop.id.is_in(workshop_ids)
            ).output(load_json=True):
                self.workshops[workshop["id"]] = workshop["title"] or {}
        table_ids = sorted(tables - self.tables.keys())
        if table_ids:
            for table in await WorkshopTable.select(WorkshopTable.id, WorkshopTable.label).where(
                WorkshopTable.id.is_in(table_ids)
            ):
                self.tables[table["id"]] = table["label"]


def aware(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def _themes_of(item_ids: Sequence[int]) -> dict[int, list[int]]:
    """Theme ids per item. One range scan of ``input_tag`` over the batch's ids (a batch's ids are close together
    and an ``IN`` of thousands of parameters costs more); tags of items outside the batch are left out."""
    found: dict[int, list[int]] = {item_id: [] for item_id in item_ids}
    if not item_ids:
        return found
    rows = await InputTag.raw(
        "SELECT input_item, theme FROM input_tag WHERE input_item BETWEEN {} AND {} ORDER BY id",
        min(item_ids), max(item_ids),
    )
    for row in rows:
        if row["input_item"] in found:
            found[row["input_item"]].append(row["theme"])
    return found


async def _decorate(rows: list[dict[str, Any]], names: Names) -> list[dict[str, Any]]:
    await names.load(rows)
    themes = await _themes_of([row["id"] for row in rows])
    for row in rows:
        row["created_at"] = aware(row["created_at"])
        row["theme_ids"] = themes[row["id"]]
        event = names.events.get(row["event"], {})
        row["event_title"] = event.get("title") or {}
        row["event_timezone"] = event.get("timezone") or "Europe/Copenhagen"
        row["workshop_title"] = names.workshops.get(row["workshop"], {}) if row["workshop"] else {}
        row["table_label"] = names.tables.get(row["workshop_table"], "") if row["workshop_table"] else ""
    return rows


@dataclass
class Page:
    items: list[dict[str, Any]]
    next_cursor: int | None


async def page(flt: InputFilter, tree: ThemeTree, *, cursor: int | None = None, size: int = PAGE_SIZE) -> Page:
    """One page, newest first, after ``cursor`` (the last id of the previous page)."""
    condition, args = _condition(flt, filter_theme_ids(flt, tree))
    if cursor is not None:
        condition += " AND i.id < {}"
        args.append(cursor)
    rows = await InputItem.raw(
        f"SELECT {ITEM_COLUMNS} FROM input_item i WHERE {condition} ORDER BY i.id DESC LIMIT {int(size) + 1}", *args  # noqa: S608
    )
    more = len(rows) > size
    rows = await _decorate(list(rows[:size]), Names())
    return Page(rows, rows[-1]["id"] if more and rows else None)


UNTAGGED = " AND NOT EXISTS (SELECT 1 FROM input_tag o WHERE o.input_item = i.id)"


def _narrowed(
    flt: InputFilter, tree: ThemeTree, only_theme: int | None, untagged: bool
) -> tuple[str, str, str, list[Any]]:
    """FROM, keyset column, WHERE and arguments of the filtered view, narrowed to one theme's items (read from the
    theme's side, the index ``input_tag (theme, input_item)``) or to the items without a theme."""
    condition, args = _condition(flt, filter_theme_ids(flt, tree))
    source, key = "input_item i", "i.id"
    if only_theme is not None:
        source, key = "input_tag o JOIN input_item i ON i.id = o.input_item", "o.input_item"
        condition = "o.theme = {} AND " + condition
        args.insert(0, only_theme)
    if untagged:
        condition += UNTAGGED
    return source, key, condition, args


async def _keyset(
    fetch: Callable[[Any], Awaitable[tuple[Any, Any]]], first: asyncio.Future | None = None
) -> AsyncIterator[Any]:
    """Batches (empty ones too): ``fetch(cursor)`` gives a batch and the cursor of the next one (None after the
    last), starting from ``fetch(None)`` (or ``first``, already asked for). The next batch is read while this one
    is written out: the database and the writer work side by side."""
    pending: asyncio.Future | None = first or asyncio.ensure_future(fetch(None))
    try:
        while pending is not None:
            batch, cursor = await pending
            pending = asyncio.ensure_future(fetch(cursor)) if cursor is not None else None
            yield batch
    finally:
        if pending is not None:
            pending.cancel()


def _after(column: str, cursor: int | None) -> tuple[str, list[Any]]:
    """The keyset condition of a batch after ``cursor`` (newest first), and its argument."""
    return ("", []) if cursor is None else (f" AND {column} < {{}}", [cursor])


async def batches(
    flt: InputFilter, tree: ThemeTree, *, only_theme: int | None = None, untagged: bool = False,
    size: int = EXPORT_BATCH, names: Names | None = None,
) -> AsyncIterator[list[dict[str, Any]]]:
    """Every item of the filtered view in batches of dicts, newest first, with names and themes (the print report).

    ``only_theme`` narrows to the items tagged with that theme; ``untagged`` to the items without a theme."""
    names = names or Names()
    source, key, condition, args = _narrowed(flt, tree, only_theme, untagged)

    async def fetch(cursor: int | None) -> tuple[list[dict[str, Any]], int | None]:
        after, after_args = _after(key, cursor)
        rows = await InputItem.raw(
            f"SELECT {ITEM_COLUMNS} FROM {source} WHERE {condition}{after} ORDER BY {key} DESC LIMIT {int(size)}",  # noqa: S608
            *args, *after_args,
        )
        return rows, rows[-1]["id"] if len(rows) == size else None

    async for rows in _keyset(fetch):
        if rows:
            yield await _decorate(list(rows), names)


# What an export reads of an item, in this order (``export_batches``).
EXPORT_COLUMNS = (
    "i.id, i.created_at, i.event, i.workshop, i.workshop_table, i.kind, i.source, i.status, i.speaker_category, "
    "i.language, i.text, i.votes"
)


def _themes_column() -> str:
    """An item's theme ids as text ("4,17"; NULL without a theme), in the same row: one index lookup per item."""
    aggregate = "group_concat(t.theme)" if db.is_sqlite() else "string_agg(t.theme::text, ',')"
    return f"(SELECT {aggregate} FROM input_tag t WHERE t.input_item = i.id)"  # noqa: S608 - no input in it


def _among(ids: list[int]) -> tuple[str, Any]:
    """``i.id`` is one of ``ids``, as a condition with one argument: an array on PostgreSQL (its index scan
    takes the list whole), JSON text on SQLite."""
    if db.is_sqlite():
        return "i.id IN (SELECT value FROM json_each({}))", json.dumps(ids)
    return "i.id = ANY({})", ids


@dataclass(frozen=True)
class Section:
    """A part of an export: the whole view, one theme's items (``theme``), or the items without a theme."""

    theme: int | None = None
    untagged: bool = False


async def export_batches(
    read: bulk_reads.Read, flt: InputFilter, tree: ThemeTree, names: Names, sections: Sequence[Section] = (Section(),),
    *, with_themes: bool = True, size: int = EXPORT_BATCH,
) -> AsyncIterator[tuple[int, Sequence[Sequence[Any]]]]:
    """The items ``batches`` gives, as plain rows for the exports, section after section: (the section's index,
    a batch). A row is ``EXPORT_COLUMNS`` then the theme ids as text (None without ``with_themes``), read
    through ``read`` (``samrad.core.bulk_reads``); the names of the events, workshops and tables a batch points
    at are loaded into ``names`` before it is yielded. The next batch, of this section or the next, is read
    while this one is written out.

    One theme's items are found in two steps a batch: the next ids of the theme from the index ``input_tag
    (theme, input_item)``, then those of the items that are in the view. Joined in one statement, PostgreSQL's
    planner read the whole ``input_item`` table for every batch of every theme."""
    condition, args = _condition(flt, filter_theme_ids(flt, tree))
    columns = f"{EXPORT_COLUMNS}, {_themes_column() if with_themes else 'NULL'}"

    async def fetch_section(section: Section, cursor: int | None) -> tuple[Sequence[Sequence[Any]], int | None]:
        if section.theme is None:
            where = condition + (UNTAGGED if section.untagged else "")
            after, after_args = _after("i.id", cursor)
            rows = await read(
                f"SELECT {columns} FROM input_item i WHERE {where}{after} ORDER BY i.id DESC LIMIT {int(size)}",  # noqa: S608
                *args, *after_args,
            )
            return rows, rows[-1][0] if len(rows) == size else None
        after, after_args = _after("input_item", cursor)
        ids = [row[0] for row in await read(
            f"SELECT input_item FROM input_tag WHERE theme = {{}}{after} ORDER BY input_item DESC LIMIT {int(size)}",  # noqa: S608
            section.theme, *after_args,
        )]
        if not ids:
            return [], None
        among, listed = _among(ids)
        rows = await read(
            f"SELECT {columns} FROM input_item i WHERE {among} AND {condition} ORDER BY i.id DESC",  # noqa: S608
            listed, *args,
        )
        return rows, ids[-1] if len(ids) == size else None

    # The first batches of the next sections are read while this one is: a section's later batches wait for
    # the cursor of the batch before, but sections do not wait for each other.
    firsts: dict[int, asyncio.Future] = {}
    try:
        for index, section in enumerate(sections):
            for ahead in range(index, min(index + SECTIONS_AHEAD, len(sections))):
                if ahead not in firsts:
                    firsts[ahead] = asyncio.ensure_future(fetch_section(sections[ahead], None))
            first = firsts.pop(index)
            async for rows in _keyset(lambda cursor, section=section: fetch_section(section, cursor), first):
                if rows:
                    await names.load_ids({row[2] for row in rows}, {row[3] for row in rows if row[3]},
                                         {row[4] for row in rows if row[4]})
                    yield index, rows
    finally:
        for pending in firsts.values():
            pending.cancel()


async def count(flt: InputFilter, tree: ThemeTree) -> int:
    condition, args = _condition(flt, filter_theme_ids(flt, tree))
    rows = await InputItem.raw(f"SELECT COUNT(*) AS n FROM input_item i WHERE {condition}", *args)  # noqa: S608
    return int(rows[0]["n"])


async def theme_counts(flt: InputFilter, tree: ThemeTree) -> dict[int, int]:
    """Items of the filtered view per theme they carry (an item with two themes counts under both)."""
    theme_ids = filter_theme_ids(flt, tree)
    condition, args = _condition(flt, theme_ids)
    rows = await InputItem.raw(
        "SELECT t.theme AS theme, COUNT(*) AS n FROM input_tag t JOIN input_item i ON i.id = t.input_item "  # noqa: S608
        f"WHERE {condition} GROUP BY t.theme",
        *args,
    )
    counts = {row["theme"]: int(row["n"]) for row in rows}
    if theme_ids is not None:
        counts = {theme_id: n for theme_id, n in counts.items() if theme_id in set(theme_ids)}
    return counts


async def untagged_count(flt: InputFilter, tree: ThemeTree) -> int:
    theme_ids = filter_theme_ids(flt, tree)
    if theme_ids is not None:
        return 0
    condition, args = _condition(flt, theme_ids)
    rows = await InputItem.raw(
        f"SELECT COUNT(*) AS n FROM input_item i WHERE {condition} "  # noqa: S608
        "AND NOT EXISTS (SELECT 1 FROM input_tag o WHERE o.input_item = i.id)",
        *args,
    )
    return int(rows[0]["n"])


async def grouped_counts(flt: InputFilter, tree: ThemeTree, column: str) -> dict[str, int]:
    """Items of the filtered view per value of ``kind``, ``source``, ``speaker_category`` or
    ``workshop_table`` (the last two are breakdowns by people: pass them through ``suppression``)."""
    if column not in {"kind", "source", "speaker_category", "workshop", "workshop_table", "status"}:
        raise ValueError(column)
    condition, args = _condition(flt, filter_theme_ids(flt, tree))
    rows = await InputItem.raw(
        f"SELECT i.{column} AS value, COUNT(*) AS n FROM input_item i WHERE {condition} GROUP BY i.{column}", *args  # noqa: S608
    )
    return {str(row["value"] or ""): int(row["n"]) for row in rows}


# --- what the public follow-up of an event has to show ----------------------------------------------------

_SHOWN = visible_statuses()  # what a public page shows: the visibility rule's default
_EVENT_HAS_FOLLOW_UP = db.Statement(
    "SELECT 1 AS shown WHERE EXISTS (SELECT 1 FROM input_item WHERE event = {} "  # noqa: S608 - placeholders only
    f"AND status IN ({_placeholders(_SHOWN)})) "
    "OR EXISTS (SELECT 1 FROM follow_up_input l JOIN follow_up f ON f.id = l.follow_up "
    "JOIN input_item i ON i.id = l.input_item WHERE i.event = {} AND f.public = {})"
)


async def event_has_follow_up(event_id: int) -> bool:
    """Whether the event's public "you said, we did" page has something to show: input heard there that a
    public page may show, or a public action answering the event's input (what the page's two parts list)."""
    return bool(await _EVENT_HAS_FOLLOW_UP.run(event_id, *_SHOWN, event_id, True))

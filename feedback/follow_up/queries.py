"""Reads of the input browser, its exports and reports: input through an ``InputFilter``, a page at a time
(keyset: newest first, ``id < cursor``) or in batches for the exports, with the themes of each item.

One SQL condition is built per filter (``_condition``); its status part always comes from
``feedback.follow_up.visibility``. The theme filter is an ``EXISTS`` on ``input_tag`` with the theme's
sub-themes resolved in Python (a policy's tree is small), so it uses the index ``input_tag (theme,
input_item)``; pages and batches walk ``input_item (status, id)`` or ``(event, status, id)``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from events.tables import Event
from feedback.follow_up.filters import InputFilter
from feedback.tables import InputItem, InputTag, Policy, Theme
from samrad.core.i18n import pick
from workshops.tables import Workshop, WorkshopTable

PAGE_SIZE = 50
EXPORT_BATCH = 2000


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
        event_ids = sorted({row["event"] for row in rows} - self.events.keys())
        if event_ids:
            for event in await Event.select(Event.id, Event.title, Event.timezone, Event.slug).where(
                Event.id.is_in(event_ids)
            ).output(load_json=True):
                self.events[event["id"]] = event
        workshop_ids = sorted({row["workshop"] for row in rows if row["workshop"]} - self.workshops.keys())
        if workshop_ids:
            for workshop in await Workshop.select(Workshop.id, Workshop.title).where(
                Workshop.id.is_in(workshop_ids)
            ).output(load_json=True):
                self.workshops[workshop["id"]] = workshop["title"] or {}
        table_ids = sorted({row["workshop_table"] for row in rows if row["workshop_table"]} - self.tables.keys())
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


async def batches(
    flt: InputFilter, tree: ThemeTree, *, only_theme: int | None = None, untagged: bool = False,
    size: int = EXPORT_BATCH, names: Names | None = None,
) -> AsyncIterator[list[dict[str, Any]]]:
    """Every item of the filtered view in batches, newest first: what the exports stream.

    ``only_theme`` narrows to the items tagged with that theme (one sheet of a workbook); ``untagged`` to the
    items without a theme."""
    names = names or Names()
    condition, args = _condition(flt, filter_theme_ids(flt, tree))
    # One theme's items are read from the theme's side (the index ``input_tag (theme, input_item)``), newest first.
    source, key = "input_item i", "i.id"
    if only_theme is not None:
        source, key = "input_tag o JOIN input_item i ON i.id = o.input_item", "o.input_item"
        condition = "o.theme = {} AND " + condition
        args.insert(0, only_theme)
    if untagged:
        condition += " AND NOT EXISTS (SELECT 1 FROM input_tag o WHERE o.input_item = i.id)"

    async def fetch(cursor: int | None) -> list[dict[str, Any]]:
        page_condition, page_args = condition, list(args)
        if cursor is not None:
            page_condition += f" AND {key} < {{}}"
            page_args.append(cursor)
        return await InputItem.raw(
            f"SELECT {ITEM_COLUMNS} FROM {source} WHERE {page_condition} ORDER BY {key} DESC LIMIT {int(size)}",  # noqa: S608
            *page_args,
        )

    # The next batch is read while this one is written out: the database and the writer work side by side.
    pending: asyncio.Future | None = asyncio.ensure_future(fetch(None))
    try:
        while pending is not None:
            rows = await pending
            pending = asyncio.ensure_future(fetch(rows[-1]["id"])) if len(rows) == size else None
            if rows:
                yield await _decorate(list(rows), names)
    finally:
        if pending is not None:
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

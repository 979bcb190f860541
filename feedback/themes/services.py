"""Policies and their theme trees: create, edit, order, move, archive, delete, import and export.

The rules: at most three levels; codes unique within a policy (``theme_key`` "policy-id:code" is unique, so two
organisers saving the same code at once cannot both win); a theme that has input (or a follow-up) is archived,
never deleted; moving a theme takes its sub-themes along and keeps their input. Every write runs in one
``atomic()`` with its audit entry; an import is one transaction, so a failing file stores nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from asyncpg.exceptions import UniqueViolationError
from piccolo.query.functions.aggregate import Count

from feedback.tables import FollowUp, InputTag, Policy, Theme
from feedback.themes import taxonomy
from feedback.themes.taxonomy import MAX_DEPTH, TaxonomyError
from samrad.core import audit, db
from samrad.core.clock import now_utc
from samrad.core.i18n import _


class ThemeError(Exception):
    """A change the tree rules refuse: ``errors`` maps a form field (or ``""``) to a translated message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = dict(errors)


def _is_unique_violation(error: Exception) -> bool:
    import sqlite3

    return isinstance(error, UniqueViolationError) or (
        isinstance(error, sqlite3.IntegrityError) and "UNIQUE" in str(error)
    )


def theme_key(policy_id: int, code: str) -> str:
    return f"{policy_id}:{code}"


# --- reads ------------------------------------------------------------------------------------------------

async def policies() -> list[dict[str, Any]]:
    rows = await Policy.select().order_by(Policy.id).output(load_json=True)
    counts = await Theme.select(Theme.policy, Count(Theme.id, alias="themes")).group_by(Theme.policy)
    by_policy = {row["policy"]: row["themes"] for row in counts}
    return [{**row, "themes": by_policy.get(row["id"], 0)} for row in rows]


async def policy_or_none(policy_id: int) -> dict[str, Any] | None:
    return await Policy.select().where(Policy.id == policy_id).output(load_json=True).first()


async def policy_by_code(code: str) -> dict[str, Any] | None:
    return await Policy.select().where(Policy.code == code).output(load_json=True).first()


async def theme_or_none(theme_id: int) -> dict[str, Any] | None:
    return await Theme.select().where(Theme.id == theme_id).output(load_json=True).first()


async def tree(policy_id: int) -> list[dict[str, Any]]:
    """The policy's themes in back-office order (depth first, by position), each with ``depth``, ``input``
    (tagged items), ``children`` (count) and ``first``/``last`` among its siblings."""
    rows = await Theme.select().where(Theme.policy == policy_id).order_by(Theme.position).order_by(Theme.id) \
        .output(load_json=True)
    ids = [row["id"] for row in rows]
    counts = {}
    if ids:
        tagged = await InputTag.select(InputTag.theme, Count(InputTag.id, alias="n")).where(
            InputTag.theme.is_in(ids)).group_by(InputTag.theme)
        counts = {row["theme"]: row["n"] for row in tagged}
    children: dict[int | None, list[dict[str, Any]]] = {}
    for row in rows:
        children.setdefault(row["parent"], []).append(row)
    ordered: list[dict[str, Any]] = []

    def visit(parent: int | None, depth: int) -> None:
        siblings = children.get(parent, [])
        for index, row in enumerate(siblings):
            ordered.append({**row, "depth": depth, "input": counts.get(row["id"], 0),
                            "children": len(children.get(row["id"], [])),
                            "first": index == 0, "last": index == len(siblings) - 1})
            visit(row["id"], depth + 1)

    visit(None, 1)
    return ordered


def subtree_ids(rows: Sequence[Mapping[str, Any]], theme_id: int) -> set[int]:
    found, frontier = {theme_id}, [theme_id]
    while frontier:
        current = frontier.pop()
        for row in rows:
            if row["parent"] == current and row["id"] not in found:
                found.add(row["id"])
                frontier.append(row["id"])
    return found


# --- policies ---------------------------------------------------------------------------------------------

async def create_policy(fields: Mapping[str, Any], actor: str) -> int:
    try:
        async with db.atomic():
            [row] = await Policy.insert(Policy(
                code=fields["code"], kind=fields["kind"], name=fields["name"], description=fields["description"],
            )).returning(Policy.id)
            await audit.record(actor, "policy.create", f"policy:{row['id']}")
    except Exception as error:
        if _is_unique_violation(error):
            raise ThemeError({"code": _("Another policy already has this code.")}) from None
        raise
    return row["id"]


async def update_policy(policy_id: int, fields: Mapping[str, Any], actor: str) -> None:
    try:
        async with db.atomic():
            await Policy.update({
                Policy.code: fields["code"], Policy.kind: fields["kind"], Policy.name: fields["name"],
                Policy.description: fields["description"],
            }).where(Policy.id == policy_id)
            await audit.record(actor, "policy.update", f"policy:{policy_id}")
    except Exception as error:
        if _is_unique_violation(error):
            raise ThemeError({"code": _("Another policy already has this code.")}) from None
        raise


# --- themes -----------------------------------------------------------------------------------------------

async def create_theme(policy_id: int, parent_id: int | None, fields: Mapping[str, Any], actor: str) -> int:
    """A theme at the end of its siblings; under ``parent_id`` (same policy, level below three) or at the top."""
    async with db.atomic():
        level = 1
        if parent_id is not None:
            parent = await theme_or_none(parent_id)
            if parent is None or parent["policy"] != policy_id:
                raise ThemeError({"parent": _("Choose a parent theme of this policy.")})
            if parent["level"] >= MAX_DEPTH:
                raise ThemeError({"parent": _("A theme tree has at most three levels: choose a parent higher up.")})
            level = parent["level"] + 1
        position = await _next_position(policy_id, parent_id)
        try:
            [row] = await Theme.insert(Theme(
                policy=policy_id, parent=parent_id, level=level, code=fields["code"], name=fields["name"],
                description=fields["description"], colour=fields["colour"], keywords=fields["keywords"],
                position=position, theme_key=theme_key(policy_id, fields["code"]),
            )).returning(Theme.id)
        except Exception as error:
            if _is_unique_violation(error):
                raise ThemeError({"code": _("Another theme of this policy already has this code.")}) from None
            raise
        await audit.record(actor, "theme.create", f"theme:{row['id']}")
    return row["id"]


async def _next_position(policy_id: int, parent_id: int | None) -> int:
    where = Theme.parent.is_null() if parent_id is None else Theme.parent == parent_id
    rows = await Theme.select(Theme.position).where((Theme.policy == policy_id) & where) \
        .order_by(Theme.position, ascending=False).limit(1)
    return rows[0]["position"] + 1 if rows else 0


async def update_theme(theme_id: int, fields: Mapping[str, Any], actor: str) -> None:
    async with db.atomic():
        theme = await _theme(theme_id)
        try:
            await Theme.update({
                Theme.code: fields["code"], Theme.name: fields["name"], Theme.description: fields["description"],
                Theme.colour: fields["colour"], Theme.keywords: fields["keywords"],
                Theme.theme_key: theme_key(theme["policy"], fields["code"]),
            }).where(Theme.id == theme_id)
        except Exception as error:
            if _is_unique_violation(error):
                raise ThemeError({"code": _("Another theme of this policy already has this code.")}) from None
            raise
        await audit.record(actor, "theme.update", f"theme:{theme_id}")


async def _theme(theme_id: int) -> dict[str, Any]:
    theme = await theme_or_none(theme_id)
    if theme is None:
        raise ThemeError({"": _("This theme does not exist any more.")})
    return theme


async def move_theme(theme_id: int, direction: str, actor: str) -> None:
    """One place up or down among its siblings (the positions are renumbered 0, 1, 2, ...)."""
    async with db.atomic():
        theme = await _theme(theme_id)
        where = Theme.parent.is_null() if theme["parent"] is None else Theme.parent == theme["parent"]
        siblings = [row["id"] for row in await Theme.select(Theme.id).where(
            (Theme.policy == theme["policy"]) & where).order_by(Theme.position).order_by(Theme.id)]
        index = siblings.index(theme_id)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(siblings):
            siblings[index], siblings[other] = siblings[other], siblings[index]
        for position, sibling in enumerate(siblings):
            await Theme.update({Theme.position: position}).where(Theme.id == sibling)
        await audit.record(actor, "theme.move", f"theme:{theme_id}")


async def reparent_theme(theme_id: int, parent_id: int | None, actor: str) -> None:
    """Move a theme (with its sub-themes and all their input) under another parent of the same policy, or to the
    top; the tree must still have at most three levels."""
    async with db.atomic():
        theme = await _theme(theme_id)
        rows = await Theme.select(Theme.id, Theme.parent, Theme.level).where(Theme.policy == theme["policy"])
        moving = subtree_ids(rows, theme_id)
        new_level = 1
        if parent_id is not None:
            parent = next((row for row in rows if row["id"] == parent_id), None)
            if parent is None:
                raise ThemeError({"parent": _("Choose a parent theme of this policy.")})
            if parent_id in moving:
                raise ThemeError({"parent": _("A theme cannot move under itself or one of its own sub-themes.")})
            new_level = parent["level"] + 1
        height = max(row["level"] for row in rows if row["id"] in moving) - theme["level"]
        if new_level + height > MAX_DEPTH:
            raise ThemeError({"parent": _("There it would make a fourth level: a theme tree has at most three.")})
        shift = new_level - theme["level"]
        position = await _next_position(theme["policy"], parent_id)
        await Theme.update({Theme.parent: parent_id, Theme.position: position}).where(Theme.id == theme_id)
        if shift:
            await Theme.update({Theme.level: Theme.level + shift}).where(Theme.id.is_in(sorted(moving)))
        await audit.record(actor, "theme.reparent", f"theme:{theme_id}")


async def archive_theme(theme_id: int, actor: str, archive: bool = True) -> int:
    """Archive a theme and its sub-themes (they keep their input; capture no longer offers them), or bring them
    back. Returns how many themes changed."""
    async with db.atomic():
        theme = await _theme(theme_id)
        rows = await Theme.select(Theme.id, Theme.parent).where(Theme.policy == theme["policy"])
        ids = sorted(subtree_ids(rows, theme_id))
        await Theme.update({Theme.archived_at: now_utc() if archive else None}).where(Theme.id.is_in(ids))
        await audit.record(actor, "theme.archive" if archive else "theme.restore", f"theme:{theme_id}", len(ids))
    return len(ids)


async def delete_theme(theme_id: int, actor: str) -> None:
    """Only a theme without sub-themes, input or follow-ups may be deleted; otherwise archive it."""
    async with db.atomic():
        theme = await _theme(theme_id)
        if await Theme.exists().where(Theme.parent == theme_id):
            raise ThemeError({"": _("This theme has sub-themes: move or delete them first, or archive the theme.")})
        if await InputTag.exists().where(InputTag.theme == theme_id) or \
                await FollowUp.exists().where(FollowUp.theme == theme_id):
            raise ThemeError({"": _("Input or follow-up is filed under this theme, so it can only be archived.")})
        await Theme.delete().where(Theme.id == theme_id)
        await audit.record(actor, "theme.delete", f"policy:{theme['policy']}")


# --- import and export ------------------------------------------------------------------------------------

async def import_taxonomy(document: Mapping[str, Any], actor: str) -> int:
    """A checked document (``taxonomy.read_json`` or a built-in) as a new policy with its tree, in one
    transaction. Raises ``TaxonomyError`` when the policy code is taken."""
    try:
        async with db.atomic():
            [row] = await Policy.insert(Policy(
                code=document["code"], kind=document["kind"], name=document["name"],
                description=document.get("description") or {},
            )).returning(Policy.id)
            count = await _insert_themes(row["id"], document["themes"])
            await audit.record(actor, "policy.import", f"policy:{row['id']}", count)
    except Exception as error:
        if _is_unique_violation(error):
            raise TaxonomyError([_("A policy with the code %(code)s exists already.", code=document["code"])]) \
                from None
        raise
    return row["id"]


async def import_themes(policy_id: int, themes: Sequence[Mapping[str, Any]], actor: str) -> int:
    """A checked theme tree (``taxonomy.read_csv``) into a policy that has no themes yet."""
    async with db.atomic():
        if await Theme.exists().where(Theme.policy == policy_id):
            raise TaxonomyError([_("This policy has themes already: themes can be imported only into a policy "
                                   "without any. Create a new policy for the file.")])
        count = await _insert_themes(policy_id, themes)
        await audit.record(actor, "policy.import", f"policy:{policy_id}", count)
    return count


async def _insert_themes(policy_id: int, themes: Sequence[Mapping[str, Any]]) -> int:
    ids: dict[str, int] = {}
    positions: dict[str | None, int] = {}
    for theme, parent, level in taxonomy.walk(themes):
        position = positions.get(parent, 0)
        positions[parent] = position + 1
        [row] = await Theme.insert(Theme(
            policy=policy_id, parent=ids[parent] if parent else None, level=level, code=theme["code"],
            name=theme["name"], description=theme.get("description") or {},
            colour=theme.get("colour") or taxonomy.DEFAULT_COLOUR, keywords=theme.get("keywords") or {},
            position=position, theme_key=theme_key(policy_id, theme["code"]),
        )).returning(Theme.id)
        ids[theme["code"]] = row["id"]
    return len(ids)


async def load_builtin(name: str, actor: str) -> int:
    """One of the built-in taxonomies (``taxonomy.BUILTIN``) as a new policy."""
    return await import_taxonomy(taxonomy.builtin_document(name), actor)


async def export_document(policy_id: int) -> dict[str, Any]:
    """The policy and its whole tree (archived themes too, marked) as a taxonomy document."""
    policy = await policy_or_none(policy_id)
    if policy is None:
        raise ThemeError({"": _("This policy does not exist any more.")})
    rows = await tree(policy_id)
    nodes: dict[int, dict[str, Any]] = {}
    roots = []
    for row in rows:
        node = {"code": row["code"], "name": row["name"] or {}, "description": row["description"] or {},
                "colour": row["colour"], "keywords": row["keywords"] or {}, "children": []}
        nodes[row["id"]] = node
        (nodes[row["parent"]]["children"] if row["parent"] else roots).append(node)
    for node in nodes.values():
        if not node["children"]:
            del node["children"]
    return {"format": taxonomy.FORMAT, "version": 1, "code": policy["code"], "kind": policy["kind"],
            "name": policy["name"] or {}, "description": policy["description"] or {}, "themes": roots}

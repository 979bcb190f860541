"""Where feedback meets workshops and events: the themes they work on (``theme_links``) and the input captured
in a workshop (``workshop_input``), the two services the feedback area provides.

Workshops sit below feedback and cannot import it, so the workshop pages receive this service by injection
(``workshops.contracts.ThemeLinks``); the themes pages of the feedback area use it directly. A link is one
``WorkshopTheme`` or ``EventTheme`` row, unique by its ``link_key`` ("workshop-id:theme-id",
"event-id:theme-id"), so setting the same themes twice, or at the same time, never stores a link twice.

Archived themes are not offered for new links; a link made before the theme was archived stays until someone
removes it (the forms show it, marked archived).

Removing a workshop or a table keeps its input on the event: ``WorkshopInputService`` detaches the items in the
caller's transaction before the row is deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from piccolo.query.functions.aggregate import Count

from feedback.tables import EventTheme, InputItem, Policy, Theme, WorkshopTheme
from samrad.core import db
from workshops.contracts import PolicyThemes, ThemeChoice, UnknownThemes


def link_key(owner_id: int, theme_id: int) -> str:
    return f"{owner_id}:{theme_id}"


async def theme_options(keep: Sequence[int] = ()) -> list[PolicyThemes]:
    """Every policy (in the order they were added) with its theme tree ordered by position; archived themes
    only when in ``keep`` (and then with their archived parents, so the tree stays whole)."""
    policies = await Policy.select(Policy.id, Policy.name).order_by(Policy.id).output(load_json=True)
    themes = await Theme.select(
        Theme.id, Theme.policy, Theme.parent, Theme.level, Theme.code, Theme.name, Theme.colour, Theme.position,
        Theme.archived_at,
    ).order_by(Theme.position).order_by(Theme.id).output(load_json=True)
    by_id = {row["id"]: row for row in themes}
    wanted = {row["id"] for row in themes if row["archived_at"] is None}
    for theme_id in keep:
        while theme_id in by_id and theme_id not in wanted:
            wanted.add(theme_id)
            theme_id = by_id[theme_id]["parent"]
    children: dict[int | None, list[dict[str, Any]]] = {}
    for row in themes:
        if row["id"] in wanted and (row["parent"] is None or row["parent"] in wanted):
            children.setdefault(row["parent"], []).append(row)

    def tree(parent: int | None, policy_id: int) -> tuple[ThemeChoice, ...]:
        return tuple(
            ThemeChoice(
                id=row["id"], code=row["code"], name=row["name"] or {}, colour=row["colour"], level=row["level"],
                archived=row["archived_at"] is not None, children=tree(row["id"], policy_id),
            )
            for row in children.get(parent, [])
            if row["policy"] == policy_id
        )

    result = [PolicyThemes(id=policy["id"], name=policy["name"] or {}, themes=tree(None, policy["id"]))
              for policy in policies]
    return [policy for policy in result if policy.themes]


def theme_ids_of(options: Sequence[PolicyThemes]) -> set[int]:
    """Every theme id in a tree of options."""
    found: set[int] = set()

    def walk(themes: Sequence[ThemeChoice]) -> None:
        for theme in themes:
            found.add(theme.id)
            walk(theme.children)

    for policy in options:
        walk(policy.themes)
    return found


async def _linkable(theme_ids: Sequence[int], linked: Sequence[int]) -> list[int]:
    """``theme_ids`` without duplicates, after checking each is active or already linked."""
    wanted = list(dict.fromkeys(theme_ids))
    if not wanted:
        return []
    rows = await Theme.select(Theme.id, Theme.archived_at).where(Theme.id.is_in(wanted))
    allowed = {row["id"] for row in rows if row["archived_at"] is None or row["id"] in linked}
    unknown = [theme_id for theme_id in wanted if theme_id not in allowed]
    if unknown:
        raise UnknownThemes(unknown)
    return wanted


async def workshop_themes(workshop_ids: Sequence[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {workshop_id: [] for workshop_id in workshop_ids}
    if not found:
        return found
    rows = await WorkshopTheme.select(WorkshopTheme.workshop, WorkshopTheme.theme).where(
        WorkshopTheme.workshop.is_in(list(found))
    ).order_by(WorkshopTheme.id)
    for row in rows:
        found[row["workshop"]].append(row["theme"])
    return found


async def set_workshop_themes(workshop_id: int, theme_ids: Sequence[int]) -> None:
    """The workshop works on exactly these themes (raises ``UnknownThemes``)."""
    async with db.atomic():
        current = (await workshop_themes([workshop_id]))[workshop_id]
        wanted = await _linkable(theme_ids, current)
        await WorkshopTheme.delete().where(
            (WorkshopTheme.workshop == workshop_id) & WorkshopTheme.theme.not_in(wanted or [0])
        )
        for theme_id in wanted:
            await WorkshopTheme.insert(
                WorkshopTheme(workshop=workshop_id, theme=theme_id, link_key=link_key(workshop_id, theme_id))
            ).on_conflict(target=WorkshopTheme.link_key, action="DO NOTHING")


async def event_themes(event_id: int) -> list[int]:
    rows = await EventTheme.select(EventTheme.theme).where(EventTheme.event == event_id).order_by(EventTheme.id)
    return [row["theme"] for row in rows]


async def set_event_themes(event_id: int, theme_ids: Sequence[int]) -> None:
    """The event works on exactly these themes (raises ``UnknownThemes``)."""
    async with db.atomic():
        wanted = await _linkable(theme_ids, await event_themes(event_id))
        await EventTheme.delete().where((EventTheme.event == event_id) & EventTheme.theme.not_in(wanted or [0]))
        for theme_id in wanted:
            await EventTheme.insert(
                EventTheme(event=event_id, theme=theme_id, link_key=link_key(event_id, theme_id))
            ).on_conflict(target=EventTheme.link_key, action="DO NOTHING")


class ThemeLinkService:
    """The functions above as the ``theme_links`` object other areas receive (``workshops.contracts``)."""

    async def options(self, keep: Sequence[int] = ()) -> list[PolicyThemes]:
        return await theme_options(keep)

    async def workshop_themes(self, workshop_ids: Sequence[int]) -> dict[int, list[int]]:
        return await workshop_themes(workshop_ids)

    async def set_workshop_themes(self, workshop_id: int, theme_ids: Sequence[int]) -> None:
        await set_workshop_themes(workshop_id, theme_ids)

    async def event_themes(self, event_id: int) -> list[int]:
        return await event_themes(event_id)

    async def set_event_themes(self, event_id: int, theme_ids: Sequence[int]) -> None:
        await set_event_themes(event_id, theme_ids)


class WorkshopInputService:
    """The input of workshops as the workshops area's set-up pages need it (``workshops.contracts``)."""

    async def counts(self, workshop_ids: Sequence[int]) -> dict[int, int]:
        found = {workshop_id: 0 for workshop_id in workshop_ids}
        if not found:
            return found
        rows = await InputItem.select(InputItem.workshop, Count(alias="count")).where(
            InputItem.workshop.is_in(list(found))
        ).group_by(InputItem.workshop)
        for row in rows:
            found[row["workshop"]] = row["count"]
        return found

    async def keep_without_workshop(self, workshop_id: int) -> int:
        async with db.atomic():
            kept = await InputItem.update({InputItem.workshop: None, InputItem.workshop_table: None}).where(
                InputItem.workshop == workshop_id
            ).returning(InputItem.id)
        return len(kept)

    async def keep_without_tables(self, table_ids: Sequence[int]) -> int:
        if not table_ids:
            return 0
        async with db.atomic():
            kept = await InputItem.update({InputItem.workshop_table: None}).where(
                InputItem.workshop_table.is_in(list(table_ids))
            ).returning(InputItem.id)
        return len(kept)

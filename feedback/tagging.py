"""The themes an input item is tagged with, and who chose them.

A tag is chosen by a person, or is a suggestion a person accepted (with the suggestion's rank and score when it
was offered): themes are never applied automatically. Only themes the item's workshop or event works on
(``WorkshopTheme``, ``EventTheme``) may be used. Every change of an item's tags is kept in its history
(``InputRevision``). All writes run inside the caller's ``samrad.core.db.atomic()``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from feedback.tables import EventTheme, InputItem, InputRevision, InputTag, TagChoice, Theme, WorkshopTheme
from samrad.core.clock import now_utc


def tag_key(item_id: int, theme_id: int) -> str:
    return f"{item_id}:{theme_id}"


async def allowed_theme_ids(event_id: int, workshop_id: int | None) -> set[int]:
    """The themes an item of this event (and workshop) may be tagged with; archived themes are left out."""
    ids = {row["theme"] for row in await EventTheme.select(EventTheme.theme).where(EventTheme.event == event_id)}
    if workshop_id is not None:
        rows = await WorkshopTheme.select(WorkshopTheme.theme).where(WorkshopTheme.workshop == workshop_id)
        ids |= {row["theme"] for row in rows}
    if not ids:
        return set()
    active = await Theme.select(Theme.id).where(Theme.id.is_in(sorted(ids)) & Theme.archived_at.is_null())
    return {row["id"] for row in active}


async def tags_of(item_ids: Sequence[int]) -> dict[int, list[int]]:
    """Theme ids per item, in the order they were set."""
    found: dict[int, list[int]] = {item_id: [] for item_id in item_ids}
    if not item_ids:
        return found
    rows = await InputTag.select(InputTag.input_item, InputTag.theme).where(
        InputTag.input_item.is_in(list(item_ids))
    ).order_by(InputTag.id)
    for row in rows:
        found[row["input_item"]].append(row["theme"])
    return found


async def set_tags(
    item_id: int,
    theme_ids: Iterable[int],
    *,
    chosen: TagChoice = TagChoice.person,
    suggestions: Mapping[int, tuple[int, float]] | None = None,
    staff_user_id: int | None = None,
    history: bool = True,
    created_at: datetime | None = None,
) -> list[int]:
    """Make ``theme_ids`` the item's tags; returns them.

    ``suggestions`` maps a theme id to the (rank, score) it was suggested with: those tags are recorded as
    accepted suggestions, the others as ``chosen``. Tags that stay keep their provenance. With ``history`` a
    change is recorded as a ``retag`` revision by ``staff_user_id`` (capture records its own revision).
    ``created_at`` stamps new tags (capture passes the item's minute, so no row of it keeps a finer time).
    """
    suggestions = suggestions or {}
    wanted = list(dict.fromkeys(int(theme_id) for theme_id in theme_ids))
    before = (await tags_of([item_id]))[item_id]
    removed = [theme_id for theme_id in before if theme_id not in wanted]
    if removed:
        await InputTag.delete().where((InputTag.input_item == item_id) & InputTag.theme.is_in(removed))
    for theme_id in wanted:
        if theme_id in before:
            continue
        rank, score = suggestions.get(theme_id, (None, None))
        stamp = {"created_at": created_at} if created_at is not None else {}
        await InputTag.insert(
            InputTag(
                input_item=item_id,
                theme=theme_id,
                tag_key=tag_key(item_id, theme_id),
                chosen=(TagChoice.suggestion if theme_id in suggestions else chosen).value,
                suggestion_rank=rank,
                suggestion_score=score,
                **stamp,
            )
        ).on_conflict(target=InputTag.tag_key, action="DO NOTHING")
    if history and sorted(before) != sorted(wanted):
        await InputRevision.insert(
            InputRevision(
                input_item=item_id, action="retag", changes={"themes": [before, wanted]}, staff_user=staff_user_id
            )
        )
        await InputItem.update({InputItem.updated_at: now_utc()}).where(InputItem.id == item_id)
    return wanted

"""Bulk tagging: add or remove one theme on many input items at once, as a person's choice (never a
suggestion applied by itself). Each item's tags change through ``feedback.tagging.set_tags`` (history kept);
an item whose event and workshop do not work on the theme is left as it is and counted as refused."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from feedback import tagging
from feedback.tables import InputItem, TagChoice
from samrad.core import audit, db

MAX_ITEMS = 500


@dataclass(frozen=True)
class BulkResult:
    changed: int
    unchanged: int
    refused: int


async def bulk_tags(item_ids: Sequence[int], theme_id: int, *, add: bool, staff_user_id: int, actor: str
                    ) -> BulkResult:
    """Tag (``add``) or untag the items with ``theme_id``, in one transaction."""
    ids = list(dict.fromkeys(item_ids))[:MAX_ITEMS]
    changed = unchanged = refused = 0
    async with db.atomic():
        rows = await InputItem.select(InputItem.id, InputItem.event, InputItem.workshop).where(
            InputItem.id.is_in(ids or [0]))
        current = await tagging.tags_of([row["id"] for row in rows])
        allowed_cache: dict[tuple[int, int | None], set[int]] = {}
        for row in rows:
            tags = current[row["id"]]
            if add:
                key = (row["event"], row["workshop"])
                if key not in allowed_cache:
                    allowed_cache[key] = await tagging.allowed_theme_ids(*key)
                if theme_id not in allowed_cache[key]:
                    refused += 1
                    continue
                if theme_id in tags:
                    unchanged += 1
                    continue
                wanted = [*tags, theme_id]
            else:
                if theme_id not in tags:
                    unchanged += 1
                    continue
                wanted = [t for t in tags if t != theme_id]
            await tagging.set_tags(row["id"], wanted, chosen=TagChoice.person, staff_user_id=staff_user_id)
            changed += 1
        refused += len(ids) - len(rows)
        if changed:
            await audit.record(actor, "input.bulk_tag" if add else "input.bulk_untag", f"theme:{theme_id}", changed)
    return BulkResult(changed, unchanged, refused)

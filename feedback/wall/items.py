"""What a wall shows of an input item: its text, kind, table and themes, never more.

Only published items reach a wall; the same shape goes into the channel messages and the first render.
"""

from __future__ import annotations

from typing import Any

from feedback.tables import InputItem, InputStatus, InputTag

PUBLISHED = InputStatus.published.value
# The wall keeps the newest items; older ones stay in the workshop's list and reports.
WALL_LIMIT = 200

_COLUMNS = (
    InputItem.id,
    InputItem.event,
    InputItem.workshop,
    InputItem.kind,
    InputItem.text,
    InputItem.language,
    InputItem.status,
    InputItem.votes,
    InputItem.created_at,
    InputItem.workshop_table.label,
)


def _shape(row: dict[str, Any], themes: list[dict[str, Any]]) -> dict[str, Any]:
    created = row["created_at"]
    return {
        "id": row["id"],
        "event_id": row["event"],
        "workshop_id": row["workshop"],
        "status": row["status"],
        "kind": row["kind"],
        "text": row["text"],
        "language": row["language"],
        "table": row["workshop_table.label"] or "",
        "votes": row["votes"],
        "created_at": created.isoformat() if created else None,
        "themes": themes,
    }


async def _themes_by_item(item_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    if not item_ids:
        return {}
    rows = (
        await InputTag.select(
            InputTag.input_item,
            InputTag.theme.id,
            InputTag.theme.code,
            InputTag.theme.name,
            InputTag.theme.colour,
            InputTag.theme.position,
        )
        .where(InputTag.input_item.is_in(item_ids))
        .order_by(InputTag.theme.position)
        .order_by(InputTag.theme.id)
        .output(load_json=True)
    )
    themes: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        themes.setdefault(row["input_item"], []).append(
            {
                "id": row["theme.id"],
                "code": row["theme.code"],
                "name": row["theme.name"] or {},
                "colour": row["theme.colour"],
            }
        )
    return themes


async def load_item(item_id: int) -> dict[str, Any] | None:
    row = await InputItem.select(*_COLUMNS).where(InputItem.id == item_id).first()
    if row is None:
        return None
    themes = await _themes_by_item([item_id])
    return _shape(row, themes.get(item_id, []))


async def published_items(*, event_id: int, workshop_id: int | None = None) -> list[dict[str, Any]]:
    """The wall's current items, newest first: the workshop's when given, else the whole event's."""
    query = InputItem.select(*_COLUMNS).where(InputItem.status == PUBLISHED)
    if workshop_id is not None:
        query = query.where(InputItem.workshop == workshop_id)
    else:
        query = query.where(InputItem.event == event_id)
    rows = (
        await query.order_by(InputItem.created_at, ascending=False)
        .order_by(InputItem.id, ascending=False)
        .limit(WALL_LIMIT)
    )
    themes = await _themes_by_item([row["id"] for row in rows])
    return [_shape(row, themes.get(row["id"], [])) for row in rows]

"""Reads of follow-up actions: the organisers' list and detail, and what the public "you said, we did" pages and
the digests show (public actions, their history, the linked input an organiser chose to quote, published only).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from piccolo.query.functions.aggregate import Count

from events.tables import OrgUnit
from feedback.follow_up.visibility import visible_statuses
from feedback.tables import FollowUp, FollowUpChange, FollowUpInput, InputItem

ACTION_COLUMNS = (
    FollowUp.id, FollowUp.theme, FollowUp.title, FollowUp.description, FollowUp.status, FollowUp.progress,
    FollowUp.status_reason, FollowUp.responsible_unit, FollowUp.due_on, FollowUp.public, FollowUp.created_at,
    FollowUp.updated_at,
)


async def _with_units(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    unit_ids = sorted({row["responsible_unit"] for row in rows if row["responsible_unit"]})
    units = {}
    if unit_ids:
        units = {u["id"]: u["name"] for u in await OrgUnit.select(OrgUnit.id, OrgUnit.name).where(
            OrgUnit.id.is_in(unit_ids))}
    for row in rows:
        row["unit_name"] = units.get(row["responsible_unit"], "")
    return rows


async def action_list(*, theme_ids: Sequence[int] | None = None, public_only: bool = False,
                      action_ids: Sequence[int] | None = None) -> list[dict[str, Any]]:
    query = FollowUp.select(*ACTION_COLUMNS).order_by(FollowUp.id, ascending=False).output(load_json=True)
    if theme_ids is not None:
        query = query.where(FollowUp.theme.is_in(list(theme_ids) or [-1]))
    if action_ids is not None:
        query = query.where(FollowUp.id.is_in(list(action_ids) or [-1]))
    if public_only:
        query = query.where(FollowUp.public.eq(True))
    rows = await query
    counts = await linked_counts([row["id"] for row in rows])
    for row in rows:
        row["linked"] = counts.get(row["id"], 0)
    return await _with_units(rows)


async def linked_counts(action_ids: Sequence[int]) -> dict[int, int]:
    if not action_ids:
        return {}
    rows = await FollowUpInput.select(FollowUpInput.follow_up, Count(FollowUpInput.id, alias="n")).where(
        FollowUpInput.follow_up.is_in(list(action_ids))
    ).group_by(FollowUpInput.follow_up)
    return {row["follow_up"]: int(row["n"]) for row in rows}


async def action(action_id: int) -> dict[str, Any] | None:
    row = await FollowUp.select(*ACTION_COLUMNS).where(FollowUp.id == action_id).output(load_json=True).first()
    if row is None:
        return None
    return (await _with_units([row]))[0]


async def history(action_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Each action's changes, oldest first."""
    found: dict[int, list[dict[str, Any]]] = {action_id: [] for action_id in action_ids}
    if not action_ids:
        return found
    rows = await FollowUpChange.select().where(FollowUpChange.follow_up.is_in(list(action_ids))).order_by(
        FollowUpChange.created_at
    ).order_by(FollowUpChange.id).output(load_json=True)
    for row in rows:
        found[row["follow_up"]].append(row)
    return found


async def linked_items(action_id: int) -> list[dict[str, Any]]:
    """Every item linked to the action (organisers see held and hidden ones too, marked)."""
    links = await FollowUpInput.select(FollowUpInput.input_item, FollowUpInput.shown).where(
        FollowUpInput.follow_up == action_id
    )
    shown = {link["input_item"]: link["shown"] for link in links}
    if not shown:
        return []
    items = await InputItem.select(
        InputItem.id, InputItem.text, InputItem.kind, InputItem.status, InputItem.event, InputItem.created_at,
        InputItem.event.title.as_alias("event_title"),
    ).where(InputItem.id.is_in(sorted(shown))).order_by(InputItem.id, ascending=False).output(load_json=True)
    for item in items:
        item["shown"] = shown[item["id"]]
    return items


async def quoted_items(action_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """What the public page quotes under each action: linked items chosen to be shown, published only; the
    text and kind, nothing else."""
    found: dict[int, list[dict[str, Any]]] = {action_id: [] for action_id in action_ids}
    if not action_ids:
        return found
    rows = await FollowUpInput.select(
        FollowUpInput.follow_up, FollowUpInput.input_item.text.as_alias("text"),
        FollowUpInput.input_item.kind.as_alias("kind"),
    ).where(
        FollowUpInput.follow_up.is_in(list(action_ids)) & FollowUpInput.shown.eq(True)
        & FollowUpInput.input_item.status.is_in(list(visible_statuses()))
    ).order_by(FollowUpInput.id)
    for row in rows:
        found[row["follow_up"]].append({"text": row["text"], "kind": row["kind"]})
    return found


async def actions_for_event(event_id: int, *, public_only: bool = True) -> list[int]:
    """Actions linked to input of this event (the event's "we did")."""
    condition = FollowUpInput.input_item.event == event_id
    if public_only:
        condition &= FollowUpInput.follow_up.public.eq(True)
    rows = await FollowUpInput.select(FollowUpInput.follow_up).where(condition).distinct()
    return sorted({row["follow_up"] for row in rows})

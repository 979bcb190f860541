"""Follow-up actions: what the municipality does about input, per policy theme, with status, progress and a
dated public history; linked to the input items they answer (linking never changes an item). And the bulk steps
of the input browser (hide: through ``feedback.moderation``, which keeps each item's history; tagging is
``feedback.themes.bulk``).

Every write is one ``atomic()`` with its audit entry. A status or progress change writes a ``FollowUpChange``
(the history the public page and the digests read) in the same transaction as the action's new state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from events.tables import OrgUnit
from feedback.capture.services import items_by_id
from feedback.moderation import services as moderation
from feedback.tables import FollowUp, FollowUpChange, FollowUpInput, FollowUpStatus, InputItem, InputStatus, Theme
from samrad.core import audit, db
from samrad.core.clock import now_utc
from samrad.core.i18n import _

MAX_TITLE = 200
MAX_TEXT = 4000
MAX_BULK = 500


class FollowUpError(Exception):
    """Something the organiser can correct: ``errors`` maps a field to its message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = dict(errors)


@dataclass(frozen=True)
class ActionDetails:
    theme: int
    title: Mapping[str, str]
    description: Mapping[str, str] = field(default_factory=dict)
    responsible_unit: int | None = None
    due_on: date | None = None
    public: bool = True


@dataclass(frozen=True)
class StatusChange:
    status: str
    progress: int
    reason: Mapping[str, str] = field(default_factory=dict)
    note: Mapping[str, str] = field(default_factory=dict)


def _clean(texts: Mapping[str, str], limit: int) -> dict[str, str]:
    return {lang: " ".join(text.split()) if limit <= MAX_TITLE else text.strip()
            for lang, text in texts.items() if text and text.strip()}


async def _check_details(details: ActionDetails) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not _clean(details.title, MAX_TITLE):
        errors["title"] = _("Give the action a title in at least one language.")
    elif any(len(text) > MAX_TITLE for text in details.title.values()):
        errors["title"] = _("Keep the title under %(max)s characters.", max=MAX_TITLE)
    if any(len(text) > MAX_TEXT for text in details.description.values()):
        errors["description"] = _("Keep the description under %(max)s characters.", max=MAX_TEXT)
    if not await Theme.exists().where(Theme.id == details.theme):
        errors["theme"] = _("Choose the policy theme the action belongs to.")
    if details.responsible_unit is not None and not await OrgUnit.exists().where(
        OrgUnit.id == details.responsible_unit
    ):
        errors["responsible_unit"] = _("Choose the responsible unit from the list.")
    return errors


def _check_change(change: StatusChange) -> dict[str, str]:
    errors: dict[str, str] = {}
    if change.status not in FollowUpStatus.__members__:
        errors["status"] = _("Choose one of the statuses.")
    if not 0 <= change.progress <= 100:
        errors["progress"] = _("Enter the progress as a whole number from 0 to 100.")
    if change.status == FollowUpStatus.declined.value and not _clean(change.reason, MAX_TEXT):
        errors["reason"] = _("Say why the action is declined.")
    if any(len(text) > MAX_TEXT for text in [*change.reason.values(), *change.note.values()]):
        errors["note"] = _("Keep the note under %(max)s characters.", max=MAX_TEXT)
    return errors


async def create_action(details: ActionDetails, change: StatusChange, actor: str) -> int:
    """A new action with its first status: the first entry of its history."""
    errors = await _check_details(details) | _check_change(change)
    if errors:
        raise FollowUpError(errors)
    now = now_utc()
    async with db.atomic():
        row = await FollowUp.insert(FollowUp(
            theme=details.theme, title=_clean(details.title, MAX_TITLE),
            description=_clean(details.description, MAX_TEXT), responsible_unit=details.responsible_unit,
            due_on=details.due_on, public=details.public, status=change.status, progress=change.progress,
            status_reason=_clean(change.reason, MAX_TEXT), created_at=now, updated_at=now,
        )).returning(FollowUp.id)
        action_id = row[0]["id"]
        await FollowUpChange.insert(FollowUpChange(
            follow_up=action_id, status=change.status, progress=change.progress,
            note=_clean(change.note, MAX_TEXT), created_at=now,
        ))
        await audit.record(actor, "follow_up.create", f"follow_up:{action_id}")
    return action_id


async def update_details(action_id: int, details: ActionDetails, actor: str) -> None:
    """Title, description, theme, unit, due date, public: not part of the history."""
    errors = await _check_details(details)
    if errors:
        raise FollowUpError(errors)
    async with db.atomic():
        updated = await FollowUp.update({
            FollowUp.theme: details.theme, FollowUp.title: _clean(details.title, MAX_TITLE),
            FollowUp.description: _clean(details.description, MAX_TEXT),
            FollowUp.responsible_unit: details.responsible_unit, FollowUp.due_on: details.due_on,
            FollowUp.public: details.public, FollowUp.updated_at: now_utc(),
        }).where(FollowUp.id == action_id).returning(FollowUp.id)
        if not updated:
            raise LookupError(action_id)
        await audit.record(actor, "follow_up.edit", f"follow_up:{action_id}")


async def change_status(action_id: int, change: StatusChange, actor: str) -> bool:
    """A new status and/or progress, kept in the dated history with its public note. False when neither the
    status, the progress nor the reason changed (nothing is written)."""
    errors = _check_change(change)
    if errors:
        raise FollowUpError(errors)
    reason = _clean(change.reason, MAX_TEXT)
    now = now_utc()
    async with db.atomic():
        current = await FollowUp.select(FollowUp.status, FollowUp.progress, FollowUp.status_reason).where(
            FollowUp.id == action_id
        ).output(load_json=True).first()
        if current is None:
            raise LookupError(action_id)
        if (current["status"], current["progress"], current["status_reason"] or {}) == (
            change.status, change.progress, reason
        ):
            return False
        await FollowUp.update({
            FollowUp.status: change.status, FollowUp.progress: change.progress, FollowUp.status_reason: reason,
            FollowUp.updated_at: now,
        }).where(FollowUp.id == action_id)
        await FollowUpChange.insert(FollowUpChange(
            follow_up=action_id, status=change.status, progress=change.progress,
            note=_clean(change.note, MAX_TEXT), created_at=now,
        ))
        await audit.record(actor, "follow_up.status", f"follow_up:{action_id}")
    return True


async def link_items(action_id: int, item_ids: Sequence[int], actor: str) -> int:
    """Link input items to the action (again is harmless); returns how many links are new. Items are read,
    never written."""
    ids = sorted({int(item_id) for item_id in item_ids})[:MAX_BULK]
    if not await FollowUp.exists().where(FollowUp.id == action_id):
        raise LookupError(action_id)
    existing = set()
    if ids:
        existing = {row["id"] for row in await InputItem.select(InputItem.id).where(InputItem.id.is_in(ids))}
    if not existing:
        raise FollowUpError({"items": _("Choose at least one input item.")})
    added = 0
    async with db.atomic():
        for item_id in sorted(existing):
            rows = await FollowUpInput.insert(
                FollowUpInput(follow_up=action_id, input_item=item_id, link_key=f"{action_id}:{item_id}")
            ).on_conflict(target=FollowUpInput.link_key, action="DO NOTHING").returning(FollowUpInput.id)
            added += len(rows)
        if added:
            await audit.record(actor, "follow_up.link", f"follow_up:{action_id}", added)
    return added


async def unlink_item(action_id: int, item_id: int, actor: str) -> bool:
    async with db.atomic():
        removed = await FollowUpInput.delete().where(
            FollowUpInput.link_key == f"{action_id}:{item_id}"
        ).returning(FollowUpInput.id)
        if removed:
            await audit.record(actor, "follow_up.unlink", f"follow_up:{action_id}")
    return bool(removed)


async def show_item(action_id: int, item_id: int, shown: bool, actor: str) -> bool:
    """Quote (or stop quoting) a linked item on the public page: only published input may be quoted."""
    if shown:
        item = await InputItem.select(InputItem.status).where(InputItem.id == item_id).first()
        if item is None or item["status"] != InputStatus.published.value:
            raise FollowUpError({"shown": _("Only published input can be shown to the public.")})
    async with db.atomic():
        updated = await FollowUpInput.update({FollowUpInput.shown: shown}).where(
            FollowUpInput.link_key == f"{action_id}:{item_id}"
        ).returning(FollowUpInput.id)
        if updated:
            await audit.record(actor, "follow_up.show" if shown else "follow_up.unshow", f"follow_up:{action_id}")
    return bool(updated)


# --- bulk steps of the input browser ----------------------------------------------------------------------

@dataclass
class BulkResult:
    changed: int = 0
    refused: int = 0
    messages: list[str] = field(default_factory=list)


async def bulk_hide(item_ids: Sequence[int], *, staff_user_id: int | None) -> BulkResult:
    result = BulkResult()
    items = await items_by_id(sorted(set(item_ids))[:MAX_BULK])
    for item in items.values():
        try:
            if await moderation.hide(item, staff_user_id):
                result.changed += 1
        except moderation.ModerationError as error:
            result.refused += 1
            if error.message not in result.messages:
                result.messages.append(error.message)
    return result


async def items_in_events(item_ids: Sequence[int], event_ids: Sequence[int] | None) -> tuple[list[int], int]:
    """The items of ``item_ids`` that belong to ``event_ids`` (None: every event), and how many do not: a bulk
    step that changes items (tag, untag, hide) acts only on the events the organiser works on, as moderation
    does."""
    if event_ids is None:
        return list(item_ids), 0
    found = await InputItem.select(InputItem.id).where(
        InputItem.id.is_in(list(item_ids) or [0]) & InputItem.event.is_in(list(event_ids) or [0]))
    kept = {row["id"] for row in found}
    mine = [item_id for item_id in item_ids if item_id in kept]
    return mine, len(set(item_ids)) - len(kept)


def as_int(value: Any) -> int | None:
    """A form's id, or None."""
    return int(value) if isinstance(value, str) and value.isdecimal() and len(value) < 10 else None

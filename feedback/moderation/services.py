"""Moderating input: approve, hide, merge duplicates, edit for anonymity, re-tag, move to another workshop.

Every change is one transaction that also writes an ``InputRevision``: what changed (before and after), when,
and which staff account did it. The original of an anonymity edit lives only in that revision: organisers see
it, facilitators see that an edit happened (``history(..., see_originals=False)``), and the retention purge
(``purge_original_texts``) blanks it with the event's personal-data retention. Walls are told after the commit
(``feedback.live``). Who may do what is the routes' business (``workshops.access``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from events.registration.retention import retention_days
from events.tables import Event
from feedback import live, tagging
from feedback.capture.services import ITEM_COLUMNS, MAX_TEXT_LENGTH, event_end, items_by_id
from feedback.tables import InputItem, InputKind, InputRevision, InputStatus
from samrad.core import audit, db
from samrad.core.clock import now_utc
from samrad.core.i18n import _
from samrad.core.settings import Settings
from workshops.tables import Workshop

VISIBLE = (InputStatus.published.value, InputStatus.held.value)
QUEUE_LIMIT = 300


class ModerationError(Exception):
    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Change:
    """What a moderation step did, for the walls: items to show again, items to take away."""

    shown: tuple[int, ...] = ()
    removed: tuple[tuple[int, int, int | None], ...] = ()  # (item id, event id, workshop id)

    async def announce(self) -> None:
        for item_id, event_id, workshop_id in self.removed:
            await live.announce_removed(item_id, event_id, workshop_id)
        for item_id in self.shown:
            await live.announce_input(item_id)


async def item_or_none(item_id: int) -> dict[str, Any] | None:
    return (await items_by_id([item_id])).get(item_id)


async def _record(item_id: int, action: str, changes: Mapping[str, Any], staff_user_id: int | None) -> None:
    await InputRevision.insert(
        InputRevision(input_item=item_id, action=action, changes=dict(changes), staff_user=staff_user_id)
    )


async def _set_status(item: Mapping[str, Any], status: str, action: str, staff_user_id: int | None) -> bool:
    """Move the item to ``status`` if it is not there yet (a conditional UPDATE: two moderators, one change)."""
    changed = await InputItem.update({InputItem.status: status, InputItem.updated_at: now_utc()}).where(
        (InputItem.id == item["id"]) & (InputItem.status != status)
    ).returning(InputItem.id)
    if changed:
        await _record(item["id"], action, {"status": [item["status"], status]}, staff_user_id)
    return bool(changed)


async def approve(item: Mapping[str, Any], staff_user_id: int | None) -> bool:
    """Publish a held (or hidden) item."""
    if item["status"] == InputStatus.merged.value:
        raise ModerationError(_("A merged item cannot be published on its own; publish the item it was merged into."))
    async with db.atomic():
        changed = await _set_status(item, InputStatus.published.value, "approve", staff_user_id)
    if changed:
        await Change(shown=(item["id"],)).announce()
    return changed


async def hide(item: Mapping[str, Any], staff_user_id: int | None, *, action: str = "hide") -> bool:
    """Hide an item from walls and participants (``action`` "undo" when its facilitator takes it back)."""
    if item["status"] == InputStatus.merged.value:
        raise ModerationError(_("This item has been merged into another one."))
    async with db.atomic():
        changed = await _set_status(item, InputStatus.hidden.value, action, staff_user_id)
    if changed:
        await Change(removed=((item["id"], item["event"], item["workshop"]),)).announce()
    return changed


def _clean_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ModerationError(_("The text cannot be empty."), "text")
    if len(text) > MAX_TEXT_LENGTH:
        raise ModerationError(_("Keep it under %(max)s characters (now %(length)s).", max=MAX_TEXT_LENGTH,
                                length=len(text)), "text")
    return text


async def edit(
    item: Mapping[str, Any], text: str, kind: str, staff_user_id: int | None, *, anonymity: bool = False
) -> bool:
    """Change the text and kind. An anonymity edit (a name said aloud taken out) keeps the original only in
    the history, where organisers see it until the event's retention ends."""
    text = _clean_text(text)
    if kind not in InputKind.__members__:
        raise ModerationError(_("Choose one of the kinds."), "kind")
    if item["status"] == InputStatus.merged.value:
        raise ModerationError(_("This item has been merged into another one."))
    changes: dict[str, Any] = {}
    if text != item["text"]:
        changes["text"] = [item["text"], text]
    if kind != item["kind"]:
        changes["kind"] = [item["kind"], kind]
    if not changes:
        return False
    async with db.atomic():
        await InputItem.update({InputItem.text: text, InputItem.kind: kind, InputItem.updated_at: now_utc()}).where(
            InputItem.id == item["id"]
        )
        await _record(item["id"], "anonymise" if anonymity and "text" in changes else "edit", changes, staff_user_id)
    if item["status"] == InputStatus.published.value:
        await Change(shown=(item["id"],)).announce()
    return True


async def retag(item: Mapping[str, Any], theme_ids: Sequence[int], staff_user_id: int | None,
                suggestions: Mapping[int, tuple[int, float]] | None = None) -> bool:
    """Make ``theme_ids`` the item's themes; those in ``suggestions`` (theme id -> rank, score when offered) are
    recorded as suggestions the moderator accepted, the others as the moderator's own choice."""
    allowed = await tagging.allowed_theme_ids(item["event"], item["workshop"])
    if any(theme_id not in allowed for theme_id in theme_ids):
        raise ModerationError(_("Choose themes this workshop works on."), "theme_ids")
    before = sorted(item["theme_ids"])
    async with db.atomic():
        await tagging.set_tags(item["id"], theme_ids, staff_user_id=staff_user_id,
                               suggestions={k: v for k, v in (suggestions or {}).items() if k in theme_ids})
    changed = before != sorted(set(theme_ids))
    if changed and item["status"] == InputStatus.published.value:
        await Change(shown=(item["id"],)).announce()
    return changed


async def move(item: Mapping[str, Any], workshop_id: int, staff_user_id: int | None) -> bool:
    """Move the item to another workshop of the same event (its table is dropped: tables are per workshop)."""
    if workshop_id == item["workshop"]:
        return False
    target = await Workshop.select(Workshop.id, Workshop.event).where(Workshop.id == workshop_id).first()
    if target is None or target["event"] != item["event"]:
        raise ModerationError(_("Choose a workshop of the same event."), "workshop")
    async with db.atomic():
        await InputItem.update(
            {InputItem.workshop: workshop_id, InputItem.workshop_table: None, InputItem.updated_at: now_utc()}
        ).where(InputItem.id == item["id"])
        await _record(item["id"], "move", {"workshop": [item["workshop"], workshop_id],
                                           "table": [item["workshop_table"], None]}, staff_user_id)
    if item["status"] == InputStatus.published.value:
        await Change(removed=((item["id"], item["event"], item["workshop"]),), shown=(item["id"],)).announce()
    return True


async def merge(keep: Mapping[str, Any], duplicates: Sequence[Mapping[str, Any]], staff_user_id: int | None) -> int:
    """Fold duplicates into ``keep``: they become ``merged`` (``merged_into`` = keep) and their texts stay
    visible in the kept item's history. Returns how many were merged."""
    if keep["status"] == InputStatus.merged.value:
        raise ModerationError(_("The item to keep has itself been merged into another one."), "keep")
    others = [item for item in duplicates if item["id"] != keep["id"]]
    if not others:
        raise ModerationError(_("Choose at least one other item to merge into the one you keep."), "merge")
    if any(item["event"] != keep["event"] for item in others):
        raise ModerationError(_("Only items of the same event can be merged."), "merge")
    if any(item["status"] == InputStatus.merged.value for item in others):
        raise ModerationError(_("One of the chosen items has already been merged."), "merge")
    merged: list[dict[str, Any]] = []
    removed: list[tuple[int, int, int | None]] = []
    async with db.atomic():
        for item in others:
            changed = await InputItem.update(
                {InputItem.status: InputStatus.merged.value, InputItem.merged_into: keep["id"],
                 InputItem.updated_at: now_utc()}
            ).where((InputItem.id == item["id"]) & (InputItem.status != InputStatus.merged.value)).returning(
                InputItem.id
            )
            if not changed:
                continue
            await _record(item["id"], "merged", {"status": [item["status"], InputStatus.merged.value],
                                                 "merged_into": [None, keep["id"]]}, staff_user_id)
            merged.append({"id": item["id"], "text": item["text"], "kind": item["kind"]})
            if item["status"] == InputStatus.published.value:
                removed.append((item["id"], item["event"], item["workshop"]))
        if merged:
            await _record(keep["id"], "merge", {"merged": [None, merged]}, staff_user_id)
            # Tags of the duplicates carry over, so nothing said about a theme is lost.
            allowed = await tagging.allowed_theme_ids(keep["event"], keep["workshop"])
            extra = [t for item in others for t in item["theme_ids"] if t in allowed and t not in keep["theme_ids"]]
            if extra:
                await tagging.set_tags(keep["id"], [*keep["theme_ids"], *extra], staff_user_id=staff_user_id)
    await Change(removed=tuple(removed), shown=(keep["id"],) if keep["status"] == "published" else ()).announce()
    return len(merged)


# --- reading ----------------------------------------------------------------------------------------------

async def queue(*, workshop_ids: Sequence[int] | None = None, event_id: int | None = None) -> list[dict[str, Any]]:
    """Held items first (oldest first: they have waited longest), then published ones (newest first)."""
    where = InputItem.status.is_in(list(VISIBLE))
    if workshop_ids is not None:
        where &= InputItem.workshop.is_in(list(workshop_ids) or [-1])
    if event_id is not None:
        where &= InputItem.event == event_id
    rows = await InputItem.select(*ITEM_COLUMNS, InputItem.workshop.title.as_alias("workshop_title"),
                                  InputItem.workshop_table.label.as_alias("table_label")).where(where).order_by(
        InputItem.id, ascending=False
    ).limit(QUEUE_LIMIT).output(load_json=True)
    tags = await tagging.tags_of([row["id"] for row in rows])
    items = [{**row, "theme_ids": tags[row["id"]]} for row in rows]
    held = sorted((item for item in items if item["status"] == InputStatus.held.value), key=lambda i: i["id"])
    return held + [item for item in items if item["status"] != InputStatus.held.value]


async def history(item_id: int, *, see_originals: bool) -> list[dict[str, Any]]:
    """The item's revisions, oldest first, with the staff member's name. Without ``see_originals`` the text
    before an anonymity edit is left out: the reader sees that an edit happened, not what was taken out."""
    rows = await InputRevision.select(
        InputRevision.id, InputRevision.action, InputRevision.changes, InputRevision.created_at,
        InputRevision.staff_user.name.as_alias("staff_name"),
    ).where(InputRevision.input_item == item_id).order_by(InputRevision.id).output(load_json=True)
    for row in rows:
        changes = row["changes"] or {}
        if row["action"] == "anonymise" and not see_originals and "text" in changes:
            changes = {**changes, "text": [None, changes["text"][1]]}
            row["original_withheld"] = True
        row["changes"] = changes
    return rows


async def workshops_of_event(event_id: int) -> list[dict[str, Any]]:
    return await Workshop.select(Workshop.id, Workshop.title).where(Workshop.event == event_id).order_by(
        Workshop.position
    ).order_by(Workshop.id).output(load_json=True)


# --- retention --------------------------------------------------------------------------------------------

TEXT_ACTIONS = ("edit", "anonymise")


async def purge_original_texts(now: datetime, settings: Settings, *, dry_run: bool = False) -> int:
    """Blank the texts kept in edit and anonymity-edit revisions of events whose personal-data retention has
    ended (the event's end + its retention days); the fact of the edit stays. Returns how many were blanked
    (in a dry run, how many would be)."""
    revisions = await InputRevision.select(
        InputRevision.id, InputRevision.changes, InputRevision.input_item.event.as_alias("event")
    ).where(InputRevision.action.is_in(list(TEXT_ACTIONS))).output(load_json=True)
    pending = [row for row in revisions if (row["changes"] or {}).get("text", [None])[0] is not None]
    if not pending:
        return 0
    event_ids = sorted({row["event"] for row in pending})
    events = {
        row["id"]: row
        for row in await Event.select(Event.id, Event.ends_at, Event.sensitive, Event.retention_days).where(
            Event.id.is_in(event_ids)
        )
    }

    expired = set()
    for event_id, event in events.items():
        end = await event_end(event_id, event["ends_at"])
        if end + timedelta(days=retention_days(event, settings)) <= now:
            expired.add(event_id)
    due = [row for row in pending if row["event"] in expired]
    if dry_run or not due:
        return len(due)
    async with db.atomic():
        for row in due:
            changes = dict(row["changes"])
            changes["text"] = [None, changes["text"][1]]
            changes["purged"] = True
            await InputRevision.update({InputRevision.changes: changes}).where(InputRevision.id == row["id"])
        await audit.record("system", "retention.purge_input_originals", "input_revision", count=len(due))
    return len(due)


async def purge_originals(now: datetime, settings: Settings, dry_run: bool) -> Mapping[str, int]:
    """The retention purge's step for the originals of edited input (``feedback.area``)."""
    blanked = await purge_original_texts(now, settings, dry_run=dry_run)
    return {"input_revision.changes": blanked, "input_revision:original_blanked": blanked}

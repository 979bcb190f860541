"""Capturing input: what a facilitator writes down at a table and what participants send themselves.

An item records the event, the workshop, the table, kind, text, language, themes, source and a coarse time
(to the minute), never a person, a registration, an address or a device. Capture is idempotent: every item
carries a client id (a UUID made by the capturing browser, or by the server for the plain form), inserted with
``ON CONFLICT (client_id) DO NOTHING`` and read back, so a replayed or racing send finds the stored row instead
of making a second one. Parsing (``parse_item``) answers translated messages per field; nothing is stored when
any item of a batch is invalid.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from events.tables import Event, EventStatus, Occurrence
from feedback import live, tagging
from feedback.capture import wordlist
from feedback.tables import (
    EventInputSettings,
    InputItem,
    InputKind,
    InputRevision,
    InputSource,
    InputStatus,
    InputVote,
    Moderation,
    SpeakerCategory,
    TagChoice,
    Theme,
)
from samrad.core import db
from samrad.core.clock import aware, now_utc
from samrad.core.i18n import N_, _, current_locale
from samrad.core.inputs import whole_number
from samrad.core.settings import LOCALES
from workshops.tables import Workshop, WorkshopTable

MAX_TEXT_LENGTH = 2000
MAX_BATCH = 100
# A facilitator may take back what they captured for this long (undo = hide, kept in the history).
UNDO_WINDOW = timedelta(minutes=10)

KIND_LABELS = {
    InputKind.idea: N_("Idea"),
    InputKind.concern: N_("Concern"),
    InputKind.question: N_("Question"),
    InputKind.experience: N_("Experience"),
    InputKind.proposal: N_("Proposal"),
}
SPEAKER_LABELS = {
    SpeakerCategory.citizen: N_("Citizen"),
    SpeakerCategory.staff: N_("Staff member"),
    SpeakerCategory.leader: N_("Leader"),
    SpeakerCategory.council_member: N_("Council or board member"),
    SpeakerCategory.elected_official: N_("Elected official"),
    SpeakerCategory.partner: N_("Partner"),
}
STATUS_LABELS = {
    InputStatus.published: N_("Published"),
    InputStatus.held: N_("Waiting for approval"),
    InputStatus.hidden: N_("Hidden"),
    InputStatus.merged: N_("Merged"),
}


def kind_choices() -> list[tuple[str, str]]:
    return [(kind.value, _(label)) for kind, label in KIND_LABELS.items()]


def speaker_choices() -> list[tuple[str, str]]:
    return [(category.value, _(label)) for category, label in SPEAKER_LABELS.items()]


def kind_label(value: str) -> str:
    return _(KIND_LABELS[InputKind(value)]) if value in InputKind.__members__ else value


def speaker_label(value: str) -> str:
    return _(SPEAKER_LABELS[SpeakerCategory(value)]) if value in SpeakerCategory.__members__ else value


def status_label(value: str) -> str:
    return _(STATUS_LABELS[InputStatus(value)]) if value in InputStatus.__members__ else value


# --- the workshop as capture sees it ----------------------------------------------------------------------

@dataclass(frozen=True)
class WorkshopContext:
    """A workshop with what capture needs: its event, tables, themes and the event's input settings. ``id`` is
    None for input to the event itself (a meeting without workshops, notes imported afterwards)."""

    id: int | None
    event_id: int
    title: dict[str, str]
    event_title: dict[str, str]
    join_code: str
    event_ends_at: datetime
    event_cancelled: bool
    event_published: bool
    tables: list[dict[str, Any]]
    themes: list[dict[str, Any]]
    moderation: str = Moderation.post.value
    voting: bool = True
    participant_input: bool = True
    table_ids: frozenset[int] = field(default_factory=frozenset)
    theme_ids: frozenset[int] = field(default_factory=frozenset)

    def over(self, now: datetime | None = None) -> bool:
        """The event has ended or is cancelled: participants can no longer send input."""
        return self.event_cancelled or self.event_ends_at <= (now or now_utc())


async def input_settings(event_id: int) -> dict[str, Any]:
    """The event's input settings, or the defaults (post-moderation, voting, participants may send input)."""
    row = await EventInputSettings.select(
        EventInputSettings.moderation, EventInputSettings.voting, EventInputSettings.participant_input
    ).where(EventInputSettings.event == event_id).first()
    return row or {"moderation": Moderation.post.value, "voting": True, "participant_input": True}


async def save_input_settings(event_id: int, moderation: str, voting: bool, participant_input: bool) -> None:
    values = {"moderation": Moderation(moderation).value, "voting": voting, "participant_input": participant_input}
    async with db.atomic():
        await EventInputSettings.insert(EventInputSettings(event=event_id, **values)).on_conflict(
            target=EventInputSettings.event,
            action="DO UPDATE",
            values=[EventInputSettings.moderation, EventInputSettings.voting, EventInputSettings.participant_input],
        )


async def event_end(event_id: int, ends_at: datetime) -> datetime:
    """The end of the event's last date (a series ends with its last one)."""
    end = aware(ends_at)
    for row in await Occurrence.select(Occurrence.ends_at).where(Occurrence.event == event_id):
        end = max(end, aware(row["ends_at"]))
    return end


async def load_workshop(workshop_id: int) -> WorkshopContext | None:
    row = await Workshop.select(
        Workshop.id, Workshop.event, Workshop.title, Workshop.join_code,
        Workshop.event.title.as_alias("event_title"), Workshop.event.ends_at.as_alias("event_ends_at"),
        Workshop.event.status.as_alias("event_status"), Workshop.event.published.as_alias("event_published"),
    ).where(Workshop.id == workshop_id).output(load_json=True).first()
    if row is None:
        return None
    tables = await WorkshopTable.select(WorkshopTable.id, WorkshopTable.label, WorkshopTable.join_code).where(
        WorkshopTable.workshop == workshop_id
    ).order_by(WorkshopTable.position).order_by(WorkshopTable.id)
    theme_ids = await tagging.allowed_theme_ids(row["event"], workshop_id)
    themes = []
    if theme_ids:
        themes = await Theme.select(
            Theme.id, Theme.code, Theme.name, Theme.colour, Theme.policy.code.as_alias("policy_code")
        ).where(
            Theme.id.is_in(sorted(theme_ids))
        ).order_by(Theme.policy).order_by(Theme.position).order_by(Theme.id).output(load_json=True)
    settings = await input_settings(row["event"])
    return WorkshopContext(
        id=row["id"],
        event_id=row["event"],
        title=row["title"] or {},
        event_title=row["event_title"] or {},
        join_code=row["join_code"],
        event_ends_at=await event_end(row["event"], row["event_ends_at"]),
        event_cancelled=row["event_status"] == EventStatus.cancelled.value,
        event_published=bool(row["event_published"]),
        tables=tables,
        themes=themes,
        moderation=settings["moderation"],
        voting=bool(settings["voting"]),
        participant_input=bool(settings["participant_input"]),
        table_ids=frozenset(table["id"] for table in tables),
        theme_ids=frozenset(theme_ids),
    )


async def load_event(event_id: int) -> WorkshopContext | None:
    """The event itself as a place for input (no workshop, no tables; the event's themes)."""
    row = await Event.select(Event.id, Event.title, Event.ends_at, Event.status, Event.published).where(
        Event.id == event_id
    ).output(load_json=True).first()
    if row is None:
        return None
    theme_ids = await tagging.allowed_theme_ids(event_id, None)
    settings = await input_settings(event_id)
    return WorkshopContext(
        id=None, event_id=event_id, title={}, event_title=row["title"] or {}, join_code="",
        event_ends_at=await event_end(event_id, row["ends_at"]),
        event_cancelled=row["status"] == EventStatus.cancelled.value, event_published=bool(row["published"]),
        tables=[], themes=[], moderation=settings["moderation"], voting=bool(settings["voting"]),
        participant_input=bool(settings["participant_input"]), theme_ids=frozenset(theme_ids),
    )


def normalise_join_code(code: str) -> str:
    return "".join(code.split()).upper()[:16]


async def find_join_code(code: str) -> tuple[int, int | None] | None:
    """(workshop id, table id or None) for a workshop's or a table's join code."""
    code = normalise_join_code(code)
    if not code:
        return None
    workshop = await Workshop.select(Workshop.id).where(Workshop.join_code == code).first()
    if workshop is not None:
        return workshop["id"], None
    table = await WorkshopTable.select(WorkshopTable.id, WorkshopTable.workshop).where(
        WorkshopTable.join_code == code
    ).first()
    return (table["workshop"], table["id"]) if table is not None else None


async def joined_workshop(code: str) -> tuple[WorkshopContext, int | None] | None:
    """The workshop (and table) a join code opens, if its event is published."""
    found = await find_join_code(code)
    if found is None:
        return None
    context = await load_workshop(found[0])
    if context is None or not context.event_published:
        return None
    return context, found[1]


# --- parsing ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ItemDraft:
    """One valid item, ready to store."""

    client_id: str
    text: str
    kind: str = InputKind.idea.value
    theme_ids: tuple[int, ...] = ()
    table_id: int | None = None
    speaker_category: str = ""
    language: str = "da"
    # Accepted suggestions: theme id -> (rank, score) when it was offered.
    suggestions: Mapping[int, tuple[int, float]] = field(default_factory=dict)


FieldErrors = dict[str, str]


def normalise_client_id(raw: Any) -> str | None:
    """A UUID in its canonical lower-case form, or None."""
    if not isinstance(raw, str):
        return None
    try:
        return str(uuid.UUID(raw.strip()))
    except ValueError:
        return None


def new_client_id() -> str:
    return str(uuid.uuid4())


def _int_or_none(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    return whole_number(raw)


def parse_item(
    raw: Mapping[str, Any], context: WorkshopContext, *, participant: bool = False
) -> ItemDraft | FieldErrors:
    """Check one item's fields (a form's or a JSON item's); the draft, or translated messages by field."""
    errors: FieldErrors = {}
    client_id = normalise_client_id(raw.get("client_id"))
    if client_id is None:
        errors["client_id"] = _("The entry's id must be a UUID.")
    text = raw.get("text")
    text = text.strip() if isinstance(text, str) else ""
    if not text:
        errors["text"] = _("Write what was said.") if not participant else _("Write your input.")
    elif len(text) > MAX_TEXT_LENGTH:
        errors["text"] = _("Keep it under %(max)s characters (now %(length)s).", max=MAX_TEXT_LENGTH,
                           length=len(text))
    kind = raw.get("kind") or InputKind.idea.value
    if kind not in InputKind.__members__:
        errors["kind"] = _("Choose one of the kinds.")
    speaker = raw.get("speaker_category") or ""
    if participant:
        speaker = ""
    elif speaker not in SpeakerCategory.__members__ and speaker != "":
        errors["speaker_category"] = _("Choose one of the speaker categories, or none.")
    table_raw = raw.get("table")
    table_id = None
    if table_raw not in (None, ""):
        table_id = _int_or_none(table_raw)
        if table_id is None or table_id not in context.table_ids:
            errors["table"] = _("Choose one of this workshop's tables.")
    theme_ids: list[int] = []
    for theme_raw in raw.get("theme_ids") or ():
        theme_id = _int_or_none(theme_raw)
        if theme_id is None or theme_id not in context.theme_ids:
            errors["theme_ids"] = _("Choose themes this workshop works on.")
            break
        theme_ids.append(theme_id)
    suggestions = _accepted_suggestions(raw.get("suggestions"), theme_ids, errors)
    language = raw.get("language") or current_locale()
    if language not in LOCALES:
        errors["language"] = _("The language must be da, sv or en.")
    if errors:
        return errors
    return ItemDraft(
        client_id=client_id or "",
        text=text,
        kind=kind,
        theme_ids=tuple(dict.fromkeys(theme_ids)),
        table_id=table_id,
        speaker_category=speaker,
        language=language,
        suggestions=suggestions,
    )


def _accepted_suggestions(raw: Any, theme_ids: list[int], errors: FieldErrors) -> dict[int, tuple[int, float]]:
    """[{"theme_id", "rank", "score"}] for themes chosen among those offered; each must also be in theme_ids."""
    accepted: dict[int, tuple[int, float]] = {}
    for entry in raw or ():
        if not isinstance(entry, Mapping):
            errors["suggestions"] = _("Accepted suggestions need a theme, a rank and a score.")
            break
        theme_id, rank, score = _int_or_none(entry.get("theme_id")), _int_or_none(entry.get("rank")), entry.get("score")
        valid_score = isinstance(score, int | float) and not isinstance(score, bool)
        if theme_id is None or theme_id not in theme_ids or rank is None or rank < 1 or not valid_score:
            errors["suggestions"] = _("Accepted suggestions need a theme, a rank and a score.")
            break
        accepted[theme_id] = (rank, float(score))
    return accepted


def parse_batch(
    raw_items: Sequence[Mapping[str, Any]], context: WorkshopContext
) -> list[ItemDraft] | FieldErrors:
    """Every item of a batch, or the errors of all invalid ones keyed ``items[i].field``."""
    if not raw_items:
        return {"items": _("Send at least one item.")}
    if len(raw_items) > MAX_BATCH:
        return {"items": _("Send at most %(max)s items at a time.", max=MAX_BATCH)}
    drafts, errors = [], {}
    seen: set[str] = set()
    for index, raw in enumerate(raw_items):
        parsed = parse_item(raw, context)
        if isinstance(parsed, dict):
            errors.update({f"items[{index}].{name}": message for name, message in parsed.items()})
        elif parsed.client_id in seen:
            errors[f"items[{index}].client_id"] = _("Each item of a batch needs its own id.")
        else:
            seen.add(parsed.client_id)
            drafts.append(parsed)
    return errors or drafts


# --- storing ----------------------------------------------------------------------------------------------

class ClientIdTaken(Exception):
    """The client id is already stored for another workshop: a UUID is never reused across workshops."""


@dataclass(frozen=True)
class Captured:
    item: dict[str, Any]
    created: bool  # False: this client id was stored before (a replay); ``item`` is that stored row


ITEM_COLUMNS = (
    InputItem.id, InputItem.event, InputItem.workshop, InputItem.workshop_table, InputItem.client_id,
    InputItem.kind, InputItem.text, InputItem.language, InputItem.source, InputItem.speaker_category,
    InputItem.status, InputItem.merged_into, InputItem.votes, InputItem.created_at, InputItem.updated_at,
)


async def items_by_id(item_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Items with their theme ids, by id."""
    if not item_ids:
        return {}
    rows = await InputItem.select(*ITEM_COLUMNS).where(InputItem.id.is_in(list(item_ids)))
    tags = await tagging.tags_of([row["id"] for row in rows])
    return {row["id"]: {**row, "theme_ids": tags[row["id"]]} for row in rows}


async def _lock_client_ids(client_ids: list[str]) -> None:
    """On PostgreSQL, lock the batch's client ids in sorted order before inserting them in the given order.

    Two batches holding the same entries in different orders would otherwise wait on each other's unique-index
    entries (a deadlock); the stored ids still follow the order the entries were said in. SQLite has one writer.
    """
    if db.is_sqlite() or not client_ids:
        return
    await InputItem.raw(
        "SELECT pg_advisory_xact_lock(key) FROM (SELECT DISTINCT hashtextextended(client_id, 0) AS key"
        " FROM unnest({}::text[]) AS client_id ORDER BY key) AS keys",
        client_ids,
    )


async def capture(
    context: WorkshopContext,
    drafts: Sequence[ItemDraft],
    *,
    source: InputSource,
    staff_user_id: int | None = None,
    status_for: Callable[[ItemDraft], str] | None = None,
    at: datetime | None = None,
) -> list[Captured]:
    """Store the drafts (one transaction); a client id stored before answers with its stored row.

    ``status_for(draft)`` chooses the status of a new item (participants' input may be held); facilitators'
    input is published at once. ``at`` is when it was said, for notes captured afterwards (default: now); either
    way only the minute is kept.
    """
    created_ids: list[int] = []
    results: dict[int, tuple[int, bool]] = {}  # by the draft's position in ``drafts``
    # Only the minute, on the item and on every row written with it (its tags, its first revision): a finer
    # time could be matched with a device or an address elsewhere (a server's access log).
    minute = (at or now_utc()).replace(second=0, microsecond=0)
    async with db.atomic():
        await _lock_client_ids([draft.client_id for draft in drafts])
        for position, draft in enumerate(drafts):
            status = status_for(draft) if status_for else InputStatus.published.value
            inserted = await InputItem.insert(
                InputItem(
                    event=context.event_id,
                    workshop=context.id,
                    workshop_table=draft.table_id,
                    client_id=draft.client_id,
                    kind=draft.kind,
                    text=draft.text,
                    language=draft.language,
                    source=source.value,
                    speaker_category=draft.speaker_category,
                    status=status,
                    created_at=minute,
                )
            ).on_conflict(target=InputItem.client_id, action="DO NOTHING").returning(InputItem.id)
            if not inserted:
                stored = await InputItem.select(InputItem.id, InputItem.workshop).where(
                    InputItem.client_id == draft.client_id
                ).first()
                if stored is None or stored["workshop"] != context.id:
                    raise ClientIdTaken(draft.client_id)
                results[position] = (stored["id"], False)
                continue
            item_id = inserted[0]["id"]
            await tagging.set_tags(
                item_id, draft.theme_ids, chosen=TagChoice.person, suggestions=draft.suggestions, history=False,
                created_at=minute,
            )
            await InputRevision.insert(
                InputRevision(
                    input_item=item_id,
                    action="capture",
                    changes={"status": [None, status], "themes": [[], list(draft.theme_ids)],
                             "source": [None, source.value]},
                    staff_user=staff_user_id,
                    created_at=minute,
                )
            )
            created_ids.append(item_id)
            results[position] = (item_id, True)
    ordered = [results[position] for position in range(len(drafts))]
    items = await items_by_id([item_id for item_id, _created in ordered])
    for item_id in created_ids:
        if items[item_id]["status"] == InputStatus.published.value:
            await live.announce_input(item_id)
    return [Captured(item=items[item_id], created=created) for item_id, created in ordered]


# --- participants -----------------------------------------------------------------------------------------

def participant_status(context: WorkshopContext, draft: ItemDraft) -> str:
    """Held when the event pre-moderates or a word of the word list occurs; else published at once."""
    if context.moderation == Moderation.pre.value or wordlist.needs_review(draft.text):
        return InputStatus.held.value
    return InputStatus.published.value


async def submit_participant_input(context: WorkshopContext, draft: ItemDraft, table_id: int | None) -> Captured:
    """A participant's own input (anonymous; the table comes from a table's join code, if any)."""
    if table_id is not None:
        draft = ItemDraft(**{**draft.__dict__, "table_id": table_id})
    captured = await capture(
        context, [draft], source=InputSource.participant,
        status_for=lambda item: participant_status(context, item),
    )
    return captured[0]


async def published_items(workshop_id: int, limit: int = 100) -> list[dict[str, Any]]:
    """What participants may see of a workshop: published items only, most voted first."""
    rows = await InputItem.select(InputItem.id, InputItem.kind, InputItem.text, InputItem.votes).where(
        (InputItem.workshop == workshop_id) & (InputItem.status == InputStatus.published.value)
    ).order_by(InputItem.votes, ascending=False).order_by(InputItem.id, ascending=False).limit(limit)
    return rows


def vote_key(item_id: int, voter: str, secret: str) -> str:
    """One key per item and browser: the item and the browser's random cookie id, hashed with the server's
    secret. The item is in the hash, so one browser's votes on different items cannot be linked to each other."""
    digest = hmac.new(secret.encode(), f"vote:{item_id}:{voter}".encode(), hashlib.sha256).hexdigest()[:40]
    return f"{item_id}:{digest}"


async def vote(item_id: int, workshop_id: int, voter: str, secret: str) -> bool:
    """Count this browser's vote once; True when it was new. Only published items of the workshop count."""
    async with db.atomic():
        item = await InputItem.select(InputItem.id).where(
            (InputItem.id == item_id) & (InputItem.workshop == workshop_id)
            & (InputItem.status == InputStatus.published.value)
        ).first()
        if item is None:
            return False
        inserted = await InputVote.insert(
            InputVote(input_item=item_id, vote_key=vote_key(item_id, voter, secret))
        ).on_conflict(target=InputVote.vote_key, action="DO NOTHING").returning(InputVote.id)
        if inserted:
            await InputItem.update({InputItem.votes: InputItem.votes + 1}).where(InputItem.id == item_id)
    if inserted:
        await live.announce_input(item_id)
    return bool(inserted)


# --- the facilitator's own list ---------------------------------------------------------------------------

async def recent_items(workshop_id: int, limit: int = 50) -> list[dict[str, Any]]:
    """The workshop's latest input, newest first (hidden and merged ones are left out)."""
    rows = await InputItem.select(*ITEM_COLUMNS).where(
        (InputItem.workshop == workshop_id)
        & InputItem.status.is_in([InputStatus.published.value, InputStatus.held.value])
    ).order_by(InputItem.id, ascending=False).limit(limit)
    tags = await tagging.tags_of([row["id"] for row in rows])
    return [{**row, "theme_ids": tags[row["id"]]} for row in rows]


async def workshop_items(workshop_id: int, status: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
    """The workshop's items for staff, newest first, optionally of one status."""
    where = InputItem.workshop == workshop_id
    if status is not None:
        where &= InputItem.status == status
    rows = await InputItem.select(*ITEM_COLUMNS).where(where).order_by(InputItem.id, ascending=False).limit(limit)
    tags = await tagging.tags_of([row["id"] for row in rows])
    return [{**row, "theme_ids": tags[row["id"]]} for row in rows]


def undoable(item: Mapping[str, Any], now: datetime | None = None) -> bool:
    return item["status"] in {InputStatus.published.value, InputStatus.held.value} and (
        aware(item["created_at"]) + UNDO_WINDOW > (now or now_utc())
    )

"""Join codes: the six characters on a workshop's or a table's poster that open its input page (``/j/{code}``).

Codes are read off a wall from the back of a room and typed on a phone, so the alphabet leaves out every
character that can be taken for another: 0/O/Q/D, 1/I/L, 2/Z, 5/S, 8/B, U/V (and G, close to 6 and C on a
low-resolution print). 21 characters to the power of six is about 85 million codes.

A code is unique among all workshops *and* tables. The two kinds use disjoint parts of the code space (a
workshop's code starts with a letter, a table's with a digit), so the unique index on each table's
``join_code`` is all it takes: a code is drawn, inserted with ``ON CONFLICT DO NOTHING`` and drawn again when
another row already holds it. Nothing is checked before the insert, so two organisers creating workshops at the
same moment can never end up with the same code, on SQLite or PostgreSQL (where a racing insert waits for the
other transaction and then does nothing).
"""

from __future__ import annotations

import secrets
from typing import Any, NamedTuple

from piccolo.table import Table

from workshops.tables import Workshop, WorkshopTable

LETTERS = "ACEFHJKMNPRTWXY"
DIGITS = "34679"
ALPHABET = LETTERS + DIGITS
CODE_LENGTH = 6
# Each attempt collides with probability (codes in use) / (about 60 million): ten failures in a row mean the
# database is not answering as expected, not bad luck.
MAX_ATTEMPTS = 10

# What people type: lower case, spaces and dashes ("hk3 7mp") are forgiven.
_IGNORED = str.maketrans("", "", " -_.\t")


class JoinCodeExhausted(RuntimeError):
    """No free code was found in ``MAX_ATTEMPTS`` draws."""


def new_workshop_code() -> str:
    return secrets.choice(LETTERS) + _tail()


def new_table_code() -> str:
    return secrets.choice(DIGITS) + _tail()


def _tail() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH - 1))


def normalise(text: str) -> str | None:
    """The code in what someone typed or scanned, or None when it cannot be a join code."""
    cleaned = text.translate(_IGNORED).upper()
    if len(cleaned) != CODE_LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


async def insert_workshop(values: dict[Any, Any]) -> tuple[int, str]:
    """Insert a workshop row (``values``: column -> value, without ``join_code``); returns (id, join code)."""
    return await _insert_with_code(Workshop, values, new_workshop_code)


async def insert_table(workshop_id: int, label: str, position: int) -> tuple[int, str]:
    """Insert one table of a workshop with a fresh code; returns (id, join code)."""
    values = {WorkshopTable.workshop: workshop_id, WorkshopTable.label: label, WorkshopTable.position: position}
    return await _insert_with_code(WorkshopTable, values, new_table_code)


async def _insert_with_code(table: type[Table], values: dict[Any, Any], draw: Any) -> tuple[int, str]:
    code_column = table._meta.get_column_by_name("join_code")
    for _attempt in range(MAX_ATTEMPTS):
        code = draw()
        row = table(**{column._meta.name: value for column, value in values.items()}, join_code=code)
        inserted = await (
            table.insert(row).on_conflict(target=code_column, action="DO NOTHING").returning(table._meta.primary_key)
        )
        if inserted:
            return inserted[0]["id"], code
    raise JoinCodeExhausted(table._meta.tablename)


class JoinTarget(NamedTuple):
    """Where a join code leads (unpacks as ``event, workshop, table``); ``table`` is None for a workshop's code.

    ``event``: id, slug, title, timezone, status, starts_at, ends_at; ``workshop``: id, title, description,
    room, starts_at, ends_at, join_code; ``table``: id, label, join_code.
    """

    event: dict[str, Any]
    workshop: dict[str, Any]
    table: dict[str, Any] | None


_EVENT_FIELDS = ("id", "slug", "title", "timezone", "status", "starts_at", "ends_at")
_WORKSHOP_FIELDS = ("id", "title", "description", "room", "starts_at", "ends_at", "join_code")


async def find_join_code(text: str) -> JoinTarget | None:
    """The event, workshop and table a typed or scanned code belongs to, or None: one indexed read."""
    code = normalise(text)
    if code is None:
        return None
    if code[0] in DIGITS:
        via = WorkshopTable.workshop
        row = await WorkshopTable.select(
            WorkshopTable.id, WorkshopTable.label, WorkshopTable.join_code,
            *(getattr(via, name).as_alias(f"w_{name}") for name in _WORKSHOP_FIELDS),
            *(getattr(via.event, name).as_alias(f"e_{name}") for name in _EVENT_FIELDS),
        ).where(WorkshopTable.join_code == code).output(load_json=True).first()
        table = None if row is None else {"id": row["id"], "label": row["label"], "join_code": row["join_code"]}
    else:
        row = await Workshop.select(
            *(getattr(Workshop, name).as_alias(f"w_{name}") for name in _WORKSHOP_FIELDS),
            *(getattr(Workshop.event, name).as_alias(f"e_{name}") for name in _EVENT_FIELDS),
        ).where(Workshop.join_code == code).output(load_json=True).first()
        table = None
    if row is None:
        return None
    return JoinTarget(
        event={name: row[f"e_{name}"] for name in _EVENT_FIELDS},
        workshop={name: row[f"w_{name}"] for name in _WORKSHOP_FIELDS},
        table=table,
    )

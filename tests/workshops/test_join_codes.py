"""Join codes: six characters without look-alikes, unique among all workshops and tables even when many are
created at once, and found again however people type them."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta

import pytest
from registration_support import database_pool  # noqa: F401  (fixture)
from workshop_support import conference

from workshops import join_codes
from workshops.join_codes import ALPHABET, DIGITS, LETTERS, find_join_code, normalise
from workshops.management.forms import WorkshopData
from workshops.management.services import create_workshop
from workshops.tables import Workshop, WorkshopTable

LOOK_ALIKES = "0OQD1IL2Z5S8BUVG"


class NoThemes:
    async def set_workshop_themes(self, workshop_id, theme_ids) -> None:
        assert not theme_ids


def data(event, tables: int = 2) -> WorkshopData:
    return WorkshopData(
        title={"en": "Equal pay"}, description={}, room="", starts_at=event["starts_at"],
        ends_at=event["starts_at"] + timedelta(hours=1), capacity=None,
        tables=tuple(f"Table {n}" for n in range(1, tables + 1)), facilitator_ids=(), theme_ids=(),
    )


async def test_the_alphabet_has_no_look_alikes_and_enough_codes():
    assert not set(LOOK_ALIKES) & set(ALPHABET)
    assert set(ALPHABET) == set(LETTERS) | set(DIGITS) and not set(LETTERS) & set(DIGITS)
    assert len(ALPHABET) ** join_codes.CODE_LENGTH > 50_000_000
    workshop_codes = {join_codes.new_workshop_code() for _ in range(500)}
    table_codes = {join_codes.new_table_code() for _ in range(500)}
    for code in workshop_codes | table_codes:
        assert len(code) == 6 and set(code) <= set(ALPHABET)
    assert all(code[0] in LETTERS for code in workshop_codes) and all(code[0] in DIGITS for code in table_codes)


@pytest.mark.parametrize(("typed", "expected"), [
    ("HK37MP", "HK37MP"), ("hk3 7mp", "HK37MP"), ("hk3-7mp", "HK37MP"), (" HK37MP\t", "HK37MP"),
    ("HK37M", None), ("HK37MPA", None), ("HO37MP", None), ("HK37M0", None), ("HK37MI", None), ("", None),
    ("HK37M!", None), ("ÆK37MP", None),
])
async def test_typed_codes_are_read_forgivingly_but_only_from_the_alphabet(typed, expected):
    assert normalise(typed) == expected


async def test_a_code_leads_to_its_event_workshop_and_table():
    event = await conference()
    workshop_id = await create_workshop(event["id"], data(event), NoThemes(), "test")
    workshop = await Workshop.select().where(Workshop.id == workshop_id).first()
    first, _second = await WorkshopTable.select().where(WorkshopTable.workshop == workshop_id).order_by(
        WorkshopTable.position
    )
    found = await find_join_code(workshop["join_code"].lower())
    assert found is not None and found.table is None
    event_row, workshop_row, _table = found
    assert event_row["id"] == event["id"] and event_row["slug"] == event["slug"]
    assert workshop_row["id"] == workshop_id and workshop_row["title"] == {"en": "Equal pay"}
    at_table = await find_join_code(first["join_code"])
    assert at_table.workshop["id"] == workshop_id and at_table.event["id"] == event["id"]
    assert at_table.table == {"id": first["id"], "label": "Table 1", "join_code": first["join_code"]}
    assert at_table.event["title"]["en"].startswith("Equality conference")
    assert await find_join_code("AAAAAA") is None and await find_join_code("not a code") is None


async def test_a_drawn_code_that_is_taken_is_drawn_again(monkeypatch):
    event = await conference()
    taken = await create_workshop(event["id"], data(event, tables=0), NoThemes(), "test")
    taken_code = (await Workshop.select(Workshop.join_code).where(Workshop.id == taken).first())["join_code"]
    draws = iter([taken_code, taken_code, "MNPRTW"])
    monkeypatch.setattr(join_codes, "new_workshop_code", lambda: next(draws))
    workshop_id, code = await join_codes.insert_workshop({
        Workshop.event: event["id"], Workshop.title: {"en": "Second"}, Workshop.position: 1,
    })
    assert code == "MNPRTW"
    assert (await Workshop.select(Workshop.join_code).where(Workshop.id == workshop_id).first())["join_code"] == code


async def test_ten_draws_that_are_all_taken_fail_loudly(monkeypatch):
    event = await conference()
    taken = await create_workshop(event["id"], data(event, tables=0), NoThemes(), "test")
    taken_code = (await Workshop.select(Workshop.join_code).where(Workshop.id == taken).first())["join_code"]
    monkeypatch.setattr(join_codes, "new_workshop_code", lambda: taken_code)
    with pytest.raises(join_codes.JoinCodeExhausted):
        await join_codes.insert_workshop({Workshop.event: event["id"], Workshop.title: {"en": "x"}})
    assert await Workshop.count() == 1


@pytest.mark.concurrency
@pytest.mark.usefixtures("database_pool")
async def test_workshops_created_at_the_same_moment_never_share_a_code(monkeypatch):
    """Every code is drawn twice in a row from one shared sequence, so concurrent creations collide; each
    insert that loses draws again, and all twelve workshops (and their tables) end up with distinct codes."""
    event = await conference()
    workshop_draws = itertools.chain.from_iterable((code, code) for code in _codes(LETTERS[0], 40))
    table_draws = itertools.chain.from_iterable((code, code) for code in _codes(DIGITS[0], 80))
    drawn = {"workshop": 0, "table": 0}

    def draw(kind, source):
        def next_code():
            drawn[kind] += 1
            return next(source)
        return next_code

    monkeypatch.setattr(join_codes, "new_workshop_code", draw("workshop", workshop_draws))
    monkeypatch.setattr(join_codes, "new_table_code", draw("table", table_draws))
    await asyncio.gather(*(create_workshop(event["id"], data(event, tables=3), NoThemes(), "test")
                           for _ in range(12)))
    codes = [row["join_code"] for row in await Workshop.select(Workshop.join_code)]
    table_codes = [row["join_code"] for row in await WorkshopTable.select(WorkshopTable.join_code)]
    assert len(codes) == 12 and len(set(codes)) == 12
    assert len(table_codes) == 36 and len(set(table_codes)) == 36
    assert drawn["workshop"] > 12 and drawn["table"] > 36, "the draws did collide"


def _codes(first: str, count: int) -> list[str]:
    tails = itertools.product(ALPHABET, repeat=5)
    return [first + "".join(next(tails)) for _ in range(count)]

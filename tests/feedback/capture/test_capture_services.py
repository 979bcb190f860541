"""Capturing input through the services: what is stored (and what never is), idempotent replays and racing
sends, validation with translated messages, and tags chosen or accepted from suggestions."""

from __future__ import annotations

import asyncio

import pytest
from input_support import make_setup, new_id
from registration_support import database_pool  # noqa: F401  (fixture)

from feedback.capture import services
from feedback.tables import InputItem, InputRevision, InputSource, InputTag, TagChoice

pytestmark = pytest.mark.usefixtures("database_pool")


async def drafts_for(context, *texts: str, **fields):
    parsed = services.parse_batch([{"client_id": new_id(), "text": text, **fields} for text in texts], context)
    assert not isinstance(parsed, dict), parsed
    return parsed


async def test_an_item_records_the_workshop_table_kind_themes_and_a_coarse_time():
    setup = await make_setup()
    context = await services.load_workshop(setup.workshop_id)
    [draft] = await drafts_for(context, "Bedre belysning på stien", kind="proposal", table=setup.table_ids[1],
                               theme_ids=[setup.theme_ids[0]], speaker_category="citizen", language="da")

    [captured] = await services.capture(context, [draft], source=InputSource.facilitator)

    stored = captured.item
    assert captured.created
    assert (stored["event"], stored["workshop"], stored["workshop_table"]) == (
        setup.event_id, setup.workshop_id, setup.table_ids[1])
    assert (stored["kind"], stored["language"], stored["source"], stored["status"]) == (
        "proposal", "da", "facilitator", "published")
    assert stored["speaker_category"] == "citizen" and stored["theme_ids"] == [setup.theme_ids[0]]
    assert stored["created_at"].second == 0 and stored["created_at"].microsecond == 0
    # Nothing on the row could point to a person or a device.
    columns = {column._meta.name for column in InputItem._meta.columns}
    assert not columns & {"registration", "ip", "ip_address", "device", "device_id", "user_agent", "name", "email"}


async def test_a_participants_item_leaves_no_finer_time_and_no_account_in_any_row():
    """The item's tags and its first revision keep the same minute as the item: a finer time anywhere could be
    matched with an address in a server's access log."""
    setup = await make_setup()
    context = await services.load_workshop(setup.workshop_id)
    [draft] = await drafts_for(context, "Flere bænke", theme_ids=[setup.theme_ids[0], setup.theme_ids[1]])

    captured = await services.submit_participant_input(context, draft, None)

    item_id = captured.item["id"]
    minute = captured.item["created_at"]
    assert minute.second == 0 and minute.microsecond == 0
    tags = await InputTag.select(InputTag.created_at).where(InputTag.input_item == item_id)
    [revision] = await InputRevision.select(InputRevision.created_at, InputRevision.staff_user).where(
        InputRevision.input_item == item_id)
    assert len(tags) == 2 and {row["created_at"] for row in tags} == {minute}
    assert revision["created_at"] == minute and revision["staff_user"] is None


async def test_the_same_batch_sent_twice_stores_each_item_once():
    setup = await make_setup()
    context = await services.load_workshop(setup.workshop_id)
    batch = await drafts_for(context, "one", "two", "three", theme_ids=[setup.theme_ids[1]])

    first = await services.capture(context, batch, source=InputSource.facilitator)
    again = await services.capture(context, batch, source=InputSource.facilitator)

    assert [entry.created for entry in first] == [True, True, True]
    assert [entry.created for entry in again] == [False, False, False]
    assert [entry.item["id"] for entry in first] == [entry.item["id"] for entry in again]
    assert await InputItem.count() == 3
    assert await InputTag.count() == 3
    assert await InputRevision.count().where(InputRevision.action == "capture") == 3


async def test_two_racing_sends_of_the_same_entries_store_them_once():
    setup = await make_setup()
    context = await services.load_workshop(setup.workshop_id)
    batch = await drafts_for(context, "racing one", "racing two")

    results = await asyncio.gather(
        *(services.capture(context, batch, source=InputSource.facilitator) for _ in range(4))
    )

    assert await InputItem.count() == 2
    ids = {tuple(entry.item["id"] for entry in result) for result in results}
    assert len(ids) == 1
    assert sum(entry.created for result in results for entry in result) == 2


async def test_racing_sends_of_the_same_entries_in_different_orders_store_them_once_and_answer_in_order():
    """On PostgreSQL two sends in opposite orders would wait on each other's unique-index entries (a deadlock)
    unless each first locks its client ids in one shared order."""
    setup = await make_setup()
    context = await services.load_workshop(setup.workshop_id)
    batch = await drafts_for(context, *(f"entry {number}" for number in range(8)))
    orders = [batch, list(reversed(batch))] * 3

    results = await asyncio.gather(
        *(services.capture(context, order, source=InputSource.facilitator) for order in orders)
    )

    assert await InputItem.count() == 8
    for order, result in zip(orders, results, strict=True):
        assert [entry.item["text"] for entry in result] == [draft.text for draft in order]
    assert sum(entry.created for result in results for entry in result) == 8


async def test_a_batch_is_stored_in_the_order_it_was_said():
    setup = await make_setup()
    context = await services.load_workshop(setup.workshop_id)
    batch = await drafts_for(context, *(f"entry {number}" for number in range(6)))

    await services.capture(context, batch, source=InputSource.facilitator)

    rows = await InputItem.select(InputItem.text).order_by(InputItem.id)
    assert [row["text"] for row in rows] == [draft.text for draft in batch]


async def test_a_client_id_of_another_workshop_is_refused_not_returned():
    setup = await make_setup()
    context = await services.load_workshop(setup.workshop_id)
    other = await services.load_workshop(setup.other_workshop_id)
    [draft] = await drafts_for(context, "mine")
    await services.capture(context, [draft], source=InputSource.facilitator)

    with pytest.raises(services.ClientIdTaken):
        await services.capture(other, [draft], source=InputSource.facilitator)
    assert await InputItem.count() == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"text": "  "}, "text"),
        ({"text": "x" * 2001}, "text"),
        ({"kind": "rant"}, "kind"),
        ({"speaker_category": "Anna Hansen"}, "speaker_category"),
        ({"client_id": "not-a-uuid"}, "client_id"),
        ({"table": 999999}, "table"),
        ({"table": "abc"}, "table"),
        ({"theme_ids": [999999]}, "theme_ids"),
        ({"language": "de"}, "language"),
        ({"suggestions": [{"theme_id": 1, "rank": 1, "score": 0.5}]}, "suggestions"),
    ],
)
async def test_bad_fields_get_a_message_each(fields, field):
    setup = await make_setup()
    context = await services.load_workshop(setup.workshop_id)
    raw = {"client_id": new_id(), "text": "A fine idea", **fields}

    errors = services.parse_item(raw, context)

    assert isinstance(errors, dict) and field in errors and errors[field]


async def test_a_theme_of_another_workshop_cannot_be_used():
    setup = await make_setup()
    context = await services.load_workshop(setup.workshop_id)
    errors = services.parse_item({"client_id": new_id(), "text": "x", "theme_ids": [setup.other_theme_id]}, context)
    assert "theme_ids" in errors


async def test_a_batch_with_one_bad_item_stores_nothing_and_names_the_item():
    setup = await make_setup()
    context = await services.load_workshop(setup.workshop_id)
    raw = [{"client_id": new_id(), "text": "good"}, {"client_id": new_id(), "text": ""}]

    errors = services.parse_batch(raw, context)

    assert isinstance(errors, dict) and set(errors) == {"items[1].text"}
    assert await InputItem.count() == 0


async def test_an_accepted_suggestion_is_recorded_with_its_rank_and_score():
    setup = await make_setup()
    context = await services.load_workshop(setup.workshop_id)
    first, second = setup.theme_ids
    raw = {"client_id": new_id(), "text": "Lige løn", "theme_ids": [first, second],
           "suggestions": [{"theme_id": second, "rank": 2, "score": 0.42}]}
    draft = services.parse_item(raw, context)

    [captured] = await services.capture(context, [draft], source=InputSource.facilitator)

    tags = {row["theme"]: row for row in await InputTag.select().where(InputTag.input_item == captured.item["id"])}
    assert tags[first]["chosen"] == TagChoice.person.value and tags[first]["suggestion_rank"] is None
    assert tags[second]["chosen"] == TagChoice.suggestion.value
    assert (tags[second]["suggestion_rank"], tags[second]["suggestion_score"]) == (2, pytest.approx(0.42))

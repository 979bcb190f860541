"""The capture API's own budget: per API token or signed-in account (a phone back online sends one entry at a
time, so the default is generous); a capture refused with 429 stores nothing and is stored when sent again."""

from __future__ import annotations

import dataclasses

import pytest
import staff_support
from input_support import make_setup, new_id
from test_capture_api import api_of, bearer

from feedback.tables import InputItem

client = staff_support.client
BUDGET = 3


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, capture_api_rate=(BUDGET, 60))


async def test_captures_beyond_the_budget_get_429_per_token_and_store_nothing(client):
    setup = await make_setup()
    headers = await bearer()
    bodies = [{"client_id": new_id(), "text": f"entry {n}"} for n in range(BUDGET + 1)]

    statuses = [(await client.post(api_of(setup), json=body, headers=headers)).status_code for body in bodies]

    assert statuses == [201] * BUDGET + [429]
    assert await InputItem.count() == BUDGET
    other = await bearer()  # another token has its own budget: the refused entry, sent again, is stored once
    assert (await client.post(api_of(setup), json=bodies[-1], headers=other)).status_code == 201
    assert await InputItem.count() == BUDGET + 1

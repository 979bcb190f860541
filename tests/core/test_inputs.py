"""``samrad.core.inputs``: whole numbers and dates from forms, and the guard every request passes (the hostile
corpus in ``tests/hostile/`` sends it everything; these pin the rules themselves)."""

from __future__ import annotations

from datetime import date

import pytest
import staff_support
from staff_support import csrf_token

from samrad.core.inputs import MAX_WHOLE_NUMBER, plausible, whole_number

client = staff_support.client


@pytest.mark.parametrize(("raw", "number"), [
    ("7", 7), (" 42 ", 42), ("0", 0), ("١٢", 12), (str(MAX_WHOLE_NUMBER), MAX_WHOLE_NUMBER),
    ("²", None), ("-1", None), ("1.5", None), ("", None), ("twelve", None), (str(MAX_WHOLE_NUMBER + 1), None),
    ("9" * 30, None), (12, None), (None, None),
])
async def test_whole_numbers(raw, number):
    assert whole_number(raw) == number


async def test_whole_numbers_up_to_a_maximum():
    assert whole_number("100", 100) == 100
    assert whole_number("101", 100) is None


async def test_plausible_dates():
    assert plausible(date(2026, 5, 1)) and plausible(date(2000, 1, 1)) and plausible(date(2100, 12, 31))
    assert not plausible(date(1, 1, 1)) and not plausible(date(9999, 12, 31))


async def test_raw_utf8_in_a_form_is_read_as_utf8(client):
    """``curl -d email=søren@…`` sends UTF-8 without escapes: read as UTF-8, not Latin-1."""
    token = await csrf_token(client)
    body = f"_csrf_token={token}&email=".encode() + "søren@example.org".encode() + b"&password=wrong"
    response = await client.post("/staff/login", content=body,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 401
    assert 'value="søren@example.org"' in response.text


@pytest.mark.parametrize("body", [b"email=a%00b&password=x", b"email=%FF%FE&password=x", b"email=\xff&password=x"])
async def test_nul_and_bytes_that_are_not_utf8_are_refused(client, body):
    token = await csrf_token(client)
    response = await client.post("/staff/login", content=f"_csrf_token={token}&".encode() + body,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400
    assert "<h1>" in response.text


@pytest.mark.parametrize("body", [b'{"name": "a\\u0000b"}', b'{"name": "\xff"}', b"[" * 100_000 + b"]" * 100_000])
async def test_json_with_nul_bad_bytes_or_endless_nesting_is_refused(client, body):
    response = await client.post("/api/v1/events/no-such-event/registrations", content=body,
                                 headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["status_code"] == 400


@pytest.mark.parametrize("path", ["/staff/input/9223372036854775808", "/workshops/2147483648/wall"])
async def test_ids_past_the_columns_are_not_found(client, path):
    assert (await client.get(path)).status_code in {303, 404}  # staff pages send the anonymous to log in first

"""Module-scoped set-up for the hostile-input corpus: one world, one app, one logged-in administrator per
module (the corpus sends thousands of requests; making rows per test would cost more than the tests).

The harness' per-test emptying of the tables is replaced by one at the start of each module, and the rate
limits are lifted (a 429 would hide what the validation does with the input).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from database_support import empty_all_tables
from hostile_support import HEADERS
from hostile_world import build_world
from staff_support import login, next_address

LIFTED = (100_000, 60)

# Thousands of requests: their one-line logs would drown a failure's report.
logging.getLogger("httpx").setLevel(logging.WARNING)


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module", autouse=True)
async def empty_database(anyio_backend) -> None:
    await empty_all_tables()


@pytest.fixture(scope="module", autouse=True)
def cheap_password_hashes() -> Iterator[None]:
    """argon2 at its lowest cost: the corpus sets and checks passwords hundreds of times, and what it tests is
    the input, not the hash (``tests/test_security.py`` tests the real one)."""
    from argon2 import PasswordHasher

    from samrad.core import security

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        yield


@pytest.fixture(scope="module")
async def app(empty_database) -> AsyncIterator[Any]:
    from samrad.app import create_app
    from samrad.core.settings import get_settings

    settings = dataclasses.replace(
        get_settings(), registration_rate=LIFTED, api_rate=LIFTED, participant_input_rate=LIFTED,
        organiser_api_rate=LIFTED, capture_api_rate=LIFTED, login_rate=LIFTED, login_account_rate=LIFTED,
    )
    application = create_app(settings)
    async with application.lifespan():
        yield application


@pytest.fixture(scope="module")
async def world(app) -> dict[str, Any]:
    return await build_world()


async def _browser(app) -> Any:
    import httpx

    transport = httpx.ASGITransport(app=app, client=(next_address(), 40000))
    return httpx.AsyncClient(transport=transport, base_url="https://testserver.local", headers=HEADERS)


@pytest.fixture(scope="module")
async def admin(app, world) -> AsyncIterator[Any]:
    """A browser logged in as the world's administrator (on every event's team)."""
    async with await _browser(app) as browser:
        response = await login(browser, world["admin_email"])
        assert response.status_code == 303, response.text[:300]
        yield browser


@pytest.fixture(scope="module")
async def public(app, world) -> AsyncIterator[Any]:
    """A browser without a login."""
    async with await _browser(app) as browser:
        yield browser

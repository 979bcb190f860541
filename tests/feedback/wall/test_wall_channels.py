"""Several server processes: a wall connected to process A shows input captured on process B when the
channels run on Redis or on PostgreSQL (LISTEN/NOTIFY), and does not in memory (the default, one process).

Two apps in one test process stand for the two processes: each has its own channels plugin and backend
connection, and only B's announces the captured input.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import AsyncIterator

import pytest
from wall_support import capture, hide, make_wall, open_stream, streaming_client

from feedback import live
from feedback.wall import channels as wall_channels
from feedback.wall.channels import WallChannels, backend_name
from samrad.app import create_app

REDIS_URL = "redis://127.0.0.1:6379/15"
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"


@contextlib.asynccontextmanager
async def two_processes(settings) -> AsyncIterator[tuple]:
    first, second = create_app(settings), create_app(settings)
    async with first.lifespan(), second.lifespan():
        yield first, second


@contextlib.contextmanager
def announced_by(app):
    """Only ``app``'s channels announce, as in the process that captured."""
    running = list(live._running)
    live._running[:] = [app.plugins.get(WallChannels)]
    try:
        yield
    finally:
        live._running[:] = running


async def _delivered_across(settings) -> None:
    wall = await make_wall()
    async with two_processes(settings) as (process_a, process_b):
        async with streaming_client(process_a) as http, open_stream(
            http, f"/workshops/{wall['workshop_id']}/wall/stream"
        ) as events:
            assert (await events.next()).name == "snapshot"
            with announced_by(process_b):
                item = await capture(wall["workshop_id"], "Captured on the other process")
                arrived = await events.next(timeout=1.0)
                assert (arrived.name, arrived.data["text"]) == ("input", "Captured on the other process")
                await hide(item["id"])
                assert (await events.next(timeout=1.0)).data == {"id": item["id"]}


async def test_the_backend_follows_the_settings(settings):
    assert backend_name(settings) == "memory"
    assert backend_name(dataclasses.replace(settings, redis_url=REDIS_URL)) == "redis"
    assert backend_name(dataclasses.replace(settings, redis_url=REDIS_URL, channels="memory")) == "memory"
    assert backend_name(dataclasses.replace(settings, channels="postgres")) == "postgres"


async def test_the_setting_takes_memory_redis_or_postgres(monkeypatch):
    from samrad.core.settings import Settings

    monkeypatch.setenv("SAMRAD_CHANNELS", "Postgres")
    assert Settings.from_env().channels == "postgres"
    monkeypatch.setenv("SAMRAD_CHANNELS", "kafka")
    with pytest.raises(ValueError, match="SAMRAD_CHANNELS"):
        Settings.from_env()


async def test_a_backend_without_what_it_needs_is_refused(settings):
    with pytest.raises(ValueError, match="SAMRAD_REDIS_URL"):
        wall_channels.build_backend(dataclasses.replace(settings, channels="redis", redis_url=""))
    with pytest.raises(ValueError, match="PostgreSQL"):
        wall_channels.build_backend(dataclasses.replace(settings, channels="postgres", database_url="sqlite:///x"))


async def test_redis_carries_input_from_one_process_to_the_wall_of_another(settings):
    await _delivered_across(dataclasses.replace(settings, redis_url=REDIS_URL, channels="redis"))


async def test_postgres_carries_input_from_one_process_to_the_wall_of_another(settings, monkeypatch):
    if settings.is_sqlite:
        # The app's database is SQLite here: LISTEN/NOTIFY runs on the PostgreSQL server of the test run.
        from litestar.channels.backends.asyncpg import AsyncPgChannelsBackend

        monkeypatch.setattr(wall_channels, "build_backend", lambda _settings: AsyncPgChannelsBackend(dsn=POSTGRES_URL))
    await _delivered_across(dataclasses.replace(settings, channels="postgres"))


async def test_in_memory_a_message_stays_in_its_process(settings):
    wall = await make_wall()
    async with two_processes(dataclasses.replace(settings, channels="memory")) as (process_a, process_b):
        async with streaming_client(process_a) as http, open_stream(
            http, f"/workshops/{wall['workshop_id']}/wall/stream"
        ) as events:
            await events.next()
            with announced_by(process_b):
                await capture(wall["workshop_id"], "Stays on process B")
            with pytest.raises(TimeoutError):
                await events.next(timeout=0.5)

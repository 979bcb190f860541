"""The SQLite connection pool of ``samrad.core.db``, and the content version read shared on PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest

from samrad.core import db


async def test_a_burst_of_queries_opens_no_more_sqlite_connections_than_the_pool_holds(app):
    """Connections still opening count against the pool size: 50 queries at once open at most the pool's few."""
    engine = db.engine()
    if not isinstance(engine, db.PooledSQLiteEngine):
        pytest.skip("PostgreSQL pools with asyncpg")
    await asyncio.gather(*(engine.run_ddl("SELECT 1") for _ in range(50)))
    assert len(engine.pool().opened) <= db.SQLITE_POOL_SIZE


async def test_a_write_waiting_for_another_process_lets_the_loop_run_and_then_commits(app):
    """atomic() runs on a connection driven from the loop's thread: while another process holds SQLite's write
    lock, its BEGIN waits with asyncio.sleep (the loop keeps serving), then the write goes through."""
    import sqlite3

    engine = db.engine()
    if not isinstance(engine, db.PooledSQLiteEngine):
        pytest.skip("PostgreSQL transactions do not queue on a file lock")
    other = sqlite3.connect(engine.connection_kwargs["database"], isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process's write transaction
    versions = [await db.content_version()]

    async def write() -> None:
        async with db.atomic():
            pass

    writing = asyncio.create_task(write())
    ticks = 0
    for _ in range(20):  # the loop keeps running while the write waits
        await asyncio.sleep(0.005)
        ticks += 1
    assert not writing.done()
    other.execute("COMMIT")
    other.close()
    await asyncio.wait_for(writing, 5)
    versions.append(await db.content_version())
    assert ticks == 20
    assert versions[1] == versions[0] + 1


def _postgres_only() -> None:
    if not isinstance(db.engine(), db.PostgresEngine):
        pytest.skip("on SQLite each caller reads the version on the loop's thread")


async def test_concurrent_version_reads_share_round_trips(app, monkeypatch):
    _postgres_only()
    reads: list[int] = []
    real = db._read_content_version

    async def counted() -> int:
        reads.append(1)
        return await real()

    monkeypatch.setattr(db, "_read_content_version", counted)
    versions = await asyncio.gather(*(db.content_version() for _ in range(50)))
    assert len(set(versions)) == 1
    assert len(reads) <= 2  # one read, and at most one more for those who asked while it was under way


async def test_a_shared_version_read_never_hides_a_commit_made_before_the_caller_asked(app, monkeypatch):
    """A read under way may hold the version from before a commit; a caller who asks after that commit waits
    for the next read instead of taking it."""
    _postgres_only()
    real = db._read_content_version
    release = asyncio.Event()
    reads: list[int] = []

    async def first_read_is_slow() -> int:
        value = await real()
        reads.append(value)
        if len(reads) == 1:
            await release.wait()  # the read has its (old) value and is still under way
        return value

    monkeypatch.setattr(db, "_read_content_version", first_read_is_slow)
    early = asyncio.create_task(db.content_version())
    while not reads:
        await asyncio.sleep(0.001)
    async with db.atomic():
        pass
    late = asyncio.create_task(db.content_version())
    await asyncio.sleep(0.01)
    release.set()
    assert await late == await early + 1


async def test_a_failed_shared_read_reaches_every_caller_and_the_next_read_works(app, monkeypatch):
    _postgres_only()
    real = db._read_content_version

    async def failing() -> int:
        raise ConnectionRefusedError("database away")

    monkeypatch.setattr(db, "_read_content_version", failing)
    results = await asyncio.gather(*(db.content_version() for _ in range(5)), return_exceptions=True)
    assert all(isinstance(result, ConnectionRefusedError) for result in results)
    monkeypatch.setattr(db, "_read_content_version", real)
    assert await db.content_version() >= 0


async def test_a_version_read_inside_a_transaction_reads_in_it(app):
    _postgres_only()
    before = await db.content_version()
    async with db.atomic():
        await db.bump_content_version()
        assert await db.content_version() == before + 1  # its own uncommitted move, seen in the transaction

"""The SQLite connection pool of ``samrad.core.db``."""

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

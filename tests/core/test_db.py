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

"""Long reads as plain rows: what an export of 100,000 rows reads through, batch after batch, on one connection.

Piccolo hands every row back as a dict and, on SQLite, converts every value in Python on its way out (an
INTEGER column through ``Decimal``, a timestamp through ``fromisoformat``): reading 100,000 items that way took
three times the CPU of reading them plainly. Here rows are tuples with the driver's own values: on PostgreSQL
asyncpg's ``Record`` (a timestamp is an aware ``datetime``), on SQLite ``sqlite3``'s tuples (a timestamp is the
ISO text Piccolo stored). Queries use Piccolo's ``{}`` placeholders; arguments are adapted as Piccolo adapts
them.

SQLite: a read-only connection of the reader's own, its queries run one at a time in worker threads (SQLite
does its work there, outside the interpreter's lock, while the event loop formats the batch before); in WAL
mode it never waits for a writer. PostgreSQL: each query on a connection from the pool, so an export can read
several parts side by side. Reads only, outside any transaction: the rows are committed ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from piccolo.engine.sqlite import SQLiteEngine
from piccolo.querystring import QueryString

from samrad.core import db

Read = Callable[..., Awaitable[Sequence[Sequence[Any]]]]


@contextlib.asynccontextmanager
async def reader() -> AsyncIterator[Read]:
    """``read(sql, *args)`` giving the rows of one query; several may be asked for at once."""
    engine = db.engine()
    if isinstance(engine, SQLiteEngine):
        kwargs = {key: value for key, value in engine.connection_kwargs.items() if key != "detect_types"}
        connection = sqlite3.connect(**{**kwargs, "check_same_thread": False})
        # Held by the thread using the connection. Closing it while a query runs in another thread crashes the
        # process (a client that leaves half-way cancels the read, not the thread): the close waits its turn.
        in_use = threading.Lock()

        def fetch(sql: str, args: list[Any]) -> list[tuple[Any, ...]]:
            with in_use:
                return connection.execute(sql, args).fetchall()

        def close() -> None:
            with in_use:
                connection.close()

        async def read_sqlite(sql: str, *args: Any) -> Sequence[Sequence[Any]]:
            query, values = QueryString(sql, *args).compile_string(engine_type="sqlite")
            return await asyncio.to_thread(fetch, query, values)

        try:
            connection.execute("PRAGMA query_only = 1")
            yield read_sqlite
        finally:
            await asyncio.to_thread(close)
        return
    pool = getattr(engine, "pool", None)
    if pool is not None:

        async def read_pooled(sql: str, *args: Any) -> Sequence[Sequence[Any]]:
            query, values = QueryString(sql, *args).compile_string(engine_type="postgres")
            return await pool.fetch(query, *values)

        yield read_pooled
        return
    connection = await engine.get_new_connection()  # scripts that never started the app's pool
    turn = asyncio.Lock()
    try:

        async def read_postgres(sql: str, *args: Any) -> Sequence[Sequence[Any]]:
            query, values = QueryString(sql, *args).compile_string(engine_type="postgres")
            async with turn:
                return await connection.fetch(query, *values)

        yield read_postgres
    finally:
        await connection.close()

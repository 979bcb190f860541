"""Database engine and the one way to write: ``atomic()``.

SQLite needs IMMEDIATE transactions for writes (the write lock is taken up front, so concurrent writers wait
on the busy timeout instead of failing half-way), WAL so readers never wait for writers, and foreign keys on.
PostgreSQL gets a plain transaction; capacity code relies on row locks taken by conditional UPDATEs.
"""

from __future__ import annotations

from piccolo.engine import engine_finder
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from samrad.settings import Settings

SQLITE_BUSY_TIMEOUT_SECONDS = 30


def build_engine(settings: Settings) -> Engine:
    if settings.is_sqlite:
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        return SQLiteEngine(path=str(settings.sqlite_path), timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
    return PostgresEngine(config={"dsn": settings.database_url}, log_queries=False)


def engine() -> Engine:
    found = engine_finder()
    if found is None:
        raise RuntimeError("No Piccolo engine configured (PICCOLO_CONF)")
    return found


def is_sqlite() -> bool:
    return isinstance(engine(), SQLiteEngine)


def atomic():
    """A write transaction; nested calls join the outer one."""
    db = engine()
    if isinstance(db, SQLiteEngine):
        return db.transaction(transaction_type=TransactionType.immediate)
    return db.transaction()


async def start() -> None:
    """Open what the process needs: WAL on SQLite, the connection pool on PostgreSQL."""
    db = engine()
    if isinstance(db, SQLiteEngine):
        await db.run_ddl("PRAGMA journal_mode=WAL")
    else:
        await db.start_connection_pool(min_size=1, max_size=20)


async def stop() -> None:
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.close_connection_pool()


async def ping() -> bool:
    try:
        await engine().run_ddl("SELECT 1")
    except Exception:
        return False
    return True

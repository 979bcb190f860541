"""Database engine and the one way to write: ``atomic()``.

SQLite needs IMMEDIATE transactions for writes (the write lock is taken up front, so concurrent writers wait
on the busy timeout instead of failing half-way), WAL so readers never wait for writers, and foreign keys on.
PostgreSQL gets a plain transaction; capacity code relies on row locks taken by conditional UPDATEs.

Piccolo's SQLite engine opens a new connection (a thread) for every query outside a transaction, which costs
more than most queries. ``PooledSQLiteEngine`` keeps a few open connections per process instead, from
``start()`` to ``stop()`` (the app's lifespan, the worker's run); outside that window it behaves like
Piccolo's engine, so scripts and tests that never start the app still work. Reads run in the pool's threads
(a long listing query does not hold up the loop), except ``InstantRead``s; ``atomic()``'s write transactions
run on one connection driven from the loop's own thread (``_LoopConnection``: why, there).

Every ``atomic()`` also moves the content version (``content_version``, one row, made by a raw migration) as
its last statement, so ``samrad.core.pagecache`` knows a cached page is current while the version it was
rendered at stays the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import sqlite3
import weakref
from collections.abc import AsyncIterator, Sequence
from contextvars import ContextVar

import aiosqlite
from piccolo.engine import engine_finder
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory
from piccolo.querystring import QueryString

from samrad.core import outage
from samrad.core.settings import Settings

SQLITE_BUSY_TIMEOUT_SECONDS = 30
# Connections a process keeps open. Writers queue on one lock anyway (see ``atomic``), and WAL readers never
# wait, so a handful serves a busy server; each is a thread of its own in aiosqlite.
SQLITE_POOL_SIZE = 4

# aiosqlite logs every statement with its parameters (names, emails, input text) at DEBUG: those records never
# go on, whatever level the logging is set to (``tests/test_hardening_logs.py``).
logging.getLogger("aiosqlite").setLevel(logging.INFO)


class InstantRead(QueryString):
    """A read so small (a few rows found by a unique or selective index) that on SQLite it runs on the event
    loop's own thread, on a connection kept for such reads: handing it to a connection's thread and back
    costs far more than the read. In WAL mode a reader never waits for a writer, so it never blocks the loop.
    Anything that scans goes through the pool's threads (a plain ``QueryString``)."""


class Statement:
    """A hot path's SQL, with ``{}`` placeholders, compiled once per engine (``?`` or ``$n``).

    ``QueryString`` parses its template again for every query, which for the registration INSERT (22 values)
    cost more than SQLite takes to run it. ``bind`` makes a query compiled already: it runs like any other
    (through the engine's ``run_querystring``, in the caller's transaction, counted by the tests' query
    counter). The template holds only placeholders, never literal braces."""

    __slots__ = ("_compiled", "instant", "template")

    def __init__(self, template: str, *, instant: bool = False) -> None:
        self.template = template
        self.instant = instant  # bound as an ``InstantRead``
        self._compiled: dict[str, str] = {}

    def compiled(self, engine_type: str) -> str:
        sql = self._compiled.get(engine_type)
        if sql is None:
            parts = self.template.split("{}")
            if engine_type == "sqlite":
                sql = "?".join(parts)
            else:
                sql = parts[0] + "".join(f"${number}{part}" for number, part in enumerate(parts[1:], start=1))
            sql = self._compiled[engine_type] = sql
        return sql

    def bind(self, *args: object) -> QueryString:
        query = InstantRead("") if self.instant else QueryString("")
        query.template, query.args = self.template, args  # for ``str(query)`` only (logs, tests)
        # What ``QueryString.freeze`` keeps: ``compile_string`` returns it as it is.
        query._frozen_compiled_strings = (self.compiled(engine().engine_type), list(args))
        return query

    async def run(self, *args: object) -> list:
        """The rows (dicts on SQLite, asyncpg ``Record``s on PostgreSQL)."""
        return await engine().run_querystring(self.bind(*args))


class _LoopConnection:
    """The process's SQLite writer: a connection driven from the event loop's own thread, with the awaitable
    methods Piccolo's transaction and ``_run_in_existing_connection`` call.

    ``atomic()`` runs its transactions here, one at a time (they queue on the writer lock). Its statements
    then never wait for the loop: through a connection's thread, every statement of a transaction waited for
    a turn of the loop, behind every other request's work, while it held the database's only write lock. A
    statement of a transaction that holds the write lock (BEGIN IMMEDIATE) waits for nothing in WAL mode, so
    it does not block the loop either; only BEGIN may meet another process's transaction, and it then waits
    with ``asyncio.sleep`` (``begin``), never blocking the loop.
    """

    def __init__(self, engine: PooledSQLiteEngine) -> None:
        self.engine = engine
        self.raw = self._open()

    def _open(self) -> sqlite3.Connection:
        raw = sqlite3.connect(**{**self.engine.connection_kwargs, "timeout": 0})  # busy: ``begin`` retries
        raw.row_factory = dict_factory
        raw.execute("PRAGMA foreign_keys = 1")
        raw.execute("PRAGMA synchronous = NORMAL")
        return raw

    @property
    def in_transaction(self) -> bool:
        return self.raw.in_transaction

    async def begin(self, kind: str) -> None:
        loop = asyncio.get_running_loop()
        deadline, delay = loop.time() + SQLITE_BUSY_TIMEOUT_SECONDS, 0.001
        while True:
            try:
                self.raw.execute(f"BEGIN {kind}")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or loop.time() > deadline:
                    raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)

    async def execute(self, sql: str, parameters: Sequence[object] = ()) -> None:
        self.raw.execute(sql, parameters)

    async def execute_fetchall(self, sql: str, parameters: Sequence[object] = ()) -> list[dict]:
        return self.raw.execute(sql, parameters).fetchall()

    def reopen(self) -> None:
        """After a failed rollback the connection's state is unknown: start again with a new one."""
        with contextlib.suppress(Exception):
            self.raw.close()
        self.raw = self._open()

    def close(self) -> None:
        self.raw.close()


class _ConnectionPool:
    def __init__(self, engine: PooledSQLiteEngine, size: int) -> None:
        self.engine = engine
        self.size = size
        self.idle: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self.opened: list[aiosqlite.Connection] = []
        self.opening = 0  # connections being opened count against the size, or a burst opens one per request
        self.instant = sqlite3.connect(**engine.connection_kwargs)  # ``InstantRead``s, on the loop's thread
        self.instant.row_factory = dict_factory
        self.instant.execute("PRAGMA query_only = 1")
        self.writer = _LoopConnection(engine)

    async def acquire(self) -> aiosqlite.Connection:
        if self.idle.empty() and len(self.opened) + self.opening < self.size:
            self.opening += 1
            try:
                connection = await self.engine.open_connection()
            finally:
                self.opening -= 1
            self.opened.append(connection)
            return connection
        return await self.idle.get()

    def release(self, connection: aiosqlite.Connection) -> None:
        self.idle.put_nowait(connection)

    async def discard(self, connection: aiosqlite.Connection) -> None:
        """A connection whose state is unknown (a failed rollback) is closed, not reused."""
        self.opened.remove(connection)
        with contextlib.suppress(Exception):
            await connection.close()

    async def close(self) -> None:
        self.instant.close()
        self.writer.close()
        for connection in self.opened:
            with contextlib.suppress(Exception):
                await connection.close()
        self.opened.clear()


class _PooledTransaction(SQLiteTransaction):
    """Piccolo's transaction, on a pooled connection that goes back to the pool afterwards, or (``writer``,
    from ``atomic()``) on the process's writer connection (``_LoopConnection``)."""

    pool: _ConnectionPool | None
    writer: bool = False

    async def get_connection(self) -> aiosqlite.Connection | _LoopConnection:
        self.pool = self.engine.pool()
        if self.pool is None:
            return await self.engine.get_connection()
        if self.writer:
            return self.pool.writer
        return await self.pool.acquire()

    async def begin(self) -> None:
        if isinstance(self.connection, _LoopConnection):
            await self.connection.begin(self.transaction_type.value)
        else:
            await super().begin()

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        if self._parent:
            return exception is None
        healthy = True
        try:
            if exception:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
        except BaseException:
            healthy = False
            raise
        finally:
            self.engine.current_transaction.reset(self.context)
            if self.pool is None:
                await self.connection.close()
            elif isinstance(self.connection, _LoopConnection):
                if not healthy or self.connection.in_transaction:
                    self.connection.reopen()
            elif healthy and not self.connection.in_transaction:
                self.pool.release(self.connection)
            else:
                await self.pool.discard(self.connection)
        return exception is None


class PooledSQLiteEngine(SQLiteEngine):
    def __init__(self, path: str, **connection_kwargs: object) -> None:
        super().__init__(path=path, **connection_kwargs)
        self._pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _ConnectionPool] = (
            weakref.WeakKeyDictionary()
        )

    async def open_connection(self) -> aiosqlite.Connection:
        connection = await aiosqlite.connect(**self.connection_kwargs)
        connection.row_factory = dict_factory
        await connection.execute("PRAGMA foreign_keys = 1")
        # With WAL, NORMAL syncs at checkpoints, not at every commit: a crashed process loses nothing, only a
        # power cut can lose the last commits. SQLite's own recommendation for WAL.
        await connection.execute("PRAGMA synchronous = NORMAL")
        return connection

    def pool(self) -> _ConnectionPool | None:
        with contextlib.suppress(RuntimeError):
            return self._pools.get(asyncio.get_running_loop())
        return None

    async def open_pool(self, size: int) -> None:
        loop = asyncio.get_running_loop()
        if loop not in self._pools:
            self._pools[loop] = _ConnectionPool(self, size)

    async def close_pool(self) -> None:
        pool = self._pools.pop(asyncio.get_running_loop(), None)
        if pool is not None:
            await pool.close()

    def transaction(
        self, transaction_type: TransactionType = TransactionType.deferred, allow_nested: bool = True
    ) -> SQLiteTransaction:
        return _PooledTransaction(engine=self, transaction_type=transaction_type, allow_nested=allow_nested)

    def write_transaction(self) -> SQLiteTransaction:
        """The IMMEDIATE transaction of ``atomic()``, on the writer connection; the caller holds the writer lock."""
        transaction = _PooledTransaction(engine=self, transaction_type=TransactionType.immediate)
        transaction.writer = True
        return transaction

    async def run_querystring(self, querystring: QueryString, in_pool: bool = False):
        pool = self.pool()
        if isinstance(querystring, InstantRead) and pool is not None and self.current_transaction.get() is None:
            query, args = querystring.compile_string(engine_type=self.engine_type)
            return pool.instant.execute(query, args).fetchall()
        return await super().run_querystring(querystring, in_pool)

    async def _run_in_new_connection(self, query: str, args=None, query_type: str = "generic", table=None):
        pool = self.pool()
        if pool is None:
            return await super()._run_in_new_connection(query, args, query_type, table)
        connection = await pool.acquire()
        try:
            return await self._run_in_existing_connection(connection, query, args, query_type, table)
        finally:
            pool.release(connection)

    async def _run_in_existing_connection(self, connection, query: str, args=None, query_type: str = "generic",
                                          table=None):
        """One round-trip to the connection's thread (Piccolo's takes three: a PRAGMA, the query, the fetch).
        Foreign keys are switched on once, when the connection opens."""
        return await connection.execute_fetchall(query, args or [])


class _PostgresEngine(PostgresEngine):
    """Piccolo's engine asks the server for its version and extensions when it is created, that is when
    ``piccolo_conf`` is imported. With the server away, that stopped every command at import; the checks are
    skipped with a warning instead, and the app answers 503 until the server is back (``samrad.core.outage``).
    ``samrad migrate`` still needs the server, and says so in one line (``samrad.core.preflight``)."""

    async def check_version(self) -> None:
        await self._unless_away(super().check_version())

    async def prep_database(self) -> None:
        await self._unless_away(super().prep_database())

    async def _unless_away(self, step) -> None:
        try:
            await step
        except Exception as error:
            if outage.classify(error) is None:
                raise
            logging.getLogger("samrad.core.db").warning(
                "PostgreSQL is not reachable at start (%s): serving 503 until it is", outage.describe(error))


def build_engine(settings: Settings) -> Engine:
    if settings.is_sqlite:
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        return PooledSQLiteEngine(path=str(settings.sqlite_path), timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
    return _PostgresEngine(config={"dsn": settings.database_url}, log_queries=False)


_engine: Engine | None = None


def engine() -> Engine:
    """The configured engine (``PICCOLO_CONF``), found once: finding it reads the configuration each time."""
    global _engine
    if _engine is None:
        _engine = engine_finder()
        if _engine is None:
            raise RuntimeError("No Piccolo engine configured (PICCOLO_CONF)")
    return _engine


def is_sqlite() -> bool:
    return isinstance(engine(), SQLiteEngine)


_sqlite_writer_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


def _sqlite_writer_lock() -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    lock = _sqlite_writer_locks.get(loop)
    if lock is None:
        lock = _sqlite_writer_locks[loop] = asyncio.Lock()
    return lock


# True inside the outermost ``atomic()``: a nested one leaves the version to it.
_in_atomic: ContextVar[bool] = ContextVar("samrad_in_atomic", default=False)


@contextlib.asynccontextmanager
async def atomic() -> AsyncIterator[None]:
    """A write transaction; nested calls join the outer one.

    On SQLite the process's writers also queue on an in-process lock before BEGIN IMMEDIATE: SQLite admits one
    writer at a time anyway, and waiting on a lock is far cheaper than many connections polling the busy
    timeout (measured: 200 concurrent registrations 12.5 s polling, 3.7 s queued). Other processes still
    meet the database lock and wait on the busy timeout.

    The content version moves once per transaction, as its last statement before COMMIT: on PostgreSQL
    every writer locks that one row, so taken first it would serialise whole transactions; taken last it is
    held from there to the commit only, and its holder waits for nothing else, so it closes no circle of
    waits (no deadlock). A body that raises rolls back without moving it. A nested ``atomic()`` inside a
    transaction that no ``atomic()`` opened moves it itself.
    """
    db = engine()
    if db.current_transaction.get() is not None:
        async with db.transaction():
            yield
            if not _in_atomic.get():
                await bump_content_version()
        return
    lock = _sqlite_writer_lock() if isinstance(db, SQLiteEngine) else contextlib.nullcontext()
    if isinstance(db, PooledSQLiteEngine):
        transaction = db.write_transaction()
    elif isinstance(db, SQLiteEngine):
        transaction = db.transaction(transaction_type=TransactionType.immediate)
    else:
        transaction = db.transaction()
    async with lock, transaction:
        outermost = _in_atomic.set(True)
        try:
            yield
            await bump_content_version()
        finally:
            _in_atomic.reset(outermost)


# --- the content version ----------------------------------------------------------------------------------

_BUMP = Statement(
    "INSERT INTO content_version (id, version) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET version = content_version.version + 1"
)
_READ = Statement("SELECT version FROM content_version WHERE id = 1", instant=True)


async def bump_content_version() -> None:
    """Move the version, inside the caller's transaction. An upsert, so an emptied table starts again."""
    await _BUMP.run()


async def _read_content_version() -> int:
    rows = await _READ.run()
    return int(rows[0]["version"]) if rows else 0


class _SharedVersionReads:
    """Concurrent callers on PostgreSQL share version reads, as group commit shares a flush: a caller joins
    the next read to start, never one already under way, so the version it gets was read after it asked and
    no commit it could have seen is missed. Under load one round-trip serves every request that arrived
    during the previous one, instead of each request costing the database a read (with several server
    processes on one machine those reads took the CPU the processes needed)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.next: asyncio.Future[int] | None = None
        self.reader: asyncio.Task[None] | None = None

    async def read(self) -> int:
        if self.next is None:
            self.next = self.loop.create_future()
        waiting = self.next
        if self.reader is None:
            # A context of its own: the reads must not run in a caller's transaction.
            self.reader = self.loop.create_task(self._run(), context=contextvars.Context())
        return await asyncio.shield(waiting)

    async def _run(self) -> None:
        try:
            while self.next is not None:
                waiting, self.next = self.next, None
                try:
                    waiting.set_result(await _read_content_version())
                except BaseException as error:  # every caller of this read gets the failure (an outage: 503)
                    waiting.set_exception(error)
                    if not isinstance(error, Exception):
                        raise
        finally:
            self.reader = None


_shared_reads: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _SharedVersionReads] = \
    weakref.WeakKeyDictionary()


async def content_version() -> int:
    """The committed version: one primary-key read (0 before the first write). On SQLite the read runs on the
    loop's own thread and costs less than sharing it would; on PostgreSQL concurrent callers share reads."""
    db = engine()
    if not isinstance(db, PostgresEngine) or db.current_transaction.get() is not None:
        return await _read_content_version()  # inside a transaction: read in it
    loop = asyncio.get_running_loop()
    shared = _shared_reads.get(loop)
    if shared is None:
        shared = _shared_reads[loop] = _SharedVersionReads(loop)
    return await shared.read()


async def start() -> None:
    """Open what the process needs: WAL on SQLite, the connection pool on PostgreSQL."""
    db = engine()
    if isinstance(db, SQLiteEngine):
        await db.run_ddl("PRAGMA journal_mode=WAL")
        if isinstance(db, PooledSQLiteEngine):
            await db.open_pool(SQLITE_POOL_SIZE)
    else:
        # No connection is opened here (min_size 0): a server or worker started while PostgreSQL is away starts
        # anyway, answers 503 (``samrad.core.outage``) and connects once it is back.
        await db.start_connection_pool(min_size=0, max_size=20)


async def stop() -> None:
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.close_connection_pool()
    elif isinstance(db, PooledSQLiteEngine):
        await db.close_pool()


async def ping() -> bool:
    try:
        await engine().run_ddl("SELECT 1")
    except Exception:
        return False
    return True

"""When the database cannot serve: which errors mean "not available right now" rather than a bug.

Two kinds, each answered with 503 and ``Retry-After`` (``samrad.core.web.error_response``), never a 500:

* ``unreachable``: the database cannot be reached or opened. PostgreSQL down, refusing connections, restarting
  or out of connections, or a connection dropped mid-query; SQLite's file cannot be opened or read, or stays
  locked past the busy timeout.
* ``cannot_save``: it answers but cannot take a write. SQLite: a read-only file or folder, a full disk;
  PostgreSQL: a read-only server (a standby after a failover), a full disk.

Anything else (a syntax error, a constraint, a missing table) stays a bug and a 500. Nothing is half written
either way: every write runs in one ``atomic()`` transaction, which the error rolls back. Recovery needs no
restart: asyncpg's pool replaces a dead connection on the next acquire, and SQLite's pool keeps its open files
(see ``samrad.core.db``).
"""

from __future__ import annotations

import errno
import socket
import sqlite3
from collections.abc import Iterator
from enum import StrEnum

import asyncpg

RETRY_AFTER_SECONDS = 30


class Outage(StrEnum):
    unreachable = "database_unavailable"
    cannot_save = "cannot_save"


# SQLite result codes by name (``sqlite3.Error.sqlite_errorname``); extended codes share the prefix
# (``SQLITE_READONLY_DBMOVED``, ``SQLITE_IOERR_WRITE``).
_SQLITE_CANNOT_SAVE = ("SQLITE_READONLY", "SQLITE_FULL")
_SQLITE_UNREACHABLE = ("SQLITE_CANTOPEN", "SQLITE_NOTADB", "SQLITE_IOERR", "SQLITE_BUSY", "SQLITE_PERM")

_POSTGRES_UNREACHABLE = (
    asyncpg.exceptions.PostgresConnectionError,  # 08: no connection, it failed or it was rejected
    asyncpg.exceptions.CannotConnectNowError,  # 57P03: starting up or shutting down
    asyncpg.exceptions.AdminShutdownError,  # 57P01: the server is stopping
    asyncpg.exceptions.CrashShutdownError,  # 57P02
    asyncpg.exceptions.TooManyConnectionsError,  # 53300
)
_POSTGRES_CANNOT_SAVE = (
    asyncpg.exceptions.ReadOnlySQLTransactionError,  # 25006: a read-only server or transaction
    asyncpg.exceptions.DiskFullError,  # 53100
)


def classify(error: BaseException) -> Outage | None:
    """The outage ``error`` (or an error it was raised from) stands for; None for anything else."""
    for item in _chain(error):
        found = _classify_one(item)
        if found is not None:
            return found
    return None


def _classify_one(error: BaseException) -> Outage | None:
    if isinstance(error, sqlite3.Error):
        name = getattr(error, "sqlite_errorname", "") or ""
        if name.startswith(_SQLITE_CANNOT_SAVE):
            return Outage.cannot_save
        if name.startswith(_SQLITE_UNREACHABLE):
            return Outage.unreachable
        return None
    if isinstance(error, _POSTGRES_CANNOT_SAVE):
        return Outage.cannot_save
    if isinstance(error, _POSTGRES_UNREACHABLE):
        return Outage.unreachable
    if isinstance(error, asyncpg.exceptions.InterfaceError):
        # "connection is closed", "pool is closing": the connection went away. Other interface errors
        # (a connection used by two tasks at once) are bugs.
        return Outage.unreachable if "clos" in str(error) else None
    if isinstance(error, OSError):
        return _os_error(error)
    return None


# The network on the way to the database server (asyncpg raises these as they are), and a full or read-only
# disk under a file being written.
_NETWORK_ERRNOS = frozenset({errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED, errno.EPIPE, errno.ETIMEDOUT,
                             errno.ENETUNREACH, errno.ENETDOWN, errno.EHOSTUNREACH, errno.EHOSTDOWN})
_DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EROFS, errno.EDQUOT})


def _os_error(error: OSError) -> Outage | None:
    if isinstance(error, ConnectionError | TimeoutError | socket.gaierror) or error.errno in _NETWORK_ERRNOS:
        return Outage.unreachable
    if error.errno in _DISK_ERRNOS:
        return Outage.cannot_save
    if error.errno is None and "connect" in str(error).lower():
        # asyncio's "Multiple exceptions: [Errno 111] Connect call failed ..." when every address of a host
        # refused (localhost's IPv4 and IPv6 addresses).
        return Outage.unreachable
    return None


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def describe(error: BaseException) -> str:
    """For logs: the type and the database's code, never the message (it may quote data)."""
    for item in _chain(error):
        if _classify_one(item) is None:
            continue
        code = getattr(item, "sqlite_errorname", None) or getattr(item, "sqlstate", None) or ""
        return f"{type(item).__name__} {code}".strip()
    return type(error).__name__

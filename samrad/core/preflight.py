"""Before a command that writes (``serve``, ``run``, ``migrate``, ``worker``, ``demo``) starts: can the data
folder and the SQLite database be written? One line naming the folder, instead of a traceback from deep inside
SQLite, the settings or uvicorn's start-up.

What is tried, for real rather than by permission bits (``os.access`` answers yes to root whatever the permissions say):
creating the folder, writing and syncing a small file in it (a read-only mount, missing permissions or a full
disk fail here), and, when the database exists, opening it for writing and writing to it inside a transaction
that is rolled back (nothing is written). PostgreSQL keeps its data elsewhere; an unreachable
server is not a start-up error for ``serve`` (the app answers 503 until it returns, ``samrad.core.outage``),
and ``migrate`` reports it in one line as well.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from pathlib import Path

from samrad.core import outage
from samrad.core.settings import Settings, get_settings

PROBE_BYTES = 64 * 1024


class StorageUnusable(Exception):
    """The data folder or the database cannot be used; the message is one line for the operator."""


def settings_or_explain() -> Settings:
    """The settings; loading them creates the data folder (and the development secret in it)."""
    try:
        return get_settings()
    except OSError as error:
        folder = os.environ.get("SAMRAD_DATA_DIR", "").strip() or "data"
        raise StorageUnusable(
            f"the data folder {folder} cannot be used: {_reason(error)} ({error.filename or folder})"
        ) from error


def check_storage(settings: Settings) -> None:
    """Raise ``StorageUnusable`` when SQLite's folder or file cannot take writes."""
    if not settings.is_sqlite:
        return
    database = settings.sqlite_path
    folder = database.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StorageUnusable(f"the data folder {folder} cannot be created: {_reason(error)}") from error
    try:
        _write_probe(folder)
    except OSError as error:
        raise StorageUnusable(f"the data folder {folder} cannot be written: {_reason(error)}") from error
    if database.exists():
        try:
            _lock_probe(database)
        except sqlite3.Error as error:
            raise StorageUnusable(f"the database {database} in the data folder {folder} cannot be written: "
                                  f"{_sqlite_reason(error)}") from error


def _write_probe(folder: Path) -> None:
    handle, name = tempfile.mkstemp(dir=folder, prefix=".samrad-probe-")
    try:
        with os.fdopen(handle, "wb") as probe:
            probe.write(b"\0" * PROBE_BYTES)
            probe.flush()
            os.fsync(probe.fileno())
    finally:
        with contextlib.suppress(OSError):
            os.unlink(name)


def _lock_probe(database: Path) -> None:
    connection = sqlite3.connect(f"file:{database}?mode=rw", uri=True, timeout=5)
    try:
        connection.execute("PRAGMA schema_version").fetchone()  # reads the header: "file is not a database"
        # A file SQLite may only read is opened read-only without a word, and BEGIN alone writes nothing: a
        # table created and rolled back is the smallest write that must reach the file.
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.execute("CREATE TABLE samrad_write_probe (id INTEGER)")
        finally:
            connection.execute("ROLLBACK")
    finally:
        connection.close()


def _reason(error: OSError) -> str:
    return (error.strerror or type(error).__name__).lower()


def _sqlite_reason(error: sqlite3.Error) -> str:
    # SQLite's own words ("attempt to write a readonly database"), which name no data.
    return f"{error} ({getattr(error, 'sqlite_errorname', '') or type(error).__name__})"


def explain_outage(error: BaseException, settings: Settings) -> str | None:
    """One line for a database that cannot be reached when a command starts (``migrate`` on PostgreSQL);
    None when ``error`` is not an outage."""
    kind = outage.classify(error)
    if kind is None:
        return None
    where = "the SQLite database" if settings.is_sqlite else "the PostgreSQL server of DATABASE_URL"
    problem = "cannot be reached" if kind == outage.Outage.unreachable else "cannot take writes"
    return f"{where} {problem} ({outage.describe(error)})"

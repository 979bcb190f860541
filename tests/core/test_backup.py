"""``samrad backup``: a consistent SQLite copy while others write (every transaction committed before it began,
none half), and on PostgreSQL a pg_dump that restores; the exact command when pg_dump is missing."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import subprocess
import sys
import threading
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest
from mailcal_support import make_event, make_registration

from samrad.core import backup
from samrad.core.settings import ROOT

ROWS_PER_TRANSACTION = 10


def _database(path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, batch INTEGER NOT NULL, body TEXT NOT NULL)")
        connection.executemany("INSERT INTO item (batch, body) VALUES (0, ?)", [("x" * 200,)] * 20_000)
    connection.close()


class Writer(threading.Thread):
    """Commits ``ROWS_PER_TRANSACTION`` rows per transaction until stopped, like the app does."""

    def __init__(self, path) -> None:
        super().__init__(daemon=True)
        self.path, self.stop, self.committed, self.error = path, threading.Event(), 0, None
        self.started_writing = threading.Event()

    def run(self) -> None:
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            batch = 0
            while not self.stop.is_set():
                batch += 1
                connection.execute("BEGIN IMMEDIATE")
                connection.executemany("INSERT INTO item (batch, body) VALUES (?, ?)",
                                       [(batch, "y" * 200)] * ROWS_PER_TRANSACTION)
                connection.execute("COMMIT")
                self.committed = (batch * ROWS_PER_TRANSACTION)
                if batch == 20:
                    self.started_writing.set()
        except Exception as error:  # reported by the test
            self.error = error
        finally:
            connection.close()


def _copy(path) -> tuple[str, int, int, set[int]]:
    with sqlite3.connect(path) as connection:
        check = connection.execute("PRAGMA integrity_check").fetchone()[0]
        count, last = connection.execute("SELECT COUNT(*), MAX(id) FROM item").fetchone()
        sizes = {n for (n,) in connection.execute(
            "SELECT COUNT(*) FROM item WHERE batch > 0 GROUP BY batch")}
    connection.close()
    return check, count, last, sizes


async def test_sqlite_backup_while_writes_go_on(tmp_path):
    source, target = tmp_path / "live.sqlite3", tmp_path / "backups" / "copy.sqlite3"
    _database(source)
    writer = Writer(source)
    writer.start()
    try:
        assert writer.started_writing.wait(timeout=60)
        committed_before = 20_000 + writer.committed
        size = backup.backup_sqlite(source, target)
        writes_after = writer.committed
    finally:
        writer.stop.set()
        writer.join(timeout=60)
    assert writer.error is None

    check, count, last, sizes = _copy(target)
    assert check == "ok"
    assert count >= committed_before  # everything committed before the backup began
    assert count == last and (count - 20_000) % ROWS_PER_TRANSACTION == 0  # no gap, no half transaction
    assert sizes <= {ROWS_PER_TRANSACTION}
    assert size == target.stat().st_size and oct(target.stat().st_mode & 0o777) == "0o600"
    assert not list(target.parent.glob(".*partial"))
    assert writer.committed >= writes_after  # the writer was never stopped by the backup


async def test_an_open_write_transaction_neither_blocks_the_backup_nor_gets_into_it(tmp_path):
    source, target = tmp_path / "live.sqlite3", tmp_path / "copy.sqlite3"
    _database(source)
    writer = sqlite3.connect(source, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO item (batch, body) VALUES (1, 'uncommitted')")
        backup.backup_sqlite(source, target)
        writer.execute("COMMIT")  # the backup did not take the write lock away either
    finally:
        writer.close()
    check, count, _last, _sizes = _copy(target)
    assert (check, count) == ("ok", 20_000)


async def test_a_missing_database_is_an_error_and_leaves_nothing(tmp_path):
    with pytest.raises(backup.BackupError):
        backup.backup_sqlite(tmp_path / "none.sqlite3", tmp_path / "copy.sqlite3")
    assert list(tmp_path.iterdir()) == []


async def test_target_paths(settings, tmp_path):
    from datetime import UTC, datetime

    moment = datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)
    sqlite_settings = dataclasses.replace(settings, database_url="sqlite:///x.sqlite3")
    assert backup.target_path(None, sqlite_settings, moment) == (
        settings.data_dir / "backups" / "samrad-20270102T030405Z.sqlite3")
    assert backup.target_path(str(tmp_path), sqlite_settings, moment) == tmp_path / "samrad-20270102T030405Z.sqlite3"
    assert backup.target_path(str(tmp_path / "a.db"), sqlite_settings, moment) == tmp_path / "a.db"
    pg_settings = dataclasses.replace(settings, database_url="postgresql://u@h/db")
    assert backup.target_path(None, pg_settings, moment).name == "samrad-20270102T030405Z.dump"


async def test_pg_dump_gets_the_password_in_its_environment_only(tmp_path):
    argv, env = backup.pg_dump_command("postgresql://samrad:s%40cret@db.example:5433/samrad?sslmode=require",
                                       tmp_path / "x.dump")
    assert argv == ["pg_dump", "--format=custom", "--no-owner", f"--file={tmp_path / 'x.dump'}",
                    "--dbname=postgresql://samrad@db.example:5433/samrad?sslmode=require"]
    assert env == {"PGPASSWORD": "s@cret"}
    assert backup.pg_dump_command("postgresql://postgres@127.0.0.1/test", tmp_path / "x.dump")[1] == {}


async def test_without_pg_dump_the_exact_command_is_printed(settings, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(backup.shutil, "which", lambda _name: None)
    pg_settings = dataclasses.replace(settings, database_url="postgresql://samrad:secret@db.example/samrad")
    assert backup.backup_command(str(tmp_path / "x.dump"), pg_settings) == 2
    err = capsys.readouterr().err
    assert f"PGPASSWORD=... pg_dump --format=custom --no-owner --file={tmp_path / 'x.dump'}" in err
    assert "secret" not in err
    assert not (tmp_path / "x.dump").exists()


async def _admin_sql(statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(os.environ["TEST_DATABASE_URL"])
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _samrad(*argv: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "samrad", *argv], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=180)


async def test_samrad_backup_of_the_configured_database(settings, tmp_path):
    """On SQLite the copy opens and holds the rows; on PostgreSQL pg_dump's file restores into a new database."""
    event = await make_event()
    person = await make_registration(event["id"])

    done = _samrad("backup", "--to", str(tmp_path))

    assert done.returncode == 0, done.stderr
    [copy] = list(tmp_path.iterdir())
    assert copy.stat().st_mode & 0o077 == 0
    if settings.is_sqlite:
        assert "integrity check ok" in done.stdout
        with sqlite3.connect(copy) as connection:
            assert connection.execute("SELECT email FROM registration").fetchall() == [(person["email"],)]
        connection.close()
        return
    import asyncpg

    assert copy.suffix == ".dump" and copy.read_bytes().startswith(b"PGDMP")
    name = f"samrad_restore_{uuid.uuid4().hex[:8]}"
    await _admin_sql(f'CREATE DATABASE "{name}"')
    try:
        restore_url = urlunsplit(urlsplit(os.environ["TEST_DATABASE_URL"])._replace(path=f"/{name}"))
        restored = subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "--dbname", restore_url, str(copy)],
                                  capture_output=True, text=True, timeout=180)
        assert restored.returncode == 0, restored.stderr
        connection = await asyncpg.connect(restore_url)
        try:
            assert await connection.fetch("SELECT email FROM registration") == [(person["email"],)]
        finally:
            await connection.close()
    finally:
        await _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

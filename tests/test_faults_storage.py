"""Faults of the storage: a database that cannot take writes (read-only, full disk) and a data folder that cannot
be used at start.

How each is made, honestly (these tests may run as root, whom ``chmod`` does not stop):

* **Read-only at write time**, in the running app. SQLite: ``PRAGMA query_only`` on the process's writer
  connection, which makes SQLite refuse every write with ``SQLITE_READONLY``, the error a read-only file or
  mount gives (a running process keeps the files it opened, so changing permissions under it proves nothing).
  PostgreSQL: ``default_transaction_read_only`` set on the database and the pool's connections replaced, what a
  server turned read-only (a standby after failover) answers: ``ReadOnlySQLTransactionError``.
* **Disk full**: a real ``SQLITE_FULL``, from a scratch database capped with ``PRAGMA max_page_count``, and the
  OS's ``ENOSPC``, are classified like a read-only database (the app answers both with the same 503).
* **At start**: ``samrad migrate`` / ``serve`` against a data folder and a database file the process may not
  write. As root, the command runs as ``nobody`` (``setpriv``), so the permissions really apply.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import public_support
import pytest
from public_support import csrf_token, make_event, person, registration_rows

from events.tables import Event, Registration
from samrad.core import db, outage
from samrad.core.invariants import KERNEL_INVARIANTS, run_invariants
from samrad.core.settings import ROOT
from samrad.core.tables import OutboxMessage

settings = public_support.settings  # limits high enough for many posts

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip()


@contextlib.asynccontextmanager
async def database_refusing_writes():
    """The database as a read-only one answers: reads work, every write is refused."""
    if db.is_sqlite():
        pool = db.engine().pool()
        pool.writer.raw.execute("PRAGMA query_only = 1")
        try:
            yield
        finally:
            db.engine().pool().writer.raw.execute("PRAGMA query_only = 0")
        return
    import asyncpg

    name = os.environ["DATABASE_URL"].rsplit("/", 1)[1]
    admin = await asyncpg.connect(os.environ["DATABASE_URL"])  # opened before: its own session stays writable
    try:
        await admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
        await db.engine().pool.expire_connections()
        try:
            yield
        finally:
            await admin.execute(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
            await db.engine().pool.expire_connections()
    finally:
        await admin.close()


async def counts(event_id: int) -> tuple[int, int, int]:
    booked = (await Event.select(Event.booked).where(Event.id == event_id).first())["booked"]
    return booked, await Registration.count(), await OutboxMessage.count()


async def test_a_write_refused_by_the_database_answers_503_and_writes_nothing(client):
    event = await make_event(capacity=5)
    api = f"/api/v1/events/{event['slug']}/registrations"
    first = await client.post(api, json={**person(), "consent": True})
    assert first.status_code == 201, first.text
    before = await counts(event["id"])
    token = await csrf_token(client, f"/events/{event['slug']}/register?lang=da")

    async with database_refusing_writes():
        refused = await client.post(f"{api}?lang=sv", json={**person(), "consent": True})
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == str(outage.RETRY_AFTER_SECONDS)
        assert refused.json() == {"status_code": 503, "detail": "Vi kan inte spara just nu", "code": "cannot_save",
                                  "errors": []}
        form = await client.post(f"/events/{event['slug']}/register?lang=da",
                                 data={"_csrf_token": token, **person()})
        assert form.status_code == 503
        assert form.headers["retry-after"] == str(outage.RETRY_AFTER_SECONDS)
        assert "Vi kan ikke gemme lige nu" in form.text
        assert "intet af det, du sendte, er gemt" in form.text
        # Reading still works: the event page shows.
        assert (await client.get(f"/events/{event['slug']}")).status_code == 200
        assert await counts(event["id"]) == before

    # Writable again: the same app takes the registration, no restart.
    again = await client.post(api, json={**person(), "consent": True})
    assert again.status_code == 201, again.text
    assert [row["status"] for row in await registration_rows(event["id"])] == ["confirmed", "confirmed"]
    report = await run_invariants(KERNEL_INVARIANTS)
    assert report.mismatches == 0


async def test_a_full_disk_is_answered_like_a_read_only_database(tmp_path):
    """A real SQLITE_FULL: the database may not grow past the pages it has."""
    connection = sqlite3.connect(tmp_path / "full.sqlite3")
    connection.execute("CREATE TABLE filler (data BLOB)")
    pages = connection.execute("PRAGMA page_count").fetchone()[0]
    connection.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(sqlite3.OperationalError) as full:
        connection.execute("INSERT INTO filler VALUES (zeroblob(100000))")
    connection.close()
    assert full.value.sqlite_errorname == "SQLITE_FULL"
    assert outage.classify(full.value) == outage.Outage.cannot_save
    assert outage.classify(OSError(errno.ENOSPC, "No space left on device")) == outage.Outage.cannot_save
    # A bug stays a bug: a missing table is a 500, not a 503.
    with pytest.raises(sqlite3.OperationalError) as bug:
        sqlite3.connect(":memory:").execute("SELECT * FROM nowhere")
    assert outage.classify(bug.value) is None


# --- at start -----------------------------------------------------------------------------------------------------

def _as_unprivileged() -> list[str]:
    """Root ignores permissions: run the command as ``nobody`` so they apply."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: permissions cannot be made to apply")
    return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]


def _samrad(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SAMRAD_DATA_DIR": str(data_dir), "SAMRAD_SECRET_KEY": "start-test-secret"}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [*_as_unprivileged(), sys.executable, "-m", "samrad", *args], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=120,
    )


@pytest.fixture
def data_folders():
    """A folder the command may read but not write, and one holding a migrated database it may not write (in a
    folder of their own: pytest's are readable by their owner only)."""
    if TEST_DATABASE_URL:
        pytest.skip("the data folder holds the database on SQLite only")
    base = Path(tempfile.mkdtemp(prefix="samrad-start-"))
    base.chmod(0o755)
    read_only = base / "read-only"
    read_only.mkdir(mode=0o755)
    locked = base / "locked"
    locked.mkdir(mode=0o777)
    if os.geteuid() == 0:
        os.chown(locked, 65534, 65534)
    migrated = _samrad(locked, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    database = locked / "samrad.sqlite3"
    database.chmod(0o444)
    for extra in locked.glob("samrad.sqlite3-*"):
        extra.unlink()
    if os.geteuid() == 0:
        os.chown(database, 0, 0)  # not the command's file any more
    yield read_only, locked
    read_only.chmod(0o755)
    shutil.rmtree(base, ignore_errors=True)


@pytest.mark.parametrize("command", ["migrate", "serve", "run", "worker"])
async def test_a_data_folder_that_cannot_be_written_stops_the_command_with_one_line(data_folders, command):
    read_only, _locked = data_folders
    if os.geteuid() != 0:
        read_only.chmod(0o555)
    result = _samrad(read_only, command)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"error: the data folder {read_only} cannot be written: permission denied")
    assert "Traceback" not in result.stderr


async def test_a_database_file_that_cannot_be_written_stops_migrate_with_one_line(data_folders):
    _read_only, locked = data_folders
    result = _samrad(locked, "migrate")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"error: the database {locked / 'samrad.sqlite3'} in the data folder {locked} "
                                    "cannot be written: attempt to write a readonly database")

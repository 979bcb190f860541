"""``samrad backup [--to PATH]``: a consistent copy of the database while the app keeps running.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies every page in one step from one read
snapshot. In WAL mode the server and the worker go on writing meanwhile, and the copy holds exactly the
transactions committed when it began, none half. It is written beside the target, checked with
``PRAGMA integrity_check`` and only then renamed into place, so a failed backup never leaves a partial file under
the target's name; it is readable by its owner only (it holds personal data).

PostgreSQL: ``pg_dump --format=custom`` (one transaction, so one consistent snapshot; restore with
``pg_restore``). The password goes to pg_dump in ``PGPASSWORD``, never on its command line. Where pg_dump is not
installed, the exact command is printed instead. Restoring either is described in docs/deployment.md.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from samrad.core.clock import now_utc
from samrad.core.settings import Settings, get_settings

BUSY_TIMEOUT_MS = 30_000


class BackupError(Exception):
    pass


def target_path(to: str | None, settings: Settings, now: datetime) -> Path:
    """``to`` as given, or a time-stamped file in it when it is a folder; by default in ``<data>/backups``."""
    name = f"samrad-{now:%Y%m%dT%H%M%SZ}.{'sqlite3' if settings.is_sqlite else 'dump'}"
    if not to:
        return settings.data_dir / "backups" / name
    path = Path(to).expanduser()
    return path / name if path.is_dir() or to.endswith(os.sep) else path


def backup_sqlite(source: Path, target: Path) -> int:
    """Copy the SQLite database at ``source`` to ``target`` while others write to it; returns its size in bytes."""
    if not source.is_file():
        raise BackupError(f"no SQLite database at {source}")
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    copy = sqlite3.connect(partial)
    try:
        partial.chmod(0o600)
        original = sqlite3.connect(source, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            original.backup(copy)  # every page in one step: one snapshot
        finally:
            original.close()
        # A single file: the copy needs no -wal beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
        result = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise BackupError(f"the copy failed its integrity check: {result}")
    except BaseException:
        copy.close()
        partial.unlink(missing_ok=True)
        raise
    copy.close()
    with partial.open("rb") as handle:
        os.fsync(handle.fileno())
    partial.replace(target)
    return target.stat().st_size


def pg_dump_command(database_url: str, target: Path) -> tuple[list[str], dict[str, str]]:
    """pg_dump's arguments (the address without its password) and the environment carrying the password."""
    parts = urlsplit(database_url)
    password = unquote(parts.password or "")
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{parts.username}@{host}" if parts.username else host
    if parts.port:
        netloc += f":{parts.port}"
    dsn = urlunsplit(("postgresql", netloc, parts.path, parts.query, ""))
    argv = ["pg_dump", "--format=custom", "--no-owner", f"--file={target}", f"--dbname={dsn}"]
    return argv, ({"PGPASSWORD": password} if password else {})


def backup_command(to: str | None, settings: Settings | None = None) -> int:
    """Back the configured database up to ``to``; prints what it did (or the command to run)."""
    settings = settings or get_settings()
    target = target_path(to, settings, now_utc())
    if settings.is_sqlite:
        try:
            size = backup_sqlite(settings.sqlite_path, target)
        except (BackupError, sqlite3.Error, OSError) as error:
            print(f"error: backup failed: {error}", file=sys.stderr)
            return 1
        print(f"SQLite backup written to {target} ({size} bytes, integrity check ok)")
        return 0
    argv, password_env = pg_dump_command(settings.database_url, target)
    shown = " ".join(argv) if not password_env else "PGPASSWORD=... " + " ".join(argv)
    if shutil.which("pg_dump") is None:
        print("PostgreSQL is backed up with pg_dump (a consistent snapshot while the app runs), which is not "
              "installed here. Install the PostgreSQL client of the server's version or newer (Debian: "
              "postgresql-client) and run, on any machine that reaches the database:\n"
              f"  {shown}", file=sys.stderr)
        return 2
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    print(f"PostgreSQL: running {shown}")
    done = subprocess.run(argv, env={**os.environ, **password_env}, check=False)  # noqa: S603 - fixed argv
    if done.returncode != 0:
        print(f"error: pg_dump failed (exit code {done.returncode})", file=sys.stderr)
        return 1
    target.chmod(0o600)
    print(f"PostgreSQL backup written to {target} (restore with pg_restore, see docs/deployment.md)")
    return 0

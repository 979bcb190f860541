"""``samrad copy-to-postgres``: the demo's SQLite database, every table, arrives whole in PostgreSQL, and Samråd
runs on the copy. Needs PostgreSQL: runs with TEST_DATABASE_URL (``make test-postgres``)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest

from samrad.copy_to_postgres import _read, ordered_tables
from samrad.core.settings import ROOT

ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
pytestmark = pytest.mark.skipif(not ADMIN_URL, reason="needs PostgreSQL (TEST_DATABASE_URL)")


def _samrad(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "samrad", *argv], env={**os.environ, "PYTHONPATH": str(ROOT), **env},
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


async def _admin(statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(ADMIN_URL)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _comparable(value):
    """JSON compared as data (PostgreSQL returns it re-serialised)."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


async def test_the_demo_moves_to_postgresql_whole(tmp_path):
    import asyncpg

    source_env = {"SAMRAD_DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'samrad.sqlite3'}"}
    for argv in (("migrate",), ("demo",)):
        done = _samrad(source_env, *argv)
        assert done.returncode == 0, done.stderr
    name = f"samrad_copy_{uuid.uuid4().hex[:8]}"
    target_url = urlunsplit(urlsplit(ADMIN_URL)._replace(path=f"/{name}"))
    await _admin(f'CREATE DATABASE "{name}"')
    try:
        target_env = {"SAMRAD_DATA_DIR": str(tmp_path), "DATABASE_URL": target_url}
        assert _samrad(target_env, "migrate").returncode == 0

        copied = _samrad(source_env, "copy-to-postgres", target_url)

        assert copied.returncode == 0, copied.stderr
        assert "rows copied in one transaction" in copied.stdout
        source = sqlite3.connect(tmp_path / "samrad.sqlite3")
        target = await asyncpg.connect(target_url)
        try:
            for table in ordered_tables():
                columns, rows = _read(source, table)
                quoted = ", ".join(f'"{column}"' for column in columns)
                there = await target.fetch(f'SELECT {quoted} FROM "{table._meta.tablename}" ORDER BY 1')
                assert [tuple(map(_comparable, row)) for row in rows] == [
                    tuple(map(_comparable, tuple(row))) for row in there], table._meta.tablename
            assert await target.fetchval("SELECT COUNT(*) FROM registration") > 0
            assert await target.fetchval("SELECT COUNT(*) FROM theme WHERE parent IS NOT NULL") > 0
            # The sequences moved on: a new row gets a new id.
            highest = await target.fetchval("SELECT MAX(id) FROM venue")
            new = await target.fetchval(
                "INSERT INTO venue (name, address, city, accessibility, step_free, hearing_loop, accessible_toilet, "
                "quiet_room) VALUES ('x', 'y', 'z', '{}', false, false, false, false) RETURNING id")
            assert new > highest
        finally:
            await target.close()
            source.close()

        again = _samrad(source_env, "copy-to-postgres", target_url)
        assert again.returncode == 2 and "already holds data" in again.stderr
        # Samråd runs on the copy.
        dry = _samrad(target_env, "purge", "--dry-run")
        assert dry.returncode == 0, dry.stderr
        refused = _samrad(target_env, "copy-to-postgres", target_url)
        assert refused.returncode == 2 and "already points at PostgreSQL" in refused.stderr
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

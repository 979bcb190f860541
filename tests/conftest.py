"""Test harness: one fresh database per run, real commits, tables emptied before every test.

SQLite by default; PostgreSQL when TEST_DATABASE_URL is set (a fresh database is created beside the one named
and dropped at the end). The environment is set before anything imports Piccolo tables, which cache their
engine on first use.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

RUN_DIR = Path(tempfile.mkdtemp(prefix="samrad-test-"))
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
_pg_database = f"samrad_test_{uuid.uuid4().hex[:10]}" if TEST_DATABASE_URL else ""


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


os.environ.update(
    {
        "PICCOLO_CONF": "piccolo_conf",
        "SAMRAD_DATA_DIR": str(RUN_DIR),
        "SAMRAD_SECRET_KEY": "test-secret-key-not-for-production",
        "SAMRAD_DEFAULT_LOCALE": "en",
        "SAMRAD_MAIL_BACKEND": "file",
        "SAMRAD_REDIS_URL": "",
    }
)
if TEST_DATABASE_URL:
    os.environ["DATABASE_URL"] = _with_database(TEST_DATABASE_URL, _pg_database)
else:
    os.environ.pop("DATABASE_URL", None)


async def _admin_sql(statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(TEST_DATABASE_URL)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def pytest_sessionstart(session: pytest.Session) -> None:
    from samrad.cli import migrate

    if TEST_DATABASE_URL:
        asyncio.run(_admin_sql(f'CREATE DATABASE "{_pg_database}"'))
    asyncio.run(migrate())


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if TEST_DATABASE_URL:
        asyncio.run(_admin_sql(f'DROP DATABASE IF EXISTS "{_pg_database}" WITH (FORCE)'))
    shutil.rmtree(RUN_DIR, ignore_errors=True)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
async def empty_database() -> None:
    """Every test starts from empty tables."""
    from database_support import empty_all_tables

    await empty_all_tables()


@pytest.fixture
def settings():
    from samrad.core.settings import get_settings

    return get_settings()


@pytest.fixture
async def app(settings) -> AsyncIterator:
    from samrad.app import create_app

    # Sessions and rate-limit counters live in the app's memory stores: each test's new app starts without them.
    application = create_app(settings)
    async with application.lifespan():
        yield application


@pytest.fixture
async def client(app) -> AsyncIterator:
    import httpx

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver.local") as http:
        yield http

"""``samrad copy-to-postgres URL``: move an installation's data from its SQLite database to PostgreSQL.

The steps around it are in docs/deployment.md: stop the server and the worker, ``samrad migrate`` against the
PostgreSQL database (the tables come from the migrations, as on any installation), then this. It reads the SQLite
database of the current settings and writes every table of the registered apps into PostgreSQL in one
transaction, parents before children (a column pointing into its own table, a theme's parent, is filled in
afterwards), converting SQLite's storage (0/1, ISO text) into PostgreSQL's types; then it moves each id sequence
past the highest id. It refuses when the two databases are not at the same migrations, or when PostgreSQL
already holds data, so running it twice cannot mix two copies. The raw bookkeeping tables (the content version,
the job runs) are made by the migrations and not copied.
"""

from __future__ import annotations

import sqlite3
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
from piccolo.apps.migrations.tables import Migration
from piccolo.columns import (
    UUID,
    Boolean,
    Bytea,
    Column,
    Date,
    Float,
    ForeignKey,
    Integer,
    Serial,
    Timestamptz,
)
from piccolo.conf.apps import Finder
from piccolo.table import Table

from samrad.core.settings import get_settings


class CopyRefused(Exception):
    pass


def ordered_tables() -> list[type[Table]]:
    """Every table of the registered apps, each after the tables it points at."""
    tables = sorted(Finder().get_table_classes(), key=lambda table: table._meta.tablename)
    done: list[type[Table]] = []

    def visit(table: type[Table], path: tuple[type[Table], ...]) -> None:
        if table in done:
            return
        if table in path:
            raise CopyRefused(f"a circle of foreign keys through {table._meta.tablename}")
        for column in table._meta.foreign_key_columns:
            parent = column._foreign_key_meta.resolved_references
            if parent is not table:
                visit(parent, (*path, table))
        done.append(table)

    for table in tables:
        visit(table, ())
    return done


def _timestamp(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def converter(column: Column) -> Callable[[Any], Any]:
    """How a value SQLite returns for ``column`` becomes what asyncpg writes into PostgreSQL's column."""
    if isinstance(column, ForeignKey):
        column = column._foreign_key_meta.resolved_target_column
    if isinstance(column, Boolean):
        return bool
    if isinstance(column, Timestamptz):
        return _timestamp
    if isinstance(column, Date):
        return lambda value: value if isinstance(value, date) else date.fromisoformat(str(value))
    if isinstance(column, UUID):
        return lambda value: value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    if isinstance(column, (Integer, Serial)):  # BigInt too
        return int
    if isinstance(column, Float):
        return float
    if isinstance(column, Bytea):
        return bytes
    return lambda value: value.decode() if isinstance(value, bytes) else value  # text, varchar, JSON as text


def _self_references(table: type[Table]) -> list[str]:
    return [column._meta.db_column_name for column in table._meta.foreign_key_columns
            if column._foreign_key_meta.resolved_references is table]


def _read(source: sqlite3.Connection, table: type[Table]) -> tuple[list[str], list[tuple]]:
    columns = table._meta.columns
    names = [column._meta.db_column_name for column in columns]
    converters = [converter(column) for column in columns]
    quoted = ", ".join(f'"{name}"' for name in names)
    rows = source.execute(f'SELECT {quoted} FROM "{table._meta.tablename}" ORDER BY 1').fetchall()  # noqa: S608
    return names, [
        tuple(None if value is None else convert(value) for convert, value in zip(converters, row, strict=True))
        for row in rows
    ]


def _migrations(source: sqlite3.Connection) -> set[tuple[str, str]]:
    return {(app, name) for app, name in source.execute(
        f'SELECT app_name, name FROM "{Migration._meta.tablename}"')}  # noqa: S608


async def _check_target(target: asyncpg.Connection, tables: list[type[Table]], applied: set[tuple[str, str]]) -> None:
    # Table names here and below come from the table classes, never from input.
    present = {row["tablename"] for row in await target.fetch("SELECT tablename FROM pg_tables")}
    missing = [table._meta.tablename for table in tables if table._meta.tablename not in present]
    if missing or Migration._meta.tablename not in present:
        raise CopyRefused("PostgreSQL lacks Samråd's tables: run `samrad migrate` with DATABASE_URL set to it first")
    there = {(row["app_name"], row["name"]) for row in await target.fetch(
        f'SELECT app_name, name FROM "{Migration._meta.tablename}"')}  # noqa: S608
    if there != applied:
        raise CopyRefused("the two databases are not at the same migrations: run `samrad migrate` on both, with "
                          "the same version of Samråd")
    filled = [table._meta.tablename for table in tables
              if await target.fetchval(f'SELECT EXISTS (SELECT 1 FROM "{table._meta.tablename}")')]  # noqa: S608
    if filled:
        raise CopyRefused(f"PostgreSQL already holds data (in {', '.join(filled)}): copy into an empty database")


async def _copy_table(source: sqlite3.Connection, target: asyncpg.Connection, table: type[Table]) -> int:
    name = table._meta.tablename
    columns, rows = _read(source, table)
    later = _self_references(table)  # filled in once every row of the table is there
    blank = {columns.index(column) for column in later}
    if rows:
        first = [tuple(None if i in blank else value for i, value in enumerate(row)) for row in rows]
        await target.copy_records_to_table(name, records=first, columns=columns)
    key = table._meta.primary_key._meta.db_column_name
    for column in later:
        at, at_key = columns.index(column), columns.index(key)
        pairs = [(row[at], row[at_key]) for row in rows if row[at] is not None]
        await target.executemany(f'UPDATE "{name}" SET "{column}" = $1 WHERE "{key}" = $2', pairs)  # noqa: S608
    if isinstance(table._meta.primary_key, Serial):
        await target.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{name}\"', '{key}'), "  # noqa: S608
            f'COALESCE(MAX("{key}"), 1), MAX("{key}") IS NOT NULL) FROM "{name}"'
        )
    return len(rows)


def _open_source(sqlite_path: Path) -> sqlite3.Connection:
    if not sqlite_path.is_file():
        raise CopyRefused(f"no SQLite database at {sqlite_path}")
    source = sqlite3.connect(sqlite_path)
    source.execute("BEGIN")  # one snapshot of the source for the whole copy
    return source


async def copy_to_postgres(sqlite_path: Path, target_url: str, report: Callable[[str], None] = print) -> int:
    """Copy every table; returns how many rows were copied in all."""
    tables = ordered_tables()
    source = _open_source(sqlite_path)
    try:
        target = await asyncpg.connect(target_url)
        try:
            await _check_target(target, tables, _migrations(source))
            total = 0
            async with target.transaction():
                for table in tables:
                    copied = await _copy_table(source, target, table)
                    report(f"  {table._meta.tablename:<28}{copied:>9}")
                    total += copied
        finally:
            await target.close()
    finally:
        source.close()
    return total


async def copy_command(target_url: str) -> int:
    """``samrad copy-to-postgres URL``: the SQLite database of the current settings into ``target_url``."""
    settings = get_settings()
    if not settings.is_sqlite:
        print("error: DATABASE_URL already points at PostgreSQL; run this with the SQLite settings",
              file=sys.stderr)
        return 2
    if not target_url.startswith(("postgresql://", "postgres://")):
        print("error: give the PostgreSQL database as postgresql://user@host:5432/name (the password in "
              "PGPASSWORD or ~/.pgpass)", file=sys.stderr)
        return 2
    print(f"Copying {settings.sqlite_path} to PostgreSQL (rows per table):")
    try:
        total = await copy_to_postgres(settings.sqlite_path, target_url)
    except CopyRefused as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{total} rows copied in one transaction. Set DATABASE_URL to the PostgreSQL database and start Samråd.")
    return 0

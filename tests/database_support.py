"""Emptying every table between tests: one function for the HTTP/service tests and the browser tests."""

from __future__ import annotations

from typing import Any


async def empty_all_tables() -> None:
    """Children first on SQLite, so foreign keys never object; one TRUNCATE on PostgreSQL. The scheduled jobs'
    last runs (``job_run``, a raw table) go too: every test's worker starts as if none had run."""
    from piccolo.conf.apps import Finder

    from samrad.core import db

    tables = Finder().get_table_classes()
    if db.is_sqlite():
        async with db.atomic():
            for table in sorted(tables, key=lambda t: -_depth(t)):
                await table.delete(force=True)
            await db.engine().run_ddl("DELETE FROM job_run")
    else:
        names = ", ".join([*(f'"{t._meta.tablename}"' for t in tables), '"job_run"'])
        await db.engine().run_ddl(f"TRUNCATE {names} RESTART IDENTITY CASCADE")


def _depth(table: Any, seen: frozenset = frozenset()) -> int:
    """How far a table is from the roots of the foreign-key graph."""
    parents = [
        fk._foreign_key_meta.resolved_references
        for fk in table._meta.foreign_key_columns
        if fk._foreign_key_meta.resolved_references is not table and table not in seen
    ]
    return 1 + max((_depth(parent, seen | {table}) for parent in parents), default=0)

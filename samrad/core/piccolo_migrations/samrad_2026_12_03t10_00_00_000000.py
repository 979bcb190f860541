"""``job_run``: when each scheduled job last started, so that several workers run it once per period
(``samrad.core.job_runs``). Written by hand.

Raw SQL and no Piccolo table, like ``content_version``: the rows are bookkeeping, not data (a registered table
would count as data for the demo guard once a worker had run). The same DDL on SQLite and PostgreSQL; Piccolo's
SQLite adapters store and read the ``TIMESTAMPTZ`` column as they do for its own tables.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "job_run: scheduled jobs run once per period across workers"

CREATE = "CREATE TABLE job_run (name VARCHAR(60) PRIMARY KEY, last_run_at TIMESTAMPTZ NOT NULL)"
DROP = "DROP TABLE job_run"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="samrad", description=DESCRIPTION)

    async def create():
        await engine_finder().run_ddl(CREATE)

    async def drop():
        await engine_finder().run_ddl(DROP)

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager

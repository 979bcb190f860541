"""The content version: one row that every write transaction moves (``samrad.core.db.atomic()``) and the page
cache compares (``samrad.core.pagecache``). Written by hand.

Raw SQL, and no Piccolo table: the row is bookkeeping, not data. A table registered with the app would count
as data for the demo guard ("does the database hold anything?") as soon as the first transaction moved the
version, and would be emptied between tests with the data.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T05:46:40:845975"
VERSION = "1.38.0"
DESCRIPTION = "content_version: the version public pages are cached under"

# The same DDL on SQLite and PostgreSQL; the row (id 1) is created by the first write (an upsert).
CREATE = "CREATE TABLE content_version (id INTEGER PRIMARY KEY, version BIGINT NOT NULL DEFAULT 0)"
DROP = "DROP TABLE content_version"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="samrad", description=DESCRIPTION)

    async def create():
        await engine_finder().run_ddl(CREATE)

    async def drop():
        await engine_finder().run_ddl(DROP)

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager

"""``input_item.client_id`` is unique: a replayed capture finds its row instead of storing a second one.

An index rather than a UNIQUE column because SQLite cannot add a UNIQUE column to a table that exists; NULLs
(input without a client id) do not collide on either database. Raw SQL only, so the table snapshot is unchanged.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-02T07:58:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "input_item.client_id unique"


class InputItem(Table, tablename="input_item"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="feedback", description=DESCRIPTION)

    async def client_id_unique():
        await InputItem.raw("CREATE UNIQUE INDEX input_item_client_id_key ON input_item (client_id)")

    async def drop_index():
        await InputItem.raw("DROP INDEX input_item_client_id_key")

    manager.add_raw(client_id_unique)
    manager.add_raw_backwards(drop_index)
    return manager

"""Indexes for the input browser and its exports (``feedback.follow_up``): keyset pages newest first, per status
and per event, and the theme filter's look-up from theme to items. Raw SQL only: the table snapshot is unchanged.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-02T08:05:31:000000"
VERSION = "1.38.0"
DESCRIPTION = "input browser indexes"

INDEXES = {
    "input_item_status_id": "input_item (status, id)",
    "input_item_event_status_id": "input_item (event, status, id)",
    "input_tag_theme_item": "input_tag (theme, input_item)",
    "follow_up_input_item": "follow_up_input (input_item, follow_up)",
}


class InputItem(Table, tablename="input_item"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="feedback", description=DESCRIPTION)

    async def create_indexes():
        for name, target in INDEXES.items():
            await InputItem.raw(f"CREATE INDEX {name} ON {target}")

    async def drop_indexes():
        for name in INDEXES:
            await InputItem.raw(f"DROP INDEX {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager

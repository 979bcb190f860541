"""The accounts that exist have a password: mark when (their creation), so none looks invited. Separate from
the migration that adds the column, because Piccolo runs a migration's raw statements before its columns."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T08:06:13:000000"
VERSION = "1.38.0"
DESCRIPTION = "password_set_at of existing accounts"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="samrad", description=DESCRIPTION)

    async def mark_existing_passwords():
        await engine_finder().run_ddl("UPDATE staff_user SET password_set_at = created_at WHERE password_hash <> ''")

    manager.add_raw(mark_existing_passwords)
    return manager

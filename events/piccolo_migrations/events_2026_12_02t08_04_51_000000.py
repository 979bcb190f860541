"""Registrations: who registered whom (``added_by_staff``: an organiser registered someone who phoned in) and the
scan that checked a ticket in (``checkin_scan``: a check-in queued offline and sent twice is answered the same
way twice). Written by hand (see the house rules): two plain columns with defaults, the same on SQLite and
PostgreSQL.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-02T08:04:51:000000"
VERSION = "1.38.0"
DESCRIPTION = "registration: added_by_staff, checkin_scan"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)

    manager.add_column(
        table_class_name="Registration",
        tablename="registration",
        column_name="checkin_scan",
        db_column_name="checkin_scan",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="Registration",
        tablename="registration",
        column_name="added_by_staff",
        db_column_name="added_by_staff",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": False,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager

"""Registration indexes: ``registration_event_status`` on ``(event, status)`` replaces ``registration_event``, and
the plain indexes beside the unique ones on ``manage_token_hash`` and ``ticket_code`` go. Written by hand:
Piccolo declares only single-column indexes on a table (``events/tables.py`` says so).

Registering counts, in its INSERT, the person's earlier cancellations of the event and (when waitlisted) the
people ahead in the queue; promotions, waiting-list places and the desk's counts read an event's rows of one
status as well. With ``registration_event`` alone each of these visited every registration of the event, so
a registration cost more the fuller its event was (measured on SQLite with 2,200 registrations: 300 µs for
the count of cancellations, 5 µs with this index). The rowid (SQLite) or the index's own order (PostgreSQL)
then gives ``id < ?`` for the queue without visiting rows. Whatever read an event's registrations through
``registration_event`` reads the first column of the new index instead.

Every INSERT writes to every index of the table, and three of them answered nothing the others do not:
``registration_event``, now the prefix of the new index, and a second index on each unique column, whose
unique index serves the lookups.

The same DDL on SQLite and PostgreSQL.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import ForeignKey, Varchar
from piccolo.engine import engine_finder

ID = "2026-12-02T13:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "registration indexes: (event, status) for the event and duplicate indexes dropped"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)

    async def create():
        await engine_finder().run_ddl("CREATE INDEX registration_event_status ON registration (event, status)")

    async def drop():
        await engine_finder().run_ddl("DROP INDEX registration_event_status")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)

    for column_name, column_class in (
        ("event", ForeignKey), ("manage_token_hash", Varchar), ("ticket_code", Varchar),
    ):
        manager.alter_column(
            table_class_name="Registration",
            tablename="registration",
            column_name=column_name,
            db_column_name=column_name,
            params={"index": False},
            old_params={"index": True},
            column_class=column_class,
            old_column_class=column_class,
            schema=None,
        )
    return manager

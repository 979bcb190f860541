"""Indexes for the public listing (``events.listing.queries``): its pages are read from an index in the order
they are listed, and a series or a draft is found from the event side. Written by hand, not ``--auto``: Piccolo
declares only single-column indexes on a table, so these three live here (``events/tables.py`` says so).

* ``occurrence_listing`` on ``(starts_at, event, id)``, the listing's order: a page far down skips the rows
  before it inside the index, without visiting a row, and a count reads it alone. (The single-column
  ``occurrence_starts_at`` made SQLite drive the listing from ``event_published`` instead and sort every date
  with all its columns for each page: the 300 MiB peak with 50,000 events.)
* ``event_series`` and ``event_drafts`` on ``id``, partial: the few published series (listed once for several
  dates) and the few drafts (whose dates are left out). Their conditions are integer equalities, and the listing
  repeats them word for word: PostgreSQL's planner, on a table it has no statistics for yet (never analysed),
  guesses that ``recurrence_rule <> ''`` or ``NOT published`` holds for half the rows and reads the whole
  table, but guesses few rows for an equality, and then reads the partial index.

The same DDL on SQLite and PostgreSQL (both have partial indexes).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T06:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "listing indexes: occurrence (starts_at, event, id); series and drafts among events"

CREATE = (
    "CREATE INDEX occurrence_listing ON occurrence (starts_at, event, id)",
    "CREATE INDEX event_series ON event (id) WHERE CAST((recurrence_rule <> '' AND published) AS INTEGER) = 1",
    "CREATE INDEX event_drafts ON event (id) WHERE CAST(published AS INTEGER) = 0",
)
DROP = (
    "DROP INDEX occurrence_listing",
    "DROP INDEX event_series",
    "DROP INDEX event_drafts",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)

    async def create():
        for statement in CREATE:
            await engine_finder().run_ddl(statement)

    async def drop():
        for statement in DROP:
            await engine_finder().run_ddl(statement)

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager

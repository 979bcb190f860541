"""Audit entries written before workshops were named under their event (``workshop:7``) get the form the audit
page filters by now (``event:12/workshop:7``), so filtering the log by an event finds them too. An entry whose
workshop was removed keeps the old form: nothing says which event it was. Raw SQL only; the table snapshot is
unchanged. Backwards: nothing to undo, the older code reads both forms.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-03T09:15:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit entries of workshops named under their event"

# The id is read from the subject and matched on the primary key; the same SQL on SQLite and PostgreSQL.
NAME_UNDER_EVENT = """
UPDATE audit_entry SET subject = (
    SELECT 'event:' || CAST(workshop.event AS VARCHAR(20)) || '/' || audit_entry.subject FROM workshop
    WHERE workshop.id = CAST(substr(audit_entry.subject, 10) AS INTEGER))
WHERE subject LIKE 'workshop:%' AND subject NOT LIKE '%/%' AND EXISTS (
    SELECT 1 FROM workshop WHERE workshop.id = CAST(substr(audit_entry.subject, 10) AS INTEGER))
"""


class AuditEntry(Table, tablename="audit_entry"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="workshops", description=DESCRIPTION)

    async def name_under_event():
        await AuditEntry.raw(NAME_UNDER_EVENT)

    manager.add_raw(name_under_event)
    return manager

"""The outbox holds intents: ``outbox_message.intent`` (what the worker renders at send time) and the status
``skipped`` (nothing to send any more: the person's data was erased first). Written by hand, like Piccolo's
``--auto`` output would be; the status choices live in Python only, so that change runs no SQL."""

from enum import Enum

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-02T05:48:50:316204"
VERSION = "1.38.0"
DESCRIPTION = "outbox_message.intent: emails are rendered when they are sent"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="samrad", description=DESCRIPTION)

    manager.add_column(
        table_class_name="OutboxMessage",
        tablename="outbox_message",
        column_name="intent",
        db_column_name="intent",
        column_class_name="JSON",
        column_class=JSON,
        params={
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

    manager.alter_column(
        table_class_name="OutboxMessage",
        tablename="outbox_message",
        column_name="status",
        db_column_name="status",
        params={
            "choices": Enum(
                "OutboxStatus",
                {"pending": "pending", "sent": "sent", "failed": "failed", "skipped": "skipped"},
            )
        },
        old_params={
            "choices": Enum(
                "OutboxStatus",
                {"pending": "pending", "sent": "sent", "failed": "failed"},
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager

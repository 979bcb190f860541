"""Digests for people who ticked the follow-up opt-in when registering: ``digest_subscription.from_registration``
marks the subscriptions the digest job made from registrations. Hand-written from ``feedback.tables``."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-02T09:48:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "follow-up digests from the registration opt-in"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="feedback", description=DESCRIPTION)

    manager.add_column(
        table_class_name="DigestSubscription",
        tablename="digest_subscription",
        column_name="from_registration",
        db_column_name="from_registration",
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

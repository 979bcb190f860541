"""Theme suggestions: what the worker learned from each policy's confirmed tags (``theme_model``). Hand-written
from ``feedback.tables.ThemeModel`` only."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import Bytea, ForeignKey, Integer, Serial, Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class Policy(Table, tablename="policy", schema=None):
    id = Serial(
        null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree, choices=None,
        db_column_name="id", secret=False,
    )


ID = "2026-12-02T08:55:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "theme suggestions: learned models per policy"


def _params(**overrides):
    params = {
        "null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
        "choices": None, "db_column_name": None, "secret": False,
    }
    params.update(overrides)
    return params


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="feedback", description=DESCRIPTION)
    manager.add_table(class_name="ThemeModel", tablename="theme_model", schema=None, columns=None)
    columns = (
        ("policy", "ForeignKey", ForeignKey, _params(
            references=Policy, on_delete=OnDelete.cascade, on_update=OnUpdate.cascade, target_column=None,
            unique=True)),
        ("version", "Integer", Integer, _params(default=0)),
        ("labels", "Integer", Integer, _params(default=0)),
        ("last_tag_id", "Integer", Integer, _params(default=0)),
        ("data", "Bytea", Bytea, _params(default=None, null=True)),
        ("trained_at", "Timestamptz", Timestamptz, _params(default=TimestamptzNow())),
    )
    for name, class_name, column_class, params in columns:
        manager.add_column(
            table_class_name="ThemeModel", tablename="theme_model", column_name=name, db_column_name=name,
            column_class_name=class_name, column_class=column_class, params=params, schema=None,
        )
    return manager

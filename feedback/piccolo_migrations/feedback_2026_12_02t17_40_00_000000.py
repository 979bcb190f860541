"""Theme models in the plain format (``feedback.themes.ranking.LearnedModel.to_bytes``) instead of numpy's npz:
the stored models are emptied and marked stale (``labels = -1`` matches no tag count), so the worker's learning
job retrains every policy on its next pass and moves its ``version``: a server still running with an old model
in memory reloads it. Until then suggestions are the cold start's. Raw SQL only: the table snapshot is unchanged.
Backwards the same: the older code cannot read the plain format either.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-02T17:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "theme models retrained in the plain format"


class ThemeModel(Table, tablename="theme_model"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="feedback", description=DESCRIPTION)

    async def mark_stale():
        await ThemeModel.raw("UPDATE theme_model SET data = NULL, labels = -1")

    manager.add_raw(mark_stale)
    manager.add_raw_backwards(mark_stale)
    return manager

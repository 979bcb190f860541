"""Piccolo's configuration: the database engine and the registered apps.

SQLite (a file under the data folder) unless DATABASE_URL points at PostgreSQL.
"""

from piccolo.conf.apps import AppRegistry

from samrad.core.db import build_engine
from samrad.core.settings import get_settings

DB = build_engine(get_settings())

APP_REGISTRY = AppRegistry(
    apps=[
        "samrad.core.piccolo_app",
        "events.piccolo_app",
        "workshops.piccolo_app",
        "feedback.piccolo_app",
    ]
)

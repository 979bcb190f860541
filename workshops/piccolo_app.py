import os

from piccolo.conf.apps import AppConfig

from workshops.tables import Workshop, WorkshopSeat

APP_CONFIG = AppConfig(
    app_name="workshops",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Workshop, WorkshopSeat],
    migration_dependencies=["events.piccolo_app"],
    commands=[],
)

import os

from piccolo.conf.apps import AppConfig

from workshops.tables import Workshop, WorkshopFacilitator, WorkshopSeat, WorkshopTable

APP_CONFIG = AppConfig(
    app_name="workshops",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Workshop, WorkshopTable, WorkshopFacilitator, WorkshopSeat],
    migration_dependencies=["events.piccolo_app", "samrad.core.piccolo_app"],
    commands=[],
)

import os

from piccolo.conf.apps import AppConfig

from events.tables import Event, EventAudience, Occurrence, OrgUnit, Registration, Venue

APP_CONFIG = AppConfig(
    app_name="events",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Venue, OrgUnit, Event, EventAudience, Occurrence, Registration],
    migration_dependencies=["samrad.core.piccolo_app"],
    commands=[],
)

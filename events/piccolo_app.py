import os

from piccolo.conf.apps import AppConfig

from events.tables import Event, EventAudience, EventTeamMember, Occurrence, OrgUnit, Registration, Venue

APP_CONFIG = AppConfig(
    app_name="events",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Venue, OrgUnit, Event, EventAudience, Occurrence, Registration, EventTeamMember],
    migration_dependencies=["samrad.core.piccolo_app"],
    commands=[],
)

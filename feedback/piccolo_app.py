import os

from piccolo.conf.apps import AppConfig

from feedback.tables import FollowUp, FollowUpInput, InputItem, InputTag, Policy, Theme

APP_CONFIG = AppConfig(
    app_name="feedback",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Policy, Theme, InputItem, InputTag, FollowUp, FollowUpInput],
    migration_dependencies=["workshops.piccolo_app", "events.piccolo_app"],
    commands=[],
)

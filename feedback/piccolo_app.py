import os

from piccolo.conf.apps import AppConfig

from feedback.tables import (
    EventInputSettings,
    EventTheme,
    FollowUp,
    FollowUpInput,
    InputItem,
    InputRevision,
    InputTag,
    InputVote,
    Policy,
    Theme,
    WorkshopTheme,
)

APP_CONFIG = AppConfig(
    app_name="feedback",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[
        Policy, Theme, InputItem, InputRevision, InputVote, InputTag, EventTheme, WorkshopTheme, EventInputSettings,
        FollowUp, FollowUpInput,
    ],
    migration_dependencies=["workshops.piccolo_app", "events.piccolo_app", "samrad.core.piccolo_app"],
    commands=[],
)

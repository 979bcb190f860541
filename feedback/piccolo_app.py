import os

from piccolo.conf.apps import AppConfig

from feedback.tables import (
    DigestSubscription,
    Evaluation,
    EvaluationAnswer,
    EvaluationInvitation,
    EvaluationReceipt,
    EventInputSettings,
    EventTheme,
    FollowUp,
    FollowUpChange,
    FollowUpInput,
    InputItem,
    InputRevision,
    InputTag,
    InputVote,
    Policy,
    Theme,
    ThemeModel,
    UnitHeadcount,
    WorkshopTheme,
)

APP_CONFIG = AppConfig(
    app_name="feedback",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[
        Policy, Theme, InputItem, InputRevision, InputVote, InputTag, EventTheme, WorkshopTheme, EventInputSettings,
        FollowUp, FollowUpInput,
        # follow-up (feedback.follow_up)
        FollowUpChange, DigestSubscription, Evaluation, EvaluationInvitation, EvaluationReceipt, EvaluationAnswer,
        UnitHeadcount,
        ThemeModel,  # theme suggestions (feedback.themes)
    ],
    migration_dependencies=["workshops.piccolo_app", "events.piccolo_app", "samrad.core.piccolo_app"],
    commands=[],
)

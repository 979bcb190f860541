import os

from piccolo.conf.apps import AppConfig

from samrad.core.tables import AccountLink, ApiToken, AuditEntry, OutboxMessage, StaffUser

APP_CONFIG = AppConfig(
    app_name="samrad",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[StaffUser, ApiToken, OutboxMessage, AuditEntry, AccountLink],
    migration_dependencies=[],
    commands=[],
)

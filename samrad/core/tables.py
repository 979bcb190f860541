"""Tables shared by every area: staff accounts, API tokens, the mail outbox and the audit trail."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Role(StrEnum):
    admin = "admin"
    organiser = "organiser"
    facilitator = "facilitator"
    checkin = "checkin"


class StaffUser(Table, tablename="staff_user"):
    email = Varchar(length=254, unique=True, index=True)
    name = Varchar(length=200)
    password_hash = Varchar(length=255)
    role = Varchar(length=20, choices=Role, default=Role.organiser.value)
    locale = Varchar(length=5, default="da")
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_login_at = Timestamptz(null=True, default=None)
    # NULL until the person sets a password (an invited colleague who has not accepted yet).
    password_set_at = Timestamptz(null=True, default=None)
    # Failed logins in a row; at the limit the account is locked until ``locked_until`` and its owner is told.
    failed_logins = Integer(default=0)
    locked_until = Timestamptz(null=True, default=None)
    # Sessions carry the epoch they were made in: moving it on (a password change, a deactivation) ends them all.
    session_epoch = Integer(default=0)


class ApiToken(Table, tablename="api_token"):
    """A bearer token for scripts; only its SHA-256 is stored, the prefix helps people tell tokens apart."""

    user = ForeignKey(references=StaffUser, null=False)
    name = Varchar(length=100)
    prefix = Varchar(length=12)
    token_hash = Varchar(length=64, unique=True, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    expires_at = Timestamptz(null=True, default=None)  # NULL: until revoked


class AccountLinkPurpose(StrEnum):
    invitation = "invitation"
    password_reset = "password_reset"  # noqa: S105 - a purpose, not a password


class AccountLink(Table, tablename="account_link"):
    """A single-use, expiring link to set a password: an invitation, or a reset. Only its SHA-256 is stored."""

    user = ForeignKey(references=StaffUser, null=False, index=True, on_delete=OnDelete.cascade)
    purpose = Varchar(length=20, choices=AccountLinkPurpose)
    token_hash = Varchar(length=64, unique=True, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class OutboxStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"
    skipped = "skipped"  # its renderer found nothing to send any more (the person's data was erased)


class OutboxMessage(Table, tablename="outbox_message"):
    """An email written in the same transaction as the change it tells about; the worker delivers it.

    Usually an intent (what to tell whom, as ids and the values frozen at the time of the change) that the
    worker renders when it sends it (``samrad.core.mail``): the subject, bodies and attachments are filled then.
    """

    kind = Varchar(length=40)
    to_address = Varchar(length=254)  # set when queued: the data download and the retention purge use it
    subject = Varchar(length=300)
    text_body = Text()
    html_body = Text()
    # Extra parts: [{"filename", "content_type", "method"?, "data_b64"}].
    attachments = JSON(default=[])
    # What the area's renderer needs to write the email at send time; None for an email queued ready-made.
    intent = JSON(null=True, default=None)
    status = Varchar(length=10, choices=OutboxStatus, default=OutboxStatus.pending.value, index=True)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow(), index=True)
    last_error = Varchar(length=500, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)


class AuditEntry(Table, tablename="audit_entry"):
    """What was done, by whom (staff) and to how many records; never the personal data itself."""

    at = Timestamptz(default=TimestamptzNow(), index=True)
    actor = Varchar(length=254, default="system")
    action = Varchar(length=60)
    subject = Varchar(length=200, default="")
    count = Integer(default=0)

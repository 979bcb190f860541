"""Staff accounts: the password rules, login with lock-out, roles, deactivation, and API tokens.

Passwords are argon2 hashes; a password needs ``MIN_PASSWORD_LENGTH`` characters and must not be on the list
of 20,000 common passwords (``samrad/core/data/common-passwords.txt.gz``) nor be the person's email address:
no composition rules (NIST SP 800-63B). ``LOCK_AFTER_FAILURES`` wrong passwords in a row lock an account for
``LOCK_DURATION`` and tell its owner by email; a reset link unlocks it. Moving an account's ``session_epoch``
on (a new password, a deactivation) ends its sessions on their next request (``samrad.core.security``).
Invitations and password resets are in ``samrad.core.account_links``.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from samrad.core import audit, db
from samrad.core.account_mail import queue_account_email
from samrad.core.clock import aware, now_utc
from samrad.core.i18n import N_
from samrad.core.security import hash_password, hash_token, new_secret_token, verify_password
from samrad.core.tables import ApiToken, Role, StaffUser

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
LOCK_AFTER_FAILURES = 5
LOCK_DURATION = timedelta(minutes=15)
MAX_TOKEN_DAYS = 366
TOKEN_PREFIX = "sam_"  # noqa: S105 - tells people what the secret is, not a secret
COMMON_PASSWORDS_FILE = Path(__file__).parent / "data" / "common-passwords.txt.gz"

PASSWORD_TOO_SHORT = N_("The password needs at least %(min)s characters. Several unrelated words make a good one.")
PASSWORD_TOO_LONG = N_("The password can have at most %(max)s characters.")
PASSWORD_TOO_COMMON = N_(
    "This password is on a list of passwords that are often used or have leaked. Choose another one."
)
PASSWORD_IS_EMAIL = N_("The password must not be your email address.")


class AccountError(ValueError):
    """A change to an account that cannot be made; ``code`` says why (``email_taken``, ``own_account``, ...)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def normalise_email(email: str) -> str:
    return email.strip().lower()


def looks_like_email(email: str) -> bool:
    local, _at, domain = email.partition("@")
    return bool(local) and "." in domain and " " not in email and len(email) <= 254


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip() for line in handle if line.strip())


@dataclass(frozen=True)
class PasswordProblem:
    """Why a password is refused: an untranslated message and its values (the caller translates)."""

    message: str
    values: dict[str, int]


def password_problem(password: str, email: str = "") -> PasswordProblem | None:
    """None when ``password`` may be used, else why not."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return PasswordProblem(PASSWORD_TOO_SHORT, {"min": MIN_PASSWORD_LENGTH})
    if len(password) > MAX_PASSWORD_LENGTH:
        return PasswordProblem(PASSWORD_TOO_LONG, {"max": MAX_PASSWORD_LENGTH})
    if password.strip().lower() in common_passwords():
        return PasswordProblem(PASSWORD_TOO_COMMON, {})
    if email and password.strip().lower() == normalise_email(email):
        return PasswordProblem(PASSWORD_IS_EMAIL, {})
    return None


# --- creating accounts ------------------------------------------------------------------------------------

async def create_staff_user(
    email: str, name: str, password: str | None, role: str = Role.organiser.value, *, locale: str = "da"
) -> int:
    """A new account; without a password it can only be entered through an invitation link."""
    email = normalise_email(email)
    if not looks_like_email(email):
        raise ValueError("not an email address")
    if password is not None and (problem := password_problem(password, email)):
        raise ValueError(problem.message % problem.values)
    if role not in {r.value for r in Role}:
        raise ValueError(f"unknown role {role}")
    now = now_utc()
    rows = await StaffUser.insert(
        StaffUser(
            email=email, name=name.strip(), role=role, locale=locale,
            password_hash=hash_password(password) if password is not None else "",
            password_set_at=now if password is not None else None,
        )
    ).on_conflict(target=StaffUser.email, action="DO NOTHING").returning(StaffUser.id)
    if not rows:
        raise AccountError("email_taken")
    return rows[0]["id"]


# --- login and lock-out -----------------------------------------------------------------------------------

async def authenticate(email: str, password: str) -> dict[str, Any] | None:
    """The active staff member with these credentials, else None (the same work either way).

    A wrong password counts towards the lock-out; a locked account is refused even with the right password
    until the lock runs out (its owner was told by email and may reset the password to unlock it).
    """
    user = await StaffUser.select().where(StaffUser.email == normalise_email(email)).first()
    right = verify_password(user["password_hash"] if user else None, password)
    if user is None or not user["active"]:
        return None
    now = now_utc()
    if user["locked_until"] is not None and aware(user["locked_until"]) > now:
        return None
    if not right:
        await _count_failure(user, now)
        return None
    await StaffUser.update(
        {StaffUser.last_login_at: now, StaffUser.failed_logins: 0, StaffUser.locked_until: None}
    ).where(StaffUser.id == user["id"])
    return user


async def _count_failure(user: dict[str, Any], now: datetime) -> None:
    async with db.atomic():
        rows = await StaffUser.update({StaffUser.failed_logins: StaffUser.failed_logins + 1}).where(
            StaffUser.id == user["id"]
        ).returning(StaffUser.failed_logins)
        if not rows or rows[0]["failed_logins"] < LOCK_AFTER_FAILURES:
            return
        # Only the attempt that reaches the limit locks (the counter starts again), so one email per lock.
        locked = await StaffUser.update(
            {StaffUser.locked_until: now + LOCK_DURATION, StaffUser.failed_logins: 0}
        ).where(
            (StaffUser.id == user["id"]) & (StaffUser.failed_logins == LOCK_AFTER_FAILURES)
        ).returning(StaffUser.id)
        if locked:
            await queue_account_email("locked", user, minutes=int(LOCK_DURATION.total_seconds() // 60))
            await audit.record("system", "account.lock", f"account:{user['id']}")


def is_locked(user: dict[str, Any], now: datetime | None = None) -> bool:
    return user["locked_until"] is not None and aware(user["locked_until"]) > (now or now_utc())


# --- changing accounts ------------------------------------------------------------------------------------

async def set_password(user_id: int, password: str) -> int:
    """Store a new password, unlock the account and end its other sessions; returns the new session epoch."""
    rows = await StaffUser.update(
        {
            StaffUser.password_hash: hash_password(password),
            StaffUser.password_set_at: now_utc(),
            StaffUser.failed_logins: 0,
            StaffUser.locked_until: None,
            StaffUser.session_epoch: StaffUser.session_epoch + 1,
        }
    ).where(StaffUser.id == user_id).returning(StaffUser.session_epoch)
    return rows[0]["session_epoch"]


async def change_own_password(user: dict[str, Any], current: str, new: str) -> int:
    """Check the current password, then set the new one; returns the new session epoch."""
    row = await StaffUser.select(StaffUser.password_hash).where(StaffUser.id == user["id"]).first()
    if row is None or not verify_password(row["password_hash"], current):
        raise AccountError("wrong_password")
    async with db.atomic():
        epoch = await set_password(user["id"], new)
        await audit.record(user["email"], "account.password_change", f"account:{user['id']}")
    return epoch


async def change_role(user_id: int, role: str, actor: dict[str, Any]) -> None:
    if user_id == actor["id"]:
        raise AccountError("own_account")  # an administrator cannot lock themselves out by mistake
    Role(role)
    async with db.atomic():
        rows = await StaffUser.update({StaffUser.role: role}).where(StaffUser.id == user_id).returning(StaffUser.id)
        if not rows:
            raise AccountError("not_found")
        await audit.record(actor["email"], f"account.role.{role}", f"account:{user_id}")


async def set_active(user_id: int, active: bool, actor: dict[str, Any]) -> None:
    """Deactivate (its sessions end and its tokens are revoked at once) or reactivate an account."""
    if user_id == actor["id"]:
        raise AccountError("own_account")
    async with db.atomic():
        rows = await StaffUser.update(
            {StaffUser.active: active, StaffUser.session_epoch: StaffUser.session_epoch + 1}
        ).where(StaffUser.id == user_id).returning(StaffUser.id)
        if not rows:
            raise AccountError("not_found")
        if not active:
            await ApiToken.update({ApiToken.revoked_at: now_utc()}).where(
                (ApiToken.user == user_id) & ApiToken.revoked_at.is_null()
            )
        await audit.record(actor["email"], "account.reactivate" if active else "account.deactivate",
                           f"account:{user_id}")


async def staff_accounts() -> list[dict[str, Any]]:
    """Every account for the people page, by name, with its state (``invited``, ``locked``, ...)."""
    rows = await StaffUser.select(
        StaffUser.id, StaffUser.email, StaffUser.name, StaffUser.role, StaffUser.active, StaffUser.created_at,
        StaffUser.last_login_at, StaffUser.password_set_at, StaffUser.locked_until,
    ).order_by(StaffUser.name)
    for row in rows:
        row["state"] = account_state(row)
    return rows


def account_state(row: dict[str, Any]) -> str:
    if not row["active"]:
        return "deactivated"
    if row["password_set_at"] is None:
        return "invited"
    if is_locked(row):
        return "locked"
    return "active"


async def staff_account(user_id: int) -> dict[str, Any] | None:
    row = await StaffUser.select(
        StaffUser.id, StaffUser.email, StaffUser.name, StaffUser.role, StaffUser.active, StaffUser.created_at,
        StaffUser.last_login_at, StaffUser.password_set_at, StaffUser.locked_until, StaffUser.locale,
    ).where(StaffUser.id == user_id).first()
    if row is not None:
        row["state"] = account_state(row)
    return row


# --- API tokens -------------------------------------------------------------------------------------------

async def create_api_token(
    email: str, name: str, *, expires_at: datetime | None = None, actor: str | None = None
) -> str:
    """A new bearer token for the account (printed or shown once; only its hash is stored)."""
    user = await StaffUser.select(StaffUser.id, StaffUser.active).where(
        StaffUser.email == normalise_email(email)
    ).first()
    if user is None:
        raise ValueError(f"no staff account for {email}")
    token = TOKEN_PREFIX + new_secret_token()
    async with db.atomic():
        await ApiToken.insert(
            ApiToken(user=user["id"], name=name.strip()[:100], prefix=token[:8], token_hash=hash_token(token),
                     expires_at=expires_at)
        )
        await audit.record(actor or normalise_email(email), "token.create", f"account:{user['id']}")
    return token


async def api_tokens(user_id: int) -> list[dict[str, Any]]:
    """The account's tokens (never the token itself: a name, its first characters, dates), newest first."""
    rows = await ApiToken.select(
        ApiToken.id, ApiToken.name, ApiToken.prefix, ApiToken.created_at, ApiToken.last_used_at,
        ApiToken.expires_at, ApiToken.revoked_at,
    ).where(ApiToken.user == user_id).order_by(ApiToken.id, ascending=False)
    now = now_utc()
    for row in rows:
        expired = row["expires_at"] is not None and aware(row["expires_at"]) <= now
        row["state"] = "revoked" if row["revoked_at"] else "expired" if expired else "active"
    return rows


async def revoke_api_token(token_id: int, user_id: int, actor: str) -> bool:
    """Revoke one of ``user_id``'s tokens; False when it has no such token still active."""
    async with db.atomic():
        rows = await ApiToken.update({ApiToken.revoked_at: now_utc()}).where(
            (ApiToken.id == token_id) & (ApiToken.user == user_id) & ApiToken.revoked_at.is_null()
        ).returning(ApiToken.id)
        if rows:
            await audit.record(actor, "token.revoke", f"account:{user_id}")
    return bool(rows)

"""Invitations and password resets: single-use, expiring links to set a password, sent through the outbox.

An administrator invites a colleague (an account without a password, and an invitation link valid for
``INVITATION_VALID``); anyone may ask for a reset link (valid for ``RESET_VALID``), and the answer is the same
whether or not the address has an account. A link is 256 random bits; only its SHA-256 is stored, and it is
used up by one conditional UPDATE, so it works once even when two tabs submit it at the same moment. A newer
link of the same purpose makes the older ones worthless.

The emails are written by ``samrad.core.account_mail``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from samrad.core import audit, db
from samrad.core.account_mail import queue_account_email
from samrad.core.accounts import AccountError, create_staff_user, normalise_email, set_password
from samrad.core.clock import now_utc
from samrad.core.security import hash_token, new_secret_token
from samrad.core.settings import get_settings
from samrad.core.tables import AccountLink, AccountLinkPurpose, StaffUser

INVITATION_VALID = timedelta(days=7)
RESET_VALID = timedelta(hours=1)
VALID_FOR = {AccountLinkPurpose.invitation: INVITATION_VALID, AccountLinkPurpose.password_reset: RESET_VALID}
LINK_PATHS = {
    AccountLinkPurpose.invitation: "/staff/welcome", AccountLinkPurpose.password_reset: "/staff/password/reset",
}

# --- links ------------------------------------------------------------------------------------------------

async def _new_link(user_id: int, purpose: AccountLinkPurpose) -> str:
    """A fresh link for ``user_id``; earlier unused links of the same purpose stop working."""
    now = now_utc()
    await AccountLink.update({AccountLink.used_at: now}).where(
        (AccountLink.user == user_id) & (AccountLink.purpose == purpose.value) & AccountLink.used_at.is_null()
    )
    token = new_secret_token()
    await AccountLink.insert(
        AccountLink(user=user_id, purpose=purpose.value, token_hash=hash_token(token),
                    expires_at=now + VALID_FOR[purpose])
    )
    return f"{get_settings().base_url}{LINK_PATHS[purpose]}/{token}"


async def invite(email: str, name: str, role: str, locale: str, actor: Mapping[str, Any]) -> int:
    """Create an account without a password and send its owner an invitation link; returns the account id."""
    async with db.atomic():
        user_id = await create_staff_user(email, name, None, role, locale=locale)
        user = await StaffUser.select().where(StaffUser.id == user_id).first()
        url = await _new_link(user_id, AccountLinkPurpose.invitation)
        await queue_account_email("invitation", user, url=url, inviter=actor["name"],
                                  days=INVITATION_VALID.days)
        await audit.record(actor["email"], "account.invite", f"account:{user_id}")
    return user_id


async def resend_invitation(user_id: int, actor: Mapping[str, Any]) -> None:
    """A new invitation link for an account whose owner has not set a password yet."""
    async with db.atomic():
        user = await StaffUser.select().where(StaffUser.id == user_id).first()
        if user is None or user["password_set_at"] is not None or not user["active"]:
            raise AccountError("not_invited")
        url = await _new_link(user_id, AccountLinkPurpose.invitation)
        await queue_account_email("invitation", user, url=url, inviter=actor["name"], days=INVITATION_VALID.days)
        await audit.record(actor["email"], "account.invite_again", f"account:{user_id}")


async def request_password_reset(email: str) -> None:
    """Send a reset link if an active account has this address; nothing otherwise (the caller says the same)."""
    async with db.atomic():
        user = await StaffUser.select().where(
            (StaffUser.email == normalise_email(email)) & StaffUser.active.eq(True)
        ).first()
        if user is None:
            return
        url = await _new_link(user["id"], AccountLinkPurpose.password_reset)
        await queue_account_email("password_reset", user, url=url, minutes=int(RESET_VALID.total_seconds() // 60))
        await audit.record("system", "account.reset_requested", f"account:{user['id']}")


async def valid_link(token: str, purpose: AccountLinkPurpose) -> dict[str, Any] | None:
    """The account a link is for (id, email, name), while the link is unused, unexpired and the account active."""
    if not token or len(token) > 100:
        return None
    return await AccountLink.select(
        AccountLink.user.as_alias("id"), AccountLink.user.email.as_alias("email"),
        AccountLink.user.name.as_alias("name"),
    ).where(
        (AccountLink.token_hash == hash_token(token)) & (AccountLink.purpose == purpose.value)
        & AccountLink.used_at.is_null() & (AccountLink.expires_at > now_utc())
        & AccountLink.user.active.eq(True)
    ).first()


async def use_link(token: str, purpose: AccountLinkPurpose, password: str) -> dict[str, Any] | None:
    """Spend the link and set the account's password; the account (with its new session epoch), or None when
    the link is unknown, used, expired or its account deactivated."""
    account = await valid_link(token, purpose)
    if account is None:
        return None
    async with db.atomic():
        spent = await AccountLink.update({AccountLink.used_at: now_utc()}).where(
            (AccountLink.token_hash == hash_token(token)) & AccountLink.used_at.is_null()
            & (AccountLink.expires_at > now_utc())
        ).returning(AccountLink.id)
        if not spent:
            return None
        await set_password(account["id"], password)
        action = "account.accept_invitation" if purpose is AccountLinkPurpose.invitation else "account.reset_password"
        await audit.record(account["email"], action, f"account:{account['id']}")
    return await StaffUser.select().where(StaffUser.id == account["id"]).first()

"""Staff accounts and API tokens: creation, login checks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from samrad.core.security import hash_password, hash_token, new_secret_token, verify_password
from samrad.core.tables import ApiToken, Role, StaffUser

MIN_PASSWORD_LENGTH = 12


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def create_staff_user(email: str, name: str, password: str, role: str = Role.organiser.value) -> int:
    email = normalise_email(email)
    if "@" not in email:
        raise ValueError("not an email address")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if role not in {r.value for r in Role}:
        raise ValueError(f"unknown role {role}")
    if await StaffUser.exists().where(StaffUser.email == email):
        raise ValueError(f"{email} already has an account")
    rows = await StaffUser.insert(
        StaffUser(email=email, name=name, password_hash=hash_password(password), role=role)
    ).returning(StaffUser.id)
    return rows[0]["id"]


async def authenticate(email: str, password: str) -> dict[str, Any] | None:
    """The active staff member with these credentials, else None (same work either way)."""
    user = await StaffUser.select().where(StaffUser.email == normalise_email(email)).first()
    if not verify_password(user["password_hash"] if user else None, password) or not user or not user["active"]:
        return None
    await StaffUser.update({StaffUser.last_login_at: datetime.now(UTC)}).where(StaffUser.id == user["id"])
    return user


async def create_api_token(email: str, name: str) -> str:
    user = await StaffUser.select(StaffUser.id).where(StaffUser.email == normalise_email(email)).first()
    if user is None:
        raise ValueError(f"no staff account for {email}")
    token = "sam_" + new_secret_token()
    await ApiToken.insert(
        ApiToken(user=user["id"], name=name, prefix=token[:8], token_hash=hash_token(token))
    )
    return token

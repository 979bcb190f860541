"""Passwords, secret tokens, staff roles and permissions, and rate limits on public writes.

Permissions are one readable table (role -> actions). Every organiser route names the action it needs with
``guard=[requires(Action.X)]``; ``tests/test_security.py`` walks every route and proves the anonymous are out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Coroutine
from enum import StrEnum
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException, TooManyRequestsException
from litestar.handlers import BaseRouteHandler
from litestar.stores.base import Store

from samrad.core.tables import ApiToken, Role, StaffUser

_hasher = PasswordHasher()

# A hash of a random password: verifying against it when the email is unknown keeps login timing the same.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

TICKET_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at the door


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_secret_token() -> str:
    """256 bits, URL-safe: for manage links and API tokens."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Tokens are high-entropy, so a plain SHA-256 is the right storage (no salt or slow hash needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_ticket_code(length: int = 10) -> str:
    """About 50 bits: short enough to type at the door, too many to guess."""
    return "".join(secrets.choice(TICKET_ALPHABET) for _ in range(length))


def tokens_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)


# --- permissions ------------------------------------------------------------------------------------------

class Action(StrEnum):
    view_dashboard = "view_dashboard"
    manage_events = "manage_events"
    view_registrations = "view_registrations"
    manage_registrations = "manage_registrations"
    check_in = "check_in"
    capture_input = "capture_input"
    moderate_input = "moderate_input"
    manage_themes = "manage_themes"
    export_feedback = "export_feedback"
    manage_users = "manage_users"


PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.admin: frozenset(Action),
    Role.organiser: frozenset(Action) - {Action.manage_users},
    # Facilitators capture and moderate only the workshops they are assigned to (``workshops.access``).
    Role.facilitator: frozenset({Action.view_dashboard, Action.capture_input, Action.moderate_input}),
    Role.checkin: frozenset({Action.view_dashboard, Action.check_in}),
}


def can(role: str, action: Action) -> bool:
    try:
        return action in PERMISSIONS[Role(role)]
    except ValueError:
        return False


SESSION_USER_KEY = "staff_user_id"


async def load_staff_user(connection: ASGIConnection) -> dict[str, Any] | None:
    """The logged-in staff member (session) or the owner of a bearer token (API), cached on the request."""
    if "staff_user" in connection.state:
        return connection.state["staff_user"]
    user = None
    authorization = connection.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        user = await _user_for_token(authorization[7:].strip())
    elif connection.scope.get("session") and (user_id := connection.session.get(SESSION_USER_KEY)):
        user = await StaffUser.select().where((StaffUser.id == user_id) & (StaffUser.active.eq(True))).first()
    connection.state["staff_user"] = user
    return user


async def _user_for_token(token: str) -> dict[str, Any] | None:
    row = (
        await ApiToken.select(ApiToken.id, ApiToken.user)
        .where((ApiToken.token_hash == hash_token(token)) & ApiToken.revoked_at.is_null())
        .first()
    )
    if row is None:
        return None
    return await StaffUser.select().where((StaffUser.id == row["user"]) & (StaffUser.active.eq(True))).first()


def requires(action: Action) -> Callable[[ASGIConnection, BaseRouteHandler], Coroutine[Any, Any, None]]:
    """A guard: 401 for the anonymous (HTML gets the login page), 403 for staff whose role lacks ``action``."""

    async def guard(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
        user = await load_staff_user(connection)
        if user is None:
            raise NotAuthorizedException()
        if not can(user["role"], action):
            raise PermissionDeniedException()

    guard.action = action  # type: ignore[attr-defined]  # read by the route-walking test
    return guard


# --- rate limits ------------------------------------------------------------------------------------------

class RateLimiter:
    """Fixed-window counters in a Litestar store (file store on one machine, Redis across machines)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def hit(self, bucket: str, client: str, limit: tuple[int, int]) -> None:
        count_allowed, seconds = limit
        window = int(time.time() // seconds)
        key = f"{bucket}:{hash_token(client)[:16]}:{window}"
        raw = await self.store.get(key)
        count = int(raw or 0) + 1
        await self.store.set(key, str(count).encode(), expires_in=seconds)
        if count > count_allowed:
            retry_after = seconds - int(time.time()) % seconds
            raise TooManyRequestsException(headers={"Retry-After": str(retry_after)})


def client_address(connection: ASGIConnection) -> str:
    client = connection.client
    return client.host if client else "unknown"

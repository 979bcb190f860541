"""Passwords, secret tokens, staff roles and permissions, and rate limits on public writes.

Permissions are one readable table: role x action -> scope, where a scope is a small named predicate saying
for which subjects (an event, a workshop) a role may do an action (``every`` one, or only the events whose team
the user is on, ...). A route names what it needs with ``guards=[requires(Action.X, subject=...)]``; code that
has its subject loaded asks ``await may(user, Action.X, subject_id)``. Staff API writes add ``api_write_guard``.
``tests/test_security.py`` walks every route and proves each boundary.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import (
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    TooManyRequestsException,
)
from litestar.handlers import BaseRouteHandler
from litestar.middleware.csrf import CSRF_SECRET_LENGTH, generate_csrf_hash
from litestar.middleware.csrf import CSRFMiddleware as LitestarCSRFMiddleware
from litestar.stores.base import Store
from litestar.stores.redis import RedisStore

from samrad.core.openapi import MAX_ID
from samrad.core.tables import ApiToken, Role, StaffUser
from samrad.core.web import CSRF_FAILED

_hasher = PasswordHasher()

# A hash of a random password: verifying against it when the email is unknown keeps login timing the same.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

# No 0/O, 1/I: read aloud at the door. 32 letters exactly (``new_ticket_code`` picks one with five bits).
TICKET_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


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
    """About 50 bits: short enough to type at the door, too many to guess. One read of the system's random
    source (not one per character): the alphabet has 32 letters, so five bits of each byte choose one evenly."""
    return "".join(TICKET_ALPHABET[byte & 31] for byte in secrets.token_bytes(length))


def tokens_equal(a: str, b: str) -> bool:
    """Compare secrets in constant time. As bytes: ``compare_digest`` refuses str with non-ASCII characters,
    and what a form sends may hold any."""
    return hmac.compare_digest(a.encode(), b.encode())


# --- permissions ------------------------------------------------------------------------------------------

class Action(StrEnum):
    view_dashboard = "view_dashboard"
    manage_own_account = "manage_own_account"  # one's own password and API tokens
    create_events = "create_events"
    manage_events = "manage_events"  # an event: its details, settings, dates, team; publish, cancel, duplicate
    view_registrations = "view_registrations"
    manage_registrations = "manage_registrations"
    check_in = "check_in"
    capture_input = "capture_input"
    moderate_input = "moderate_input"
    manage_themes = "manage_themes"
    export_feedback = "export_feedback"
    manage_users = "manage_users"  # invite, change roles, deactivate; every account's tokens
    view_audit = "view_audit"


class Subject(StrEnum):
    """What an action is done to, when it is done to one thing (its id is what ``may`` is asked about)."""

    event = "event"
    workshop = "workshop"


SUBJECT_OF: dict[Action, Subject] = {
    Action.manage_events: Subject.event,
    Action.view_registrations: Subject.event,
    Action.manage_registrations: Subject.event,
    Action.check_in: Subject.event,
    Action.capture_input: Subject.workshop,
    Action.moderate_input: Subject.workshop,
}


class Scope(StrEnum):
    """The small named predicates: for which subjects a role may do an action."""

    every = "every"  # every subject, or the action concerns none
    event_team = "event_team"  # the events whose team the user is on (``events.access``)
    team_workshop = "team_workshop"  # the workshops of those events (``workshops.access``)
    assigned_workshop = "assigned_workshop"  # the workshops the user is assigned to facilitate (``workshops.access``)


PERMISSIONS: dict[Role, dict[Action, Scope]] = {
    Role.admin: {action: Scope.every for action in Action},
    Role.organiser: {
        Action.view_dashboard: Scope.every,
        Action.manage_own_account: Scope.every,
        Action.create_events: Scope.every,
        Action.manage_events: Scope.event_team,
        Action.view_registrations: Scope.event_team,
        Action.manage_registrations: Scope.event_team,
        Action.check_in: Scope.event_team,
        Action.capture_input: Scope.team_workshop,
        Action.moderate_input: Scope.team_workshop,
        Action.manage_themes: Scope.every,
        Action.export_feedback: Scope.every,
    },
    Role.facilitator: {
        Action.view_dashboard: Scope.every,
        Action.manage_own_account: Scope.every,
        Action.capture_input: Scope.assigned_workshop,
        Action.moderate_input: Scope.assigned_workshop,
    },
    Role.checkin: {
        Action.view_dashboard: Scope.every,
        Action.manage_own_account: Scope.every,
        Action.check_in: Scope.event_team,
    },
}


def scope_of(role: str, action: Action) -> Scope | None:
    """For which subjects ``role`` may do ``action``; None: not at all."""
    try:
        return PERMISSIONS[Role(role)].get(action)
    except ValueError:
        return None


def can(role: str, action: Action) -> bool:
    """``role`` may do ``action`` to some subject (menus and unscoped pages ask this; a subject asks ``may``)."""
    return scope_of(role, action) is not None


# A scope's predicate: may this user (a staff row) act on the subject with this id? Areas declare them
# (``Area.permission_scopes``: the kernel names no area) and the app installs them at start.
ScopeCheck = Callable[[Mapping[str, Any], int], Awaitable[bool]]
_scope_checks: dict[Scope, ScopeCheck] = {}


def install_scope_checks(checks: Mapping[str, ScopeCheck]) -> None:
    _scope_checks.update({Scope(name): check for name, check in checks.items()})


async def may(user: Mapping[str, Any] | None, action: Action, subject_id: int | None = None) -> bool:
    """``user`` may do ``action`` (to the subject with id ``subject_id``, for an action about one subject).

    The one question every route and API call asks: the role's scope from ``PERMISSIONS``, then the scope's
    predicate for the subject. A missing or inactive user may do nothing.
    """
    if user is None or not user.get("active", False):
        return False
    scope = scope_of(user["role"], action)
    if scope is None:
        return False
    if action not in SUBJECT_OF or scope is Scope.every:
        return True
    if subject_id is None:
        raise TypeError(f"{action} is done to one {SUBJECT_OF[action]}: say which")
    try:
        check = _scope_checks[scope]
    except KeyError:
        raise LookupError(f"no area declares the permission scope {scope}") from None
    return await check(user, subject_id)


# Where a route finds its subject: a path parameter, and how to get from its value to the subject's id (the
# event of a date, the event with a slug); None from the resolver means there is no such subject (404).
SubjectResolver = Callable[[Any], Awaitable[int | None]]


@dataclass(frozen=True)
class SubjectFrom:
    parameter: str
    resolve: SubjectResolver | None = None


SESSION_USER_KEY = "staff_user_id"
CSRF_COOKIE = "samrad_csrf"  # the app's CSRF cookie (``samrad.app``)
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
SESSION_EPOCH_KEY = "staff_session_epoch"


async def load_staff_user(connection: ASGIConnection) -> dict[str, Any] | None:
    """The logged-in staff member (session) or the owner of a bearer token (API), cached on the request.

    Checked on every request: an account deactivated, or whose password was changed elsewhere (its
    ``session_epoch`` moved on), is out at once, sessions and tokens alike; so is an expired or revoked token.
    """
    if "staff_user" in connection.state:
        return connection.state["staff_user"]
    user = None
    authorization = connection.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        user = await _user_for_token(authorization[7:].strip())
    elif connection.scope.get("session") and (user_id := connection.session.get(SESSION_USER_KEY)):
        user = await StaffUser.select().where((StaffUser.id == user_id) & (StaffUser.active.eq(True))).first()
        if user is not None and user["session_epoch"] != connection.session.get(SESSION_EPOCH_KEY):
            user = None
    connection.state["staff_user"] = user
    return user


async def _user_for_token(token: str) -> dict[str, Any] | None:
    if not token:
        return None
    now = datetime.now(UTC)
    row = (
        await ApiToken.select(ApiToken.id, ApiToken.user, ApiToken.last_used_at)
        .where(
            (ApiToken.token_hash == hash_token(token))
            & ApiToken.revoked_at.is_null()
            & (ApiToken.expires_at.is_null() | (ApiToken.expires_at > now))
        )
        .first()
    )
    if row is None:
        return None
    user = await StaffUser.select().where((StaffUser.id == row["user"]) & (StaffUser.active.eq(True))).first()
    if user is not None and (row["last_used_at"] is None or now - row["last_used_at"] > TOKEN_USE_PRECISION):
        await ApiToken.update({ApiToken.last_used_at: now}).where(ApiToken.id == row["id"])
    if user is not None:
        user["api_token_id"] = row["id"]
    return user


def caller_key(user: Mapping[str, Any]) -> str:
    """Whose budget a staff API call spends: its API token's, or the signed-in account's."""
    token_id = user.get("api_token_id")
    return f"token:{token_id}" if token_id is not None else f"account:{user['id']}"


# "Last used" is shown to the day; writing it once an hour at most keeps API reads free of writes.
TOKEN_USE_PRECISION = timedelta(hours=1)


def requires(
    action: Action, subject: SubjectFrom | None = None
) -> Callable[[ASGIConnection, BaseRouteHandler], Coroutine[Any, Any, None]]:
    """A guard: 401 for the anonymous (HTML gets the login page), 403 for staff who may not do ``action``
    (to the route's subject, when it names one: 404 when that subject does not exist)."""
    # Without ``subject`` an action about one subject guards a list page, which shows only what ``may`` allows.

    async def guard(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
        user = await load_staff_user(connection)
        if user is None:
            raise NotAuthorizedException()
        if not can(user["role"], action):
            raise PermissionDeniedException()
        if subject is None:
            return
        raw = connection.path_params.get(subject.parameter)
        if isinstance(raw, int) and not 1 <= raw <= MAX_ID:
            raise NotFoundException()  # no row has this id; the database would refuse the number itself
        subject_id = raw if subject.resolve is None else await subject.resolve(raw)
        if subject_id is None:
            raise NotFoundException()
        if not await may(user, action, subject_id):
            raise PermissionDeniedException()

    guard.action = action  # type: ignore[attr-defined]  # read by the route-walking test
    guard.subject = subject  # type: ignore[attr-defined]
    return guard


async def api_write_guard(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    """A staff API write made with the browser's session must carry its CSRF token; one made with a bearer
    token needs none (a browser never adds that header by itself).

    The app's CSRF middleware skips ``/api/`` (scripts have no CSRF cookie), so without this a page on another
    site could post to the API with the staff member's cookie. The token is checked the way the middleware
    checks it: the ``x-csrftoken`` header, or the ``_csrf_token`` field of a form body, must match the cookie.
    Put it after ``requires(...)``, so the anonymous still get 401.
    """
    if connection.headers.get("authorization", "").lower().startswith("bearer "):
        return
    config = connection.app.state.csrf_config
    cookie = connection.cookies.get(config.cookie_name, "")
    sent = connection.headers.get(config.header_name, "")
    if not sent and isinstance(connection, Request) and connection.content_type[0] in _FORM_TYPES:
        value = (await connection.form()).get("_csrf_token", "")
        sent = value if isinstance(value, str) else ""
    sent_secret = _csrf_secret(sent, config.secret) if sent else None
    cookie_secret = _csrf_secret(cookie, config.secret) if cookie else None
    if sent_secret is None or cookie_secret is None or not hmac.compare_digest(sent_secret, cookie_secret):
        raise PermissionDeniedException(CSRF_FAILED)


def _csrf_secret(token: str, secret: str) -> str | None:
    """The random part of a CSRF token whose signature is right (Litestar's format: random hex + HMAC)."""
    if len(token) <= CSRF_SECRET_LENGTH or not token.isascii():
        return None
    random_part, signature = token[:CSRF_SECRET_LENGTH], token[CSRF_SECRET_LENGTH:]
    expected = generate_csrf_hash(token=random_part, secret=secret)
    return random_part if hmac.compare_digest(signature, expected) else None


class CSRFMiddleware(LitestarCSRFMiddleware):
    """Litestar's CSRF middleware, except that a token that is no ASCII text (a file in a multipart form, a
    value with other characters) is refused with 403 like any wrong token: Litestar's own fails the request
    with a 500 on it (``hmac.compare_digest`` raises TypeError for such values)."""

    def _decode_csrf_token(self, token: str) -> str | None:
        if not isinstance(token, str) or not token.isascii():
            return None
        return super()._decode_csrf_token(token)


# --- rate limits ------------------------------------------------------------------------------------------

# One hit in Redis: the window's counter goes up and, on its first hit, expires with the window; atomically.
_REDIS_INCREMENT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local previous = redis.call('GET', KEYS[2])
return {count, tonumber(previous) or 0}
"""


class RateLimiter:
    """Sliding-window counters in a Litestar store: the process's memory (one server process), or Redis, shared
    by every process on every machine.

    A hit counts in its fixed window, and the limit applies to that count plus the previous window's count
    weighted by how much of the previous window still lies inside the sliding one. A burst at the turn of a
    window is therefore not let through twice, as plain fixed windows would."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._redis_increment: Any = None

    async def hit(self, bucket: str, client: str, limit: tuple[int, int]) -> None:
        count_allowed, seconds = limit
        now = time.time()
        window = int(now // seconds)
        base = f"{bucket}:{hash_token(client)[:16]}"
        count, previous = await self._count(f"{base}:{window}", f"{base}:{window - 1}", seconds)
        elapsed = now - window * seconds
        if count + previous * (1 - elapsed / seconds) > count_allowed:
            raise TooManyRequestsException(headers={"Retry-After": str(max(1, int(seconds - elapsed)))})

    async def _count(self, key: str, previous_key: str, seconds: int) -> tuple[int, int]:
        """This hit's number in its window, and the previous window's count. In Redis one atomic increment:
        hits arriving at the same moment on several processes each get a number of their own (a read and then
        a write would let a burst through, all of it reading the same count). The memory store's get and set
        never suspend, so within one process no other request runs between them. A window's count is kept
        for two windows, as the next one weighs it."""
        if isinstance(self.store, RedisStore):
            if self._redis_increment is None:
                self._redis_increment = self.store._redis.register_script(_REDIS_INCREMENT)
            keys = [self.store._make_key(key), self.store._make_key(previous_key)]
            count, previous = await self._redis_increment(keys=keys, args=[2 * seconds])
            return int(count), int(previous)
        count = int(await self.store.get(key) or 0) + 1
        await self.store.set(key, str(count).encode(), expires_in=2 * seconds)
        return count, int(await self.store.get(previous_key) or 0)


def client_address(connection: ASGIConnection) -> str:
    """The address rate limits count per. Behind a reverse proxy the server (``samrad.cli.server_config``) has
    already put the client's address from X-Forwarded-For here, but only for connections from one of
    ``SAMRAD_TRUSTED_PROXIES``: anyone else's X-Forwarded-For is ignored, so it cannot dodge a limit."""
    client = connection.client
    return client.host if client else "unknown"

"""The staff side's door and frame: login, logout, the dashboard, and what every staff page shares.

Login checks an argon2 hash (``samrad.core.accounts.authenticate``), answers the same generic message whatever was
wrong, and is rate limited per client address and per account before the password is even checked, so the
answer to an attempt over the limit never reveals whether its password was right. A successful login gets a
new session id (the old session is deleted), so a session fixed before login is worth nothing after it.

The dashboard's events come from the events area through the ``staff_overview`` dependency that the app
provides, so this core module does not import an area.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any

from litestar import Request, Router, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter, SkipValidation
from litestar.response import Redirect, Template
from litestar.utils.scope.state import ScopeState

from samrad.core.accounts import LOCK_AFTER_FAILURES, LOCK_DURATION, authenticate, normalise_email
from samrad.core.i18n import N_, _
from samrad.core.security import (
    SESSION_EPOCH_KEY,
    SESSION_USER_KEY,
    Action,
    can,
    client_address,
    load_staff_user,
    requires,
)
from samrad.core.tables import Role
from samrad.core.web import safe_next

SESSION_COOKIE = "samrad_session"  # the key samrad.app gives the session middleware
SESSION_STORE = "sessions"
FLASH_KEY = "staff_flash"
STAFF_HOME = "/staff"
LOGIN_PATH = "/staff/login"

# Attempts, not only failures, are counted: the limit is checked before the password, so a blocked attempt
# cannot tell right from wrong. Staff log in a few times a day: per client address ten tries in five minutes
# (``SAMRAD_RATE_LIMIT_LOGIN``); per account ten in fifteen minutes, whatever the address
# (``SAMRAD_RATE_LIMIT_LOGIN_ACCOUNT``).
MAX_EMAIL_LENGTH = 254
MAX_PASSWORD_LENGTH = 1024

# The dashboard's template context for a staff member (their events with counts, labels), provided by the
# events area.
StaffOverview = Callable[[Mapping[str, Any]], Awaitable[dict[str, Any]]]
StaffOverviewDependency = SkipValidation[NamedDependency[StaffOverview]]


# --- shared by every staff page ---------------------------------------------------------------------------

ROLE_LABELS = {
    Role.admin: N_("Administrator"),
    Role.organiser: N_("Organiser"),
    Role.facilitator: N_("Facilitator"),
    Role.checkin: N_("Check-in staff"),
}


def role_label(role: str) -> str:
    return _(ROLE_LABELS[Role(role)]) if role in ROLE_LABELS else role


def flash(request: Request, message: str, tone: str = "success") -> None:
    """A one-time message for the next staff page (after a POST-redirect-GET)."""
    request.session[FLASH_KEY] = {"text": message, "tone": tone}


async def staff_page(request: Request, template_name: str, status_code: int = 200, **context: Any) -> Template:
    """Render a staff page with the signed-in user, what their role may do, and any one-time message."""
    user = await load_staff_user(request)
    message = request.session.pop(FLASH_KEY, None) if request.scope.get("session") else None
    role = user["role"] if user else ""
    return Template(
        template_name=template_name,
        context={
            "user": user,
            "allowed": lambda action: can(role, Action(action)),
            "role_label": role_label,
            "flash": message,
            **context,
        },
        status_code=status_code,
        headers={"Cache-Control": "no-store"},
    )


def form_value(form: Mapping[str, Any], name: str, limit: int) -> str:
    value = form.get(name, "")
    return value[:limit] if isinstance(value, str) else ""


# --- login and logout -------------------------------------------------------------------------------------

@get(LOGIN_PATH, name="staff_login")
async def login_form(
    request: Request, next_path: Annotated[str | None, QueryParameter(name="next")] = None
) -> Template | Redirect:
    if await load_staff_user(request) is not None:
        return Redirect(path=safe_next(next_path, STAFF_HOME), status_code=303)
    logged_out = request.query_params.get("logged_out") == "1"
    return await _login_page(request, next_path=safe_next(next_path, STAFF_HOME), logged_out=logged_out)


@post(LOGIN_PATH, name="staff_login_submit", status_code=303)
async def login_submit(request: Request) -> Template | Redirect:
    form = await request.form()
    email = form_value(form, "email", MAX_EMAIL_LENGTH).strip()
    password = form_value(form, "password", MAX_PASSWORD_LENGTH)
    next_path = safe_next(form_value(form, "next", 2000), STAFF_HOME)
    errors: dict[str, str] = {}
    if not email:
        errors["email"] = _("Enter your email address.")
    if not password:
        errors["password"] = _("Enter your password.")
    if errors:
        return await _login_page(request, next_path=next_path, email=email, errors=errors, status_code=422)

    limiter = request.app.state.rate_limiter
    await limiter.hit("staff-login", client_address(request), request.app.state.settings.login_rate)
    await limiter.hit("staff-login-account", normalise_email(email), request.app.state.settings.login_account_rate)
    user = await authenticate(email, password)
    if user is None:
        return await _login_page(
            request, next_path=next_path, email=email, status_code=401,
            problem=" ".join((_(LOGIN_FAILED), _(LOCK_HINT, failures=LOCK_AFTER_FAILURES,
                                                   minutes=int(LOCK_DURATION.total_seconds() // 60)))),
        )
    await start_session(request, user)
    return Redirect(path=next_path, status_code=303)


LOGIN_FAILED = N_("The email address or the password is not right. Check them and try again.")
# The same words whether or not the account exists and is locked: the answer must not tell who has an account.
LOCK_HINT = N_("After %(failures)s wrong passwords in a row an account is locked for %(minutes)s minutes and its "
               "owner gets an email; “Forgotten your password?” unlocks it at once.")


async def _login_page(
    request: Request, *, next_path: str, email: str = "", errors: dict[str, str] | None = None,
    problem: str | None = None, logged_out: bool = False, status_code: int = 200,
) -> Template:
    return Template(
        template_name="staff/login.html",
        context={
            "values": {"email": email},
            "errors": errors or {},
            "problem": problem,
            "next_path": next_path,
            "logged_out": logged_out,
        },
        status_code=status_code,
        headers={"Cache-Control": "no-store"},
    )


async def start_session(request: Request, user: Mapping[str, Any]) -> None:
    """Sign ``user`` in on a fresh session id, in the account's current session epoch."""
    await _rotate_session(request)
    request.session[SESSION_USER_KEY] = user["id"]
    request.session[SESSION_EPOCH_KEY] = user["session_epoch"]


async def _rotate_session(request: Request) -> None:
    """Forget the session the browser brought and let the session middleware issue a fresh id."""
    # The parsed cookies are one dict shared by every connection object of this request (the middleware's
    # too): removing the old id from it makes the middleware store the session under the new id.
    old_id = request.cookies.pop(SESSION_COOKIE, None)
    if old_id:
        await request.app.stores.get(SESSION_STORE).delete(old_id)
    ScopeState.from_scope(request.scope).session_id = secrets.token_hex(32)
    request.set_session({})


@post("/staff/logout", name="staff_logout", status_code=303)
async def logout(request: Request) -> Redirect:
    """Log out: the session is deleted on the server and the cookie emptied."""
    request.clear_session()
    return Redirect(path=f"{LOGIN_PATH}?logged_out=1", status_code=303)


# --- dashboard --------------------------------------------------------------------------------------------

@get(STAFF_HOME, name="staff_dashboard", guards=[requires(Action.view_dashboard)])
async def dashboard(request: Request, staff_overview: StaffOverviewDependency) -> Template:
    """Upcoming events with registered, capacity and waiting list: where the organiser's day starts."""
    user = await load_staff_user(request)
    return await staff_page(request, "staff/dashboard.html", **await staff_overview(user))


# HTML pages, not an API: kept out of the OpenAPI schema.
router = Router(path="/", route_handlers=[login_form, login_submit, logout, dashboard], include_in_schema=False)

"""The staff doors that need no account: asking for a password reset, and the invitation and reset links.

"Forgotten your password?" answers the same whether or not the address has an account, and is rate limited per
client address and per address asked about. A link (``samrad.core.account_links``) opens a form to choose a
password; using it signs the person in on a fresh session. A link that is unknown, used, expired or whose
account was deactivated gets one page that says so (410), without telling which.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from samrad.core.account_links import RESET_VALID, request_password_reset, use_link, valid_link
from samrad.core.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, looks_like_email, normalise_email
from samrad.core.accounts import password_problem as check_password
from samrad.core.i18n import _
from samrad.core.security import client_address
from samrad.core.staff import MAX_EMAIL_LENGTH, STAFF_HOME, flash, form_value, start_session
from samrad.core.tables import AccountLinkPurpose

FORGOT_RATE_PER_CLIENT = (5, 900)
FORGOT_RATE_PER_ADDRESS = (3, 3600)
LINK_RATE_PER_CLIENT = (10, 300)


def _page(template: str, status_code: int = 200, **context: Any) -> Template:
    return Template(template_name=template, context=context, status_code=status_code,
                    headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


# --- forgotten password -----------------------------------------------------------------------------------

@get("/staff/password/forgot", name="staff_password_forgot")
async def forgot_form(request: Request) -> Template:
    return _page("staff/password_forgot.html", values={"email": ""}, errors={}, sent=False)


@post("/staff/password/forgot", name="staff_password_forgot_submit", status_code=200)
async def forgot_submit(request: Request) -> Template:
    email = form_value(await request.form(), "email", MAX_EMAIL_LENGTH).strip()
    if not looks_like_email(email):
        errors = {"email": _("Enter your email address like name@kommune.dk.")}
        return _page("staff/password_forgot.html", 422, values={"email": email}, errors=errors, sent=False)
    limiter = request.app.state.rate_limiter
    await limiter.hit("staff-forgot", client_address(request), FORGOT_RATE_PER_CLIENT)
    await limiter.hit("staff-forgot-address", normalise_email(email), FORGOT_RATE_PER_ADDRESS)
    await request_password_reset(email)
    minutes = int(RESET_VALID.total_seconds() // 60)
    return _page("staff/password_forgot.html", values={"email": email}, errors={}, sent=True, minutes=minutes)


# --- the links --------------------------------------------------------------------------------------------

PURPOSES = {"welcome": AccountLinkPurpose.invitation, "reset": AccountLinkPurpose.password_reset}


async def _link_form(request: Request, token: str, kind: str) -> Template:
    account = await valid_link(token, PURPOSES[kind])
    if account is None:
        return _page("staff/link_invalid.html", 410, kind=kind)
    return _page("staff/password_set.html", kind=kind, account=account, errors={}, action=request.url.path,
                 min_length=MIN_PASSWORD_LENGTH)


async def _link_submit(request: Request, token: str, kind: str) -> Template | Redirect:
    await request.app.state.rate_limiter.hit("staff-link", client_address(request), LINK_RATE_PER_CLIENT)
    purpose = PURPOSES[kind]
    account = await valid_link(token, purpose)
    if account is None:
        return _page("staff/link_invalid.html", 410, kind=kind)
    form = await request.form()
    password = form_value(form, "password", MAX_PASSWORD_LENGTH + 1)
    repeated = form_value(form, "password_again", MAX_PASSWORD_LENGTH + 1)
    errors: dict[str, str] = {}
    if problem := check_password(password, account["email"]):
        errors["password"] = _(problem.message, **problem.values)
    elif repeated != password:
        errors["password_again"] = _("The two passwords are not the same. Type the new password twice.")
    if errors:
        return _page("staff/password_set.html", 422, kind=kind, account=account, errors=errors,
                     action=request.url.path, min_length=MIN_PASSWORD_LENGTH)
    user = await use_link(token, purpose, password)
    if user is None:
        return _page("staff/link_invalid.html", 410, kind=kind)
    await start_session(request, user)
    flash(request, _("Welcome to Samråd. Your password is set and you are signed in.") if kind == "welcome"
          else _("Your new password is set and you are signed in. Other sessions have been signed out."))
    return Redirect(path=STAFF_HOME, status_code=303)


@get("/staff/welcome/{token:str}", name="staff_welcome")
async def welcome_form(request: Request, token: FromPath[str]) -> Template:
    return await _link_form(request, token, "welcome")


@post("/staff/welcome/{token:str}", name="staff_welcome_submit", status_code=303)
async def welcome_submit(request: Request, token: FromPath[str]) -> Template | Redirect:
    return await _link_submit(request, token, "welcome")


@get("/staff/password/reset/{token:str}", name="staff_password_reset")
async def reset_form(request: Request, token: FromPath[str]) -> Template:
    return await _link_form(request, token, "reset")


@post("/staff/password/reset/{token:str}", name="staff_password_reset_submit", status_code=303)
async def reset_submit(request: Request, token: FromPath[str]) -> Template | Redirect:
    return await _link_submit(request, token, "reset")


router = Router(
    path="/",
    route_handlers=[forgot_form, forgot_submit, welcome_form, welcome_submit, reset_form, reset_submit],
    include_in_schema=False,
)

"""Staff pages about people: administrators invite colleagues, change roles, deactivate and reactivate accounts
and revoke their tokens; everyone changes their own password and makes or revokes their own API tokens.

The work is done by ``samrad.core.accounts`` and ``samrad.core.account_links``; every change is audited there.
A new API token is shown once, on the page that answers the form (never put in the session or a redirect).
The doors without an account (a forgotten password, an invitation or reset link) are ``samrad.core.doors``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Request, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from samrad.core import accounts
from samrad.core.account_links import invite, resend_invitation
from samrad.core.accounts import AccountError, PasswordProblem, password_problem
from samrad.core.clock import now_utc
from samrad.core.i18n import N_, _, current_locale
from samrad.core.security import Action, load_staff_user, requires
from samrad.core.settings import LOCALES
from samrad.core.staff import ROLE_LABELS, flash, form_value, staff_page, start_session
from samrad.core.tables import Role

MAX_NAME_LENGTH = 200
TOKEN_LIFETIMES = (30, 90, 365)  # days a new token can be given; no token lives for ever
STATE_LABELS = {
    "active": N_("Active"),
    "invited": N_("Invited, has not set a password yet"),
    "locked": N_("Locked for a while after wrong passwords"),
    "deactivated": N_("Deactivated"),
}
TOKEN_STATE_LABELS = {"active": N_("Active"), "expired": N_("Expired"), "revoked": N_("Revoked")}

MANAGE_USERS = [requires(Action.manage_users)]
OWN_ACCOUNT = [requires(Action.manage_own_account)]


def _labels() -> dict[str, Any]:
    return {
        "roles": [role.value for role in Role],
        "state_label": lambda state: _(STATE_LABELS[state]),
        "token_state_label": lambda state: _(TOKEN_STATE_LABELS[state]),
    }


def problem_text(problem: PasswordProblem) -> str:
    return _(problem.message, **problem.values)


# --- administrators: people -------------------------------------------------------------------------------

@get("/people", name="staff_people", guards=MANAGE_USERS)
async def people(request: Request) -> Template:
    return await staff_page(request, "staff/people.html", people=await accounts.staff_accounts(), **_labels())


@get("/people/invite", name="staff_people_invite_form", guards=MANAGE_USERS)
async def invite_form(request: Request) -> Template:
    values = {"role": Role.organiser.value, "locale": current_locale()}
    return await _invite_page(request, values, {})


async def _invite_page(request: Request, values: dict[str, str], errors: dict[str, str], status: int = 200
                       ) -> Template:
    return await staff_page(request, "staff/people_invite.html", status_code=status, values=values, errors=errors,
                            error_order=["name", "email", "role", "locale"], **_labels())


@post("/people/invite", name="staff_people_invite", status_code=303, guards=MANAGE_USERS)
async def invite_submit(request: Request) -> Template | Redirect:
    """Create the account and send the invitation link (valid for a week, once)."""
    form = await request.form()
    values = {
        "name": form_value(form, "name", MAX_NAME_LENGTH).strip(),
        "email": form_value(form, "email", 300).strip(),
        "role": form_value(form, "role", 20),
        "locale": form_value(form, "locale", 5),
    }
    errors: dict[str, str] = {}
    if not values["name"]:
        errors["name"] = _("Enter the colleague's name.")
    if not accounts.looks_like_email(values["email"]):
        errors["email"] = _("Enter an email address like name@kommune.dk.")
    if values["role"] not in ROLE_LABELS:
        errors["role"] = _("Choose a role.")
    if values["locale"] not in LOCALES:
        errors["locale"] = _("Choose the language of the invitation.")
    if not errors:
        try:
            user_id = await invite(values["email"], values["name"], values["role"], values["locale"],
                                   await load_staff_user(request))
        except AccountError:
            errors["email"] = _("This address already has an account.")
    if errors:
        return await _invite_page(request, values, errors, 422)
    flash(request, _("The invitation has been sent to %(email)s. The link works once, for %(days)s days.",
                     email=accounts.normalise_email(values["email"]), days=7))
    return Redirect(path=f"/staff/people/{user_id}", status_code=303)


async def _person_or_404(user_id: int) -> dict[str, Any]:
    person = await accounts.staff_account(user_id)
    if person is None:
        raise NotFoundException()
    return person


@get("/people/{user_id:int}", name="staff_person", guards=MANAGE_USERS)
async def person(request: Request, user_id: FromPath[int]) -> Template:
    found = await _person_or_404(user_id)
    me = await load_staff_user(request)
    return await staff_page(request, "staff/person.html", person=found, is_me=found["id"] == me["id"],
                            tokens=await accounts.api_tokens(user_id), **_labels())


@post("/people/{user_id:int}/role", name="staff_person_role", status_code=303, guards=MANAGE_USERS)
async def person_role(request: Request, user_id: FromPath[int]) -> Redirect:
    await _person_or_404(user_id)
    role = form_value(await request.form(), "role", 20)
    if role not in ROLE_LABELS:
        flash(request, _("Choose a role."), tone="warning")
    else:
        await _change(request, accounts.change_role(user_id, role, await load_staff_user(request)),
                      _("The role has been changed."))
    return Redirect(path=f"/staff/people/{user_id}", status_code=303)


@post("/people/{user_id:int}/deactivate", name="staff_person_deactivate", status_code=303, guards=MANAGE_USERS)
async def person_deactivate(request: Request, user_id: FromPath[int]) -> Redirect:
    """Sessions end and tokens are revoked at once; the account and its history stay."""
    await _person_or_404(user_id)
    await _change(request, accounts.set_active(user_id, False, await load_staff_user(request)),
                  _("The account is deactivated: it is signed out everywhere and its API tokens are revoked."))
    return Redirect(path=f"/staff/people/{user_id}", status_code=303)


@post("/people/{user_id:int}/reactivate", name="staff_person_reactivate", status_code=303, guards=MANAGE_USERS)
async def person_reactivate(request: Request, user_id: FromPath[int]) -> Redirect:
    await _person_or_404(user_id)
    await _change(request, accounts.set_active(user_id, True, await load_staff_user(request)),
                  _("The account is active again."))
    return Redirect(path=f"/staff/people/{user_id}", status_code=303)


@post("/people/{user_id:int}/invite-again", name="staff_person_invite_again", status_code=303,
      guards=MANAGE_USERS)
async def person_invite_again(request: Request, user_id: FromPath[int]) -> Redirect:
    """A new invitation link (the earlier one stops working)."""
    await _person_or_404(user_id)
    await _change(request, resend_invitation(user_id, await load_staff_user(request)),
                  _("A new invitation has been sent. The earlier link no longer works."))
    return Redirect(path=f"/staff/people/{user_id}", status_code=303)


@post("/people/{user_id:int}/tokens/{token_id:int}/revoke", name="staff_person_token_revoke", status_code=303,
      guards=MANAGE_USERS)
async def person_token_revoke(request: Request, user_id: FromPath[int], token_id: FromPath[int]) -> Redirect:
    me = await load_staff_user(request)
    if await accounts.revoke_api_token(token_id, user_id, me["email"]):
        flash(request, _("The token has been revoked: scripts using it are refused from now on."))
    return Redirect(path=f"/staff/people/{user_id}", status_code=303)


ACCOUNT_PROBLEMS = {
    "own_account": N_("You cannot change your own role or deactivate yourself: ask another administrator."),
    "not_invited": N_("This colleague has set a password already, or the account is deactivated."),
    "not_found": N_("This account no longer exists."),
}


async def _change(request: Request, change: Any, done: str) -> None:
    try:
        await change
    except AccountError as error:
        flash(request, _(ACCOUNT_PROBLEMS.get(error.code, ACCOUNT_PROBLEMS["not_found"])), tone="warning")
    else:
        flash(request, done)


# --- everyone: their own account --------------------------------------------------------------------------

@get("/account", name="staff_account", guards=OWN_ACCOUNT)
async def account(request: Request) -> Template:
    return await _account_page(request, {}, {})


async def _account_page(request: Request, errors: dict[str, str], values: dict[str, str], status: int = 200,
                        new_token: str | None = None) -> Template:
    me = await load_staff_user(request)
    return await staff_page(
        request, "staff/account.html", status_code=status, errors=errors, values=values, new_token=new_token,
        tokens=await accounts.api_tokens(me["id"]), lifetimes=TOKEN_LIFETIMES,
        min_password_length=accounts.MIN_PASSWORD_LENGTH, **_labels(),
    )


@post("/account/password", name="staff_account_password", status_code=303, guards=OWN_ACCOUNT)
async def account_password(request: Request) -> Template | Redirect:
    """Change one's own password: other sessions of the account end, this one goes on."""
    me = await load_staff_user(request)
    form = await request.form()
    current = form_value(form, "current_password", accounts.MAX_PASSWORD_LENGTH + 1)
    new = form_value(form, "new_password", accounts.MAX_PASSWORD_LENGTH + 1)
    errors: dict[str, str] = {}
    epoch = None
    if not current:
        errors["current_password"] = _("Enter your current password.")
    if problem := password_problem(new, me["email"]):
        errors["new_password"] = problem_text(problem)
    if not errors:
        try:
            epoch = await accounts.change_own_password(me, current, new)
        except AccountError:
            errors["current_password"] = _("Your current password is not right.")
    if epoch is None:
        return await _account_page(request, errors, {}, 422)
    await start_session(request, {"id": me["id"], "session_epoch": epoch})
    flash(request, _("Your password has been changed. You have been signed out everywhere else."))
    return Redirect(path="/staff/account", status_code=303)


@post("/account/tokens", name="staff_account_token_create", status_code=201, guards=OWN_ACCOUNT)
async def account_token_create(request: Request) -> Template:
    """Make a token; the page that answers shows it, once."""
    me = await load_staff_user(request)
    form = await request.form()
    values = {"token_name": form_value(form, "token_name", 100).strip(), "lifetime": form_value(form, "lifetime", 5)}
    errors: dict[str, str] = {}
    if not values["token_name"]:
        errors["token_name"] = _("Name the token after the script or system that uses it.")
    if not values["lifetime"].isdecimal() or int(values["lifetime"]) not in TOKEN_LIFETIMES:
        errors["lifetime"] = _("Choose how long the token works.")
    if errors:
        return await _account_page(request, errors, values, 422)
    token = await accounts.create_api_token(
        me["email"], values["token_name"], expires_at=now_utc() + timedelta(days=int(values["lifetime"])),
        actor=me["email"],
    )
    return await _account_page(request, {}, {}, 201, new_token=token)


@post("/account/tokens/{token_id:int}/revoke", name="staff_account_token_revoke", status_code=303,
      guards=OWN_ACCOUNT)
async def account_token_revoke(request: Request, token_id: FromPath[int]) -> Redirect:
    me = await load_staff_user(request)
    if await accounts.revoke_api_token(token_id, me["id"], me["email"]):
        flash(request, _("The token has been revoked: scripts using it are refused from now on."))
    return Redirect(path="/staff/account", status_code=303)


router = Router(
    path="/staff",
    route_handlers=[
        people, invite_form, invite_submit, person, person_role, person_deactivate, person_reactivate,
        person_invite_again, person_token_revoke, account, account_password, account_token_create,
        account_token_revoke,
    ],
    include_in_schema=False,
)

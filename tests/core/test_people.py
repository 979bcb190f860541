"""People and roles: invitations, password resets, lock-out, password rules, roles, deactivation, API tokens and
the audit log, through the pages and through the services."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import staff_support
from registration_support import make_event, outbox
from staff_support import PASSWORD, csrf_token, login, login_as, make_staff, post_form

from events.contracts import RegistrationInput
from events.registration import services
from samrad.core import accounts, audit
from samrad.core.account_links import request_password_reset
from samrad.core.settings import ROOT
from samrad.core.tables import AccountLink, ApiToken, AuditEntry, OutboxMessage, StaffUser

client = staff_support.client
other_client = staff_support.other_client

LINK = re.compile(r"https?://\S+/staff/(welcome|password/reset)/([A-Za-z0-9_-]+)")
NEW_PASSWORD = "a lantern by the quiet harbour"


def link_in(message: dict) -> str:
    match = LINK.search(message["text_body"])
    assert match, "the email has no link"
    return urlsplit(match.group(0)).path


async def account(email: str) -> dict:
    return await StaffUser.select().where(StaffUser.email == email).first()


async def invite_via_form(client, **fields) -> object:
    values = {"name": "Signe Holm", "email": "signe.holm@kommune.example", "role": "organiser", "locale": "da"}
    return await post_form(client, "/staff/people/invite", "/staff/people/invite", {**values, **fields})


async def set_password_via_link(client, path: str, password: str = NEW_PASSWORD, again: str | None = None):
    return await post_form(client, path, path, {"password": password, "password_again": again or password})


# --- invitations ------------------------------------------------------------------------------------------

async def test_an_administrator_invites_a_colleague_who_sets_a_password_and_is_signed_in(client, other_client):
    await login_as(client, "admin")
    response = await invite_via_form(client)
    assert response.status_code == 303
    invited = await account("signe.holm@kommune.example")
    assert invited["role"] == "organiser" and invited["password_set_at"] is None and invited["locale"] == "da"
    (message,) = await outbox(to_address="signe.holm@kommune.example")
    assert message["kind"] == "account.invitation"
    path = link_in(message)
    assert path.startswith("/staff/welcome/")
    # Not usable before the password is set.
    assert (await login(other_client, "signe.holm@kommune.example", "")).status_code == 422

    form = await other_client.get(path)
    assert form.status_code == 200 and "signe.holm@kommune.example" in form.text
    done = await set_password_via_link(other_client, path)
    assert done.status_code == 303 and done.headers["location"] == "/staff"
    assert (await other_client.get("/staff")).status_code == 200
    assert (await account("signe.holm@kommune.example"))["password_set_at"] is not None
    people = await client.get("/staff/people")
    assert "Signe Holm" in people.text


async def test_an_invitation_link_works_once(client, other_client):
    await login_as(client, "admin")
    await invite_via_form(client)
    path = link_in((await outbox(to_address="signe.holm@kommune.example"))[0])
    assert (await set_password_via_link(other_client, path)).status_code == 303
    again = await other_client.get(path)
    assert again.status_code == 410 and "no longer works" in again.text


async def test_an_expired_invitation_link_is_refused(client, other_client):
    await login_as(client, "admin")
    await invite_via_form(client)
    path = link_in((await outbox(to_address="signe.holm@kommune.example"))[0])
    await AccountLink.update({AccountLink.expires_at: datetime.now(UTC) - timedelta(minutes=1)}).where(
        AccountLink.id > 0
    )
    assert (await other_client.get(path)).status_code == 410
    token = await csrf_token(other_client, "/staff/login")
    response = await other_client.post(path, data={"_csrf_token": token, "password": NEW_PASSWORD,
                                                   "password_again": NEW_PASSWORD})
    assert response.status_code == 410
    assert (await account("signe.holm@kommune.example"))["password_set_at"] is None


async def test_a_new_invitation_makes_the_earlier_link_stop_working(client, other_client):
    await login_as(client, "admin")
    await invite_via_form(client)
    invited = await account("signe.holm@kommune.example")
    first = link_in((await outbox(to_address="signe.holm@kommune.example"))[0])
    page = f"/staff/people/{invited['id']}"
    assert (await post_form(client, page, f"{page}/invite-again", {})).status_code == 303
    second = link_in((await outbox(to_address="signe.holm@kommune.example"))[-1])
    assert first != second
    assert (await other_client.get(first)).status_code == 410
    assert (await other_client.get(second)).status_code == 200


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": ""}, "name", "Enter the colleague"),
        ({"email": "not an address"}, "email", "Enter an email address"),
        ({"role": "superuser"}, "role", "Choose a role"),
        ({"locale": "fr"}, "locale", "Choose the language"),
    ],
)
async def test_bad_invitations_are_explained_and_nothing_is_sent(client, fields, field, message):
    await login_as(client, "admin")
    response = await invite_via_form(client, **fields)
    assert response.status_code == 422
    assert message in response.text and f'id="{field}-error"' in response.text
    assert await OutboxMessage.count() == 0


async def test_inviting_an_address_that_has_an_account_is_refused(client):
    existing = await make_staff("organiser")
    await login_as(client, "admin")
    response = await invite_via_form(client, email=existing.upper())
    assert response.status_code == 422 and "already has an account" in response.text
    assert await OutboxMessage.count() == 0


async def test_the_link_form_refuses_weak_and_mismatched_passwords(client, other_client):
    await login_as(client, "admin")
    await invite_via_form(client)
    path = link_in((await outbox(to_address="signe.holm@kommune.example"))[0])
    for password, again, message in [
        ("short", None, "at least 12 characters"),
        ("1q2w3e4r5t6y", None, "often used or have leaked"),
        ("signe.holm@kommune.example", None, "must not be your email address"),
        (NEW_PASSWORD, "something else entirely", "not the same"),
    ]:
        response = await set_password_via_link(other_client, path, password, again)
        assert response.status_code == 422 and message in response.text, password
    assert (await other_client.get(path)).status_code == 200, "a refused password does not use up the link"


async def test_only_administrators_manage_people(client):
    await login_as(client, "organiser")
    assert (await client.get("/staff/people")).status_code == 403
    assert (await client.get("/staff/people/invite")).status_code == 403
    assert (await client.get("/staff/audit")).status_code == 403


# --- forgotten passwords ----------------------------------------------------------------------------------

async def forgot(client, email: str):
    return await post_form(client, "/staff/password/forgot", "/staff/password/forgot", {"email": email})


async def test_a_reset_is_answered_the_same_whether_or_not_the_address_has_an_account(client, other_client):
    known = await make_staff("organiser")
    unknown = "nobody.here@staff.example.org"
    first = await forgot(client, known)
    second = await forgot(other_client, unknown)
    assert first.status_code == second.status_code == 200

    def neutral(text: str, address: str) -> str:
        return re.sub(r'name="_csrf_token" value="[^"]+"', "", text).replace(address, "ADDRESS")

    assert neutral(first.text, known) == neutral(second.text, unknown)
    assert [row["kind"] for row in await outbox(to_address=known)] == ["account.password_reset"]
    assert await outbox(to_address=unknown) == []


async def test_a_reset_link_sets_a_new_password_once_and_ends_other_sessions(client, other_client):
    email = await make_staff("organiser")
    assert (await login(other_client, email)).status_code == 303
    await forgot(client, email)
    path = link_in((await outbox(to_address=email))[0])
    assert path.startswith("/staff/password/reset/")
    assert (await set_password_via_link(client, path)).status_code == 303
    assert (await client.get("/staff")).status_code == 200
    assert (await other_client.get("/staff")).status_code == 303, "the old session ended"
    assert (await client.get(path)).status_code == 410
    assert (await login(other_client, email, NEW_PASSWORD)).status_code == 303


async def test_an_expired_reset_link_is_refused(client):
    email = await make_staff("organiser")
    await request_password_reset(email)
    path = link_in((await outbox(to_address=email))[0])
    await AccountLink.update({AccountLink.expires_at: datetime.now(UTC) - timedelta(seconds=1)}).where(
        AccountLink.id > 0
    )
    assert (await client.get(path)).status_code == 410


async def test_a_deactivated_account_gets_no_reset_link_and_its_links_stop(client):
    email = await make_staff("organiser")
    await request_password_reset(email)
    path = link_in((await outbox(to_address=email))[0])
    await StaffUser.update({StaffUser.active: False}).where(StaffUser.email == email)
    assert (await client.get(path)).status_code == 410
    await request_password_reset(email)
    assert len(await outbox(to_address=email)) == 1


async def test_asking_for_a_reset_needs_an_address(client):
    response = await forgot(client, "")
    assert response.status_code == 422 and 'id="email-error"' in response.text


async def test_unknown_links_get_the_same_page_as_used_ones(client):
    assert (await client.get("/staff/password/reset/made-up-token")).status_code == 410
    assert (await client.get("/staff/welcome/made-up-token")).status_code == 410


# --- lock-out ---------------------------------------------------------------------------------------------

async def test_repeated_wrong_passwords_lock_the_account_and_tell_its_owner(client, other_client):
    email = await make_staff("organiser")
    for _ in range(accounts.LOCK_AFTER_FAILURES):
        assert (await login(client, email, "not the password at all")).status_code == 401
    row = await account(email)
    assert row["locked_until"] is not None
    assert (await login(other_client, email)).status_code == 401, "even the right password waits"
    assert [m["kind"] for m in await outbox(to_address=email)] == ["account.locked"]
    assert len(await AuditEntry.select().where(AuditEntry.action == "account.lock")) == 1


async def test_a_lock_runs_out(client):
    email = await make_staff("organiser")
    for _ in range(accounts.LOCK_AFTER_FAILURES):
        await accounts.authenticate(email, "wrong wrong wrong")
    assert await accounts.authenticate(email, PASSWORD) is None
    await StaffUser.update({StaffUser.locked_until: datetime.now(UTC) - timedelta(seconds=1)}).where(
        StaffUser.email == email
    )
    assert (await accounts.authenticate(email, PASSWORD)) is not None
    assert (await account(email))["failed_logins"] == 0


async def test_a_right_password_resets_the_count_of_failures(client):
    email = await make_staff("organiser")
    for _ in range(accounts.LOCK_AFTER_FAILURES - 1):
        await accounts.authenticate(email, "wrong wrong wrong")
    assert await accounts.authenticate(email, PASSWORD) is not None
    await accounts.authenticate(email, "wrong wrong wrong")
    assert (await account(email))["locked_until"] is None


async def test_a_reset_unlocks_the_account(client):
    email = await make_staff("organiser")
    for _ in range(accounts.LOCK_AFTER_FAILURES):
        await accounts.authenticate(email, "wrong wrong wrong")
    await forgot(client, email)
    reset = next(m for m in await outbox(to_address=email) if m["kind"] == "account.password_reset")
    assert (await set_password_via_link(client, link_in(reset))).status_code == 303
    assert await accounts.authenticate(email, NEW_PASSWORD) is not None


# --- password rules ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("password", "refused"),
    [
        ("elevenchars", True),
        ("twelve chars", False),
        ("qwerty123456", True),  # on the list of common passwords
        ("Q1W2E3R4T5Y6", True),  # the list is matched without case
        ("tre små grisar i skogen", False),  # no composition rules: words are fine
    ],
)
async def test_the_password_rules(password, refused):
    assert (accounts.password_problem(password) is not None) is refused


# --- one's own account ------------------------------------------------------------------------------------

async def change_password(client, current: str, new: str):
    return await post_form(client, "/staff/account", "/staff/account/password",
                           {"current_password": current, "new_password": new})


async def test_changing_ones_password_signs_out_the_other_sessions_only(client, other_client):
    email = await login_as(client, "facilitator")
    assert (await login(other_client, email)).status_code == 303
    response = await change_password(client, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 303
    assert (await client.get("/staff/account")).status_code == 200
    assert (await other_client.get("/staff")).status_code == 303
    assert await accounts.authenticate(email, NEW_PASSWORD) is not None


async def test_changing_ones_password_needs_the_current_one_and_a_good_new_one(client):
    email = await login_as(client, "checkin")
    wrong = await change_password(client, "not my password", NEW_PASSWORD)
    assert wrong.status_code == 422 and "current password is not right" in wrong.text
    weak = await change_password(client, PASSWORD, "qwerty123456")
    assert weak.status_code == 422 and 'id="new_password-error"' in weak.text
    assert await accounts.authenticate(email, PASSWORD) is not None


# --- roles and deactivation -------------------------------------------------------------------------------

async def test_a_new_role_applies_at_once(client, other_client):
    event = await make_event()
    await login_as(client, "admin")
    email = await login_as(other_client, "organiser")
    assert (await other_client.get(f"/staff/events/{event['id']}/edit")).status_code == 200
    user = await account(email)
    page = f"/staff/people/{user['id']}"
    assert (await post_form(client, page, f"{page}/role", {"role": "checkin"})).status_code == 303
    assert (await other_client.get(f"/staff/events/{event['id']}/edit")).status_code == 403
    assert (await other_client.get(f"/staff/checkin/{event['id']}")).status_code != 403
    assert len(await AuditEntry.select().where(AuditEntry.subject == f"account:{user['id']}")) == 1


async def test_deactivation_ends_sessions_and_tokens_at_once_and_reactivation_does_not_bring_them_back(
    client, other_client
):
    await login_as(client, "admin")
    email = await login_as(other_client, "organiser")
    token = await accounts.create_api_token(email, "script")
    user = await account(email)
    page = f"/staff/people/{user['id']}"
    assert (await post_form(client, page, f"{page}/deactivate", {})).status_code == 303
    assert (await other_client.get("/staff")).status_code == 303
    bearer = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/staff/events", headers=bearer)).status_code == 401
    assert await accounts.authenticate(email, PASSWORD) is None

    assert (await post_form(client, page, f"{page}/reactivate", {})).status_code == 303
    assert (await other_client.get("/staff")).status_code == 303, "the old session stays ended"
    assert (await client.get("/api/v1/staff/events", headers=bearer)).status_code == 401, "tokens were revoked"
    assert (await login(other_client, email)).status_code == 303


async def test_administrators_cannot_lock_themselves_out(client):
    email = await login_as(client, "admin")
    me = await account(email)
    page = f"/staff/people/{me['id']}"
    await client.get(page)
    for action, fields in (("role", {"role": "checkin"}), ("deactivate", {})):
        response = await post_form(client, page, f"{page}/{action}", fields)
        assert response.status_code == 303
    row = await account(email)
    assert row["role"] == "admin" and row["active"]


# --- API tokens -------------------------------------------------------------------------------------------

async def test_a_token_made_in_the_ui_is_shown_once_works_and_can_be_revoked(client):
    email = await login_as(client, "organiser")
    made = await post_form(client, "/staff/account", "/staff/account/tokens",
                           {"token_name": "intranet list", "lifetime": "30"})
    assert made.status_code == 201
    token = re.search(r'id="new-token" value="(sam_[^"]+)"', made.text).group(1)
    stored = await ApiToken.select().where(ApiToken.name == "intranet list").first()
    assert token not in str(stored) and stored["expires_at"] is not None
    assert timedelta(days=29) < stored["expires_at"] - datetime.now(UTC) <= timedelta(days=30)
    bearer = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/staff/events", headers=bearer)).status_code == 200
    page = await client.get("/staff/account")
    assert token not in page.text and token[:8] in page.text
    revoke = await post_form(client, "/staff/account", f"/staff/account/tokens/{stored['id']}/revoke", {})
    assert revoke.status_code == 303
    assert (await client.get("/api/v1/staff/events", headers=bearer)).status_code == 401
    assert len(await AuditEntry.select().where(AuditEntry.actor == email)) >= 2


async def test_a_token_needs_a_name_and_a_lifetime(client):
    await login_as(client, "organiser")
    response = await post_form(client, "/staff/account", "/staff/account/tokens", {"token_name": "", "lifetime": "7"})
    assert response.status_code == 422
    assert 'id="token_name-error"' in response.text and 'id="lifetime-error"' in response.text
    assert await ApiToken.count() == 0


async def test_an_expired_token_is_refused(client):
    email = await make_staff("organiser")
    token = await accounts.create_api_token(email, "old", expires_at=datetime.now(UTC) - timedelta(seconds=1))
    response = await client.get("/api/v1/staff/events", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


async def test_no_one_revokes_another_persons_token_from_their_own_account(client):
    owner = await make_staff("organiser")
    await accounts.create_api_token(owner, "theirs")
    theirs = await ApiToken.select(ApiToken.id).first()
    await login_as(client, "organiser")
    await post_form(client, "/staff/account", f"/staff/account/tokens/{theirs['id']}/revoke", {})
    assert (await ApiToken.select(ApiToken.revoked_at).first())["revoked_at"] is None


async def test_an_administrator_revokes_a_colleagues_token(client):
    owner = await make_staff("organiser")
    token = await accounts.create_api_token(owner, "theirs")
    row = await ApiToken.select(ApiToken.id, ApiToken.user).first()
    await login_as(client, "admin")
    page = f"/staff/people/{row['user']}"
    assert (await post_form(client, page, f"{page}/tokens/{row['id']}/revoke", {})).status_code == 303
    assert (await client.get("/api/v1/staff/events", headers={"Authorization": f"Bearer {token}"})).status_code == 401


# --- the audit log ----------------------------------------------------------------------------------------

async def test_the_audit_log_shows_who_did_what_without_registrants_personal_data(client):
    event = await make_event()
    result = await services.register(event["id"], RegistrationInput(
        name="Birgitte Audit", email="birgitte.audit@example.org", category="citizen", locale="en"), None)
    admin = await login_as(client, "admin")
    page = f"/staff/events/{event['id']}/registrations"
    await post_form(client, page, f"{page}/{result.registration_id}/cancel", {})
    await invite_via_form(client)
    log = await client.get("/staff/audit")
    assert log.status_code == 200
    assert admin in log.text and "account.invite" in log.text
    assert "Birgitte" not in log.text and "birgitte.audit" not in log.text
    for row in await AuditEntry.select():
        assert "Birgitte" not in str(row) and "birgitte.audit" not in str(row)


async def test_the_audit_log_filters(client):
    await audit.record("ines@staff.example.org", "event.publish", "event:7")
    await audit.record("ines@staff.example.org", "account.role.checkin", "account:3")
    await audit.record("system", "event.settings", "event:8")
    await login_as(client, "admin")

    def shown(page) -> set[str]:
        return set(re.findall(r"<code>([a-z._]+)</code>", page.text))

    assert shown(await client.get("/staff/audit", params={"subject": "event:7"})) == {"event.publish"}
    assert shown(await client.get("/staff/audit", params={"action": "event."})) == {"event.publish", "event.settings"}
    by_actor = await client.get("/staff/audit", params={"actor": "INES"})
    assert shown(by_actor) == {"event.publish", "account.role.checkin"}
    today = datetime.now(UTC).date()
    assert shown(await client.get("/staff/audit", params={"to": (today - timedelta(days=1)).isoformat()})) == set()
    assert "event.settings" in shown(await client.get("/staff/audit", params={"from": today.isoformat()}))
    bad = await client.get("/staff/audit", params={"from": "yesterday"})
    assert bad.status_code == 422 and 'id="from-error"' in bad.text


async def test_the_audit_log_says_which_event_a_registration_belongs_to(client):
    event, other = await make_event(), await make_event()
    mine = await services.register(event["id"], RegistrationInput(
        name="Carl Door", email="carl.door@example.org", category="citizen", locale="en"), None)
    theirs = await services.register(other["id"], RegistrationInput(
        name="Dina Door", email="dina.door@example.org", category="citizen", locale="en"), None)
    await audit.record("ines@staff.example.org", "event.publish", f"event:{event['id']}")
    await login_as(client, "admin")
    for registration, owner in ((mine, event), (theirs, other)):
        page = f"/staff/events/{owner['id']}/registrations"
        await post_form(client, page, f"{page}/{registration.registration_id}/cancel", {})

    def shown(page) -> set[tuple[str, str]]:
        return set(re.findall(r"<code>([a-z._]+)</code></td>\s*<td>(?:<a [^>]*>)?([a-z:0-9/]+)<", page.text))

    subject = f"event:{event['id']}/registration:{mine.registration_id}"
    # Filtering by the event finds what was done to it and to its registrations, not another event's.
    assert shown(await client.get("/staff/audit", params={"subject": f"event:{event['id']}"})) == {
        ("event.publish", f"event:{event['id']}"), ("registration.cancel", subject)}
    by_registration = await client.get("/staff/audit", params={"subject": f"registration:{mine.registration_id}"})
    assert shown(by_registration) == {("registration.cancel", subject)}
    link = f'href="/staff/events/{event["id"]}/registrations/{mine.registration_id}"'
    assert link in by_registration.text and "Carl" not in by_registration.text


async def test_old_audit_entries_are_purged_after_the_retention_period(settings):
    await audit.record("system", "event.create", "event:1")
    await AuditEntry.update({AuditEntry.at: datetime.now(UTC) - timedelta(days=settings.audit_retention_days + 1)}
                            ).where(AuditEntry.id > 0)
    await audit.record("system", "event.create", "event:2")
    assert await audit.purge(datetime.now(UTC), settings.audit_retention_days, dry_run=True) == 1
    assert await audit.purge(datetime.now(UTC), settings.audit_retention_days) == 1
    assert [(row["subject"], row["action"]) for row in await AuditEntry.select(AuditEntry.subject, AuditEntry.action)
            ] == [("event:2", "event.create"), ("audit_entry", "retention.delete_audit_entries")]


# --- the command line -------------------------------------------------------------------------------------

async def test_samrad_token_refuses_a_lifetime_out_of_range(capsys):
    from samrad import cli

    for days in ("0", "400"):
        args = cli.parser().parse_args(["token", "someone@staff.example.org", "report", "--days", days])
        assert cli.COMMANDS["token"](args) == 2
    assert "--days" in capsys.readouterr().err


async def test_samrad_token_prints_a_working_token_once_stores_its_hash_and_keeps_to_the_accounts_scope(client):
    email = await make_staff("organiser")
    theirs = await make_event()  # an event whose team the organiser is not on
    done = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "samrad", "token", email, "door script", "--days", "7"],
        env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    assert token.startswith("sam_")
    row = await ApiToken.select().first()
    assert row["name"] == "door script" and token not in str(row)
    assert timedelta(days=6) < row["expires_at"] - datetime.now(UTC) <= timedelta(days=7)
    bearer = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/staff/events", headers=bearer)).status_code == 200
    assert (await client.get(f"/api/v1/staff/events/{theirs['id']}/registrations", headers=bearer)).status_code == 403

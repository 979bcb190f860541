"""Who may open what: every route of the app is walked, so a new route must be classified here.

A route is either in ``PUBLIC_ROUTES`` (open to everyone, on purpose) or carries a ``requires(Action.…)``
guard. Guarded routes send the anonymous to the login page (HTML) or answer 401 (API), and answer 403 to staff
whose role lacks the action. Also here: password hashing, the login rate limit, logout, CSRF on staff forms,
and API bearer tokens.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import staff_support
from registration_support import make_event, make_occurrence, soon
from staff_support import PASSWORD, csrf_from, csrf_token, login, login_as, make_staff, next_address

from events.contracts import RegistrationInput
from events.registration import services
from events.tables import Event
from samrad.core.accounts import create_api_token
from samrad.core.security import PERMISSIONS, Action, can
from samrad.core.staff import LOGIN_RATE_PER_ACCOUNT, LOGIN_RATE_PER_CLIENT
from samrad.core.tables import ApiToken, Role, StaffUser

client = staff_support.client

# Open to everyone, on purpose. Anything else must name the permission it needs.
PUBLIC_ROUTES = {
    # the page frame
    ("GET", "/lang/{code:str}"), ("GET", "/accessibility"), ("GET", "/privacy"), ("GET", "/healthz"),
    ("GET", "/readyz"), ("GET", "/static/{file_path:path}"),
    # public event pages, calendar feeds and registration
    ("GET", "/"), ("GET", "/events/{slug:str}"), ("GET", "/calendar.ics"), ("GET", "/events/{slug:str}/calendar.ics"),
    ("GET", "/events/{slug:str}/feed.ics"), ("GET", "/events/{slug:str}/register"),
    ("POST", "/events/{slug:str}/register"), ("GET", "/events/{slug:str}/registered"),
    # the participant's manage link (the secret token in the path is the credential)
    ("GET", "/manage/deleted"), ("GET", "/manage/{token:str}"), ("GET", "/manage/{token:str}/ticket.png"),
    ("GET", "/manage/{token:str}/ticket.svg"), ("GET", "/manage/{token:str}/calendar.ics"),
    ("GET", "/manage/{token:str}/change"), ("POST", "/manage/{token:str}/change"),
    ("GET", "/manage/{token:str}/cancel"), ("POST", "/manage/{token:str}/cancel"),
    ("GET", "/manage/{token:str}/data"), ("GET", "/manage/{token:str}/data.json"),
    ("GET", "/manage/{token:str}/delete"), ("POST", "/manage/{token:str}/delete"),
    # the public JSON API
    ("GET", "/api/v1/events"), ("GET", "/api/v1/events/{slug:str}"),
    ("POST", "/api/v1/events/{slug:str}/registrations"), ("POST", "/api/v1/registrations/{token:str}/cancel"),
    # the staff door itself
    ("GET", "/staff/login"), ("POST", "/staff/login"), ("POST", "/staff/logout"),
    # the OpenAPI documentation
    ("GET", "/schema"), ("GET", "/schema/openapi.json"), ("GET", "/schema/openapi.yaml"),
    ("GET", "/schema/openapi.yml"), ("GET", "/schema/redoc"), ("GET", "/schema/swagger"),
    ("GET", "/schema/elements"), ("GET", "/schema/rapidoc"), ("GET", "/schema/oauth2-redirect.html"),
    ("GET", "/schema/{path:str}"),
}


def all_routes(app) -> Iterator[tuple[str, str, object]]:
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(set(getattr(handler, "http_methods", ())) - {"OPTIONS", "HEAD"}):
                yield method, route.path, handler


def required_action(handler) -> Action | None:
    actions = [guard.action for guard in handler.resolve_guards() if hasattr(guard, "action")]
    assert len(actions) <= 1, f"{handler} has more than one permission guard"
    return actions[0] if actions else None


def guarded_routes(app) -> list[tuple[str, str, Action]]:
    routes = []
    for method, path, handler in all_routes(app):
        action = required_action(handler)
        if action is not None:
            routes.append((method, path, action))
    return routes


def concrete(path: str, ids: dict[str, int]) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1)
        assert name in ids, f"test_security does not know how to fill {{{name}}} in {path}: add it"
        return str(ids[name])

    return re.sub(r"\{(\w+):\w+\}", value, path)


@pytest.fixture
async def ids() -> dict[str, int]:
    """Rows to fill the path parameters of every guarded route."""
    event = await make_event(capacity=10)
    occurrence = await make_occurrence(event["id"], soon(1))
    result = await services.register(
        event["id"], RegistrationInput(name="Ada Guard", email="ada.guard@example.org", category="citizen",
                                       locale="en"), None,
    )
    return {"event_id": event["id"], "registration_id": result.registration_id, "occurrence_id": occurrence}


async def test_every_route_is_public_on_purpose_or_guarded(app):
    unclassified = [
        (method, path) for method, path, handler in all_routes(app)
        if (method, path) not in PUBLIC_ROUTES and required_action(handler) is None
    ]
    assert not unclassified, f"routes with neither a guard nor a place in PUBLIC_ROUTES: {unclassified}"
    stale = PUBLIC_ROUTES - {(method, path) for method, path, _handler in all_routes(app)}
    assert not stale, f"PUBLIC_ROUTES lists routes that no longer exist: {stale}"


async def test_every_staff_route_except_the_door_is_guarded(app):
    for method, path, handler in all_routes(app):
        if path.startswith(("/staff", "/api/v1/staff")) and (method, path) not in PUBLIC_ROUTES:
            assert required_action(handler) is not None, (method, path)
    assert len(guarded_routes(app)) >= 15


async def test_the_anonymous_are_sent_to_the_login_page_or_get_401(app, client, ids):
    token = await csrf_token(client, "/staff/login")  # a browser without a session still has a CSRF cookie
    for method, path, _action in guarded_routes(app):
        url = concrete(path, ids)
        if method == "GET":
            response = await client.get(url)
        else:
            response = await client.post(url, data={"_csrf_token": token})
        if path.startswith("/api/"):
            assert response.status_code == 401, (method, url, response.status_code)
            assert response.json()["status_code"] == 401
        else:
            assert response.status_code == 303, (method, url, response.status_code)
            assert response.headers["location"] == f"/staff/login?next={url}", (method, url)


async def test_json_clients_without_credentials_get_401_everywhere(app, client, ids):
    for method, path, _action in guarded_routes(app):
        if method != "GET":
            continue
        url = concrete(path, ids)
        response = await client.get(url, headers={"Accept": "application/json"})
        assert response.status_code == 401, (url, response.status_code)


@pytest.mark.parametrize("role", [r.value for r in Role])
async def test_each_role_opens_exactly_what_the_permission_table_allows(app, ids, role):
    import httpx

    transport = httpx.ASGITransport(app=app, client=(next_address(), 40000))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver.local") as browser:
        await login_as(browser, role)
        token = csrf_from((await browser.get("/staff")).text)
        for method, path, action in guarded_routes(app):
            url = concrete(path, ids)
            if method == "GET":
                response = await browser.get(url)
            else:
                response = await browser.post(url, data={"_csrf_token": token})
            if can(role, action):
                assert response.status_code not in {401, 403}, (role, method, url, response.status_code)
                assert not response.headers.get("location", "").startswith("/staff/login"), (role, url)
            else:
                assert response.status_code == 403, (role, method, url, response.status_code)


async def test_facilitators_and_check_in_staff_are_kept_out_of_organiser_pages(app):
    organiser_only = {action for _m, _p, action in guarded_routes(app)} - PERMISSIONS[Role.checkin] - PERMISSIONS[
        Role.facilitator]
    assert {Action.manage_events, Action.view_registrations, Action.manage_registrations} <= organiser_only


# --- passwords and login ----------------------------------------------------------------------------------

async def test_passwords_are_stored_as_argon2_hashes():
    email = await make_staff("organiser")
    row = await StaffUser.select(StaffUser.password_hash).where(StaffUser.email == email).first()
    assert row["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in row["password_hash"]


async def test_login_is_rate_limited_per_client_before_the_password_is_checked(client):
    email = await make_staff("organiser")
    allowed, _seconds = LOGIN_RATE_PER_CLIENT
    for _ in range(allowed):
        assert (await login(client, email, "wrong password, surely")).status_code == 401
    blocked = await login(client, email, PASSWORD)
    assert blocked.status_code == 429, "even the right password waits: a blocked answer reveals nothing"
    assert "Retry-After" in blocked.headers
    assert (await client.get("/staff")).status_code == 303


async def test_login_is_rate_limited_per_account_across_addresses(app):
    import httpx

    email = await make_staff("organiser")
    allowed, _seconds = LOGIN_RATE_PER_ACCOUNT
    statuses = []
    for _ in range(allowed + 1):
        transport = httpx.ASGITransport(app=app, client=(next_address(), 40000))
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver.local") as browser:
            statuses.append((await login(browser, email.upper(), "guessing again")).status_code)
    assert statuses == [401] * allowed + [429]


async def test_staff_forms_need_the_csrf_token(app, client, ids):
    await login_as(client, "admin")
    capacity_before = (await Event.select(Event.capacity).where(Event.id == ids["event_id"]).first())["capacity"]
    for method, path, _action in guarded_routes(app):
        if method != "POST":
            continue
        url = concrete(path, ids)
        response = await client.post(url, data={"capacity": "99", "audiences": "citizen", "code": "X"})
        assert response.status_code == 403, (url, response.status_code)
    assert (await client.post("/staff/logout")).status_code == 403
    assert (await client.get("/staff")).status_code == 200, "still logged in: the forged logout did nothing"
    after = await Event.select(Event.capacity).where(Event.id == ids["event_id"]).first()
    assert after["capacity"] == capacity_before


async def test_login_form_needs_the_csrf_token(client):
    email = await make_staff("organiser")
    response = await client.post("/staff/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 403
    assert (await client.get("/staff")).status_code == 303


# --- API tokens -------------------------------------------------------------------------------------------

async def test_an_api_token_opens_the_staff_api(client):
    event = await make_event(capacity=25, title={"en": "Network meeting"})
    email = await make_staff("organiser")
    token = await create_api_token(email, "report script")
    response = await client.get("/api/v1/staff/events", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    listed = {row["id"]: row for row in response.json()["events"]}
    assert listed[event["id"]]["capacity"] == 25 and listed[event["id"]]["confirmed"] == 0
    stored = await ApiToken.select(ApiToken.token_hash, ApiToken.prefix).first()
    assert token not in stored["token_hash"] and token.startswith(stored["prefix"])


async def test_unknown_revoked_and_malformed_tokens_are_refused(client):
    email = await make_staff("organiser")
    token = await create_api_token(email, "old script")
    await ApiToken.update({ApiToken.revoked_at: datetime.now(UTC)}).where(ApiToken.user.email == email)
    for header in (f"Bearer {token}", "Bearer sam_not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz"):
        response = await client.get("/api/v1/staff/events", headers={"Authorization": header})
        assert response.status_code == 401, header


async def test_a_token_carries_its_owners_role(client):
    email = await make_staff("checkin")
    token = await create_api_token(email, "door tablet")
    response = await client.get("/api/v1/staff/events", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403


async def test_a_deactivated_owners_token_stops_working(client):
    email = await make_staff("organiser")
    token = await create_api_token(email, "script")
    await StaffUser.update({StaffUser.active: False}).where(StaffUser.email == email)
    response = await client.get("/api/v1/staff/events", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


async def test_the_staff_api_shows_counts_of_sensitive_events_but_no_people(client):
    event = await make_event(sensitive=True, capacity=None)
    await services.register(event["id"], RegistrationInput(
        name="Kim Secret", email="kim.secret@example.org", category="citizen", locale="en"), None)
    email = await make_staff("organiser")
    token = await create_api_token(email, "script")
    response = await client.get("/api/v1/staff/events", headers={"Authorization": f"Bearer {token}"})
    assert "Kim Secret" not in response.text and "kim.secret" not in response.text
    row = next(row for row in response.json()["events"] if row["id"] == event["id"])
    assert row["sensitive"] is True and row["confirmed"] == 1


async def test_logout_needs_no_account_and_always_lands_on_the_login_page(client):
    token = await csrf_token(client, "/staff/login")
    response = await client.post("/staff/logout", data={"_csrf_token": token})
    assert response.status_code == 303 and response.headers["location"] == "/staff/login?logged_out=1"

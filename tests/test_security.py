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
from registration_support import make_event, make_occurrence, make_workshop, soon
from staff_support import PASSWORD, csrf_from, csrf_token, join_teams, login, login_as, make_staff, next_address

from events.access import add_to_team
from events.contracts import RegistrationInput
from events.registration import services
from events.tables import Event
from feedback.tables import FollowUp, InputItem, PolicyKind
from feedback.themes import services as themes
from samrad.core.accounts import create_api_token
from samrad.core.security import PERMISSIONS, SUBJECT_OF, Action, can, may
from samrad.core.tables import ApiToken, Role, StaffUser

client = staff_support.client

# Open to everyone, on purpose. Anything else must name the permission it needs.
PUBLIC_ROUTES = {
    # the page frame
    ("GET", "/lang/{code:str}"), ("GET", "/accessibility"), ("GET", "/privacy"), ("GET", "/privacy/record"),
    ("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/static/{file_path:path}"),
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
    # the live wall: published, anonymous input projected in the room (a draft event's wall needs a staff login)
    ("GET", "/workshops/{workshop_id:int}/wall"), ("GET", "/workshops/{workshop_id:int}/wall/stream"),
    ("GET", "/events/{slug:str}/wall"), ("GET", "/events/{slug:str}/wall/stream"), ("GET", "/walls/themes.css"),
    # participants' own input by join code (anonymous; rate limited) and voting once per browser
    ("GET", "/j"), ("GET", "/j/{code:str}"), ("POST", "/j/{code:str}"), ("POST", "/j/{code:str}/votes/{item_id:int}"),
    ("POST", "/api/v1/join/{code:str}/input"),
    # "you said, we did" per event and theme, digest opt-in and unsubscribe (one-click POST without a form), and
    # evaluations answered through their invitation link (the secret token in the path is the credential)
    ("GET", "/events/{slug:str}/follow-up"), ("POST", "/events/{slug:str}/follow-up/subscribe"),
    ("GET", "/follow-up/events/{event_id:int}"), ("GET", "/follow-up/themes/{theme_id:int}"),
    ("GET", "/follow-up/unsubscribe/{token:str}"),
    ("POST", "/follow-up/unsubscribe/{token:str}"), ("POST", "/api/v1/follow-up/unsubscribe/{token:str}"),
    ("GET", "/evaluation/{token:str}"), ("POST", "/evaluation/{token:str}"),
    # the staff door itself, and the links to choose a password (the secret token in the path is the credential)
    ("GET", "/staff/login"), ("POST", "/staff/login"), ("POST", "/staff/logout"),
    ("GET", "/staff/password/forgot"), ("POST", "/staff/password/forgot"),
    ("GET", "/staff/welcome/{token:str}"), ("POST", "/staff/welcome/{token:str}"),
    ("GET", "/staff/password/reset/{token:str}"), ("POST", "/staff/password/reset/{token:str}"),
    # the OpenAPI documentation (one page without scripts, samrad.core.api_docs) and the schema itself
    ("GET", "/schema"), ("GET", "/schema/openapi.json"), ("GET", "/schema/openapi.yaml"),
    ("GET", "/schema/openapi.yml"), ("GET", "/schema/{path:str}"),
}


def all_routes(app) -> Iterator[tuple[str, str, object]]:
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(set(getattr(handler, "http_methods", ())) - {"OPTIONS", "HEAD"}):
                yield method, route.path, handler


def permission_guard(handler):
    guards = [guard for guard in handler.resolve_guards() if hasattr(guard, "action")]
    assert len(guards) <= 1, f"{handler} has more than one permission guard"
    return guards[0] if guards else None


def required_action(handler) -> Action | None:
    guard = permission_guard(handler)
    return guard.action if guard else None


def guarded_routes(app) -> list[tuple[str, str, Action]]:
    return [(method, path, action) for method, path, action, _subject in guarded_routes_with_subjects(app)]


def guarded_routes_with_subjects(app) -> list[tuple[str, str, Action, object]]:
    """Each guarded route with its action and where its guard finds the subject (None: no one subject)."""
    routes = []
    for method, path, handler in all_routes(app):
        guard = permission_guard(handler)
        if guard is not None:
            routes.append((method, path, guard.action, guard.subject))
    return routes


def concrete(path: str, ids: dict[str, int]) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1)
        assert name in ids, f"test_security does not know how to fill {{{name}}} in {path}: add it"
        return str(ids[name])

    return re.sub(r"\{(\w+):\w+\}", value, path)


async def send(browser, method: str, url: str, csrf: str, headers: dict[str, str] | None = None):
    """A request as the route walk sends it: a form with the CSRF token (the API ignores the form)."""
    if method == "GET":
        return await browser.get(url, headers=headers)
    return await browser.request(method, url, data={"_csrf_token": csrf}, headers=headers)


@pytest.fixture
async def ids() -> dict[str, int]:
    """Rows to fill the path parameters of every guarded route."""
    event = await make_event(capacity=10)
    occurrence = await make_occurrence(event["id"], soon(1))
    result = await services.register(
        event["id"], RegistrationInput(name="Ada Guard", email="ada.guard@example.org", category="citizen",
                                       locale="en"), None,
    )
    colleague = await make_staff("organiser")
    colleague_row = await StaffUser.select(StaffUser.id).where(StaffUser.email == colleague).first()
    await create_api_token(colleague, "colleague's script")
    token_row = await ApiToken.select(ApiToken.id).first()
    workshop_id = await make_workshop(event["id"])
    input_item = InputItem(event=event["id"], workshop=workshop_id, text="An idea said at the table")
    await input_item.save()
    follow_up = FollowUp(title={"en": "An action answering input"})
    await follow_up.save()
    policy_id = await themes.create_policy({"code": "guard-walk", "kind": PolicyKind.municipal,
                                            "name": {"en": "Walked policy"}, "description": {}}, "test")
    theme_id = await themes.create_theme(policy_id, None, {"code": "walked", "name": {"en": "Walked theme"},
                                                           "description": {}, "colour": "#1f5f8b", "keywords": {}},
                                         "test")
    return {
        "workshop_id": workshop_id, "item_id": input_item.id,
        "event_id": event["id"], "registration_id": result.registration_id, "occurrence_id": occurrence,
        "slug": event["slug"], "user_id": colleague_row["id"], "staff_user_id": colleague_row["id"],
        "token_id": token_row["id"], "token": "not-a-real-link-token",
        "action_id": follow_up.id, "export_format": "csv",
        "policy_id": policy_id, "code": "guard-walk", "theme_id": theme_id,
    }


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


async def test_every_route_about_one_event_names_it_in_its_guard(app):
    """A route with an event (or a date of one) in its path lets in only who may act on that event."""
    for method, path, action, subject in guarded_routes_with_subjects(app):
        if re.search(r"\{(event_id|occurrence_id):int\}", path) and action in SUBJECT_OF:
            assert subject is not None, (method, path)


async def test_the_anonymous_are_sent_to_the_login_page_or_get_401(app, client, ids):
    token = await csrf_token(client, "/staff/login")  # a browser without a session still has a CSRF cookie
    for method, path, _action in guarded_routes(app):
        url = concrete(path, ids)
        response = await send(client, method, url, token)
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


async def _expected(user: dict, action: Action, subject, ids: dict[str, int]) -> bool:
    """What the permission table allows ``user`` on the route walk's rows."""
    if subject is None:
        return can(user["role"], action)
    subject_id = ids[subject.parameter] if subject.resolve is None else await subject.resolve(ids[subject.parameter])
    return await may(user, action, subject_id)


@pytest.mark.parametrize("on_team", [False, True], ids=["not on the event's team", "on the event's team"])
@pytest.mark.parametrize("role", [r.value for r in Role])
async def test_each_role_opens_exactly_what_the_permission_table_allows(app, ids, role, on_team):
    import httpx

    transport = httpx.ASGITransport(app=app, client=(next_address(), 40000))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver.local") as browser:
        email = await login_as(browser, role, teams=())
        user = await StaffUser.select().where(StaffUser.email == email).first()
        if on_team:
            await add_to_team(ids["event_id"], user["id"])
        bearer = {"Authorization": f"Bearer {await create_api_token(email, 'walk')}"}
        token = csrf_from((await browser.get("/staff")).text)
        # Removals last: a DELETE that works takes away the row later routes of the walk are about.
        for method, path, action, subject in sorted(guarded_routes_with_subjects(app), key=lambda r: r[0] == "DELETE"):
            url = concrete(path, ids)
            # The API's writes are made with a bearer token, as scripts do.
            headers = bearer if path.startswith("/api/") and method != "GET" else None
            expected = await _expected(user, action, subject, ids)  # before the request: a DELETE removes it
            response = await send(browser, method, url, token, headers)
            if expected:
                assert response.status_code not in {401, 403}, (role, method, url, response.status_code)
                assert not response.headers.get("location", "").startswith("/staff/login"), (role, url)
            else:
                assert response.status_code == 403, (role, method, url, response.status_code)


async def test_a_deactivated_accounts_session_and_token_open_nothing(app, client, ids):
    email = await login_as(client, "admin")
    token = await create_api_token(email, "script")
    csrf = csrf_from((await client.get("/staff")).text)
    await StaffUser.update({StaffUser.active: False}).where(StaffUser.email == email)
    for method, path, _action in guarded_routes(app):
        url = concrete(path, ids)
        headers = {"Authorization": f"Bearer {token}"} if path.startswith("/api/") else None
        response = await send(client, method, url, csrf, headers)
        assert response.status_code in {303, 401}, (method, url, response.status_code)
        if response.status_code == 303:
            assert response.headers["location"].startswith("/staff/login"), (method, url)


async def test_facilitators_and_check_in_staff_are_kept_out_of_organiser_pages(app):
    organiser_only = {action for _m, _p, action in guarded_routes(app)} - set(PERMISSIONS[Role.checkin]) - set(
        PERMISSIONS[Role.facilitator])
    assert {Action.manage_events, Action.view_registrations, Action.manage_registrations} <= organiser_only


# --- passwords and login ----------------------------------------------------------------------------------

async def test_passwords_are_stored_as_argon2_hashes():
    email = await make_staff("organiser")
    row = await StaffUser.select(StaffUser.password_hash).where(StaffUser.email == email).first()
    assert row["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in row["password_hash"]


async def test_login_is_rate_limited_per_client_before_the_password_is_checked(app, client):
    email = await make_staff("organiser")
    allowed, seconds = app.state.settings.login_rate
    assert (allowed, seconds) == (10, 300), "the default of SAMRAD_RATE_LIMIT_LOGIN"
    for _ in range(allowed):
        assert (await login(client, email, "wrong password, surely")).status_code == 401
    blocked = await login(client, email, PASSWORD)
    assert blocked.status_code == 429, "even the right password waits: a blocked answer reveals nothing"
    assert "Retry-After" in blocked.headers
    assert (await client.get("/staff")).status_code == 303


async def test_login_is_rate_limited_per_account_across_addresses(app):
    import httpx

    email = await make_staff("organiser")
    allowed, seconds = app.state.settings.login_account_rate
    assert (allowed, seconds) == (10, 900)
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
        # A session is no credential for the API's writes (401); everywhere else the missing token is a 403.
        refused = {401, 403} if path.startswith("/api/") else {403}
        assert response.status_code in refused, (url, response.status_code)
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
    await join_teams(email)
    others = await make_event(capacity=5, title={"en": "Another team's meeting"})
    token = await create_api_token(email, "report script")
    response = await client.get("/api/v1/staff/events", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    listed = {row["id"]: row for row in response.json()["events"]}
    assert listed[event["id"]]["capacity"] == 25 and listed[event["id"]]["confirmed"] == 0
    assert others["id"] not in listed, "a token sees what its account may see, no more"
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
    await join_teams(email)
    token = await create_api_token(email, "script")
    response = await client.get("/api/v1/staff/events", headers={"Authorization": f"Bearer {token}"})
    assert "Kim Secret" not in response.text and "kim.secret" not in response.text
    row = next(row for row in response.json()["events"] if row["id"] == event["id"])
    assert row["sensitive"] is True and row["confirmed"] == 1


async def test_logout_needs_no_account_and_always_lands_on_the_login_page(client):
    token = await csrf_token(client, "/staff/login")
    response = await client.post("/staff/logout", data={"_csrf_token": token})
    assert response.status_code == 303 and response.headers["location"] == "/staff/login?logged_out=1"

"""Hardening, proved on every route (the log side is ``test_hardening_logs.py``).

- The content security policy and what pages may hold under it: every GET route of the app is walked
  (anonymous, then logged in as each staff role), with its path parameters filled from a whole installation
  (``hardening_support``), so a new page is walked as soon as it exists. ``frame-ancestors 'none'`` holds for
  the live wall too: it runs full screen on a projector, never inside another site.
- HSTS only on answers to HTTPS requests, as the trusted proxy tells the scheme.
- A new session id whenever who is signed in changes; the old one opens nothing.
- CSRF on every form (and on the staff API's writes made with a session), with a translated 403.
- Secrets compared in constant time in Python, and looked up by their hash in the database.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from html.parser import HTMLParser

import httpx
import pytest
import staff_support
from hardening_support import World, all_routes, build_world, concrete
from staff_support import login, next_address

client = staff_support.client
other_client = staff_support.other_client

# Served as they are: no page (a stream never ends; the walk reads whole answers).
NOT_WALKED = {"/workshops/{workshop_id:int}/wall/stream", "/events/{slug:str}/wall/stream"}
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}
# Routes that only ever send the browser on (a language choice, a page found by id).
REDIRECTS = {"/lang/{code:str}", "/follow-up/events/{event_id:int}"}


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name.lower()] = values
    return directives


class PageAudit(HTMLParser):
    """What a page holds that a strict content security policy would block or that could run script."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>: an inline event handler")
            if name == "style":
                self.problems.append(f"<{tag} style={value!r}>: an inline style attribute")
            if name in {"href", "src", "action", "formaction", "xlink:href"} and value and \
                    value.strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={value!r}>: a javascript: URL")
        if tag == "script":
            kind = (attributes.get("type") or "").lower()
            if not attributes.get("src") and kind not in DATA_SCRIPT_TYPES:
                self.problems.append("<script> without src: an inline script")
            src = attributes.get("src") or ""
            if src and not (src.startswith("/") and not src.startswith("//")):
                self.problems.append(f"<script src={src!r}>: from another origin")
        if tag == "style":
            self.problems.append("<style>: an inline style sheet")
        if tag in {"object", "embed", "iframe"}:
            self.problems.append(f"<{tag}>: embedded content")
        if tag == "link" and "stylesheet" in (attributes.get("rel") or ""):
            href = attributes.get("href") or ""
            if not (href.startswith("/") and not href.startswith("//")):
                self.problems.append(f"<link rel=stylesheet href={href!r}>: from another origin")


def audit_page(response: httpx.Response) -> list[str]:
    problems = []
    csp = response.headers.get("content-security-policy")
    if not csp:
        return ["no Content-Security-Policy header"]
    directives = csp_directives(csp)
    expected = {"default-src": ["'self'"], "script-src": ["'self'"], "style-src": ["'self'"],
                "object-src": ["'none'"], "frame-ancestors": ["'none'"], "base-uri": ["'self'"],
                "form-action": ["'self'"]}
    for name, values in expected.items():
        if directives.get(name) != values:
            problems.append(f"CSP {name} is {directives.get(name)}, not {values}")
    if response.headers.get("x-content-type-options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if response.headers.get("referrer-policy") != "no-referrer":
        problems.append(f"Referrer-Policy is {response.headers.get('referrer-policy')!r}")
    if "text/html" in response.headers.get("content-type", ""):
        parser = PageAudit()
        parser.feed(response.text)
        problems.extend(parser.problems)
    return problems


@pytest.fixture
async def world() -> World:
    return await build_world()


@asynccontextmanager
async def browser_as(app, world: World, role: str | None) -> AsyncIterator[httpx.AsyncClient]:
    """A browser of its own (cookies, client address), logged in as the world's account of ``role``."""
    transport = httpx.ASGITransport(app=app, client=(next_address(), 40000))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver.local") as browser:
        if role is not None:
            response = await login(browser, world.staff[role])
            assert response.status_code == 303, (role, response.status_code)
        yield browser


async def test_every_page_keeps_to_the_content_security_policy(app, world):
    statuses: dict[str, set[int]] = defaultdict(set)
    problems: dict[tuple[str, str], list[str]] = {}
    for role in (None, "admin", "organiser", "facilitator", "checkin"):
        async with browser_as(app, world, role) as browser:
            for method, path, _handler in all_routes(app):
                if method != "GET" or path in NOT_WALKED:
                    continue
                response = await browser.get(concrete(path, world))
                statuses[path].add(response.status_code)
                if found := audit_page(response):
                    problems.setdefault((path, str(response.status_code)), found)
            # Error pages, and variants of pages that draw differently.
            for url in ("/no-such-page", "/static/no-such-file.css", "/schema/no-such-page",
                        f"/staff/workshops/{world.ids['workshop_id']}/poster?size=a5&table=all",
                        f"/staff/input?theme={world.ids['theme_id']}", "/?page=2"):
                response = await browser.get(url)
                if found := audit_page(response):
                    problems.setdefault((url, str(response.status_code)), found)
    report = "\n".join(f"{path} ({status}): {'; '.join(sorted(set(found)))}"
                       for (path, status), found in sorted(problems.items()))
    assert not problems, "pages break the content security policy:\n" + report
    never_shown = sorted(path for path, seen in statuses.items()
                         if not any(200 <= s < (400 if path in REDIRECTS else 300) for s in seen))
    assert not never_shown, f"the walk never got a page from: {never_shown}"


# --- HSTS: only on answers to HTTPS, as the proxy tells it ------------------------------------------------

@pytest.mark.parametrize(("client_host", "forwarded_proto", "hsts"), [
    ("127.0.0.1", "https", True),  # the proxy in front says the browser came over TLS
    ("127.0.0.1", "http", False),  # the proxy says plain HTTP
    ("203.0.113.9", "https", False),  # anyone else's header is not believed
], ids=["proxy says https", "proxy says http", "untrusted header"])
async def test_hsts_only_when_the_request_came_over_tls(app, settings, client_host, forwarded_proto, hsts):
    """As ``samrad serve`` runs it: uvicorn's proxy headers in front, trusting ``SAMRAD_TRUSTED_PROXIES``."""
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    from samrad.cli import server_config

    config = server_config("samrad.app:create_app", host="127.0.0.1", port=8000,
                           trusted_proxies=settings.trusted_proxies)
    assert config.proxy_headers
    served = ProxyHeadersMiddleware(app, trusted_hosts=config.forwarded_allow_ips)
    transport = httpx.ASGITransport(app=served, client=(client_host, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as browser:
        for path in ("/", "/staff/login", "/no-such-page", "/static/css/samrad.css"):
            response = await browser.get(path, headers={"X-Forwarded-Proto": forwarded_proto})
            header = response.headers.get("strict-transport-security")
            assert (header == "max-age=31536000; includeSubDomains") if hsts else header is None, (path, header)
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_no_hsts_on_plain_http_and_hsts_on_https(app):
    for base_url, expected in (("http://testserver.local", False), ("https://testserver.local", True)):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url) as browser:
            response = await browser.get("/")
            assert ("strict-transport-security" in response.headers) is expected, base_url


# --- sessions: a new id at every change of who is signed in -----------------------------------------------

SESSION = "samrad_session"


def session_cookie(response: httpx.Response) -> str | None:
    """The session id a response gives the browser (None: it sets none; "null": it ends the session)."""
    for header in response.headers.get_list("set-cookie"):
        name, _sep, rest = header.partition("=")
        if name == SESSION:
            return rest.split(";", 1)[0]
    return None


async def signed_in(app, session_id: str) -> bool:
    """Whether a browser that brings only this session cookie is let into the staff dashboard."""
    transport = httpx.ASGITransport(app=app, client=(next_address(), 40000))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver.local",
                                 cookies={SESSION: session_id}) as browser:
        response = await browser.get("/staff")
        return response.status_code == 200


async def test_a_session_made_before_login_is_worth_nothing_after_it(app, client):
    from registration_support import make_event
    from staff_support import csrf_token, make_staff

    # A visitor's session (a public registration keeps its confirmation there), then a login in that browser.
    event = await make_event(capacity=10)
    token = await csrf_token(client, f"/events/{event['slug']}/register")
    registered = await client.post(f"/events/{event['slug']}/register", data={
        "_csrf_token": token, "name": "Fix Ation", "email": "fix.ation@example.org", "category": "citizen",
        "consent": "1"})
    before = session_cookie(registered)
    assert registered.status_code == 303 and before not in {None, "null"}
    email = await make_staff("organiser")
    response = await login(client, email)
    after = session_cookie(response)
    assert response.status_code == 303 and after and after not in {before, "null"}
    assert await signed_in(app, after)
    assert not await signed_in(app, before), "the session id from before the login must not be signed in"


async def test_a_session_id_planted_by_someone_else_is_replaced_at_login(app):
    from staff_support import make_staff

    planted = "f" * 64  # an id an attacker chose and put in the victim's browser
    transport = httpx.ASGITransport(app=app, client=(next_address(), 40000))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver.local",
                                 cookies={SESSION: planted}) as browser:
        response = await login(browser, await make_staff("admin"))
        issued = session_cookie(response)
        assert response.status_code == 303 and issued and issued != planted
        assert (await browser.get("/staff")).status_code == 200
    assert not await signed_in(app, planted)


async def test_logout_ends_the_session_on_the_server(app, client):
    from staff_support import csrf_from, make_staff

    email = await make_staff("organiser")
    first = session_cookie(await login(client, email))
    token = csrf_from((await client.get("/staff")).text)
    response = await client.post("/staff/logout", data={"_csrf_token": token})
    assert response.status_code == 303 and session_cookie(response) == "null"
    assert not await signed_in(app, first), "a copy of the cookie kept from before the logout opens nothing"
    second = session_cookie(await login(client, email))
    assert second not in {first, "null", None}


async def test_a_password_change_gives_a_new_id_and_ends_every_other_session(app, client, other_client):
    from staff_support import PASSWORD, csrf_token, make_staff

    email = await make_staff("organiser")
    here = session_cookie(await login(client, email))
    elsewhere = session_cookie(await login(other_client, email))
    token = await csrf_token(client, "/staff/account")
    response = await client.post("/staff/account/password", data={
        "_csrf_token": token, "current_password": PASSWORD, "new_password": "a brand new passphrase here"})
    renewed = session_cookie(response)
    assert response.status_code == 303 and renewed not in {here, elsewhere, "null", None}
    assert await signed_in(app, renewed)
    assert not await signed_in(app, here) and not await signed_in(app, elsewhere)


async def test_a_set_password_link_signs_in_on_a_fresh_session(app, client):
    from hardening_support import link_in_outbox
    from staff_support import csrf_from, make_staff

    from samrad.core.account_links import request_password_reset

    email = await make_staff("organiser")
    planted = "e" * 64
    client.cookies.set(SESSION, planted)
    await request_password_reset(email)
    path = f"/staff/password/reset/{await link_in_outbox('account.password_reset')}"
    page = await client.get(path)
    new_password = "another fine passphrase"
    response = await client.post(path, data={"_csrf_token": csrf_from(page.text), "password": new_password,
                                             "password_again": new_password})
    issued = session_cookie(response)
    assert response.status_code == 303 and issued not in {planted, "null", None}
    assert await signed_in(app, issued) and not await signed_in(app, planted)


async def test_a_role_change_takes_effect_at_once_the_session_holds_no_rights(app, client):
    """The session keeps only the account id: the role is read on every request, so a changed role counts
    from the next request, with no new session needed."""
    from staff_support import make_staff

    from samrad.core.accounts import change_role
    from samrad.core.tables import StaffUser

    email = await make_staff("admin")
    await login(client, email)
    assert (await client.get("/staff/people")).status_code == 200
    user = await StaffUser.select(StaffUser.id).where(StaffUser.email == email).first()
    other = await StaffUser.select().where(StaffUser.email == await make_staff("admin")).first()
    await change_role(user["id"], "facilitator", other)
    assert (await client.get("/staff/people")).status_code == 403


# --- CSRF: every form refuses a missing or foreign token, with a message in the reader's language ---------

NOT_ASCII = "a" * 64 + "é" * 64  # as long as a token, with letters ``hmac.compare_digest`` refuses as str
CSRF_TITLES = {"da": "Formularen kunne ikke sendes", "sv": "Formuläret kunde inte skickas",
               "en": "The form could not be sent"}


def any_path(path: str, known: dict[str, object] | None = None) -> str:
    """Path parameters filled with ``known`` values, else anything (the CSRF middleware comes before routing)."""
    known = known or {}
    return re.sub(r"\{(\w+):(\w+)\}",
                  lambda m: str(known.get(m.group(1), "1" if m.group(2) == "int" else "x")), path)


async def test_every_form_refuses_a_missing_or_wrong_csrf_token(app, client, other_client):
    from staff_support import csrf_token

    foreign = await csrf_token(other_client, "/staff/login")  # a valid token, of another browser
    await csrf_token(client, "/staff/login")  # this browser has its own CSRF cookie
    forms = [path for method, path, _h in all_routes(app) if method == "POST" and not path.startswith("/api/")]
    assert len(forms) > 60
    for locale, title in CSRF_TITLES.items():
        client.cookies.set("samrad_lang", locale)
        for path in forms:
            for data in ({}, {"_csrf_token": foreign}, {"_csrf_token": "forged"}, {"_csrf_token": NOT_ASCII}):
                response = await client.post(any_path(path), data={**data, "name": "x"})
                assert response.status_code == 403, (path, data, response.status_code)
                assert title in response.text, (path, locale)
    # A file where the token should be, in a multipart form.
    response = await client.post("/staff/login", files={"_csrf_token": ("token.txt", foreign.encode())})
    assert response.status_code == 403


async def test_staff_api_writes_with_the_session_need_the_csrf_header(app, client):
    """The API skips the CSRF middleware (scripts use bearer tokens); a browser's session there still needs the
    page's token in ``X-CSRFToken``, so another site cannot post to the API with a staff member's cookie."""
    from registration_support import make_event, make_workshop
    from staff_support import make_staff

    from samrad.core.security import api_write_guard

    event = await make_event()
    # Real rows: the permission guard looks its subject up (404 for none) before the CSRF check.
    known = {"slug": event["slug"], "event_id": event["id"], "workshop_id": await make_workshop(event["id"]),
             "code": "x"}
    await login(client, await make_staff("admin"))
    writes = [(method, path, handler) for method, path, handler in all_routes(app)
              if path.startswith("/api/") and method in {"POST", "PATCH", "PUT", "DELETE"}]
    guarded = [(method, path) for method, path, handler in writes if api_write_guard in handler.resolve_guards()]
    assert len(guarded) >= 8
    for method, path in guarded:
        for headers in ({}, {"X-CSRFToken": "forged"}, {"X-CSRFToken": NOT_ASCII.encode("latin-1")}):
            response = await client.request(method, any_path(path, known), json={}, headers=headers)
            assert response.status_code == 403, (method, path, headers, response.status_code)
            assert response.json()["detail"] == CSRF_TITLES["en"]
    # The others take no session at all: the anonymous API, and the secret link in the path as the credential.
    unguarded = {path for method, path, handler in writes if api_write_guard not in handler.resolve_guards()}
    assert unguarded == {"/api/v1/events/{slug:str}/registrations", "/api/v1/registrations/{token:str}/cancel",
                         "/api/v1/join/{code:str}/input", "/api/v1/follow-up/unsubscribe/{token:str}"}


# --- secrets compared in constant time ---------------------------------------------------------------------

SECRET_NAME = re.compile(r"token|secret|hash|signature|digest|password|passphrase|code", re.IGNORECASE)
# Comparisons whose names sound secret but whose values are not, and why ``==`` is right for them.
NOT_SECRET = {
    ("samrad/core/doors.py", "repeated != password"): "the two password fields of one form, both the sender's",
    ("feedback/themes/suggestions.py", "cached.signature != signature"): "a cache's fingerprint of public rows",
}
# In the database, a secret token is stored and looked up by its SHA-256 (``hash_token``). Codes are looked up
# as they are: join codes are printed on posters, and ticket codes are looked up by logged-in check-in staff.


def _operand_name(node) -> str:
    """The name a compared value goes by: ``token``, ``row["token_hash"]``, ``pending.get("token")``."""
    import ast

    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):
        key = node.slice
        return key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else _operand_name(node.value)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" and node.args \
            and isinstance(node.args[0], ast.Constant):
        return str(node.args[0].value)
    return ""


def _is_literal(node) -> bool:
    import ast

    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError):
        return False
    return True


def _column(node) -> str | None:
    """``Table.column`` (or ``Table.fk.column``): a query condition the database evaluates, not Python."""
    import ast

    if not isinstance(node, ast.Attribute):
        return None
    root = node
    while isinstance(root, ast.Attribute):
        root = root.value
    return node.attr if isinstance(root, ast.Name) and root.id[:1].isupper() else None


def _secret_comparisons() -> tuple[list[str], list[str]]:
    """Python ``==``/``!=`` on secret-sounding values, and database lookups of secret columns not by hash."""
    import ast

    from samrad.core.settings import ROOT

    in_python, in_database = [], []
    for package in ("samrad", "events", "workshops", "feedback"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "piccolo_migrations" in path.parts:
                continue
            where = str(path.relative_to(ROOT))
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Compare) or not any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops):
                    continue
                operands = [node.left, *node.comparators]
                if any(_is_literal(operand) for operand in operands):
                    continue  # against a literal: "", None, a status, [0, 0]
                column = _column(node.left)
                if column is not None:
                    by_hash = isinstance(node.comparators[0], ast.Call) and getattr(
                        node.comparators[0].func, "id", "") == "hash_token"
                    if re.search("token|secret", column) and not by_hash:
                        in_database.append(f"{where}:{node.lineno}: {ast.unparse(node)}")
                    continue
                names = [_operand_name(operand) for operand in operands]
                if any(SECRET_NAME.search(name) and not name.isupper() for name in names) \
                        and (where, ast.unparse(node)) not in NOT_SECRET:
                    in_python.append(f"{where}:{node.lineno}: {ast.unparse(node)}")
    return in_python, in_database


async def test_secrets_are_compared_in_constant_time_or_by_their_hash_in_the_database():
    """``==`` on a secret returns as soon as a character differs, so its time tells how much of a guess was
    right: secrets are compared with ``tokens_equal`` (``hmac.compare_digest``) or looked up by their SHA-256."""
    in_python, in_database = _secret_comparisons()
    assert not in_python, "compare these with samrad.core.security.tokens_equal:\n" + "\n".join(in_python)
    assert not in_database, "look these up by hash_token(...):\n" + "\n".join(in_database)
    stale = {key for key in NOT_SECRET if key[1] not in _unparsed(key[0])}
    assert not stale, f"NOT_SECRET lists comparisons that are gone: {stale}"


def _unparsed(relative: str) -> str:
    import ast

    from samrad.core.settings import ROOT

    return ast.unparse(ast.parse((ROOT / relative).read_text()))


async def test_tokens_equal_takes_any_text():
    from samrad.core.security import tokens_equal

    assert tokens_equal("abc", "abc") and not tokens_equal("abc", "abd") and not tokens_equal("abc", "ab")
    assert tokens_equal("æøå", "æøå") and not tokens_equal("æøå", "aoa"), "no TypeError on non-ASCII text"

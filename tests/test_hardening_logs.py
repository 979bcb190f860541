"""No log line holds personal data or a secret: every record of every logger, at DEBUG, while the main flows
run through HTTP (and the worker sends the mail they queued), is searched for the emails, names, input texts,
passwords and tokens that went through the app, including in exception tracebacks.

The test client's own ``httpx`` records (request URLs with manage links) are the test's, not the app's: no module
of the app imports httpx (checked below), so those loggers are left out.
"""

from __future__ import annotations

import ast
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import staff_support
from hardening_support import World, build_world, link_in_outbox
from staff_support import PASSWORD, csrf_from, login, next_address

from samrad.core.settings import ROOT

client = staff_support.client
TEST_CLIENT_LOGGERS = ("httpx", "httpcore")
NEW_PASSWORD = "a quite secret new passphrase"
WRONG_PASSWORD = "the wrong secret passphrase"


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith(TEST_CLIENT_LOGGERS):
            self.records.append(record)

    def texts(self) -> Iterator[str]:
        """Each record as a log file would hold it (message, traceback, stack), and its raw arguments."""
        for record in self.records:
            yield self.format(record)
            yield repr(record.msg) + repr(record.args)


@pytest.fixture
def logs(app) -> Iterator[Collect]:
    """Every record, root at DEBUG (as an operator who turns debugging on), after the app configured logging;
    loggers that do not propagate (Litestar's own) get the handler too."""
    handler = Collect()
    root = logging.getLogger()
    level = root.level
    own = [logger for logger in logging.root.manager.loggerDict.values()
           if isinstance(logger, logging.Logger) and not logger.propagate]
    root.setLevel(logging.DEBUG)
    for logger in [root, *own]:
        logger.addHandler(handler)
    yield handler
    for logger in [root, *own]:
        logger.removeHandler(handler)
    root.setLevel(level)


def cookies_of(browser: httpx.AsyncClient) -> list[str]:
    return [value for value in browser.cookies.values() if len(value) > 8]


async def _personal_values() -> set[str]:
    """What the database holds about people after the flows: every name, email and input text."""
    from events.tables import Registration
    from feedback.tables import DigestSubscription, InputItem, InputRevision
    from samrad.core.tables import StaffUser

    values: set[str] = set()
    for table, columns in ((Registration, ("name", "email", "diet")), (StaffUser, ("name", "email")),
                           (InputItem, ("text",)), (DigestSubscription, ("email",))):
        for row in await table.select(*(getattr(table, column) for column in columns)):
            values.update(str(value) for value in row.values() if value)
    for row in await InputRevision.select():
        values.update(str(value) for key, value in row.items() if key.endswith("text") and value)
    return {value for value in values if len(value) >= 6}


async def _run_the_flows(app, world: World, secrets: set[str]) -> None:
    """Register, change, cancel, erase; subscribe and unsubscribe; answer an evaluation; give input; as staff:
    log in (and fail to), invite, reset a password, capture, moderate, export, use an API token."""
    from staff_support import make_staff

    slug, workshop_id, code = world.ids["slug"], world.ids["workshop_id"], world.ids["join_code"]

    async def browser() -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(next_address(), 40000))
        return httpx.AsyncClient(transport=transport, base_url="https://testserver.local")

    # A participant: the registration form, the manage link, a change, the data, a cancellation, erasure.
    async with await browser() as person:
        page = await person.get(f"/events/{slug}/register")
        secrets.update({"Logan Secretperson", "logan.secretperson@example.org", *cookies_of(person)})
        response = await person.post(f"/events/{slug}/register", data={
            "_csrf_token": csrf_from(page.text), "name": "Logan Secretperson", "consent": "1",
            "email": "logan.secretperson@example.org", "category": "citizen", "diet": "Secret diet wish"})
        assert response.status_code == 303, response.text[:400]
        confirmation = await person.get(response.headers["location"])
        manage = re.search(r"/manage/([A-Za-z0-9_\-]+)", confirmation.text).group(0)
        secrets.update({manage.rsplit("/", 1)[1], *cookies_of(person)})
        change = await person.get(f"{manage}/change")
        changed = await person.post(f"{manage}/change", data={
            "_csrf_token": csrf_from(change.text), "name": "Logan Renamedperson", "locale": "en",
            "diet": "Another secret diet"})
        assert changed.status_code == 303, changed.text[:400]
        for path in ("", "/data", "/data.json", "/ticket.png", "/calendar.ics"):
            assert (await person.get(f"{manage}{path}")).status_code == 200, path
        cancel = await person.get(f"{manage}/cancel")
        assert (await person.post(f"{manage}/cancel", data={"_csrf_token": csrf_from(cancel.text)})).status_code == 303
        delete = await person.get(f"{manage}/delete")
        assert (await person.post(f"{manage}/delete", data={"_csrf_token": csrf_from(delete.text)})).status_code == 303

        # The API: register, then cancel with the token it answers.
        api = await person.post(f"/api/v1/events/{slug}/registrations", json={
            "name": "Api Secretperson", "email": "api.secretperson@example.org", "category": "citizen",
            "consent": True})
        assert api.status_code == 201, api.text[:400]
        token = api.json()["manage_url"].rsplit("/", 1)[1]
        secrets.update({"Api Secretperson", "api.secretperson@example.org", token, api.json()["ticket_code"]})
        assert (await person.post(f"/api/v1/registrations/{token}/cancel")).status_code == 200

        # Digests: opt in on the public page, then the two ways out.
        follow_up = await person.get(f"/events/{slug}/follow-up")
        subscribed = await person.post(f"/events/{slug}/follow-up/subscribe", data={
            "_csrf_token": csrf_from(follow_up.text), "email": "digest.secretreader@example.org", "website": ""})
        assert subscribed.status_code == 303
        unsubscribe = f"/follow-up/unsubscribe/{world.tokens['unsubscribe']}"
        page = await person.get(unsubscribe)
        await person.post(unsubscribe, data={"_csrf_token": csrf_from(page.text)})
        await person.post(f"/api/v1/follow-up/unsubscribe/{world.tokens['unsubscribe']}")

        # An evaluation answer, and input by join code (form and API).
        evaluation = f"/evaluation/{world.tokens['evaluation']}"
        page = await person.get(evaluation)
        answered = await person.post(evaluation, data={
            "_csrf_token": csrf_from(page.text), "q1": "4", "q2": "5", "q3": "Secret evaluation free text"})
        assert answered.status_code in {200, 303}, answered.text[:400]
        secrets.add("Secret evaluation free text")
        page = await person.get(f"/j/{code}")
        client_id = re.search(r'name="client_id" value="([^"]+)"', page.text).group(1)
        given = await person.post(f"/j/{code}", data={
            "_csrf_token": csrf_from(page.text), "client_id": client_id, "text": "Secret participant idea text",
            "kind": "idea"})
        assert given.status_code in {201, 202, 303}, given.text[:400]
        sent = await person.post(f"/api/v1/join/{code}/input", json={"text": "Secret api participant text"})
        assert sent.status_code in {201, 202}, sent.text[:400]
        secrets.update({"Secret participant idea text", "Secret api participant text", *cookies_of(person)})

    # Staff: a wrong password, an administrator's day, a facilitator's capture.
    async with await browser() as staff:
        assert (await login(staff, world.staff["admin"], WRONG_PASSWORD)).status_code == 401
        assert (await login(staff, world.staff["admin"])).status_code == 303
        secrets.update(cookies_of(staff))
        invite = await staff.get("/staff/people/invite")
        invited = await staff.post("/staff/people/invite", data={
            "_csrf_token": csrf_from(invite.text), "name": "Invited Secretcolleague", "role": "organiser",
            "email": "invited.secretcolleague@kommune.example", "locale": "da"})
        assert invited.status_code == 303, invited.text[:400]
        secrets.add(await link_in_outbox("account.invitation"))
        account = await staff.get("/staff/account")
        created = await staff.post("/staff/account/tokens", data={
            "_csrf_token": csrf_from(account.text), "token_name": "Secret script name", "lifetime": "30"})
        api_token = re.search(r"sam_[A-Za-z0-9_\-]+", created.text).group(0)
        secrets.add(api_token)
        listed = await staff.get("/api/v1/staff/events", headers={"Authorization": f"Bearer {api_token}"})
        assert listed.status_code == 200
        event_pages = f"/staff/events/{world.ids['event_id']}"
        for path in (f"{event_pages}/export/list?format=csv-comma&columns=name&columns=email",
                     "/staff/input/export/csv",
                     "/staff/input/export/xlsx", f"/staff/events/{world.ids['event_id']}/registrations",
                     "/staff/input?q=Secret", "/staff/people"):
            assert (await staff.get(path)).status_code == 200, path
        # Moderation: edit an item's text for anonymity, then hide it.
        from feedback.tables import InputItem

        item = await InputItem.select(InputItem.id).where(InputItem.workshop == workshop_id).first()
        page = await staff.get(f"/staff/input/{item['id']}")
        edited = await staff.post(f"/staff/input/{item['id']}/edit", data={
            "_csrf_token": csrf_from(page.text), "text": "Moderated secret wording", "kind": "idea",
            "anonymity": "1"})
        assert edited.status_code == 303, edited.text[:400]
        hidden = await staff.post(f"/staff/input/{item['id']}/hide", data={"_csrf_token": csrf_from(page.text)})
        assert hidden.status_code == 303
        secrets.add("Moderated secret wording")

    async with await browser() as facilitator:
        await login(facilitator, world.staff["facilitator"])
        page = await facilitator.get(f"/staff/workshops/{workshop_id}/capture")
        client_id = re.search(r'name="client_id" value="([^"]+)"', page.text).group(1)
        captured = await facilitator.post(f"/staff/workshops/{workshop_id}/capture", data={
            "_csrf_token": csrf_from(page.text), "client_id": client_id, "kind": "idea",
            "text": "Secret captured table talk"})
        assert captured.status_code == 303, captured.text[:400]
        secrets.update({"Secret captured table talk", *cookies_of(facilitator)})

    # A forgotten password: the reset link, a new password, signed in.
    async with await browser() as forgetful:
        email = await make_staff("organiser", name="Forgetful Secretname")
        page = await forgetful.get("/staff/password/forgot")
        await forgetful.post("/staff/password/forgot", data={"_csrf_token": csrf_from(page.text), "email": email})
        reset = f"/staff/password/reset/{await link_in_outbox('account.password_reset')}"
        page = await forgetful.get(reset)
        done = await forgetful.post(reset, data={"_csrf_token": csrf_from(page.text), "password": NEW_PASSWORD,
                                                 "password_again": NEW_PASSWORD})
        assert done.status_code == 303, done.text[:400]
        secrets.update({reset.rsplit("/", 1)[1], *cookies_of(forgetful)})


async def test_no_log_record_holds_personal_data_or_a_secret(app, logs, settings, monkeypatch):
    from samrad.core.area import Job
    from samrad.worker import build_worker

    secrets = {PASSWORD, NEW_PASSWORD, WRONG_PASSWORD}
    world = await build_world()  # the demo's services log too
    secrets.update(world.tokens.values())
    await _run_the_flows(app, world, secrets)
    # The worker sends what the flows queued (confirmations, invitations, resets, digests) into the mail folder.
    worker = build_worker(settings)
    report = await worker.run_pass()
    assert report.sent > 0 and report.errors == 0

    # A job that fails with a person in its message (as an SMTP answer or a ValueError may quote one).
    async def failing_job(*_args):
        try:
            raise LookupError("no row for job.secretperson@example.org")
        except LookupError as error:
            raise RuntimeError("job failed for job.secretperson@example.org") from error

    worker.jobs = [Job("failing", failing_job)]
    assert (await worker.run_pass()).errors == 1
    secrets.add("job.secretperson@example.org")
    # An unexpected error whose message quotes a person: the page answers 500, the log has the type and stack.
    from events.registration import changes

    async def failing(*_args, **_kwargs):
        raise RuntimeError("could not handle failing.secretperson@example.org")

    monkeypatch.setattr(changes, "registration_for_token", failing)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="https://testserver.local") as browser:
        assert (await browser.get(f"/manage/{world.tokens['manage']}")).status_code == 500
    secrets.add("failing.secretperson@example.org")
    logged = list(logs.texts())
    assert any("unhandled RuntimeError" in text and "in failing" in text for text in logged), "its type and stack"
    assert any("job failing failed" in text and "LookupError" in text for text in logged), "the job's, with cause"

    secrets |= await _personal_values()
    assert len(logs.records) > 100, "the flows were logged"
    leaks = sorted({(secret, text) for text in logs.texts() for secret in secrets if secret in text})
    assert not leaks, "log records hold personal data or secrets:\n" + "\n".join(
        f"{secret!r} in {text[:300]!r}" for secret, text in leaks[:20])


async def test_the_app_makes_no_http_requests_of_its_own():
    """So every ``httpx`` record in the log test is the test client's (its request URLs hold manage links)."""
    importers = []
    for package in ("samrad", "events", "workshops", "feedback"):
        for path in (ROOT / package).rglob("*.py"):
            if path.name.startswith("bench"):
                continue  # the benchmarks are clients of a server, not part of it
            for node in ast.walk(ast.parse(path.read_text())):
                names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else (
                    [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                if any(name.split(".")[0] in TEST_CLIENT_LOGGERS for name in names):
                    importers.append(str(Path(path).relative_to(ROOT)))
    assert not importers, importers


async def test_the_server_writes_no_access_log(settings):
    """uvicorn's access log would hold every path, manage links included; proxy headers give the real scheme
    (HSTS) and client address (rate limits), from the trusted proxies only."""
    from samrad.cli import server_config

    config = server_config("samrad.app:create_app", host="127.0.0.1", port=8000,
                           trusted_proxies=settings.trusted_proxies)
    assert (config.access_log, config.proxy_headers) == (False, True)
    assert config.forwarded_allow_ips == settings.trusted_proxies

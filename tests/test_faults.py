"""Faults, on real processes: the server killed in a registration burst, the database away, the mail server
away or refusing an address. Each ends with ``samrad check`` (``samrad.core.invariants``) passing.

The server and the worker are started as ``samrad serve`` / ``samrad worker`` on the suite's database
(``fault_support``); the test process sets up and checks through the same database.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
import pytest
import staff_support
from fault_support import TcpProxy, kill, process_env, start_server, worker_process
from registration_support import make_event, make_workshop, person
from smtp_support import Recorder, free_port, smtp_server, smtp_settings
from staff_support import login_as

from events.registration import services
from events.tables import Event, EventAudience, Registration
from samrad.areas import AREAS, mail_renderers, provided
from samrad.core.invariants import KERNEL_INVARIANTS, run_invariants
from samrad.core.settings import ROOT
from samrad.core.tables import OutboxMessage
from samrad.core.worker import Worker
from workshops.tables import Workshop, WorkshopSeat

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
client = staff_support.client  # each test's browser from its own address (login limits)

PEOPLE = 300
SEATS = 50
KILL_AFTER = 60  # answers before the SIGKILL: the burst is well under way, most of it still to come
CONCURRENCY = 50


def samrad_check(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "samrad", "check"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


# --- SIGKILL in the middle of a registration burst ------------------------------------------------------------

@dataclass
class Burst:
    """What the clients saw. The base address changes when the server is restarted on another port."""

    base: str
    up: asyncio.Event = field(default_factory=asyncio.Event)
    answers: dict[str, httpx.Response] = field(default_factory=dict)
    cut: set[str] = field(default_factory=set)  # had a request cut off by the kill, sent or not yet (retried)
    in_flight: set[str] = field(default_factory=set)  # of those, sent before the kill and never answered


def body(number: int, workshop_id: int) -> dict:
    """Every third person is a council member (no quota); the others are citizens (quota 35); every other person
    chooses the workshop (20 seats)."""
    council = number % 3 == 0
    return {
        "name": f"Person {number}", "email": f"person{number}@example.org", "consent": True,
        "category": "council" if council else "citizen", "organisation": "Ældrerådet" if council else "",
        "workshop_ids": [workshop_id] if number % 2 == 0 else [], "locale": "en",
    }


async def register(http: httpx.AsyncClient, burst: Burst, slug: str, number: int, workshop_id: int) -> None:
    """One person: POST until the server answers. A request cut off by the kill is sent again, the same body, to
    the restarted server: the address makes it idempotent (an earlier attempt that was committed answers 409
    ``already_registered``, and no second registration is made)."""
    email = f"person{number}@example.org"
    while True:
        await burst.up.wait()
        try:
            response = await http.post(f"{burst.base}/api/v1/events/{slug}/registrations",
                                       json=body(number, workshop_id))
        except httpx.TransportError as error:
            burst.cut.add(email)
            if not isinstance(error, httpx.ConnectError):
                burst.in_flight.add(email)
            await asyncio.sleep(0.05)  # the kill is noticed and ``up`` cleared by the burst's driver
            continue
        assert response.status_code in (201, 409), response.text
        burst.answers[email] = response
        return


@pytest.mark.concurrency
async def test_sigkill_in_a_registration_burst_loses_and_duplicates_nothing(tmp_path):
    event = await make_event(capacity=SEATS, categories=("citizen", "council"), quotas={"citizen": 35})
    workshop_id = await make_workshop(event["id"], capacity=20)
    env = process_env(tmp_path)
    server = await asyncio.to_thread(start_server, tmp_path, env, "first")
    burst = Burst(server.base)
    burst.up.set()
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(limits=limits, timeout=60) as http:
        tasks = [asyncio.create_task(register(http, burst, event["slug"], number, workshop_id))
                 for number in range(PEOPLE)]
        while len(burst.answers) < KILL_AFTER:
            await asyncio.sleep(0.005)
        burst.up.clear()
        kill(server)
        answered_before_kill = len(burst.answers)
        server = await asyncio.to_thread(start_server, tmp_path, env, "second")
        burst.base = server.base
        burst.up.set()
        try:
            await asyncio.wait_for(asyncio.gather(*tasks), timeout=300)
        finally:
            server.stop()

    # The kill came in the middle: some answers before it, requests cut off by it (sent and never answered, or
    # refused while no server listened), the rest after the restart.
    assert KILL_AFTER <= answered_before_kill < PEOPLE
    assert burst.cut
    assert len(burst.answers) == PEOPLE

    rows = await Registration.select(Registration.id, Registration.email, Registration.status,
                                     Registration.ticket_code).where(Registration.event == event["id"])
    by_email = Counter(row["email"] for row in rows)
    assert len(rows) == PEOPLE and set(by_email.values()) == {1}  # nobody lost, nobody twice
    row_of = {row["email"]: row for row in rows}
    told_places = []
    for email, response in burst.answers.items():
        if response.status_code == 409:
            assert response.json()["code"] == "already_registered"
            assert email in burst.in_flight  # only a retry of a committed, unanswered attempt meets itself
            continue
        seen = response.json()
        assert row_of[email]["status"] == seen["status"]
        assert row_of[email]["ticket_code"] == seen["ticket_code"]
        if seen["status"] == "waitlisted":
            told_places.append((seen["waitlist_position"], row_of[email]["id"]))
    statuses = Counter(row["status"] for row in rows)
    assert statuses == {"confirmed": SEATS, "waitlisted": PEOPLE - SEATS}
    # Nobody left the list, so each place told is still the person's rank in it, and no place was told twice.
    waiting_ids = sorted(row["id"] for row in rows if row["status"] == "waitlisted")
    assert all(waiting_ids.index(registration_id) + 1 == place for place, registration_id in told_places)
    assert len({place for place, _id in told_places}) == len(told_places)

    assert (await Event.select(Event.booked).where(Event.id == event["id"]).first())["booked"] == SEATS
    citizen = await EventAudience.select(EventAudience.booked).where(
        (EventAudience.event == event["id"]) & (EventAudience.category == "citizen")).first()
    confirmed_citizens = await Registration.count().where(
        (Registration.event == event["id"]) & (Registration.category == "citizen")
        & (Registration.status == "confirmed"))
    assert citizen["booked"] == confirmed_citizens <= 35
    seats = await WorkshopSeat.count().where(
        (WorkshopSeat.workshop == workshop_id) & (WorkshopSeat.status == "confirmed"))
    assert (await Workshop.select(Workshop.booked).where(Workshop.id == workshop_id).first())["booked"] == seats <= 20
    # One confirmation or waiting-list email per registration, whatever the kill interrupted.
    notices = Counter(
        (row["to_address"], row["kind"]) for row in await OutboxMessage.select(
            OutboxMessage.to_address, OutboxMessage.kind
        ).where(OutboxMessage.kind.is_in(["notice.confirmed", "notice.waitlisted"]))
    )
    assert sorted(address for address, _kind in notices) == sorted(row_of)
    assert set(notices.values()) == {1}

    checked = samrad_check(env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.rstrip().endswith("invariants hold")
    committed = sum(1 for response in burst.answers.values() if response.status_code == 409)
    print(f"\nSIGKILL after {answered_before_kill} of {PEOPLE} answers: {len(burst.in_flight)} requests in flight "
          f"cut off ({committed} of them committed), {len(burst.cut) - len(burst.in_flight)} refused until the "
          "restart; all sent again")


# --- the database away ----------------------------------------------------------------------------------------

@pytest.fixture
def proxied_database(tmp_path):
    """The environment of a process reaching PostgreSQL through a proxy the test can cut (``TcpProxy``).

    PostgreSQL only: a running SQLite process keeps the files it opened, so its database cannot be taken away
    from under it; the start-up and write faults of SQLite are in ``test_faults_storage``."""
    if not TEST_DATABASE_URL:
        pytest.skip("a server to cut off: PostgreSQL")
    database_url = os.environ["DATABASE_URL"]
    parts = urlsplit(database_url)
    proxy = TcpProxy(parts.hostname, parts.port or 5432)
    try:
        yield proxy, process_env(tmp_path, DATABASE_URL=proxy.url(database_url))
    finally:
        proxy.close()


async def _wait_for(predicate, seconds: float = 180) -> None:
    """Until ``predicate()`` holds; the deadline only stops a test that would hang (the machine may be busy)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "not in time"
        await asyncio.sleep(0.2)


async def test_the_database_away_answers_503_everywhere_and_the_server_recovers_alone(tmp_path, proxied_database):
    """Away when the server starts, back, away again while it holds connections, back: one process throughout."""
    proxy, env = proxied_database
    event = await make_event(capacity=5)
    proxy.cut()
    server = await asyncio.to_thread(start_server, tmp_path, env, "server", "/healthz")
    api = f"{server.base}/api/v1/events/{event['slug']}/registrations"

    async def registering(number: int) -> httpx.Response:
        return await http.post(api, json={"name": "Ada", "email": f"ada{number}@example.org", "consent": True,
                                          "category": "citizen"})

    async def ready() -> bool:
        return (await http.get(f"{server.base}/readyz")).status_code == 200

    try:
        async with httpx.AsyncClient(timeout=30) as http:
            for outage_number in (1, 2):
                answer = await http.get(f"{server.base}/readyz")
                assert answer.status_code == 503
                assert answer.json() == {"status": "unavailable", "database": "unreachable"}
                assert answer.headers["retry-after"] == "30"
                page = await http.get(f"{server.base}/?lang=sv")
                assert page.status_code == 503
                assert page.headers["retry-after"] == "30"
                assert "Tjänsten är inte tillgänglig just nu" in page.text
                assert "ingenting sparats" in page.text
                event_page = await http.get(f"{server.base}/events/{event['slug']}?lang=en")
                assert event_page.status_code == 503
                assert "The service is unavailable right now" in event_page.text
                listing = await http.get(f"{server.base}/api/v1/events?lang=da")
                assert listing.status_code == 503
                assert listing.headers["retry-after"] == "30"
                assert listing.json() == {"status_code": 503, "detail": "Tjenesten er ikke tilgængelig lige nu",
                                          "code": "database_unavailable", "errors": []}
                assert (await registering(outage_number)).status_code == 503

                proxy.restore()
                await _wait_for(ready)
                assert (await http.get(f"{server.base}/")).status_code == 200
                registered = await registering(outage_number)
                assert registered.status_code == 201, registered.text
                if outage_number == 1:
                    proxy.cut()  # now with the pool's connections open
        assert server.process.poll() is None  # the same process throughout
    finally:
        server.stop()
    log = (tmp_path / "server.log").read_text()
    assert "database unreachable on GET /api/v1/events" in log
    assert "Traceback" not in log
    emails = sorted(row["email"] for row in await Registration.select(Registration.email))
    assert emails == ["ada1@example.org", "ada2@example.org"]  # the refused attempts wrote nothing


async def test_the_worker_waits_out_the_database_and_delivers_when_it_returns(tmp_path, proxied_database):
    from samrad.core import db
    from samrad.core.mail import queue_email

    proxy, env = proxied_database
    outbox = tmp_path / "outbox"

    async def delivered(count: int):
        async def check() -> bool:
            return len(list(outbox.glob("*.eml"))) >= count
        return check

    with worker_process(tmp_path, env) as worker:
        async with db.atomic():
            await queue_email("test.plain", "before@example.org", "Before", "Text", "<p>HTML</p>")
        await _wait_for(await delivered(1))

        proxy.cut()
        async with db.atomic():  # the test reaches the database directly; the worker cannot
            await queue_email("test.plain", "during@example.org", "During", "Text", "<p>HTML</p>")
        log = tmp_path / "worker.log"

        async def complained() -> bool:
            return log.read_text().count("database unreachable") >= 3

        await _wait_for(complained)  # three passes at least, each one line
        assert worker.poll() is None
        assert len(list(outbox.glob("*.eml"))) == 1

        proxy.restore()
        await _wait_for(await delivered(2))
        worker.terminate()
        assert worker.wait(timeout=20) == 0
    text = log.read_text()
    assert "Traceback" not in text
    assert len(list(outbox.glob("*.eml"))) == 2
    statuses = [row["status"] for row in await OutboxMessage.select(OutboxMessage.status)]
    assert statuses == ["sent", "sent"]
    checked = samrad_check(env)
    assert checked.returncode == 0, checked.stdout + checked.stderr


# --- the mail server away, then refusing one address ----------------------------------------------------------

async def _time_passes() -> None:
    """The backoff is over: what waits is due now (instead of sleeping a minute)."""
    from samrad.core.clock import now_utc

    await OutboxMessage.update({OutboxMessage.next_attempt_at: now_utc()}).where(OutboxMessage.status == "pending")


async def test_mail_waits_for_the_smtp_server_and_a_refused_address_is_shown_to_organisers(client, settings):
    """The worker's own passes (``samrad.core.worker.Worker``) against a real SMTP server: down, then up with one
    mailbox that does not exist. Each email goes out once; the refused one is failed for good, never tried again,
    and the registrations desk says so."""
    event = await make_event(capacity=10)
    ids = {}
    for name in ("ada", "bo", "bounce"):
        result = await services.register(event["id"], person(name, email=f"{name}@example.org"), None)
        ids[name] = result.registration_id
    port = free_port()
    worker = Worker(smtp_settings(settings, port), (), provided(), mail_renderers())

    # Down: every email waits, the worker carries on.
    report = await worker.run_pass()
    assert (report.sent, report.retried, report.failed, report.errors) == (0, 3, 0, 0)
    assert {row["status"] for row in await OutboxMessage.select(OutboxMessage.status)} == {"pending"}

    recorder = Recorder(refuse=lambda address: address.startswith("bounce@"))
    with smtp_server(port, recorder):
        await _time_passes()
        report = await worker.run_pass()
        assert (report.sent, report.failed) == (2, 1)
        for _pass in range(2):  # later passes: nothing left to send, the refused address is not tried again
            await _time_passes()
            report = await worker.run_pass()
            assert (report.sent, report.retried, report.failed) == (0, 0, 0)
    assert sorted(rcpt for _sender, rcpts, _data in recorder.received for rcpt in rcpts) == [
        "ada@example.org", "bo@example.org"]
    assert recorder.refused == ["bounce@example.org"]
    failed = await OutboxMessage.select(OutboxMessage.status, OutboxMessage.attempts, OutboxMessage.last_error).where(
        OutboxMessage.to_address == "bounce@example.org").first()
    assert failed["status"] == "failed" and failed["attempts"] == 2 and "550" in failed["last_error"]

    await login_as(client, "organiser", teams=[event["id"]])
    desk = await client.get(f"/staff/events/{event['id']}/registrations")
    assert desk.status_code == 200
    assert "An email to 1 registration could not be delivered" in desk.text
    assert desk.text.count("Email not delivered") == 1
    row = desk.text.split(f'href="/staff/events/{event["id"]}/registrations/{ids["bounce"]}"', 1)[1]
    assert row.split("</th>", 1)[0].count("Email not delivered") == 1
    page = await client.get(f"/staff/events/{event['id']}/registrations/{ids['bounce']}?lang=da")
    assert "1 e-mail til denne person kunne ikke leveres." in page.text
    fine = await client.get(f"/staff/events/{event['id']}/registrations/{ids['ada']}?lang=sv")
    assert "kunde inte levereras" not in fine.text

    report = await run_invariants([*KERNEL_INVARIANTS, *(invariant for area in AREAS for invariant in area.invariants)])
    assert report.mismatches == 0

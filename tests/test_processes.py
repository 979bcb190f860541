"""Two real server processes on one PostgreSQL database and one Redis, as behind a load balancer: a session
made on one process is valid on the other, a form from one is accepted by the other, rate limits count across
both, a page cached on one is invalidated by a write through the other, and a live wall on one receives input
captured through the other.

The servers are ``samrad serve`` processes (started as ``make bench`` starts them, ``samrad.bench_load.Server``)
on the test run's PostgreSQL database, which conftest creates and drops; sessions, rate limits and the walls'
channels are on Redis. Both start once for the module. Each test's browser is an httpx client on the real
ports; like a browser, it sends the same cookies to both (cookies do not depend on the port). Each test comes
from a client address of its own (``X-Forwarded-For``, which the servers take from a proxy on 127.0.0.1), so
the rate limiters' counters of one test or run never meet another's.

PostgreSQL only: two processes on SQLite work too, but not two machines, which is what this proves.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import sys
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from public_support import make_event, person
from registration_support import make_workshop
from staff_support import PASSWORD, csrf_from, make_staff

from events.tables import Registration
from samrad.core.settings import ROOT
from workshops.tables import Workshop

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
pytestmark = [
    pytest.mark.processes,
    pytest.mark.skipif(not ON_POSTGRES, reason="two server processes on one database are proved on PostgreSQL "
                       "(TEST_DATABASE_URL, as in `make test-postgres`)"),
]

REDIS_URL = "redis://127.0.0.1:6379/13"
LOGIN_LIMIT = 4  # per client address and day: a day-long window is never crossed mid-test in practice
WAIT = 10.0  # seconds to wait for a server-sent event before giving up


@pytest.fixture(scope="module")
def servers(tmp_path_factory) -> Iterator[tuple[str, str]]:
    """Two ``samrad serve`` processes, A and B, started together; their base URLs."""
    from samrad.bench_load import Server

    scratch = tmp_path_factory.mktemp("processes")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SAMRAD_DATA_DIR": str(scratch),
        "SAMRAD_MAIL_DIR": str(scratch / "outbox"),
        "SAMRAD_REDIS_URL": REDIS_URL,
        "SAMRAD_CHANNELS": "redis",
        "SAMRAD_RATE_LIMIT_LOGIN": f"{LOGIN_LIMIT}/day",
        "SAMRAD_COOKIE_SECURE": "false",
    }
    argv = [sys.executable, "-m", "samrad", "serve", "--host", "127.0.0.1", "--port", "{port}"]

    def start(name: str) -> Server:
        try:
            return Server(argv, env, scratch / f"server-{name}.log")
        except SystemExit as error:  # the bench's way to say a server did not start
            raise RuntimeError(str(error)) from None

    with ThreadPoolExecutor(2) as pool:
        starting = [pool.submit(start, name) for name in "AB"]
    failed = [future.exception() for future in starting if future.exception() is not None]
    started = [future.result() for future in starting if future.exception() is None]
    try:
        if failed:
            raise failed[0]
        yield started[0].base, started[1].base
    finally:
        for server in started:
            server.stop()


@asynccontextmanager
async def browser() -> AsyncIterator[httpx.AsyncClient]:
    """One visitor: its own cookies, sent to both processes, and a client address of its own."""
    address = f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"
    async with httpx.AsyncClient(headers={"X-Forwarded-For": address}, timeout=30) as http:
        yield http


async def form_token(http: httpx.AsyncClient, url: str) -> str:
    page = await http.get(url)
    assert page.status_code == 200, (url, page.status_code)
    return csrf_from(page.text)


async def log_in(http: httpx.AsyncClient, base: str, email: str, password: str = PASSWORD) -> httpx.Response:
    token = await form_token(http, f"{base}/staff/login")
    return await http.post(f"{base}/staff/login", data={"_csrf_token": token, "email": email, "password": password})


# --- sessions and CSRF ------------------------------------------------------------------------------------

async def test_a_staff_session_made_on_one_process_is_valid_on_the_other(servers):
    a, b = servers
    email = await make_staff("organiser")
    async with browser() as http, browser() as stranger:
        assert (await log_in(http, a, email)).status_code == 303

        on_b = await http.get(f"{b}/staff")
        assert on_b.status_code == 200
        assert email in on_b.text or "Log out" in on_b.text
        assert (await stranger.get(f"{b}/staff")).status_code == 303  # no session, no page

        # Logging out on B ends the session on A too: it lives in Redis, not in either process.
        token = csrf_from(on_b.text)
        assert (await http.post(f"{b}/staff/logout", data={"_csrf_token": token})).status_code == 303
        after = await http.get(f"{a}/staff")
        assert after.status_code == 303
        assert after.headers["location"].startswith("/staff/login")


async def test_a_form_from_one_process_is_accepted_by_the_other(servers):
    a, b = servers
    event = await make_event(capacity=10)
    form = f"/events/{event['slug']}/register"
    async with browser() as http:
        token = await form_token(http, a + form)

        forged = await http.post(b + form, data={"_csrf_token": token[:-4] + "AAAA", **person()})
        assert forged.status_code == 403
        accepted = await http.post(b + form, data={"_csrf_token": token, **person()})
        assert accepted.status_code == 303, accepted.text[:500]

    rows = await Registration.select(Registration.status).where(Registration.event == event["id"])
    assert [row["status"] for row in rows] == ["confirmed"]


# --- rate limits ------------------------------------------------------------------------------------------

async def test_rate_limits_count_across_both_processes(servers):
    a, b = servers
    email = await make_staff("organiser")
    async with browser() as http:
        token = await form_token(http, f"{a}/staff/login")
        wrong = {"_csrf_token": token, "email": email, "password": "not the password"}
        answers = [(await http.post(f"{base}/staff/login", data=wrong)).status_code
                   for base in (a, b) * LOGIN_LIMIT]

    # The limit is four a day: four failed attempts, two on each process, and then both refuse.
    assert answers == [401] * LOGIN_LIMIT + [429] * LOGIN_LIMIT


async def test_a_burst_on_both_processes_at_once_is_held_to_the_limit(servers):
    """The counter is one atomic increment in Redis: attempts racing on two processes cannot slip through
    between reading and writing it."""
    a, b = servers
    email = await make_staff("organiser")
    async with browser() as http:
        token = await form_token(http, f"{a}/staff/login")
        wrong = {"_csrf_token": token, "email": email, "password": "not the password"}
        answers = await asyncio.gather(*(http.post(f"{base}/staff/login", data=wrong) for base in (a, b) * 6))

    codes = sorted(answer.status_code for answer in answers)
    assert codes == [401] * LOGIN_LIMIT + [429] * (12 - LOGIN_LIMIT)


# --- the page cache ---------------------------------------------------------------------------------------

async def test_a_page_cached_on_one_process_is_invalidated_by_a_registration_on_the_other(servers):
    a, b = servers
    event = await make_event(capacity=5)
    page = f"/events/{event['slug']}"
    async with browser() as http:
        first = await http.get(a + page)
        assert "There are 5 seats left." in first.text
        tag = first.headers["etag"]
        # A keeps the page: asked again with its tag, it answers from its cache that nothing changed.
        assert (await http.get(a + page, headers={"If-None-Match": tag})).status_code == 304

        token = await form_token(http, f"{b}{page}/register")
        registered = await http.post(f"{b}{page}/register", data={"_csrf_token": token, **person()})
        assert registered.status_code == 303

        after = await http.get(a + page, headers={"If-None-Match": tag})
        assert after.status_code == 200
        assert "There are 4 seats left." in after.text
        assert after.headers["etag"] != tag


# --- the live wall ----------------------------------------------------------------------------------------

class EventStream:
    """The server-sent events of a streaming response, one at a time."""

    def __init__(self, response: httpx.Response) -> None:
        self.lines = response.aiter_lines()

    async def next(self) -> tuple[str, dict]:
        return await asyncio.wait_for(self._next(), WAIT)

    async def _next(self) -> tuple[str, dict]:
        name, data = "message", []
        async for line in self.lines:
            if line == "" and data:
                return name, json.loads("\n".join(data))
            field, _, value = line.partition(":")
            if field == "event":
                name = value.strip()
            elif field == "data":
                data.append(value.removeprefix(" "))
        raise EOFError("the stream ended")


async def test_a_wall_on_one_process_receives_input_captured_on_the_other(servers):
    a, b = servers
    event = await make_event(capacity=None, starts_at=datetime.now(UTC) - timedelta(hours=1))
    workshop_id = await make_workshop(event["id"], title="Safe streets")
    code = (await Workshop.select(Workshop.join_code).where(Workshop.id == workshop_id).first())["join_code"]
    async with browser() as screen, browser() as phone:
        async with screen.stream("GET", f"{a}/workshops/{workshop_id}/wall/stream") as response:
            assert response.status_code == 200
            events = EventStream(response)
            assert (await events.next())[0] == "snapshot"

            page = await phone.get(f"{b}/j/{code}")
            assert page.status_code == 200
            client_id = re.search(r'name="client_id" value="([^"]+)"', page.text).group(1)
            sent = await phone.post(f"{b}/j/{code}", data={
                "_csrf_token": csrf_from(page.text), "client_id": client_id, "kind": "idea",
                "text": "Captured on process B",
            })
            assert sent.status_code == 303
            assert sent.headers["location"].endswith("sent=published")

            name, data = await events.next()
            assert (name, data["text"]) == ("input", "Captured on process B")

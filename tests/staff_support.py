"""Shared set-up for the staff-side tests: accounts in every role, logging in like a browser, CSRF posts.

Login is rate limited per client address, and the limiter's counters live in a file store shared by the whole
test run; so every test's client comes from its own address (the ``client`` fixture here replaces the
default one in the modules that import it).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from typing import Any

import pytest

_addresses = itertools.count(1)
_accounts = itertools.count(1)

PASSWORD = "correct horse battery staple"
CSRF_INPUT = re.compile(r'name="_csrf_token" value="([^"]+)"')


def next_address() -> str:
    number = next(_addresses)
    return f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"


@pytest.fixture
async def client(app):
    import httpx

    transport = httpx.ASGITransport(app=app, client=(next_address(), 40000))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver.local") as http:
        yield http


@pytest.fixture
async def other_client(app):
    """A second browser (its own cookies and address)."""
    import httpx

    transport = httpx.ASGITransport(app=app, client=(next_address(), 40000))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver.local") as http:
        yield http


async def make_staff(role: str = "organiser", *, password: str = PASSWORD, name: str | None = None) -> str:
    """A staff account; returns its email."""
    from samrad.core.accounts import create_staff_user

    email = f"{role}{next(_accounts)}@staff.example.org"
    await create_staff_user(email, name or f"Test {role.title()}", password, role)
    return email


def csrf_from(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


async def csrf_token(client, path: str = "/staff/login") -> str:
    response = await client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.text[:500])
    return csrf_from(response.text)


async def login(client, email: str, password: str = PASSWORD, *, next_path: str | None = None):
    """Log in through the form the way a browser does; returns the response to the POST."""
    token = await csrf_token(client, "/staff/login")
    data = {"_csrf_token": token, "email": email, "password": password}
    if next_path is not None:
        data["next"] = next_path
    return await client.post("/staff/login", data=data)


async def login_as(client, role: str, *, teams: Iterable[int] | None = None) -> str:
    """Log in as a new account of ``role``, on the teams of the events ``teams`` (default: of every event there
    is so far, the usual colleague of these tests; ``teams=()`` for an organiser of other events only)."""
    email = await make_staff(role)
    await join_teams(email, teams)
    response = await login(client, email)
    assert response.status_code == 303, response.text[:500]
    return email


async def join_teams(email: str, teams: Iterable[int] | None = None) -> None:
    """Put the account on the teams of these events (None: every event there is so far)."""
    from events.access import add_to_team
    from events.tables import Event
    from samrad.core.tables import StaffUser

    user = await StaffUser.select(StaffUser.id).where(StaffUser.email == email).first()
    event_ids = [row["id"] for row in await Event.select(Event.id)] if teams is None else list(teams)
    for event_id in event_ids:
        await add_to_team(event_id, user["id"])


async def post_form(client, form_page: str, action: str, fields: dict[str, Any] | list[tuple[str, str]]):
    """Submit a staff form with the CSRF token of the page it is on."""
    token = await csrf_token(client, form_page)
    data: dict[str, Any] = {"_csrf_token": token}
    for key, value in fields.items() if isinstance(fields, dict) else fields:
        if key in data:
            previous = data[key]
            data[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            data[key] = value
    return await client.post(action, data=data)

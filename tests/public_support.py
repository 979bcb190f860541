"""Shared set-up for the public-web tests: events with dates, audiences and venues; CSRF-aware form posts.

Registration tests post many forms from one test client, so the rate limit is raised here; the test that
proves the limit lowers it again for its own client address.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

_counter = itertools.count(1)

CSRF_INPUT = re.compile(r'name="_csrf_token" value="([^"]+)"')


@pytest.fixture
def settings():
    """The test settings with limits high enough for the many posts a test makes."""
    from samrad.core.settings import get_settings

    return dataclasses.replace(get_settings(), registration_rate=(10_000, 60), api_rate=(10_000, 60))


def soon(days: float = 7, hour: int = 10) -> datetime:
    """A start time ``days`` ahead at a whole hour (UTC)."""
    base = datetime.now(UTC).replace(minute=0, second=0, microsecond=0, hour=hour)
    return base + timedelta(days=days)


async def make_venue(**fields: Any) -> dict[str, Any]:
    from events.tables import Venue

    values = {
        "name": "Kulturhuset",
        "address": "Storegade 1",
        "city": "Randers",
        "accessibility": {"en": "Lift to all floors. Entrance from the square.", "da": "Elevator til alle etager."},
        "step_free": True,
        "hearing_loop": True,
        "accessible_toilet": True,
        "quiet_room": False,
        **fields,
    }
    row = Venue(**values)
    await row.save()
    return {"id": row.id, **values}


async def make_event(
    slug: str | None = None,
    *,
    starts_at: datetime | None = None,
    duration: timedelta = timedelta(hours=3),
    dates: list[datetime] | None = None,
    categories: tuple[str, ...] = ("citizen",),
    quotas: dict[str, int] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """An event, its allowed audiences and its dates (one date unless ``dates`` lists a series)."""
    from events.tables import Event, EventAudience, Occurrence

    number = next(_counter)
    starts_at = starts_at or (dates[0] if dates else soon())
    values = {
        "slug": slug or f"event-{number}",
        "kind": "conference",
        "title": {"en": f"Event {number}", "da": f"Arrangement {number}", "sv": f"Evenemang {number}"},
        "summary": {"en": "A short summary."},
        "description": {"en": "What happens.\n\nAnd why it matters."},
        "programme": {"en": "09:00 Welcome\n10:00 Talks"},
        "timezone": "Europe/Copenhagen",
        "starts_at": starts_at,
        "ends_at": starts_at + duration,
        "ical_uid": f"event-{number}-{slug or ''}@test.samrad",
        **fields,
    }
    event = Event(**values)
    await event.save()
    for category in categories:
        await EventAudience(event=event.id, category=category, quota=(quotas or {}).get(category)).save()
    for start in dates or [starts_at]:
        await Occurrence(event=event.id, starts_at=start, ends_at=start + duration).save()
    return {"id": event.id, **values}


async def csrf_token(client, path: str) -> str:
    """Open a form page the way a browser does and return the CSRF token it carries."""
    response = await client.get(path)
    assert response.status_code == 200, response.text
    match = CSRF_INPUT.search(response.text)
    assert match, "the page has no CSRF field"
    return match.group(1)


class QueryCount:
    value = 0


@pytest.fixture
def query_counter(monkeypatch):
    """A context manager counting the SQL statements Piccolo sends while it is open."""
    import contextlib

    from samrad.core.db import engine

    engine_class = type(engine())
    original = engine_class.run_querystring

    @contextlib.contextmanager
    def counting():
        count = QueryCount()

        async def run_querystring(self, querystring, *args, **kwargs):
            count.value += 1
            return await original(self, querystring, *args, **kwargs)

        monkeypatch.setattr(engine_class, "run_querystring", run_querystring)
        try:
            yield count
        finally:
            monkeypatch.setattr(engine_class, "run_querystring", original)

    return counting


# --- registering ------------------------------------------------------------------------------------------

MANAGE_PATH = re.compile(r'href="(/manage/[A-Za-z0-9_\-]+)"')


def person(**overrides: Any) -> dict[str, Any]:
    """A valid registration's fields (the same names in the HTML form and the JSON API)."""
    return {"name": "Ada Lovelace", "email": f"ada{next(_counter)}@example.org", "category": "citizen",
            "consent": "1", **overrides}


async def post_form(client, slug: str, fields: dict[str, Any], *, token: str | None = None):
    """Submit the registration form the way a browser does (CSRF token from the form page)."""
    token = token or await csrf_token(client, f"/events/{slug}/register")
    return await client.post(f"/events/{slug}/register", data={"_csrf_token": token, **fields})


async def register_via_form(client, slug: str, **overrides: Any) -> str:
    """Register through the form and return the manage path shown on the confirmation page."""
    response = await post_form(client, slug, person(**overrides))
    assert response.status_code == 303, response.text
    confirmation = await client.get(response.headers["location"])
    match = MANAGE_PATH.search(confirmation.text)
    assert match, "the confirmation page shows no manage link"
    return match.group(1)


async def registration_rows(event_id: int) -> list[dict[str, Any]]:
    from events.tables import Registration

    return await Registration.select().where(Registration.event == event_id).order_by(Registration.id).output(
        load_json=True
    )


async def outbox_kinds(address: str) -> list[str]:
    from samrad.core.tables import OutboxMessage

    rows = await OutboxMessage.select(OutboxMessage.kind).where(OutboxMessage.to_address == address).order_by(
        OutboxMessage.id
    )
    return [row["kind"] for row in rows]


async def make_workshop(event_id: int, *, capacity: int | None = None, title: str = "Workshop", **fields: Any) -> int:
    from workshops.tables import Workshop

    number = next(_counter)
    row = Workshop(event=event_id, title={"en": title}, capacity=capacity, join_code=f"WS{number:06d}", **fields)
    await row.save()
    return row.id


async def make_org_unit(name: str = "Children and Youth") -> int:
    from events.tables import OrgUnit

    row = OrgUnit(name=name, code=f"unit-{next(_counter)}")
    await row.save()
    return row.id


@pytest.fixture
def client_with():
    """Build a client for an app with changed settings and a given client address (rate-limit tests)."""
    import contextlib

    import httpx

    from samrad.app import create_app
    from samrad.core.settings import get_settings

    @contextlib.asynccontextmanager
    async def build(address: str, **overrides: Any):
        app = create_app(dataclasses.replace(get_settings(), **overrides))
        async with app.lifespan():
            transport = httpx.ASGITransport(app=app, client=(address, 40000))
            async with httpx.AsyncClient(transport=transport, base_url="https://testserver.local") as http:
                yield http

    return build

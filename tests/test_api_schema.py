"""The OpenAPI schema (``/schema/openapi.json``) is true: schemathesis fuzzes every API operation in-process.

Every operation gets the cases schemathesis makes from the schema (its examples, coverage and fuzzing phases;
valid and invalid data) three times: anonymously (401s), with an administrator's API token (so the staff and
organiser endpoints are fuzzed past their 401) and with a check-in account's token (403s). Each answer must
not be a server error and must match the schema: a documented status code, content type, headers and body.

The module shares one database (the demo installation, loaded once) and one app whose rate limits are out of
the way; the tables are emptied before and after. Half of the cases name a subject that exists (an open event,
a workshop, a join code, a policy: ``SUBJECTS``) instead of a generated one, so the fuzzing gets past 404 too.
An operation that changes or ends its subject (cancel an event, change or remove a workshop) is aimed at a
spare subject of its own whenever a case names another one (schemathesis learns slugs from the answers), so
the other operations keep theirs (``_aim``).
Hypothesis runs derandomized with a bounded number of examples per operation (``MAX_EXAMPLES``).

The app runs in schemathesis' own event loop on a thread (its ASGI transport), so the database work of the
fixtures runs before it starts and after it stops, each in a loop of its own (``_run``).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from database_support import empty_all_tables
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from litestar.serialization import encode_json
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import get_client, shutdown_lifespans
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from events.tables import EventKind
from samrad.app import create_app
from samrad.core.openapi import MAX_ID
from samrad.core.settings import get_settings

MAX_EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
UNLIMITED = (1_000_000, 60)

APP = create_app(replace(
    get_settings(), registration_rate=UNLIMITED, api_rate=UNLIMITED, participant_input_rate=UNLIMITED,
    organiser_api_rate=UNLIMITED, capture_api_rate=UNLIMITED,
))
# The schema as the app serves it (``/schema/openapi.json``), read without starting the app.
schema = schemathesis.openapi.from_dict(json.loads(encode_json(APP.openapi_schema.to_schema())))
schema.app = APP

# Path parameters that name a subject that exists, per operation; filled in by the ``tokens`` fixture.
SUBJECTS: dict[tuple[str, str], dict[str, Any]] = {}
# The operations that change or end their subject, and every subject by path parameter (as text).
CHANGING = {
    ("PATCH", "/api/v1/events/{slug}"), ("POST", "/api/v1/events/{slug}/cancel"),
    ("PATCH", "/api/v1/workshops/{workshop_id}"), ("DELETE", "/api/v1/workshops/{workshop_id}"),
}
EXISTING: dict[str, set[str]] = {}
CASES: Counter[str] = Counter()

FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def _run(coroutine_function: Callable[[], Any]) -> Any:
    """Database work in an event loop of its own, on a thread of its own (as ``tests/browser`` does)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="schema-db") as pool:
        return pool.submit(asyncio.run, coroutine_function()).result()


async def _load_world() -> dict[str, str]:
    """The demo installation, the subjects the fuzzing aims at, and API tokens by role (admin, checkin)."""
    from events.tables import Event, RegistrationMode
    from feedback.tables import Policy
    from samrad.core.accounts import create_api_token
    from samrad.core.clock import now_utc
    from samrad.core.tables import Role, StaffUser
    from samrad.demo import load_demo
    from workshops.tables import Workshop

    await empty_all_tables()
    with contextlib.redirect_stdout(io.StringIO()):  # the demo prints its staff passwords
        assert await load_demo() == 0
    workshops = await Workshop.select(Workshop.id, Workshop.event, Workshop.join_code).order_by(Workshop.id)
    conference = await Event.select(Event.id, Event.slug).where(Event.id == workshops[0]["event"]).first()
    others = await Event.select(Event.id, Event.slug).where(
        Event.published.eq(True) & (Event.registration_mode == RegistrationMode.required)
        & Event.sensitive.eq(False) & (Event.id != conference["id"])
    ).order_by(Event.id)
    draft = await Event.select(Event.slug).where(Event.published.eq(False)).first()
    policy = await Policy.select(Policy.code).order_by(Policy.id).first()
    EXISTING.update({
        "slug": {row["slug"] for row in await Event.select(Event.slug)},
        "event_id": {str(row["id"]) for row in await Event.select(Event.id)},
        "workshop_id": {str(row["id"]) for row in workshops},
    })
    slug, event_id = {"slug": conference["slug"]}, {"event_id": conference["id"]}
    SUBJECTS.update({
        ("GET", "/api/v1/events/{slug}"): slug,
        ("POST", "/api/v1/events/{slug}/registrations"): slug,
        ("POST", "/api/v1/events/{slug}/workshops"): slug,
        ("PATCH", "/api/v1/events/{slug}"): {"slug": others[0]["slug"]},
        ("POST", "/api/v1/events/{slug}/cancel"): {"slug": others[-1]["slug"]},
        ("POST", "/api/v1/events/{slug}/publish"): {"slug": draft["slug"]},
        ("GET", "/api/v1/staff/events/{event_id}/registrations"): event_id,
        ("POST", "/api/v1/staff/events/{event_id}/registrations"): event_id,
        ("POST", "/api/v1/staff/events/{event_id}/checkins"): event_id,
        ("GET", "/api/v1/workshops/{workshop_id}/input"): {"workshop_id": workshops[0]["id"]},
        ("POST", "/api/v1/workshops/{workshop_id}/input"): {"workshop_id": workshops[0]["id"]},
        ("PATCH", "/api/v1/workshops/{workshop_id}"): {"workshop_id": workshops[1]["id"]},
        ("DELETE", "/api/v1/workshops/{workshop_id}"): {"workshop_id": workshops[-1]["id"]},
        ("POST", "/api/v1/join/{code}/input"): {"code": workshops[0]["join_code"]},
        ("POST", "/api/v1/policies/{code}/suggestions"): {"code": policy["code"]},
    })
    tokens = {}
    for role in (Role.admin, Role.checkin):
        account = await StaffUser.select(StaffUser.email).where(StaffUser.role == role.value).first()
        tokens[role.value] = await create_api_token(
            account["email"], "schema fuzzing", expires_at=now_utc() + timedelta(days=1), actor="system"
        )
    return tokens


@pytest.fixture(scope="module")
def tokens() -> Iterator[dict[str, str]]:
    """API tokens by role on the demo installation; afterwards the app stops and the tables are emptied."""
    yield _run(_load_world)
    shutdown_lifespans()  # the app's lifespan (its connection pool) ran in schemathesis' loop
    _run(empty_all_tables)
    print(f"\nschemathesis cases: {sum(CASES.values())} ({dict(CASES)})")


@pytest.fixture(autouse=True)
def empty_database(tokens: dict[str, str]) -> None:
    """Replaces the harness' per-test emptying: the fuzzing shares the module's database."""


@pytest.fixture
def http() -> Iterator[Any]:
    """A client of the module's app, in the app's own loop (schemathesis' ASGI client, a requests session)."""
    with get_client(APP) as client:
        yield client


# --- what the schema says, checked against what the app does (before the fuzzing writes anything) ------------

def test_the_schema_documents_the_api_only() -> None:
    paths = APP.openapi_schema.to_schema()["paths"]
    assert paths and all(path.startswith("/api/v1/") for path in paths), "pages are not API operations"


def test_a_staff_member_registers_through_the_api_with_a_unit_the_event_lists(http: Any) -> None:
    openapi = http.get("/schema/openapi.json").json()
    components = openapi["components"]["schemas"]
    assert set(components["RegistrationIn"]["required"]) == {"name", "email", "consent"}
    listing = openapi["paths"]["/api/v1/events"]["get"]["parameters"]
    kind = next(parameter for parameter in listing if parameter["name"] == "kind")["schema"]["oneOf"][0]
    assert components[kind["$ref"].rpartition("/")[2]]["enum"] == [k.value for k in EventKind]
    assert {"401", "403"} <= set(openapi["paths"]["/api/v1/staff/events"]["get"]["responses"])

    slugs = [item["slug"] for item in http.get("/api/v1/events", params={"per_page": 50}).json()["items"]]
    details = [http.get(f"/api/v1/events/{slug}").json() for slug in dict.fromkeys(slugs)]
    event = next(d for d in details if d["org_units"] and "staff" in {a["category"] for a in d["audiences"]})
    body = {"name": "Api Staff", "email": "api.staff@example.org", "category": "staff", "consent": True}

    without_unit = http.post(f"/api/v1/events/{event['slug']}/registrations", json=body)
    with_unit = http.post(f"/api/v1/events/{event['slug']}/registrations",
                          json={**body, "org_unit_id": event["org_units"][0]["id"]})

    assert without_unit.status_code == 422
    assert "org_unit_id" in {error["field"] for error in without_unit.json()["errors"]}
    assert with_unit.status_code == 201, with_unit.text
    assert http.get("/api/v1/events", params={"kind": "party"}).status_code == 400


def test_ids_past_the_largest_row_id_are_refused_before_the_database(http: Any, tokens: dict[str, str]) -> None:
    """PostgreSQL's ids are 4-byte integers: a larger number is no row, never a database error (500)."""
    bearer = {"Authorization": f"Bearer {tokens['admin']}"}
    event_id = SUBJECTS[("GET", "/api/v1/staff/events/{event_id}/registrations")]["event_id"]
    too_big = MAX_ID + 1

    assert http.get(f"/api/v1/staff/events/{too_big}/registrations", headers=bearer).status_code == 404
    assert http.get(f"/api/v1/staff/events/{event_id}/registrations", params={"unit": str(too_big)},
                    headers=bearer).status_code == 422
    assert http.post(f"/api/v1/workshops/{too_big}/input", json={"client_id": "x", "text": "y"},
                     headers=bearer).status_code == 400
    assert http.get("/api/v1/events", params={"page": 10**30}).status_code == 400


# --- the fuzzing ---------------------------------------------------------------------------------------------


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
    """Half of the cases about a subject that exists, so they get past 404."""
    known = SUBJECTS.get((context.operation.method.upper(), context.operation.path))
    if not known or not path_parameters:
        return st.just(path_parameters)
    return st.sampled_from([path_parameters, {**path_parameters, **known}])


def _aim(case: Any) -> Any:
    """A case of an operation that changes or ends its subject, naming another existing subject, is sent to
    the operation's own spare subject instead."""
    key = (case.operation.method.upper(), case.operation.path)
    if key in CHANGING and any(str(value) in EXISTING.get(name, ()) for name, value in case.path_parameters.items()):
        case.path_parameters = {**case.path_parameters, **SUBJECTS[key]}
    return case


@schema.parametrize()
@FUZZ
def test_anonymous(case: Any) -> None:
    CASES["anonymous"] += 1
    _aim(case).call_and_validate(checks=CHECKS)


@schema.parametrize()
@FUZZ
def test_with_an_administrators_token(case: Any, tokens: dict[str, str]) -> None:
    CASES["admin"] += 1
    _aim(case).call_and_validate(headers={"Authorization": f"Bearer {tokens['admin']}"}, checks=CHECKS)


@schema.parametrize()
@FUZZ
def test_with_a_check_in_token(case: Any, tokens: dict[str, str]) -> None:
    CASES["checkin"] += 1
    _aim(case).call_and_validate(headers={"Authorization": f"Bearer {tokens['checkin']}"}, checks=CHECKS)


"""Every write endpoint of the JSON API (and the JSON the pages' scripts send) gets the corpus as JSON: never a
500; a refusal is a translated error body that wrote nothing; accepted text is stored as sent. The fields and
their types come from the OpenAPI schema, so a new field is in the corpus without anyone listing it.
"""

from __future__ import annotations

import itertools
import string
import uuid
from typing import Any

import pytest
from hostile_corpus import ACCEPTABLE, API_BASES, BARE_REFUSALS, NOT_STORED, NOT_STORED_ON, api_cases
from hostile_support import Sender, fill, judge, snapshot
from hostile_world import path_values
from staff_support import csrf_from

# DELETE last: it removes what the other routes of its path are about.
API_ROUTES = sorted(API_BASES, key=lambda route: (route[0] == "DELETE", route[1], route[0]))
_numbers = itertools.count(1)


def _schema_of(app, method: str, route: str) -> tuple[dict[str, dict], list[str]]:
    """The request body's properties and required names, from the OpenAPI schema (none for the pages' JSON)."""
    schema = app.openapi_schema.to_schema()
    operation = schema["paths"].get(route.replace(":int", "").replace(":str", ""), {}).get(method.lower(), {})
    content = (operation.get("requestBody") or {}).get("content", {}).get("application/json")
    if content is None:
        return {}, []
    body = content["schema"]
    while "$ref" in body:
        body = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    properties = {name: _resolved(schema, value) for name, value in body.get("properties", {}).items()}
    return properties, body.get("required", [])


def _resolved(schema: dict, value: dict) -> dict:
    while "$ref" in value:
        value = schema["components"]["schemas"][value["$ref"].rsplit("/", 1)[1]]
    return value


def _substituted(value: Any, world: dict[str, Any]) -> Any:
    """A base body with the world's values in it (``${name}`` alone in a string is the value itself)."""
    if isinstance(value, dict):
        return {key: _substituted(item, world) for key, item in value.items()}
    if isinstance(value, list):
        return [_substituted(item, world) for item in value]
    if isinstance(value, str):
        if value.startswith("${") and value.endswith("}") and value[2:-1] in world:
            return world[value[2:-1]]
        return string.Template(value).safe_substitute(world)
    return value


def _fresh(value: Any, number: int) -> Any:
    if isinstance(value, dict):
        return {key: _fresh(item, number) for key, item in value.items()}
    if isinstance(value, list):
        return [_fresh(item, number) for item in value]
    if isinstance(value, str):
        return value.replace("{n}", str(number)).replace("{uuid}", str(uuid.uuid4()))
    if isinstance(value, bytes):
        return value.replace(b"{n}", str(number).encode()).replace(b"{uuid}", str(uuid.uuid4()).encode())
    return value


async def test_every_write_endpoint_has_a_body_in_the_corpus(app):
    """The schema's write operations are the corpus' (a new endpoint needs a base body in ``API_BASES``)."""
    schema = app.openapi_schema.to_schema()
    operations = {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops
                  if method in {"post", "put", "patch", "delete"}}
    listed = {(method, path.replace(":int", "").replace(":str", "")) for method, path in API_BASES
              if path.startswith("/api/")}
    assert operations == listed


@pytest.mark.parametrize("route", API_ROUTES, ids=[f"{method} {path}" for method, path in API_ROUTES])
async def test_the_corpus_through_the_api(route, app, world, admin, public):
    method, pattern = route
    auth, base = API_BASES[route]
    if auth == "session":
        page = f"/staff/checkin/{world['event_id']}"
        sender = Sender(admin, csrf_header=csrf_from((await admin.get(page)).text), script=True)
    else:
        sender = Sender(public, bearer=world["api_token"] if auth == "bearer" else None, script=True)
    spare = world["spend"].get(pattern)
    path = fill(pattern, path_values(world, pattern))
    properties, required = _schema_of(app, method, pattern)
    if base is not None:
        base = _substituted(base, world)
        properties = properties or {name: {"type": "string"} for name in base}
    problems = []
    limits = app.stores.get("ratelimit")
    after = await snapshot()  # each case's "after" is the next one's "before": nothing else writes between
    for case in api_cases(base, properties, required):
        number = next(_numbers)
        case.json, case.body = _fresh(case.json, number), _fresh(case.body, number)
        await limits.delete_all()
        before = after
        response = await sender.send(method, spare[0] if spare else path, case)
        after = await snapshot()
        problems += await judge(case, response, before, after, acceptable=ACCEPTABLE,
                                not_stored=NOT_STORED | NOT_STORED_ON.get(pattern, set()), bare=route in BARE_REFUSALS)
        if "json" not in response.headers.get("content-type", "") and response.status_code != 204:
            problems.append(f"{case.label}: answered {response.headers.get('content-type')}, not JSON")
        if spare and response.status_code < 400 and len(spare) > 1:
            spare.pop(0)
    assert not problems, f"{method} {pattern} ({path}):\n" + "\n".join(problems)

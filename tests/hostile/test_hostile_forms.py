"""Every form of the app, found on its pages, gets the whole corpus: never a 500; a refusal is a translated
4xx that wrote nothing; what is accepted is stored as sent (or normalised as documented), and a hostile number,
date or choice is never stored. Last, every page is read again: what was stored shows, escaped, without a 500.
"""

from __future__ import annotations

import itertools
import string
import uuid
from typing import Any

import pytest
from hostile_corpus import (
    ACCEPTABLE,
    FORM_BASES,
    NO_FIELDS,
    NOT_STORED,
    NOT_STORED_ON,
    REFUSAL_WRITES,
    SCRIPT_ROUTES,
    file_cases,
    form_cases,
)
from hostile_support import (
    Field,
    Form,
    Sender,
    discover_forms,
    forms_on,
    judge,
    read_every_page,
    route_of,
    snapshot,
    write_routes,
)
from hostile_world import target_path
from staff_support import csrf_from

# Forms shown only in answer to another form: how to get there (the route, and what to post first).
FOLLOWING = {
    "/staff/workshops/{workshop_id:int}/notes/save": (
        "/staff/workshops/{workshop_id}/notes", ("notes.csv", b"text,kind\nA ramp at the door,idea\n", "text/csv")),
}


def _routes() -> list[str]:
    from samrad.app import create_app

    return [path for method, path in write_routes(create_app())
            if method == "POST" and not path.startswith("/api/") and (method, path) not in NO_FIELDS | SCRIPT_ROUTES]


FORM_ROUTES = _routes()
_numbers = itertools.count(1)


@pytest.fixture(scope="module")
async def forms(app, world, admin, public) -> dict[str, Form]:
    """The first form found for each write route."""
    patterns = [path for _method, path in write_routes(app)]
    found: dict[str, Form] = {}
    for form in await discover_forms(app, world, admin, public):
        route = route_of(form.action, patterns) if form.method == "POST" else None
        if route is not None:
            found.setdefault(route, form)
    return found


def _staff(route: str) -> bool:
    return route.startswith("/staff") and not route.startswith(("/staff/login", "/staff/password", "/staff/welcome"))


def _with_base(form: Form, base: dict[str, Any], world: dict[str, Any]) -> Form:
    """The form with valid values where it starts empty (see ``FORM_BASES``)."""
    fields = {field.name: field for field in form.fields}
    for name, value in base.items():
        values = [string.Template(v).substitute(world) for v in ([value] if isinstance(value, str) else value)]
        if name in fields:
            fields[name].values = values
        else:
            fields[name] = Field(name, "text", values)
    return Form(form.method, form.action, form.page, form.enctype, list(fields.values()))


def _fresh(case, number: int) -> None:
    """Values that must differ from one case to the next (an address registers once, a client id is stored
    once, a code is unique): each case gets its own, unless the case is about that field."""
    if case.pairs is not None:
        fresh = []
        for key, value in case.pairs:
            if key != case.field and key == "client_id":
                value = str(uuid.uuid4())
            elif key != case.field:
                value = value.replace("{n}", str(number))
            fresh.append((key, value))
        case.pairs = fresh
    if case.files is not None:
        case.files = {key: (name, content.replace(b"{n}", str(number).encode()), kind)
                      for key, (name, content, kind) in case.files.items()}


async def _following_form(client, route: str, world: dict[str, Any]) -> Form:
    """Post what shows the form (a file to preview), and take the form from the answer."""
    page_pattern, upload = FOLLOWING[route]
    page = page_pattern.format(**world)
    csrf = csrf_from((await client.get(page)).text)
    answer = await client.post(page, data={"_csrf_token": csrf}, files={"file": upload})
    assert answer.status_code == 200, answer.text[:500]
    return next(form for form in forms_on(answer.text, page) if form.action.split("#")[0].endswith("/save"))


@pytest.mark.parametrize("route", FORM_ROUTES)
async def test_the_corpus_through_the_form(route, app, forms, world, admin, public):
    client = admin if _staff(route) else public
    form = await _following_form(client, route, world) if route in FOLLOWING else forms.get(route)
    assert form is not None, f"no page shows a form for {route}: make the world show one, or list it in FOLLOWING"
    sender = Sender(client, csrf=csrf_from((await client.get(form.page)).text))
    spare = world["spend"].get(route)  # subjects an accepted case uses up: the next one after each
    path = target_path(world, route, form.action)
    if route in FORM_BASES:
        form = _with_base(form, FORM_BASES[route], world)
    problems = []
    limits = app.stores.get("ratelimit")
    after = await snapshot()  # each case's "after" is the next one's "before": nothing else writes between
    for case in [*form_cases(form), *file_cases(route, form)]:
        _fresh(case, next(_numbers))
        if route in FOLLOWING and case.pairs is not None and case.field != "token":
            # Each case previews again: a preview is saved once.
            token = dict((await _following_form(client, route, world)).browser_data())["token"]
            case.pairs = [(key, token if key == "token" else value) for key, value in case.pairs]
        await limits.delete_all()
        before = after
        response = await sender.send("POST", spare[0] if spare else path, case)
        after = await snapshot()
        problems += await judge(case, response, before, after, acceptable=ACCEPTABLE,
                                not_stored=NOT_STORED | NOT_STORED_ON.get(route, set()),
                                refusal_writes=REFUSAL_WRITES.get(route, ()))
        if spare and response.status_code < 400 and len(spare) > 1:
            spare.pop(0)
    assert not problems, f"{route} ({path}):\n" + "\n".join(problems)


async def test_every_page_shows_what_the_corpus_stored_as_text(app, world, admin, public):
    """Last: whatever the forms accepted (markup, formulas, far dates, right-to-left text) is in the database
    now; every page, file and export still answers, and shows it as text."""
    problems = await read_every_page(app, world, admin, public)
    assert not problems, "\n".join(problems)

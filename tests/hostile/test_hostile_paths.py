"""Every route of the app, with each parameter of its path replaced by the corpus: ids beyond any column,
negative ones, NUL, bytes that are not UTF-8, markup, SQL, right-to-left and very long codes and tokens.
Never a 500; a refusal is translated and wrote nothing; no page shows the markup as markup.
"""

from __future__ import annotations

import re

import pytest
from hostile_corpus import BARE_REFUSALS
from hostile_support import Case, Sender, all_routes, fill, judge, markup_problems, snapshot
from hostile_world import path_values
from staff_support import csrf_from

INT_VALUES = {"int32_overflow": "2147483648", "int64_overflow": "9223372036854775808",
              "huge": "9" * 30, "negative": "-1"}
TEXT_VALUES = {"nul": "%00", "invalid_utf8": "%FF%FE", "script": "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
               "sql_quote": "x'%20OR%20'1'%3D'1", "rtl": "%E2%80%AEabc", "long": "x" * 2000}
PARAMETER = re.compile(r"\{(\w+):(\w+)\}")


def _routes() -> list[tuple[str, str]]:
    from samrad.app import create_app

    return [(method, path) for method, path in all_routes(create_app())
            if PARAMETER.search(path) and not path.startswith(("/static", "/schema")) and not path.endswith("/stream")]


ROUTES = _routes()


@pytest.mark.parametrize("route", ROUTES, ids=[f"{method} {path}" for method, path in ROUTES])
async def test_the_corpus_in_the_path(route, app, world, admin, public):
    method, pattern = route
    staff = pattern.startswith(("/staff", "/api/v1/staff")) and not pattern.startswith(
        ("/staff/login", "/staff/password", "/staff/welcome"))
    client = admin if staff else public
    if pattern.startswith("/api/"):
        sender = Sender(public, bearer=world["api_token"])
    else:
        sender = Sender(client, csrf=csrf_from((await client.get("/staff/login" if not staff else "/staff")).text))
    problems = []
    after = await snapshot() if method != "GET" else {}  # a case's "after" is the next one's "before"
    for name, kind in PARAMETER.findall(pattern):
        for cls, value in (INT_VALUES if kind == "int" else TEXT_VALUES).items():
            path = fill(pattern, {**path_values(world, pattern), name: value})
            case = Case(f"{{{name}}}={cls}", cls, json={} if pattern.startswith("/api/") else None,
                        pairs=None if pattern.startswith("/api/") else [])
            before = after
            if method == "GET":
                response = await client.get(path)
            else:
                response = await sender.send(method, path, case)
                after = await snapshot()
            problems += await judge(case, response, before, after, acceptable=(), not_stored=(),
                                    bare=route in BARE_REFUSALS)
            problems += markup_problems(path, response)
    assert not problems, f"{method} {pattern}:\n" + "\n".join(problems)

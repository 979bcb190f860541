"""Every page and GET endpoint, with the corpus in each query parameter it reads: the parameters its handler
declares, the ones its code reads from ``request.query_params``, and the fields of the GET forms (filters,
searches) that lead to it. Never a 500; a refusal is translated; no page shows the markup as markup.
"""

from __future__ import annotations

import inspect
import re
from urllib.parse import quote

import pytest
from hostile_support import DOOR_PAGES, discover_forms, error_texts, fill, markup_problems, route_of, untranslated
from hostile_world import path_values

# Escaped as they go in a query string ("%FF%FE" are bytes that are no UTF-8).
QUERY_VALUES = {
    "script": quote("<script>alert(1)</script>"),
    "nul": "%00",
    "invalid_utf8": "%FF%FE",
    "sql_like": quote("100%_'--"),
    "rtl": quote("\u202eabc שלום"),
    "long": "x" * 5000,
    "huge": "9" * 30,
    "int64_overflow": str(2**63),
    "superscript": quote("²"),
    "negative": "-1",
    "year_1": "0001-01-01",
    "year_9999": "9999-12-31",
    "february_30": "2026-02-30",
}
READS = re.compile(r"""query_params\.(?:get|getall)\(\s*["'](\w+)["']""")
# Parameters Litestar fills that are not query parameters.
SPECIAL = {"request", "state", "scope", "data", "headers", "cookies", "query", "socket", "body"}


def _pages() -> list[str]:
    from samrad.app import create_app

    app = create_app()
    return sorted({route.path for route in app.routes for handler in getattr(route, "route_handlers", [])
                   if "GET" in getattr(handler, "http_methods", ()) and not route.path.startswith(("/static",
                   "/schema")) and not route.path.endswith("/stream")})


PAGES = _pages()


def _declared(app, pattern: str) -> set[str]:
    """The query parameters a route's handler declares, and those its code reads itself."""
    names = {"lang"}
    for route in app.routes:
        if route.path != pattern:
            continue
        for handler in getattr(route, "route_handlers", []):
            if "GET" not in getattr(handler, "http_methods", ()):
                continue
            dependencies = set(handler.resolve_dependencies())
            path_names = set(re.findall(r"\{(\w+):", pattern))
            for name, parameter in handler.parsed_fn_signature.parameters.items():
                if name in SPECIAL | dependencies | path_names:
                    continue
                names.add(getattr(parameter.kwarg_definition, "query", None) or name)
            try:
                names |= set(READS.findall(inspect.getsource(handler.fn)))
            except (OSError, TypeError):
                pass
    return names


@pytest.fixture(scope="module")
async def form_names(app, world, admin, public) -> dict[str, set[str]]:
    """The fields of the GET forms that lead to each route."""
    found: dict[str, set[str]] = {}
    for form in await discover_forms(app, world, admin, public):
        route = route_of(form.action, PAGES) if form.method == "GET" else None
        if route is not None:
            found.setdefault(route, set()).update(field.name for field in form.fields)
    return found


@pytest.mark.parametrize("pattern", PAGES)
async def test_the_corpus_in_the_query(pattern, app, world, admin, public, form_names):
    staff = pattern.startswith(("/staff", "/api/v1/staff", "/api/v1/me", "/api/v1/input")) and not \
        DOOR_PAGES.match(pattern)
    client = admin if staff else public
    path = fill(pattern, path_values(world, pattern))
    names = sorted(_declared(app, pattern) | form_names.get(pattern, set()))
    problems = []
    for name in names:
        for cls, value in [*QUERY_VALUES.items(), ("duplicated", f"1&{name}=2")]:
            url = f"{path}?{name}={value}"
            response = await client.get(url)
            label = f"?{name}={cls}"
            if response.status_code >= 500:
                problems.append(f"{label}: {response.status_code}")
            elif response.status_code >= 400:
                texts = error_texts(response)
                if not texts:
                    problems.append(f"{label}: {response.status_code} without a message")
                elif left := untranslated(texts):
                    problems.append(f"{label}: {response.status_code} with untranslated messages {left}")
            problems += markup_problems(label, response)
    assert not problems, f"{pattern} ({path}, {', '.join(names)}):\n" + "\n".join(problems)


SEARCHES = [
    ("/staff/events/{ahead_event_id}/registrations", "Hostile Person"),
    ("/staff/checkin/{ahead_event_id}", "Hostile Person"),
    ("/api/v1/staff/events/{ahead_event_id}/registrations", "Hostile Person"),
    ("/staff/input", "benches"),
    ("/api/v1/input", "benches"),
]


@pytest.mark.parametrize(("page", "marker"), SEARCHES, ids=[page for page, _marker in SEARCHES])
async def test_sql_wildcards_in_a_search_find_only_themselves(page, marker, world, admin):
    """``%`` and ``_`` are searched for as the characters they are: they match nothing in the world."""
    path = page.format(**world)

    async def shown(q: str) -> int:
        response = await admin.get(path, params={"q": q})
        assert response.status_code == 200, (path, q, response.status_code)
        return response.text.count(marker)

    nothing = await shown("zzqqxx")
    assert await shown("Hostile" if "Hostile" in marker else "benches") > nothing, "the search should find some"
    for wildcard in ("%", "_", "%%", "_%_", "'", "' OR '1'='1"):
        assert await shown(wildcard) == nothing, (path, wildcard)

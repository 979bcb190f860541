"""The corpus covers every route that takes input, read from the app itself: a new form or endpoint is never
silently left out. Forms are found on the pages (``test_hostile_forms.py`` fails for a form route no page
shows); the API and the pages' scripts need a base body in ``API_BASES``; only routes that read no input at all
may be left out, each with the reason in ``NO_FIELDS``.
"""

from __future__ import annotations

from hostile_corpus import API_BASES, BARE_REFUSALS, FILE_SAMPLES, FORM_BASES, NO_FIELDS, NOT_STORED_ON, SCRIPT_ROUTES
from hostile_support import write_routes


async def test_every_write_route_is_in_the_corpus(app):
    uncovered = []
    for method, path in write_routes(app):
        if (method, path) in NO_FIELDS:
            continue
        if path.startswith("/api/") or (method, path) in SCRIPT_ROUTES:
            if (method, path) not in API_BASES:
                uncovered.append((method, path, "no base body in API_BASES"))
        elif method != "POST":
            uncovered.append((method, path, "a page's route that no HTML form can send"))
    assert not uncovered, uncovered


async def test_the_corpus_names_only_routes_that_exist(app):
    routes = set(write_routes(app))
    paths = {path for _method, path in routes}
    stale = (set(API_BASES) | NO_FIELDS | SCRIPT_ROUTES | BARE_REFUSALS) - routes
    stale |= {(None, path) for path in {*FORM_BASES, *NOT_STORED_ON, *FILE_SAMPLES} - paths}
    assert not stale, stale

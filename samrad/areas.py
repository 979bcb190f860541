"""The areas of this installation, lowest layer first: the one list the composition layer iterates.

An area may import the areas before it in this list and the kernel (``samrad.core``), never one after it;
``tests/test_layering.py`` enforces that order from the imports themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from events.area import AREA as EVENTS
from feedback.area import AREA as FEEDBACK
from samrad.core.area import Area
from samrad.core.mail import MailRenderer
from samrad.core.security import ScopeCheck
from workshops.area import AREA as WORKSHOPS

AREAS: tuple[Area, ...] = (EVENTS, WORKSHOPS, FEEDBACK)


def provided() -> dict[str, object]:
    """Everything the areas offer each other, by name (see ``Area.provides``)."""
    return _merged("provides", {area.name: area.provides for area in AREAS})


def mail_renderers() -> dict[str, MailRenderer]:
    """Who writes each kind of queued email at send time, by kind or kind prefix (see ``Area.mail_renderers``)."""
    return _merged("renders", {area.name: area.mail_renderers for area in AREAS})


def permission_scopes() -> dict[str, ScopeCheck]:
    """The predicate of each permission scope, from the area whose subjects it is about."""
    return _merged("checks the scopes", {area.name: area.permission_scopes for area in AREAS})


def _merged(verb: str, by_area: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """One mapping from the areas' declarations; a name two areas declare is a configuration error."""
    merged: dict[str, Any] = {}
    for area_name, declared in by_area.items():
        clash = merged.keys() & declared.keys()
        if clash:
            raise RuntimeError(f"{area_name} {verb} {sorted(clash)} again")
        merged.update(declared)
    return merged

"""The areas of this installation, lowest layer first: the one list the composition layer iterates.

An area may import the areas before it in this list and the kernel (``samrad.core``), never one after it;
``tests/test_layering.py`` enforces that order from the imports themselves.
"""

from __future__ import annotations

from events.area import AREA as EVENTS
from feedback.area import AREA as FEEDBACK
from samrad.core.area import Area
from samrad.core.mail import MailRenderer
from workshops.area import AREA as WORKSHOPS

AREAS: tuple[Area, ...] = (EVENTS, WORKSHOPS, FEEDBACK)


def provided() -> dict[str, object]:
    """Everything the areas offer each other, by name (see ``Area.provides``)."""
    offered: dict[str, object] = {}
    for area in AREAS:
        clash = offered.keys() & area.provides.keys()
        if clash:
            raise RuntimeError(f"{area.name} provides {sorted(clash)} again")
        offered.update(area.provides)
    return offered


def mail_renderers() -> dict[str, MailRenderer]:
    """Who writes each kind of queued email at send time, by kind or kind prefix (see ``Area.mail_renderers``)."""
    renderers: dict[str, MailRenderer] = {}
    for area in AREAS:
        clash = renderers.keys() & area.mail_renderers.keys()
        if clash:
            raise RuntimeError(f"{area.name} renders {sorted(clash)} again")
        renderers.update(area.mail_renderers)
    return renderers

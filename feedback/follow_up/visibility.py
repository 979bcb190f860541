"""Which input a reader sees: the one rule every page, export and report of the follow-up applies.

Published input only, unless an organiser asks for held or hidden input as well. Merged items never appear on
their own: their text lives on in the item they were folded into. Public pages never ask, so they show
published input only.
"""

from __future__ import annotations

from collections.abc import Iterable

from feedback.tables import InputStatus

DEFAULT = (InputStatus.published.value,)
# What an organiser may ask to see besides published input.
SELECTABLE = (InputStatus.published.value, InputStatus.held.value, InputStatus.hidden.value)


def visible_statuses(requested: Iterable[str] = ()) -> tuple[str, ...]:
    """The statuses shown for what the reader asked for: published only when they asked for nothing (or only for
    statuses that are never shown), else the statuses they chose, in a fixed order."""
    asked = set(requested)
    chosen = tuple(status for status in SELECTABLE if status in asked)
    return chosen or DEFAULT

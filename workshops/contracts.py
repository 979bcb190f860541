"""What the workshops area expects of the areas above it, and the errors of its own services.

The policy themes a workshop works on and the input captured in it live in the feedback area, which sits above
workshops: workshops never import it. The feedback area provides a ``ThemeLinks`` (``theme_links``) and a
``WorkshopInput`` (``workshop_input``) in ``feedback.area``, and route handlers here receive them by injection
(``ThemeLinksDependency``, ``WorkshopInputDependency``), the way events receives ``seat_plan``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from litestar.di import NamedDependency
from litestar.params import SkipValidation


@dataclass(frozen=True)
class ThemeChoice:
    """A theme that can be chosen, with its sub-themes (a tree of at most three levels)."""

    id: int
    code: str
    name: Mapping[str, str]
    colour: str
    level: int
    archived: bool = False  # only offered while an object still links to it
    children: tuple[ThemeChoice, ...] = ()


@dataclass(frozen=True)
class PolicyThemes:
    """One policy's theme tree, ordered by position."""

    id: int
    name: Mapping[str, str]
    themes: tuple[ThemeChoice, ...] = field(default_factory=tuple)


class UnknownThemes(ValueError):
    """Some of the theme ids cannot be linked (they do not exist, or are archived and not linked already)."""

    def __init__(self, theme_ids: Sequence[int]) -> None:
        super().__init__(f"unknown themes {sorted(theme_ids)}")
        self.theme_ids = tuple(theme_ids)


class ThemeLinks(Protocol):
    """The themes workshops and events work on (``WorkshopTheme``, ``EventTheme``), kept by the feedback area.

    The setters replace the whole set and run inside the caller's ``atomic()`` when there is one.
    """

    async def options(self, keep: Sequence[int] = ()) -> list[PolicyThemes]:
        """Every policy with its themes that are not archived; archived themes in ``keep`` are included too."""
        ...

    async def workshop_themes(self, workshop_ids: Sequence[int]) -> dict[int, list[int]]:
        """Theme ids by workshop id (every asked id is a key)."""
        ...

    async def set_workshop_themes(self, workshop_id: int, theme_ids: Sequence[int]) -> None: ...

    async def event_themes(self, event_id: int) -> list[int]: ...

    async def set_event_themes(self, event_id: int, theme_ids: Sequence[int]) -> None: ...


class WorkshopInput(Protocol):
    """The input captured in workshops (``InputItem``), as far as setting workshops up needs it.

    Removing a workshop or a table keeps its input on the event: the item loses the link to the workshop or
    table, in the caller's transaction, before the row goes (the database would otherwise cascade).
    """

    async def counts(self, workshop_ids: Sequence[int]) -> dict[int, int]:
        """Input items by workshop id (every asked id is a key)."""
        ...

    async def keep_without_workshop(self, workshop_id: int) -> int:
        """Detach the workshop's items from it and its tables; returns how many."""
        ...

    async def keep_without_tables(self, table_ids: Sequence[int]) -> int:
        """Detach the items from these tables (they stay with the workshop); returns how many."""
        ...


ThemeLinksDependency = SkipValidation[NamedDependency[ThemeLinks]]
WorkshopInputDependency = SkipValidation[NamedDependency[WorkshopInput]]


class WorkshopNotFound(LookupError):
    """No workshop (or event) with this id."""

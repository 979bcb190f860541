"""The house rules, checked from the code itself: who may import whom, and where personal data may live.

Layers, lowest first: the kernel ``samrad.core``; the areas in the order of ``samrad.areas.AREAS``
(``events``, ``workshops``, ``feedback``); the composition layer (the other modules of ``samrad``, and
``piccolo_conf``). A module may import its own layer and the ones below it, never one above, and no import
may close a circle. Imports inside functions count like any other.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from samrad.core.settings import ROOT

PACKAGES = ("samrad", "events", "workshops", "feedback")
AREA_ORDER = ("events", "workshops", "feedback")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "piccolo_migrations" not in path.parts:
                yield _module_name(path), path
    yield "piccolo_conf", ROOT / "piccolo_conf.py"


MODULES = dict(_sources())


def _resolve(name: str) -> str | None:
    """The project module an import names (a package's ``__init__`` for a package), or None if it is not ours."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(module: str, path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            target = _resolve(name)
            if target is not None and target != module:
                found.add(target)
    return found


GRAPH = {module: _imports(module, path) for module, path in MODULES.items()}


def layer(module: str) -> int:
    """0 kernel, 1.. the areas in order, then the composition layer."""
    top = module.split(".")[0]
    if module == "samrad.core" or module.startswith("samrad.core."):
        return 0
    if top in AREA_ORDER:
        return 1 + AREA_ORDER.index(top)
    return 1 + len(AREA_ORDER)


async def test_the_area_order_is_the_composition_order():
    from samrad.areas import AREAS

    assert tuple(area.name for area in AREAS) == AREA_ORDER


async def test_the_kernel_imports_no_area_and_no_composition():
    offenders = [
        f"{module} imports {target}"
        for module, targets in GRAPH.items() if layer(module) == 0
        for target in sorted(targets) if layer(target) != 0
    ]
    assert offenders == []


async def test_no_area_imports_one_above_it():
    offenders = [
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        for target in sorted(targets) if layer(target) > layer(module)
    ]
    assert offenders == []


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in graph[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return circles


async def test_no_import_circle():
    assert circles(GRAPH) == []


async def test_the_walk_sees_the_real_imports():
    """Guard the guard: the graph must contain edges we know exist, or every test above passes vacuously."""
    assert "samrad.core.db" in GRAPH["samrad.core.mail"]
    assert "samrad.areas" in GRAPH["samrad.app"]
    assert "events.tables" in GRAPH["workshops.tables"]
    assert circles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]


PERSON_COLUMNS = {"email", "to_address", "phone", "pronouns", "diet", "access_needs", "ip_address", "user_agent"}


async def test_personal_data_lives_only_in_tables_an_area_declares():
    """A column that could name a person belongs to a table some area declares as personal data, so it is
    in the person's data download and purged after its retention period. The kernel keeps two of its own:
    staff accounts, and the mail outbox (listed in the download, deleted 30 days after sending)."""
    from piccolo.conf.apps import Finder

    from samrad.areas import AREAS
    from samrad.core.tables import OutboxMessage, StaffUser

    declared = {table for area in AREAS for table in area.personal_data} | {StaffUser, OutboxMessage}
    undeclared = [
        f"{table._meta.tablename}.{column._meta.name}"
        for table in Finder().get_table_classes()
        if table not in declared
        for column in table._meta.columns
        if column._meta.name in PERSON_COLUMNS
    ]
    assert undeclared == []


async def test_input_items_never_point_at_a_person():
    from events.tables import Registration
    from feedback.tables import InputItem
    from samrad.core.tables import StaffUser

    targets = {column._foreign_key_meta.resolved_references for column in InputItem._meta.foreign_key_columns}
    assert not targets & {Registration, StaffUser}

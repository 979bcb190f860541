"""Shared set-up for the themes tests: a small policy tree made through the services."""

from __future__ import annotations

import itertools
from typing import Any

_numbers = itertools.count(1)


def theme_fields(code: str, **overrides: Any) -> dict[str, Any]:
    return {"code": code, "colour": "#1f5f8b", "name": {"en": f"Theme {code}", "da": f"Tema {code}"},
            "description": {}, "keywords": {}, **overrides}


async def make_policy(code: str | None = None) -> int:
    from feedback.themes import services

    return await services.create_policy(
        {"code": code or f"policy-{next(_numbers)}", "kind": "municipal", "name": {"en": "A policy"},
         "description": {}}, "test")


async def make_tree() -> dict[str, int]:
    """A (top) > A1 > A1a, and B (top): ids by code."""
    from feedback.themes import services

    policy_id = await make_policy()
    ids = {"policy": policy_id}
    ids["A"] = await services.create_theme(policy_id, None, theme_fields("A"), "test")
    ids["A1"] = await services.create_theme(policy_id, ids["A"], theme_fields("A1"), "test")
    ids["A1a"] = await services.create_theme(policy_id, ids["A1"], theme_fields("A1a"), "test")
    ids["B"] = await services.create_theme(policy_id, None, theme_fields("B"), "test")
    return ids

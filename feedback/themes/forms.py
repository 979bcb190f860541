"""Parsing the back office's policy and theme forms into checked values, or errors by field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from feedback.tables import PolicyKind
from feedback.themes.taxonomy import (
    CODE_PATTERN,
    DEFAULT_COLOUR,
    MAX_DESCRIPTION,
    MAX_KEYWORD,
    MAX_KEYWORDS,
    MAX_NAME,
    colour_error,
    split_keywords,
)
from samrad.core.i18n import _
from samrad.core.settings import LOCALES

POLICY_FIELDS = ("code", "kind", *(f"name_{lang}" for lang in LOCALES), *(f"description_{lang}" for lang in LOCALES))
THEME_FIELDS = ("code", "colour", *(f"name_{lang}" for lang in LOCALES),
                *(f"description_{lang}" for lang in LOCALES), *(f"keywords_{lang}" for lang in LOCALES))


def fields_of(form: Mapping[str, Any], names: tuple[str, ...], limit: int = 4000) -> dict[str, str]:
    values = {}
    for name in names:
        value = form.get(name, "")
        values[name] = value[:limit].strip() if isinstance(value, str) else ""
    return values


def _texts(values: Mapping[str, str], prefix: str, limit: int, errors: dict[str, str], required: bool
           ) -> dict[str, str]:
    texts = {lang: values[f"{prefix}_{lang}"] for lang in LOCALES if values.get(f"{prefix}_{lang}")}
    for lang, text in texts.items():
        if len(text) > limit:
            errors[f"{prefix}_{lang}"] = _("Write at most %(max)s characters.", max=limit)
    if required and not texts:
        errors[f"{prefix}_{LOCALES[0]}"] = _("Enter a name in at least one language.")
    return texts


def _code(values: Mapping[str, str], errors: dict[str, str]) -> str:
    code = values.get("code", "")
    if not CODE_PATTERN.match(code):
        errors["code"] = _("Enter a code of 1 to 40 letters, digits, dots, hyphens or underscores, such as R1.2.")
    return code


def parse_policy(values: Mapping[str, str]) -> dict[str, Any] | dict[str, str]:
    """The policy's fields, or errors by field (a dict of strings with ``"__errors__"`` set)."""
    errors: dict[str, str] = {}
    code = _code(values, errors)
    kind = values.get("kind", "")
    if kind not in {k.value for k in PolicyKind}:
        errors["kind"] = _("Choose what kind of policy this is.")
    name = _texts(values, "name", MAX_NAME, errors, required=True)
    description = _texts(values, "description", MAX_DESCRIPTION, errors, required=False)
    if errors:
        return {"__errors__": errors}
    return {"code": code, "kind": kind, "name": name, "description": description}


def parse_theme(values: Mapping[str, str]) -> dict[str, Any]:
    """The theme's fields, or ``{"__errors__": {...}}``."""
    errors: dict[str, str] = {}
    code = _code(values, errors)
    colour = (values.get("colour") or DEFAULT_COLOUR).lower()
    if problem := colour_error(colour):
        errors["colour"] = problem[0].upper() + problem[1:]
    name = _texts(values, "name", MAX_NAME, errors, required=True)
    description = _texts(values, "description", MAX_DESCRIPTION, errors, required=False)
    keywords = {}
    for lang in LOCALES:
        words = split_keywords(values.get(f"keywords_{lang}", ""))
        if len(words) > MAX_KEYWORDS or any(len(word) > MAX_KEYWORD for word in words):
            errors[f"keywords_{lang}"] = _("Enter at most %(count)s keywords of at most %(length)s characters each.",
                                            count=MAX_KEYWORDS, length=MAX_KEYWORD)
        elif words:
            keywords[lang] = words
    if errors:
        return {"__errors__": errors}
    return {"code": code, "colour": colour, "name": name, "description": description, "keywords": keywords}


def policy_values(policy: Mapping[str, Any]) -> dict[str, str]:
    values = {"code": policy["code"], "kind": policy["kind"]}
    for lang in LOCALES:
        values[f"name_{lang}"] = (policy["name"] or {}).get(lang, "")
        values[f"description_{lang}"] = (policy["description"] or {}).get(lang, "")
    return values


def theme_values(theme: Mapping[str, Any]) -> dict[str, str]:
    values = {"code": theme["code"], "colour": theme["colour"]}
    for lang in LOCALES:
        values[f"name_{lang}"] = (theme["name"] or {}).get(lang, "")
        values[f"description_{lang}"] = (theme["description"] or {}).get(lang, "")
        values[f"keywords_{lang}"] = "; ".join((theme["keywords"] or {}).get(lang, []))
    return values

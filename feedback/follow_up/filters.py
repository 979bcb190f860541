"""The input browser's filters, read from a URL's query (the page, the exports and ``GET /api/v1/input`` share
them, so a bookmarked view exports exactly what it shows) and written back into one.

Query parameters: ``policy`` and ``theme`` (ids), ``subthemes`` (1: include the theme's sub-themes), ``event``,
``workshop`` (ids), ``kind``, ``source``, ``status`` (repeatable or comma-separated; published, held, hidden),
``from`` and ``to`` (dates, ISO), ``q`` (words the text contains).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from urllib.parse import urlencode

from feedback.follow_up.visibility import SELECTABLE, visible_statuses
from feedback.tables import InputKind, InputSource
from samrad.core.i18n import _
from samrad.core.inputs import plausible

MAX_QUERY_LENGTH = 200
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class InputFilter:
    policy: int | None = None
    theme: int | None = None
    subthemes: bool = True
    event: int | None = None
    workshop: int | None = None
    kind: str = ""
    source: str = ""
    statuses: tuple[str, ...] = field(default_factory=visible_statuses)
    date_from: date | None = None
    date_to: date | None = None
    q: str = ""

    def query(self, **overrides: object) -> dict[str, str | list[str]]:
        """The filter as query parameters (only what differs from the defaults), for links and bookmarks."""
        current = replace(self, **overrides) if overrides else self
        params: dict[str, str | list[str]] = {}
        for name in ("policy", "theme", "event", "workshop"):
            if (value := getattr(current, name)) is not None:
                params[name] = str(value)
        if current.theme is not None:
            params["subthemes"] = "1" if current.subthemes else "0"
        for name in ("kind", "source", "q"):
            if value := getattr(current, name):
                params[name] = value
        if current.statuses != visible_statuses():
            params["status"] = list(current.statuses)
        if current.date_from:
            params["from"] = current.date_from.isoformat()
        if current.date_to:
            params["to"] = current.date_to.isoformat()
        return params

    def query_string(self, **overrides: object) -> str:
        return urlencode(self.query(**overrides), doseq=True)

    @property
    def shows_all_statuses(self) -> bool:
        return self.statuses != visible_statuses()


def _values(params: Mapping[str, Sequence[str]], name: str) -> list[str]:
    return [value.strip() for value in params.get(name, []) if isinstance(value, str)]


def _one(params: Mapping[str, Sequence[str]], name: str) -> str:
    values = _values(params, name)
    return values[-1] if values else ""


def parse_filter(params: Mapping[str, Sequence[str]]) -> tuple[InputFilter, dict[str, str]]:
    """The filter a query asks for and, per parameter, what is wrong with it (an empty dict when nothing is).

    A wrong value is left out of the filter, so the page can show the rest while it says what to correct.
    """
    errors: dict[str, str] = {}
    values: dict[str, object] = {}
    for name in ("policy", "theme", "event", "workshop"):
        raw = _one(params, name)
        if not raw:
            continue
        if raw.isdecimal() and 0 < int(raw) <= MAX_ID:
            values[name] = int(raw)
        else:
            errors[name] = _("Choose from the list (a number was expected).")
    subthemes = _one(params, "subthemes")
    if subthemes not in {"", "0", "1", "true", "false"}:
        errors["subthemes"] = _("Say whether sub-themes are included: 1 or 0.")
    values["subthemes"] = subthemes not in {"0", "false"}
    for name, allowed in (("kind", {k.value for k in InputKind}), ("source", {s.value for s in InputSource})):
        raw = _one(params, name)
        if raw and raw not in allowed:
            errors[name] = _("Choose one of the options given.")
        elif raw:
            values[name] = raw
    requested = [part.strip() for value in _values(params, "status") for part in value.split(",") if part.strip()]
    if any(status not in SELECTABLE for status in requested):
        errors["status"] = _("Choose published, held or hidden.")
    values["statuses"] = visible_statuses(requested)
    for name, key in (("from", "date_from"), ("to", "date_to")):
        raw = _one(params, name)
        if not raw:
            continue
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            day = None
        if day is None or not plausible(day):
            errors[name] = _("Enter a date as YYYY-MM-DD, for example 2026-08-23.")
        else:
            values[key] = day
    if values.get("date_from") and values.get("date_to") and values["date_from"] > values["date_to"]:
        errors["to"] = _("The end date must not be before the start date.")
        values.pop("date_to")
    q = " ".join(_one(params, "q").split())
    if len(q) > MAX_QUERY_LENGTH:
        errors["q"] = _("Search for at most %(max)s characters.", max=MAX_QUERY_LENGTH)
        q = q[:MAX_QUERY_LENGTH]
    values["q"] = q
    return InputFilter(**values), errors  # type: ignore[arg-type]

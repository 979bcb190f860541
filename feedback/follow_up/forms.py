"""Reading the follow-up forms: an action's details, a status change, an evaluation's questions and answers,
headcounts. Each returns the values and the errors per field (translated), never raises on bad input."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from feedback.follow_up.services import ActionDetails, StatusChange, as_int
from samrad.core.i18n import _
from samrad.core.inputs import plausible
from samrad.core.settings import LOCALES
from samrad.core.staff import form_value


def translations(form: Mapping[str, Any], prefix: str, limit: int) -> dict[str, str]:
    """``title_da``, ``title_sv``, ``title_en`` → {"da": ..., ...} (empty languages left out)."""
    return {lang: text for lang in LOCALES if (text := form_value(form, f"{prefix}_{lang}", limit + 1).strip())}


def action_details(form: Mapping[str, Any]) -> tuple[ActionDetails | None, dict[str, str]]:
    errors: dict[str, str] = {}
    theme = as_int(form_value(form, "theme", 12))
    if theme is None:
        errors["theme"] = _("Choose the policy theme the action belongs to.")
    unit_raw = form_value(form, "responsible_unit", 12)
    unit = as_int(unit_raw)
    if unit_raw and unit is None:
        errors["responsible_unit"] = _("Choose the responsible unit from the list.")
    due_raw = form_value(form, "due_on", 20).strip()
    due_on = None
    if due_raw:
        try:
            due_on = date.fromisoformat(due_raw)
        except ValueError:
            due_on = None
        if due_on is None or not plausible(due_on):
            errors["due_on"] = _("Enter a date as YYYY-MM-DD, for example 2026-08-23.")
    title = translations(form, "title", 200)
    if not title:
        errors["title"] = _("Give the action a title in at least one language.")
    if errors:
        return None, errors
    return ActionDetails(
        theme=theme, title=title, description=translations(form, "description", 4000),
        responsible_unit=unit, due_on=due_on, public=form_value(form, "public", 3) == "1",
    ), {}


def status_change(form: Mapping[str, Any]) -> tuple[StatusChange | None, dict[str, str]]:
    raw = form_value(form, "progress", 5).strip()
    if not raw.isdecimal() or int(raw) > 100:
        return None, {"progress": _("Enter the progress as a whole number from 0 to 100.")}
    return StatusChange(
        status=form_value(form, "status", 20), progress=int(raw), reason=translations(form, "reason", 4000),
        note=translations(form, "note", 4000),
    ), {}


def action_values(row: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The form's fields filled from an action (or empty for a new one)."""
    values: dict[str, str] = {"status": "proposed", "progress": "0", "public": "1"}
    if row is None:
        return values
    for field in ("title", "description"):
        for lang, text in (row.get(field) or {}).items():
            values[f"{field}_{lang}"] = text
    for lang, text in (row.get("status_reason") or {}).items():
        values[f"reason_{lang}"] = text
    values.update(
        theme=str(row["theme"] or ""), responsible_unit=str(row["responsible_unit"] or ""),
        due_on=row["due_on"].isoformat() if row["due_on"] else "", status=row["status"],
        progress=str(row["progress"]), public="1" if row["public"] else "",
    )
    return values


def submitted(form: Mapping[str, Any]) -> dict[str, str]:
    return {key: form_value(form, key, 4000) for key in form}

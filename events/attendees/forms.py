"""Parsing what organisers submit about participants: export choices, badge sheets, filters carried in forms.

Registrations themselves (editing one, registering someone who phoned in) are parsed by the public form's rules,
``events.registration.forms``, so a staff member cannot store what a participant could not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from samrad.core.exports import FORMATS
from samrad.core.i18n import N_

# Export columns: key → English label (translated when written). Needs and diet are personal health data:
# they are offered only for non-sensitive events and only when the organiser asks for them by name.
EXPORT_COLUMNS: dict[str, str] = {
    "name": N_("Name"),
    "email": N_("Email address"),
    "status": N_("Status"),
    "category": N_("Group"),
    "unit": N_("Unit or organisation"),
    "workshops": N_("Workshops"),
    "pronouns": N_("Pronouns"),
    "locale": N_("Language"),
    "ticket_code": N_("Ticket code"),
    "checked_in_at": N_("Checked in"),
    "registered_at": N_("Registered"),
    "added_by_staff": N_("Added by staff"),
    "follow_up": N_("Wants to hear about the follow-up"),
}
NEEDS_COLUMNS: dict[str, str] = {
    "access_needs": N_("Access needs"),
    "diet": N_("Food and allergies"),
}
DEFAULT_COLUMNS = ("name", "email", "status", "category", "unit", "workshops", "checked_in_at")

FORMAT_LABELS = {
    "csv-semicolon": N_("CSV with semicolons (Excel in Danish or Swedish)"),
    "csv-comma": N_("CSV with commas"),
    "xlsx": N_("Excel workbook (XLSX)"),
}
assert tuple(FORMAT_LABELS) == FORMATS


@dataclass(frozen=True)
class ExportChoice:
    export_format: str
    columns: tuple[str, ...]
    with_needs: bool


def parse_export(fields: Mapping[str, Any], *, sensitive: bool) -> ExportChoice | dict[str, str]:
    """The format and columns chosen (untranslated messages for what is wrong)."""
    errors: dict[str, str] = {}
    export_format = fields.get("format") or "csv-semicolon"
    if export_format not in FORMATS:
        errors["format"] = N_("Choose one of the file formats.")
    raw = fields.get("columns")
    chosen = raw if isinstance(raw, list) else [raw] if isinstance(raw, str) and raw else list(DEFAULT_COLUMNS)
    columns = tuple(key for key in EXPORT_COLUMNS if key in chosen)
    if any(key not in EXPORT_COLUMNS for key in chosen) or not columns:
        errors["columns"] = N_("Choose at least one column from the list.")
    with_needs = str(fields.get("with_needs") or "") in {"1", "on", "true"}
    if with_needs and sensitive:
        errors["with_needs"] = N_("This is a sensitive event: needs and diets are given as counts only.")
    if errors:
        return errors
    return ExportChoice(export_format, columns, with_needs)


# Badge sheets on A4: common label sizes (width × height in mm, columns × rows per sheet).
BADGE_SIZES: dict[str, tuple[str, int]] = {
    "90x55": (N_("90 × 55 mm, 10 per sheet"), 10),
    "86x54": (N_("86 × 54 mm (card size), 10 per sheet"), 10),
    "100x70": (N_("100 × 70 mm, 8 per sheet"), 8),
    "a6": (N_("A6, 105 × 148 mm, 4 per sheet"), 4),
}
DEFAULT_BADGE_SIZE = "90x55"


def badge_size(raw: str | None) -> str:
    return raw if raw in BADGE_SIZES else DEFAULT_BADGE_SIZE

"""The participant list as a spreadsheet: exactly the filtered rows, the chosen columns, in the page's language.

Rows come from ``events.attendees.queries`` (the same filter as the page); writing them is the kernel's
``samrad.core.exports`` (CSV dialects, XLSX, the formula guard). Needs and diets appear per person only when
the organiser asks for them and the event is not sensitive; otherwise the workbook (and the separate totals
download) gives them as counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from events.attendees.forms import EXPORT_COLUMNS, NEEDS_COLUMNS, ExportChoice
from events.contracts import ACCESS_NEEDS
from events.labels import access_need_label, category_label, registration_status_label
from events.tables import RegistrationStatus
from samrad.core.i18n import _, pick
from samrad.core.settings import LOCALES

LANGUAGE_NAMES = {"da": "Dansk", "sv": "Svenska", "en": "English"}


def _local(value: datetime | None, zone: str) -> datetime | None:
    return value.astimezone(ZoneInfo(zone)).replace(tzinfo=None, microsecond=0) if value else None


def workshop_titles(catalogue: Sequence[Mapping[str, Any]]) -> dict[int, str]:
    return {row["id"]: pick(row["title"]) for row in catalogue}


def _workshops(row: Mapping[str, Any], titles: Mapping[int, str]) -> str:
    parts = []
    for workshop_id, status in row["workshops"]:
        title = titles.get(workshop_id, str(workshop_id))
        parts.append(title if status == "confirmed" else f"{title} ({_('waiting')})")
    return "; ".join(parts)


def _cell(key: str, row: Mapping[str, Any], event: Mapping[str, Any], titles: Mapping[int, str]) -> Any:
    zone = event["timezone"]
    if key == "name":
        return row["name"]
    if key == "email":
        return row["email"]
    if key == "status":
        return registration_status_label(row["status"])
    if key == "category":
        return category_label(row["category"])
    if key == "unit":
        return row["unit_name"] or row["organisation"] or ""
    if key == "workshops":
        return _workshops(row, titles)
    if key == "pronouns":
        return row["pronouns"]
    if key == "locale":
        return LANGUAGE_NAMES.get(row["locale"], row["locale"]) if row["locale"] in LOCALES else row["locale"]
    if key == "ticket_code":
        return row["ticket_code"]
    if key == "checked_in_at":
        return _local(row["checked_in_at"], zone)
    if key == "registered_at":
        return _local(row["created_at"], zone)
    if key == "added_by_staff":
        return _("yes") if row["added_by_staff"] else ""
    if key == "follow_up":
        return _("yes") if row["follow_up_opt_in"] else ""
    if key == "access_needs":
        needs = [access_need_label(need) for need in row["access_needs"] if need != "other"]
        if row["access_other"]:
            needs.append(row["access_other"])
        return "; ".join(needs)
    if key == "diet":
        return row["diet"]
    raise KeyError(key)


def header(choice: ExportChoice) -> list[str]:
    labels = [_(EXPORT_COLUMNS[key]) for key in choice.columns]
    if choice.with_needs:
        labels += [_(label) for label in NEEDS_COLUMNS.values()]
    return labels


def rows(
    choice: ExportChoice, matching: Sequence[Mapping[str, Any]], event: Mapping[str, Any], titles: Mapping[int, str]
) -> Iterator[list[Any]]:
    keys = [*choice.columns, *(NEEDS_COLUMNS if choice.with_needs else ())]
    for row in matching:
        yield [_cell(key, row, event, titles) for key in keys]


def needs_totals(matching: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """Counts of access needs and diets among the confirmed rows: a header and rows, never names."""
    confirmed = [row for row in matching if row["status"] == RegistrationStatus.confirmed]
    needs: Counter[str] = Counter(need for row in confirmed for need in row["access_needs"])
    diets: Counter[str] = Counter()
    labels: dict[str, str] = {}
    for row in confirmed:
        text = " ".join((row["diet"] or "").split())
        if text:
            diets[text.casefold()] += 1
            labels.setdefault(text.casefold(), text)
    table: list[list[Any]] = [[_("Participants"), len(confirmed)]]
    table += [[access_need_label(need), needs[need]] for need in ACCESS_NEEDS if needs[need]]
    table += [[_("Food: %(diet)s", diet=labels[key]), count] for key, count in diets.most_common()]
    return [_("What"), _("Count")], table

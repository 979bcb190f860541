"""Translated labels of the follow-up's values: input kinds, sources, statuses, speaker categories and action
statuses, for pages, exports and reports alike."""

from __future__ import annotations

from samrad.core.i18n import N_, _, pgettext

KIND_LABELS = {
    "idea": N_("Idea"),
    "concern": N_("Concern"),
    "question": N_("Question"),
    "experience": N_("Experience"),
    "proposal": N_("Proposal"),
}
SOURCE_LABELS = {
    "facilitator": N_("Written down by a facilitator"),
    "participant": N_("Given by a participant"),
    "import": N_("Imported"),
}
SPEAKER_LABELS = {
    "": N_("Not stated"),
    "citizen": N_("Citizen"),
    "staff": N_("Staff"),
    "leader": N_("Leader"),
    "council_member": N_("Council or board member"),
    "elected_official": N_("Elected official"),
    "partner": N_("Partner"),
}
AUDIENCE_LABELS = {
    "citizen": N_("Citizen"),
    "staff": N_("Staff"),
    "leader": N_("Leader"),
    "council": N_("Council or board member"),
    "elected": N_("Elected official"),
    "partner": N_("Partner"),
}
ACTION_STATUSES = ("proposed", "planned", "in_progress", "done", "declined")


def kind_label(value: str) -> str:
    return _(KIND_LABELS[value]) if value in KIND_LABELS else value


def source_label(value: str) -> str:
    return _(SOURCE_LABELS[value]) if value in SOURCE_LABELS else value


def speaker_label(value: str) -> str:
    return _(SPEAKER_LABELS[value]) if value in SPEAKER_LABELS else value


def audience_label(value: str) -> str:
    return _(AUDIENCE_LABELS[value]) if value in AUDIENCE_LABELS else value


def input_status_label(value: str) -> str:
    labels = {
        "published": pgettext("input status", "Published"),
        "held": pgettext("input status", "Held for moderation"),
        "hidden": pgettext("input status", "Hidden"),
        "merged": pgettext("input status", "Merged"),
    }
    return labels.get(value, value)


def action_status_label(value: str) -> str:
    labels = {
        "proposed": pgettext("action status", "Proposed"),
        "planned": pgettext("action status", "Planned"),
        "in_progress": pgettext("action status", "In progress"),
        "done": pgettext("action status", "Done"),
        "declined": pgettext("action status", "Declined"),
    }
    return labels.get(value, value)


def labels_context() -> dict[str, object]:
    """What templates need to label values."""
    return {
        "kind_label": kind_label, "source_label": source_label, "speaker_label": speaker_label,
        "input_status_label": input_status_label, "action_status_label": action_status_label,
        "audience_label": audience_label, "kinds": list(KIND_LABELS), "sources": list(SOURCE_LABELS),
        "action_statuses": ACTION_STATUSES,
    }

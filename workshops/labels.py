"""Translated labels the workshop pages share."""

from __future__ import annotations

from samrad.core.i18n import N_, _
from samrad.core.tables import Role

ROLE_LABELS = {
    Role.admin.value: N_("administrator"),
    Role.organiser.value: N_("organiser"),
    Role.facilitator.value: N_("facilitator"),
    Role.checkin.value: N_("check-in"),
}

# The staff navigation and the facilitators' dashboard lead to "My workshops" (``templates/staff``).
MY_WORKSHOPS = N_("My workshops")


def role_label(role: str) -> str:
    return _(ROLE_LABELS[role]) if role in ROLE_LABELS else role

"""The record of processing (docs/record-of-processing.md) says what the code does, and the public can read it.

Every column it names exists; every column of a table about a person, and every column elsewhere that could name
or point at a person, is named in it; the retention periods it gives are the settings' and constants' defaults;
the roles' access is ``PERMISSIONS``. So a new personal column, setting or permission fails here until the record
says what it is for and how long it is kept.
"""

from __future__ import annotations

import importlib
import re
from datetime import timedelta

from test_layering import PERSON_COLUMNS

from samrad.core.settings import ROOT

RECORD = (ROOT / "docs" / "record-of-processing.md").read_text(encoding="utf-8")
DOCUMENTED = set(re.findall(r"^\|\s*`([a-z_]+)\.([a-z_]+)`\s*\|", RECORD, re.MULTILINE))


def _tables():
    from piccolo.conf.apps import Finder

    return Finder().get_table_classes()


def _person_tables() -> set:
    """Tables about a person: the areas' personal data, the kernel's staff, email and audit tables, and every
    table pointing at a registration."""
    from events.tables import Registration
    from samrad.areas import AREAS
    from samrad.core.tables import AccountLink, ApiToken, AuditEntry, OutboxMessage, StaffUser

    declared = {table for area in AREAS for table in area.personal_data}
    pointing = {
        table for table in _tables()
        if any(column._foreign_key_meta.resolved_references is Registration
               for column in table._meta.foreign_key_columns)
    }
    return declared | pointing | {StaffUser, ApiToken, AccountLink, OutboxMessage, AuditEntry}


def _names(table) -> set[tuple[str, str]]:
    return {(table._meta.tablename, column._meta.name)
            for column in table._meta.columns if not column._meta.primary_key}


async def test_every_column_the_record_names_exists():
    existing = set().union(*(_names(table) for table in _tables()))
    assert len(DOCUMENTED) > 50  # the parsing works
    assert sorted(DOCUMENTED - existing) == []


async def test_every_column_of_a_table_about_a_person_is_in_the_record():
    tables = _person_tables()
    assert {table._meta.tablename for table in tables} >= {
        "registration", "digest_subscription", "workshop_seat", "evaluation_invitation", "staff_user",
        "outbox_message", "audit_entry",
    }
    missing = sorted(set().union(*(_names(table) for table in tables)) - DOCUMENTED)
    assert missing == []


async def test_columns_elsewhere_that_could_name_or_point_at_a_person_are_in_the_record():
    from events.tables import Registration
    from samrad.core.tables import StaffUser

    def personal(column) -> bool:
        name = column._meta.name
        reference = getattr(column, "_foreign_key_meta", None)
        return (
            name in PERSON_COLUMNS or "email" in name or "phone" in name or name == "actor"
            or (reference is not None and reference.resolved_references in (Registration, StaffUser))
        )

    tables = _person_tables()
    missing = sorted(
        f"{table._meta.tablename}.{column._meta.name}"
        for table in _tables() if table not in tables
        for column in table._meta.columns
        if personal(column) and (table._meta.tablename, column._meta.name) not in DOCUMENTED
    )
    assert missing == []


async def test_the_retention_periods_are_the_code_defaults(monkeypatch):
    from samrad.core.settings import Settings

    periods = re.findall(r"`(SAMRAD_[A-Z_]+|[a-z_]+(?:\.[a-z_]+)+\.[A-Z_]+)` \| (\d+) days?", RECORD)
    names = {name for name, _days in periods}
    assert {"SAMRAD_RETENTION_DAYS", "SAMRAD_RETENTION_DAYS_SENSITIVE_FIELDS", "SAMRAD_AUDIT_RETENTION_DAYS",
            "SAMRAD_DIGEST_RETENTION_DAYS", "samrad.core.mail.SENT_RETENTION"} <= names
    for name in names:
        if name.startswith("SAMRAD_"):
            monkeypatch.delenv(name, raising=False)
    defaults = Settings.from_env()
    for name, days in periods:
        if name.startswith("SAMRAD_"):
            value = getattr(defaults, name.removeprefix("SAMRAD_").lower())
        else:
            module, _, constant = name.rpartition(".")
            value = getattr(importlib.import_module(module), constant)
        if isinstance(value, timedelta):
            assert value == timedelta(days=value.days), name
            value = value.days
        assert value == int(days), name


async def test_every_setting_the_record_names_exists():
    source = (ROOT / "samrad" / "core" / "settings.py").read_text()
    named = set(re.findall(r"SAMRAD_[A-Z_]+", RECORD))
    assert named and sorted(name for name in named if f'"{name}"' not in source) == []


# Actions that show someone's personal data, and those that do not; a new action must be put in one of them.
PERSONAL_ACTIONS = {"manage_events", "view_registrations", "manage_registrations", "check_in", "moderate_input",
                    "export_feedback", "manage_users", "view_audit"}
OTHER_ACTIONS = {"view_dashboard", "manage_own_account", "create_events", "capture_input", "manage_themes"}


async def test_who_sees_it_is_the_permissions_table():
    from samrad.core.security import PERMISSIONS, Action

    assert {action.value for action in Action} == PERSONAL_ACTIONS | OTHER_ACTIONS
    for role, actions in PERMISSIONS.items():
        [row] = re.findall(rf"^\| `{role.value}` \|(.*)\|$", RECORD, re.MULTILINE)
        documented = set(re.findall(r"`(\w+)` on `(\w+)`", row))
        expected = {(action.value, scope.value) for action, scope in actions.items()
                    if action.value in PERSONAL_ACTIONS}
        assert documented == expected, role


async def test_markdown_is_rendered_without_raw_html_or_script_links():
    from samrad.core.record import render

    html = render("| a |\n|---|\n| <script>alert(1)</script> |\n\n[x](javascript:alert(1)) <img src=x onerror=y>")
    assert '<div class="table-wrap" tabindex="0">\n<table>' in html
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html


async def test_the_privacy_notice_links_to_the_public_record(client):
    notice = await client.get("/privacy", headers={"Accept-Language": "en"})
    assert notice.status_code == 200 and 'href="/privacy/record"' in notice.text
    for language, heading in (("da", "Fortegnelse over behandlingsaktiviteter"),
                              ("sv", "Register över behandlingar"), ("en", "Record of processing activities")):
        page = await client.get("/privacy/record", headers={"Accept-Language": language})
        assert page.status_code == 200
        assert f"<h1>{heading}</h1>" in page.text
        record = page.text.partition('<div class="record" lang="en">')[2]
        assert "<code>registration.access_needs</code>" in record and "<table>" in record
        assert "SAMRAD_RETENTION_DAYS_SENSITIVE_FIELDS" in record
        assert "<script" not in record.partition("</main>")[0]

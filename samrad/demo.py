"""Demo data: the municipal stories behind Samråd, as one realistic installation.

Randers' implementation conference for its gender-equality policy (three themes, four workshops), Katrineholm's
weekly MOGAI café (drop-in, sensitive, with a holiday break), Söderhamn's HBTQ trainings with a 30 % coverage
target per committee and administration, a Värmland network meeting that is full with a waiting list, and a
past dialogue meeting whose input is tagged to the themes and answered by follow-up actions.

Each area holds its own demo data (its ``demo`` module, declared as ``Area.demo``); this module runs those
loaders in rounds in one transaction, then adds the demo staff accounts and prints their passwords once.
"""

from __future__ import annotations

import secrets
from typing import Any

from piccolo.conf.apps import Finder

from samrad.areas import AREAS, provided
from samrad.core import db
from samrad.core.accounts import create_staff_user
from samrad.core.demo_support import DEMO_EMAIL_DOMAIN
from samrad.core.settings import get_settings
from samrad.core.tables import Role, StaffUser

# --- staff accounts -------------------------------------------------------------------------------------------

STAFF = (
    (Role.admin, "Demo Admin"),
    (Role.organiser, "Demo Organiser"),
    (Role.facilitator, "Demo Facilitator"),
    (Role.checkin, "Demo Check-in"),
)


async def _create_staff() -> list[tuple[str, str, str]]:
    """Demo accounts that do not exist yet, with fresh random passwords: (role, email, password)."""
    created = []
    for role, name in STAFF:
        email = f"{role.value}@{DEMO_EMAIL_DOMAIN}"
        if await StaffUser.exists().where(StaffUser.email == email):
            continue
        password = secrets.token_urlsafe(12)
        await create_staff_user(email, name, password, role.value)
        created.append((role.value, email, password))
    return created


def _print_credentials(created: list[tuple[str, str, str]]) -> None:
    base_url = get_settings().base_url
    rule = "=" * 72
    lines = [rule, "  Samråd demo staff accounts – the passwords are shown only this once", rule]
    if created:
        for role, email, password in created:
            lines.append(f"  {role:<12} {email:<36} {password}")
    else:
        lines.append("  The demo accounts already existed; their passwords were not changed.")
    lines += [f"  Log in at {base_url}/staff/login", rule]
    print("\n".join(lines), flush=True)


# --- entry point ----------------------------------------------------------------------------------------------

async def load_demo(only_if_empty: bool = False) -> int:
    """Load the demo; returns a process exit code. With ``only_if_empty`` nothing happens to a database that
    holds anything; without it, a database that already holds the demo (its staff accounts) is left alone."""
    if only_if_empty and await _holds_data():
        return 0
    if await StaffUser.exists().where(StaffUser.email == f"{Role.admin.value}@{DEMO_EMAIL_DOMAIN}"):
        print("The demo data is already loaded; nothing was changed.", flush=True)
        return 1
    # One transaction: the demo is loaded completely or not at all, and one commit keeps it fast.
    async with db.atomic():
        # The staff first: the workshops' demo assigns the demo facilitator to the workshops it runs.
        created = await _create_staff()
        await _load_areas()
    _print_credentials(created)
    return 0


async def _holds_data() -> bool:
    """Whether any table of any registered app has a row: an installation in use gets no demo data."""
    for table in Finder().get_table_classes():
        if await table.exists():
            return True
    return False


async def _load_areas() -> None:
    """Round n runs the n-th demo loader of every area that has one, in the order of ``AREAS``.

    The loaders share one dictionary: it starts with what the areas provide each other (``provided``) and each
    loader adds the ids the later ones need.
    """
    shared: dict[str, Any] = {"provided": provided()}
    rounds = max((len(area.demo) for area in AREAS), default=0)
    for round_number in range(rounds):
        for area in AREAS:
            if round_number < len(area.demo):
                await area.demo[round_number](shared)

"""Demo data for people and roles: each event's team, a colleague invited who has not accepted yet, and the
audit entries these leave, all made through the services (``events.management.lifecycle``,
``samrad.core.account_links``).

The demo organiser runs the conference, the café, the network meeting and the draft training, but not the
Söderhamn trainings nor the past dialogue meeting (another colleague's): logged in as them, those events are
out of reach. The demo check-in account works the door of the conference and the café.
"""

from __future__ import annotations

from typing import Any

from events.management.lifecycle import add_team_member
from samrad.core.account_links import invite
from samrad.core.demo_support import DEMO_EMAIL_DOMAIN
from samrad.core.tables import Role, StaffUser

INVITED = ("Maja Lindqvist", f"maja.lindqvist@{DEMO_EMAIL_DOMAIN}", Role.organiser.value, "sv")
OTHER_ORGANISER = ("Jonas Ek", f"jonas.ek@{DEMO_EMAIL_DOMAIN}", Role.organiser.value, "sv")


async def load(demo: dict[str, Any]) -> None:
    admin = await StaffUser.select().where(StaffUser.email == f"{Role.admin.value}@{DEMO_EMAIL_DOMAIN}").first()
    if admin is None:  # the areas' demo without the composition's staff accounts (some tests load it so)
        return
    organiser = f"{Role.organiser.value}@{DEMO_EMAIL_DOMAIN}"
    checkin = f"{Role.checkin.value}@{DEMO_EMAIL_DOMAIN}"
    for event_id in (demo["conference"], demo["cafe"], demo["network"], demo["draft"]):
        await add_team_member(event_id, organiser, admin["email"])
    for event_id in (demo["conference"], demo["cafe"]):
        await add_team_member(event_id, checkin, admin["email"])
    # The trainings and the dialogue meeting are a colleague's, who was invited and has not set a password yet;
    # another colleague was invited too, as Maja's stand-in.
    name, email, role, locale = OTHER_ORGANISER
    await invite(email, name, role, locale, admin)
    for event_id in (*demo["trainings"], demo["dialogue"]):
        await add_team_member(event_id, email, admin["email"])
    name, email, role, locale = INVITED
    await invite(email, name, role, locale, admin)

"""The demo conference's workshops are set up as an organiser would: tables with names and join codes, the demo
facilitator (and the organiser) assigned, and the policy themes each works on."""

from __future__ import annotations

from feedback.tables import Theme, WorkshopTheme
from samrad.core.demo_support import DEMO_EMAIL_DOMAIN
from samrad.core.tables import StaffUser
from samrad.demo import load_demo
from workshops.join_codes import ALPHABET
from workshops.tables import Workshop, WorkshopFacilitator, WorkshopTable


async def test_the_demo_workshops_have_tables_codes_facilitators_and_themes(capsys):
    assert await load_demo(only_if_empty=False) == 0
    capsys.readouterr()
    workshops = await Workshop.select(Workshop.id, Workshop.join_code)
    assert len(workshops) == 4
    tables = await WorkshopTable.select(WorkshopTable.workshop, WorkshopTable.label, WorkshopTable.join_code)
    assert {t["workshop"] for t in tables} == {w["id"] for w in workshops}
    assert all(t["label"].startswith("Bord ") for t in tables)
    codes = [w["join_code"] for w in workshops] + [t["join_code"] for t in tables]
    assert len(set(codes)) == len(codes) and all(len(c) == 6 and set(c) <= set(ALPHABET) for c in codes)

    facilitator = await StaffUser.select(StaffUser.id).where(
        StaffUser.email == f"facilitator@{DEMO_EMAIL_DOMAIN}"
    ).first()
    assigned = await WorkshopFacilitator.select(WorkshopFacilitator.workshop, WorkshopFacilitator.staff_user)
    assert sum(1 for row in assigned if row["staff_user"] == facilitator["id"]) == 3
    assert len({row["staff_user"] for row in assigned}) == 2, "the demo facilitator and one more"

    linked = await WorkshopTheme.select(WorkshopTheme.workshop, WorkshopTheme.theme.code.as_alias("code"))
    assert {row["workshop"] for row in linked} == {w["id"] for w in workshops}
    assert {row["code"] for row in linked} == {"R1", "R1.1", "R1.2", "R2.1", "R2.2", "R3", "R3.1"}
    assert await Theme.exists()

"""Reports and small-group suppression: the event report, training coverage against headcount and target (with
headcounts per unit and year, and the export), the policy dashboard; every breakdown of people hides groups
smaller than five."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import staff_support
from follow_up_support import make_event, make_item, make_policy
from mailcal_support import make_registration
from staff_support import login_as, post_form

from events.tables import OrgUnit
from feedback.follow_up import reports
from feedback.follow_up.suppression import suppress
from feedback.tables import UnitHeadcount
from samrad.core.clock import now_utc
from samrad.core.i18n import use_locale

client = staff_support.client


async def test_groups_under_five_are_suppressed_and_a_lone_one_takes_the_next_with_it():
    groups = {group.key: group.count for group in suppress({"a": 12, "b": 3, "c": 7, "d": 0})}
    assert groups == {"a": 12, "b": None, "c": None}
    groups = {group.key: group.count for group in suppress({"a": 2, "b": 1, "c": 9})}
    assert groups == {"a": None, "b": None, "c": 9}
    with use_locale("en"):
        assert [group.shown() for group in suppress({"x": 4})] == ["fewer than 5"]
    with use_locale("sv"):
        assert [group.shown() for group in suppress({"x": 4})] == ["färre än 5"]


async def units(*names_and_headcounts) -> list[int]:
    ids = []
    for number, (name, headcount) in enumerate(names_and_headcounts):
        unit = OrgUnit(name=name, code=f"U{number}-{name}", headcount=headcount)
        await unit.save()
        ids.append(unit.id)
    return ids


@pytest.fixture
async def training_year():
    year = now_utc().year
    school, care, town = await units(("Schools", 40), ("Care", 100), ("Town hall", 10))
    start = datetime(year, 3, 1, 9, tzinfo=UTC)
    training = await make_event("Training", kind="training", coverage_target_percent=30,
                                starts_at=start, ends_at=start + timedelta(hours=3))
    second = await make_event("Training again", kind="training", coverage_target_percent=20,
                              starts_at=start + timedelta(days=30), ends_at=start + timedelta(days=30, hours=3))
    came = now_utc()
    for n in range(14):  # 14 people from Schools, one of them at both trainings
        await make_registration(training["id"], org_unit=school, email=f"s{n}@example.org", checked_in_at=came)
    await make_registration(second["id"], org_unit=school, email="s0@example.org", checked_in_at=came)
    for n in range(6):
        await make_registration(training["id"], org_unit=care, email=f"c{n}@example.org", checked_in_at=came)
    for n in range(3):
        await make_registration(training["id"], org_unit=town, email=f"t{n}@example.org", checked_in_at=came)
    await make_registration(training["id"], org_unit=care, email="absent@example.org")
    return {"year": year, "units": {"schools": school, "care": care, "town": town}, "training": training}


async def test_coverage_per_unit_against_headcount_and_target(training_year):
    data = await reports.coverage(training_year["year"])
    rows = {row.unit: row for row in data["rows"]}
    assert data["target"] == 30
    assert (rows["Schools"].attended, rows["Schools"].headcount, rows["Schools"].below_target) == (14, 40, False)
    assert rows["Schools"].percent == 14 / 40
    assert (rows["Care"].attended, rows["Care"].below_target) == (6, True)
    assert rows["Town hall"].attended is None  # 3 people: fewer than five, not shown
    assert rows["Town hall"].below_target is False  # a target of 3 of 10: unknown either way


async def test_headcounts_per_year_replace_the_standing_figure(training_year):
    year, care = training_year["year"], training_year["units"]["care"]
    await reports.set_headcounts(year, {care: 20}, "t")
    await reports.set_headcounts(year, {care: 18}, "t")
    rows = {row.unit: row for row in (await reports.coverage(year))["rows"]}
    assert rows["Care"].headcount == 18 and rows["Care"].below_target is False
    assert await UnitHeadcount.count() == 1
    assert (await reports.headcounts(year - 1))[care] == 100


async def test_coverage_page_export_and_headcount_form(client, training_year):
    await login_as(client, "organiser")
    year, care = training_year["year"], training_year["units"]["care"]
    page = await client.get(f"/staff/reports/coverage?year={year}")
    assert page.status_code == 200 and "fu-below-target" in page.text and "fewer than 5" in page.text
    export = await client.get(f"/staff/reports/coverage/export/csv-semicolon?year={year}")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Unit" and {row[0]: row[2] for row in rows[1:]}["Town hall"] == "fewer than 5"
    xlsx = await client.get(f"/staff/reports/coverage/export/xlsx?year={year}")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    response = await post_form(client, f"/staff/reports/coverage?year={year}", "/staff/reports/coverage/headcounts",
                               {"year": str(year), f"unit-{care}": "12"})
    assert response.status_code == 303
    assert (await reports.headcounts(year))[care] == 12
    bad = await post_form(client, f"/staff/reports/coverage?year={year}", "/staff/reports/coverage/headcounts",
                          {"year": str(year), f"unit-{care}": "-3"})
    assert bad.status_code == 422 and "error-summary" in bad.text
    bad = await post_form(client, f"/staff/reports/coverage?year={year}", "/staff/reports/coverage/headcounts",
                          {"year": "1066", f"unit-{care}": "3"})
    assert bad.status_code == 422
    bad = await post_form(client, f"/staff/reports/coverage?year={year}", "/staff/reports/coverage/headcounts",
                          {"year": str(year), "unit-999999": "3"})
    assert bad.status_code == 422
    assert (await client.get("/staff/reports/coverage?year=abc")).status_code == 422
    assert (await client.get(f"/staff/reports/coverage/export/pdf?year={year}")).status_code == 404


async def test_the_event_report_suppresses_small_groups(client, training_year):
    await login_as(client, "admin")
    response = await client.get(f"/staff/reports/events/{training_year['training']['id']}?lang=en")
    assert response.status_code == 200
    text = response.text
    assert "Schools" in text and "fewer than 5" in text and "<svg" in text
    report = await reports.event_report(training_year["training"]["id"])
    by_unit = {row["label"]: (row["registered"].count, row["attended"].count) for row in report["by_unit"]}
    # Town hall (3) is the only small group, so Care (the next smallest) is hidden too: with the totals known,
    # one hidden number could be worked out from the others.
    assert by_unit == {"Schools": (14, 14), "Care": (None, None), "Town hall": (None, None)}


async def test_the_policy_dashboard_counts_published_input_per_theme_and_month(client):
    themes = await make_policy()
    event = await make_event()
    await make_item(event["id"], "One", themes=(themes["A"],))
    await make_item(event["id"], "Two", themes=(themes["A"], themes["B"]))
    await make_item(event["id"], "Hidden", themes=(themes["A"],), status="hidden")
    data = await reports.dashboard(themes["policy"], now_utc().date())
    rows = {row["theme"].code: row for row in data["rows"]}
    assert rows["A"]["total"] == 2 and rows["A"]["per_month"][-1] == 2 and rows["B"]["total"] == 1
    await login_as(client, "organiser")
    page = await client.get(f"/staff/reports/policy?policy={themes['policy']}")
    assert page.status_code == 200 and "Theme A" in page.text


async def test_input_breakdowns_by_speaker_are_suppressed_in_exports(client):
    themes = await make_policy()
    event = await make_event()
    for n in range(6):
        await make_item(event["id"], f"Citizen {n}", themes=(themes["A"],), speaker="citizen")
    await make_item(event["id"], "A lone leader", themes=(themes["A"],), speaker="leader")
    await login_as(client, "organiser")
    exported = (await client.get("/staff/input/export/json")).json()
    speakers = {group["category"]: group["count"] for group in exported["speakers"]}
    assert speakers == {"citizen": None, "leader": None}  # one small group takes the next smallest with it
    report = await client.get("/staff/input/report")
    assert "fewer than 5" in report.text

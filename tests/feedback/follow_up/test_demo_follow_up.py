"""The follow-up in the demo: actions with a dated history, an evaluation with answers, headcounts and coverage
figures, a digest subscriber; the organiser's and the public pages open on the demo data."""

from __future__ import annotations

import staff_support
from staff_support import login_as

from events.tables import Event
from feedback.follow_up import evaluations, reports
from feedback.tables import DigestSubscription, Evaluation, FollowUp, FollowUpChange, FollowUpInput, UnitHeadcount
from samrad.demo import load_demo

client = staff_support.client


async def test_the_demo_follows_up_its_input(client):
    assert await load_demo(only_if_empty=False) == 0
    assert await FollowUpChange.count() >= await FollowUp.count() >= 3
    assert await FollowUpInput.count().where(FollowUpInput.shown.eq(True)) >= 1
    assert await DigestSubscription.count() == 1

    evaluated = await Evaluation.select(Evaluation.event).first()
    training = await Event.select(Event.id, Event.starts_at, Event.kind).where(
        Event.id == evaluated["event"]).first()
    assert training["kind"] == "training"
    results = await evaluations.results(training["id"])
    assert results["answers"] >= 5 and results["invited"] >= results["answers"]

    year = training["starts_at"].year
    assert await UnitHeadcount.count().where(UnitHeadcount.year == year) >= 4
    coverage = await reports.coverage(year)
    assert coverage["target"] == 30
    counted = [row for row in coverage["rows"] if row.attended]
    assert counted and all(row.attended >= 5 for row in counted)
    assert any(row.below_target for row in coverage["rows"])

    await login_as(client, "organiser")
    for path in ("/staff/input", "/staff/actions", "/staff/reports", f"/staff/reports/coverage?year={year}",
                 "/staff/reports/policy", "/staff/input/report", "/staff/input/export/xlsx"):
        response = await client.get(path)
        assert response.status_code == 200, path
    linked = await FollowUpInput.select(FollowUpInput.input_item.event.slug.as_alias("slug")).first()
    dialogue = {"slug": linked["slug"]}
    public = await client.get(f"/events/{dialogue['slug']}/follow-up?lang=en")
    assert public.status_code == 200 and "Safety walk" in public.text

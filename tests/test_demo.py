"""The demo data: the stories as a realistic installation, loaded once, consistent with the real counters.

Loading takes a few seconds, so one test loads it and runs every read-only ``check_*`` below.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from events.tables import Event, EventAudience, Occurrence, Registration, RegistrationStatus
from feedback.tables import FollowUp, FollowUpInput, InputItem, InputTag, Policy, Theme
from samrad.core.accounts import authenticate
from samrad.core.tables import StaffUser
from samrad.demo import load_demo
from workshops.tables import SeatStatus, Workshop, WorkshopSeat

CREDENTIAL_LINE = re.compile(r"^\s+(admin|organiser|facilitator|checkin)\s+(\S+@demo\.samrad\.local)\s+(\S+)$", re.M)


@pytest.fixture
async def demo(capsys) -> str:
    assert await load_demo(only_if_empty=False) == 0
    return capsys.readouterr().out


async def test_demo_prints_each_staff_password_once_and_it_works(demo):
    """One load, then every story is checked (loading takes seconds; the checks are read-only)."""
    credentials = CREDENTIAL_LINE.findall(demo)
    assert {role for role, _email, _password in credentials} == {"admin", "organiser", "facilitator", "checkin"}
    for role, email, password in credentials:
        user = await authenticate(email, password)
        assert user is not None and user["role"] == role
    stored = await StaffUser.select(StaffUser.password_hash, StaffUser.password_set_at)
    # Every password is an argon2 hash; the invited colleagues have none until they follow their link.
    assert all(row["password_hash"].startswith("$argon2") or row["password_set_at"] is None for row in stored)
    for check in STORY_CHECKS:
        await check()


async def test_loading_again_changes_nothing(demo, capsys):
    events_before = await Event.count()
    assert await load_demo(only_if_empty=True) == 0
    assert await Event.count() == events_before
    assert "@demo.samrad.local" not in capsys.readouterr().out

    registrations_before = await Registration.count()
    assert await load_demo(only_if_empty=False) == 1
    assert await Registration.count() == registrations_before
    assert "already loaded" in capsys.readouterr().out


async def test_if_empty_loads_into_an_empty_database(capsys):
    assert await load_demo(only_if_empty=True) == 0
    assert await Event.count() > 0


async def check_seat_counters_match_the_registrations():
    for event in await Event.select(Event.id, Event.booked, Event.capacity):
        confirmed = await Registration.count().where(
            (Registration.event == event["id"]) & (Registration.status == RegistrationStatus.confirmed.value)
        )
        assert event["booked"] == confirmed
        assert event["capacity"] is None or confirmed <= event["capacity"]
    for audience in await EventAudience.select().where(EventAudience.quota.is_not_null()):
        assert audience["booked"] <= audience["quota"]
    for workshop in await Workshop.select(Workshop.id, Workshop.booked, Workshop.capacity):
        seats = await WorkshopSeat.count().where(
            (WorkshopSeat.workshop == workshop["id"]) & (WorkshopSeat.status == SeatStatus.confirmed.value)
        )
        assert workshop["booked"] == seats <= workshop["capacity"]


async def check_conference_follows_the_randers_story():
    conference = await Event.select().where(Event.kind == "conference").output(load_json=True).first()
    assert conference["capacity"] == 250 and conference["waitlist_enabled"]
    assert conference["starts_at"] > datetime.now(UTC)
    assert conference["timezone"] == "Europe/Copenhagen"
    assert {"workshops", "access_needs", "diet", "org_unit", "organisation"} <= set(conference["questions"])
    audiences = {row["category"]: row["quota"] for row in await EventAudience.select().where(
        EventAudience.event == conference["id"])}
    assert set(audiences) == {"staff", "leader", "council", "elected", "citizen"}
    assert audiences["council"] is not None
    workshops = await Workshop.select().where(Workshop.event == conference["id"]).output(load_json=True)
    assert len(workshops) == 4
    assert all(w["capacity"] and w["room"] for w in workshops)
    assert all(re.search(r"\(R\d", w["description"]["da"]) for w in workshops), "each workshop names its theme"
    assert "Teater" in conference["programme"]["da"]


async def check_cafe_is_a_sensitive_weekly_dropin_with_a_break_and_headcounts():
    cafe = await Event.select().where(Event.kind == "cafe").output(load_json=True).first()
    assert cafe["sensitive"] and cafe["registration_mode"] == "dropin"
    assert cafe["timezone"] == "Europe/Stockholm"
    assert cafe["recurrence_rule"].startswith("FREQ=WEEKLY;BYDAY=TH")
    dates = await (
        Occurrence.select().where(Occurrence.event == cafe["id"]).order_by(Occurrence.starts_at).output(load_json=True)
    )
    now = datetime.now(UTC)
    assert sum(1 for d in dates if d["starts_at"] > now) >= 20
    assert any(d["cancelled"] and d["note"].get("sv") for d in dates), "a holiday break is marked"
    past_counts = [d["headcount"] for d in dates if d["starts_at"] < now and d["headcount"] is not None]
    assert len(past_counts) >= 3 and all(5 <= n <= 15 for n in past_counts)
    assert await Registration.count().where(Registration.event == cafe["id"]) == 0


async def check_trainings_target_thirty_percent_and_spread_over_units():
    trainings = await Event.select().where((Event.kind == "training") & (Event.published.eq(True))).output(
        load_json=True
    )
    assert len(trainings) >= 3 and all(t["coverage_target_percent"] == 30 for t in trainings)
    units = await Registration.select(Registration.org_unit).where(
        Registration.event.is_in([t["id"] for t in trainings])
    )
    assert len({row["org_unit"] for row in units}) >= 4


async def check_network_meeting_is_full_with_a_waiting_list():
    waiting = await Registration.count().where(Registration.status == RegistrationStatus.waitlisted.value)
    assert waiting >= 1


async def check_three_taxonomies_with_translated_themes_at_most_three_levels():
    assert {p["kind"] for p in await Policy.select(Policy.kind)} == {"municipal", "charter", "areas"}
    themes = await Theme.select().output(load_json=True)
    assert max(t["level"] for t in themes) <= 3
    assert all(all(t["name"].get(lang) for lang in ("da", "sv", "en")) for t in themes)
    charter = await Policy.select(Policy.id).where(Policy.kind == "charter").first()
    principles = [t for t in themes if t["policy"] == charter["id"] and re.fullmatch(r"P\d", t["code"])]
    assert len(principles) == 6
    randers = await Policy.select(Policy.id).where(Policy.kind == "municipal").first()
    assert len([t for t in themes if t["policy"] == randers["id"] and t["level"] == 1]) == 3


async def check_event_content_exists_in_all_three_languages():
    for event in await Event.select(Event.title, Event.summary, Event.description).output(load_json=True):
        for field in ("title", "summary", "description"):
            assert all(event[field].get(lang) for lang in ("da", "sv", "en")), field


async def check_input_is_tagged_and_answered_by_follow_ups():
    assert await InputItem.count() >= 10
    assert await InputTag.count() >= await InputItem.count()
    assert await FollowUp.count() >= 2 and await FollowUpInput.count() >= 2


async def check_no_participant_has_a_real_address():
    emails = [row["email"] for row in await Registration.select(Registration.email)]
    assert emails and all(email.endswith("@example.org") for email in emails)


async def check_the_demo_organiser_runs_some_events_and_not_others():
    from events.access import event_ids_for
    from samrad.core.security import Action
    from samrad.core.tables import AuditEntry

    organiser = await StaffUser.select().where(StaffUser.email == "organiser@demo.samrad.local").first()
    mine = set(await event_ids_for(organiser, Action.manage_events))
    every = {row["id"] for row in await Event.select(Event.id)}
    assert mine and mine < every
    assert any(not row["published"] for row in await Event.select(Event.published).where(Event.id.is_in(list(mine))))
    invited = await StaffUser.select().where(StaffUser.password_set_at.is_null())
    assert invited and all(row["password_hash"] == "" for row in invited)
    actions = {row["action"] for row in await AuditEntry.select(AuditEntry.action)}
    assert {"account.invite", "event.team.add"} <= actions


STORY_CHECKS = (
    check_the_demo_organiser_runs_some_events_and_not_others,
    check_seat_counters_match_the_registrations,
    check_conference_follows_the_randers_story,
    check_cafe_is_a_sensitive_weekly_dropin_with_a_break_and_headcounts,
    check_trainings_target_thirty_percent_and_spread_over_units,
    check_network_meeting_is_full_with_a_waiting_list,
    check_three_taxonomies_with_translated_themes_at_most_three_levels,
    check_event_content_exists_in_all_three_languages,
    check_input_is_tagged_and_answered_by_follow_ups,
    check_no_participant_has_a_real_address,
)

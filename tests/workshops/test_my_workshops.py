""""My workshops": a facilitator sees the workshops assigned to them, today's first, then upcoming, then past;
organisers those of their events, grouped by event. The same list is ``GET /api/v1/me/workshops``."""

from __future__ import annotations

from datetime import timedelta

import staff_support
from registration_support import soon
from workshop_support import conference, log_in_as, log_in_as_organiser, make_themes, staff_id

from feedback.links import ThemeLinkService
from samrad.core.accounts import create_api_token
from samrad.core.clock import now_utc
from workshops.management.forms import WorkshopData
from workshops.management.services import create_workshop

client = staff_support.client
other_client = staff_support.other_client
links = ThemeLinkService()


async def _workshop(event, title: str, starts_at, *, facilitators=(), themes=()) -> int:
    data = WorkshopData(
        title={"en": title}, description={}, room="Room 1", starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1), capacity=None, tables=("Table A",),
        facilitator_ids=tuple(facilitators), theme_ids=tuple(themes),
    )
    return await create_workshop(event["id"], data, links, "test")


async def _three_days(facilitator: int, others: int) -> dict[str, int]:
    """Workshops this facilitator runs in the past, today and next week, and one they do not run."""
    now = now_utc()
    past = await conference(starts_at=now - timedelta(days=3), title={"en": "Meeting last week"})
    today = await conference(starts_at=now - timedelta(hours=1), title={"en": "Conference today"})
    later = await conference(starts_at=soon(8), title={"en": "Conference next week"})
    return {
        "past": await _workshop(past, "Looking back", past["starts_at"], facilitators=[facilitator]),
        "later": await _workshop(later, "Planning ahead", later["starts_at"], facilitators=[facilitator]),
        "today": await _workshop(today, "Right now", today["starts_at"] + timedelta(minutes=30),
                                 facilitators=[facilitator, others]),
        "not_mine": await _workshop(today, "Another workshop", today["starts_at"], facilitators=[others]),
    }


async def test_a_facilitator_sees_only_their_workshops_today_first(client):
    me = await log_in_as(client, "facilitator")
    colleague = await staff_id(await staff_support.make_staff("facilitator"))
    ids = await _three_days(me, colleague)
    dashboard = await client.get("/staff")
    assert 'href="/staff/workshops"' in dashboard.text
    page = await client.get("/staff/workshops")
    assert page.status_code == 200
    text = page.text
    assert "Another workshop" not in text
    assert text.index("Today") < text.index("Right now") < text.index("Coming up") < text.index("Planning ahead")
    assert text.index("Planning ahead") < text.index("Past") < text.index("Looking back")
    for path in ("/staff/workshops/{id}/capture", "/staff/workshops/{id}/queue", "/workshops/{id}/wall",
                 "/staff/workshops/{id}/poster"):
        assert f'href="{path.format(id=ids["today"])}"' in text
    assert (await client.get(f"/staff/workshops/{ids['not_mine']}/poster")).status_code in {403, 404}


async def test_an_organiser_sees_the_workshops_of_their_events_grouped_by_event(client):
    facilitator = await staff_id(await staff_support.make_staff("facilitator"))
    ids = await _three_days(facilitator, facilitator)
    from workshops.tables import Workshop

    today_event = (await Workshop.select(Workshop.event).where(Workshop.id == ids["today"]).first())["event"]
    await log_in_as_organiser(client, today_event)
    text = (await client.get("/staff/workshops")).text
    assert "Conference today" in text and "Right now" in text and "Another workshop" in text
    assert "Planning ahead" not in text, "not on that event's team"


async def test_check_in_staff_have_no_workshops(client):
    await log_in_as(client, "checkin")
    assert (await client.get("/staff/workshops")).status_code == 403
    assert (await client.get("/api/v1/me/workshops")).status_code == 403


async def test_the_api_lists_what_the_caller_may_capture_for_with_tables_and_themes(client):
    themes = await make_themes()
    email = await staff_support.make_staff("facilitator")
    me = await staff_id(email)
    colleague = await staff_id(await staff_support.make_staff("facilitator"))
    ids = await _three_days(me, colleague)
    await links.set_workshop_themes(ids["today"], [themes["T1"], themes["T2"]])
    token = await create_api_token(email, "capture app")
    response = await client.get("/api/v1/me/workshops", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    listed = response.json()["workshops"]
    assert [w["id"] for w in listed] == [ids["today"], ids["later"], ids["past"]]
    first = listed[0]
    assert first["title"] == "Right now" and first["section"] == "today"
    assert first["event"]["title"] == "Conference today" and first["event"]["slug"].startswith("reg-event-")
    assert len(first["join_code"]) == 6 and first["starts_at"].endswith(("Z", "+00:00"))
    assert [t["label"] for t in first["tables"]] == ["Table A"] and len(first["tables"][0]["join_code"]) == 6
    assert sorted(first["theme_ids"]) == sorted([themes["T1"], themes["T2"]])
    session = await log_in_as(client, "facilitator")
    assert session and (await client.get("/api/v1/me/workshops")).json() == {"workshops": []}


async def test_the_api_needs_credentials(other_client):
    response = await other_client.get("/api/v1/me/workshops")
    assert response.status_code == 401


async def test_the_api_is_in_the_openapi_schema(client):
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert "get" in paths["/api/v1/me/workshops"]
    assert "post" in paths["/api/v1/events/{slug}/workshops"]
    assert {"patch", "delete"} <= set(paths["/api/v1/workshops/{workshop_id}"])

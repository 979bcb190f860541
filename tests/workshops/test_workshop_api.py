"""The organisers' workshop API: create (201), change (200) and remove (204) the workshops of an event; every
bad field is a 422 with a message for that field; 401/403/404 as usual, never a 5xx; writes need a token."""

from __future__ import annotations

from datetime import timedelta

import pytest
import staff_support
from registration_support import make_workshop, person
from staff_support import csrf_token
from workshop_support import conference, log_in_as_organiser, make_themes, staff_id

from events.access import add_to_team
from events.registration import services as registration
from feedback.tables import InputItem
from samrad.core import db
from samrad.core.accounts import create_api_token
from workshops.services import WorkshopSeatPlan
from workshops.tables import Workshop, WorkshopTable

client = staff_support.client


async def organiser_token(event_id: int | None) -> dict[str, str]:
    email = await staff_support.make_staff("organiser")
    if event_id is not None:
        async with db.atomic():
            await add_to_team(event_id, await staff_id(email))
    return {"Authorization": f"Bearer {await create_api_token(email, 'script')}"}


def body(event, **overrides):
    start = event["starts_at"] + timedelta(hours=1)
    values = {
        "title": {"da": "Lige løn", "en": "Equal pay"}, "description": {"en": "Pay gaps"}, "room": "1.10",
        "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=1)).isoformat(), "capacity": 25,
        "tables": ["", "Window"],
    }
    values.update(overrides)
    return {key: value for key, value in values.items() if value is not ...}


async def test_create_change_and_remove_a_workshop(client):
    event = await conference()
    themes = await make_themes()
    runner = await staff_id(await staff_support.make_staff("facilitator"))
    headers = await organiser_token(event["id"])
    created = await client.post(f"/api/v1/events/{event['slug']}/workshops", headers=headers,
                                json=body(event, facilitator_ids=[runner], theme_ids=[themes["T1"]]))
    assert created.status_code == 201, created.text
    workshop = created.json()
    assert workshop["title"] == {"da": "Lige løn", "en": "Equal pay"} and workshop["capacity"] == 25
    assert [t["label"] for t in workshop["tables"]] == ["Bord 1", "Window"]
    assert workshop["facilitator_ids"] == [runner] and workshop["theme_ids"] == [themes["T1"]]
    assert len(workshop["join_code"]) == 6 and workshop["event_id"] == event["id"]

    url = f"/api/v1/workshops/{workshop['id']}"
    changed = await client.patch(url, headers=headers, json={"room": "Store Sal", "tables": ["Bord 1"],
                                                             "capacity": None})
    assert changed.status_code == 200, changed.text
    after = changed.json()
    assert after["room"] == "Store Sal" and after["capacity"] is None and after["title"] == workshop["title"]
    assert after["tables"] == workshop["tables"][:1], "the first table keeps its id and code"
    assert after["facilitator_ids"] == [runner] and after["theme_ids"] == [themes["T1"]], "unnamed fields stay"
    naive = (event["starts_at"] + timedelta(hours=2)).astimezone().replace(tzinfo=None)
    local = await client.patch(url, headers=headers, json={"ends_at": naive.isoformat()})
    assert local.status_code in {200, 422}  # read in the event's time zone: never a 5xx

    await InputItem(event=event["id"], workshop=workshop["id"], text="Kept").save()
    removed = await client.delete(url, headers=headers)
    assert removed.status_code == 204 and await Workshop.count() == 0
    assert (await InputItem.select(InputItem.workshop).first())["workshop"] is None
    assert (await client.delete(url, headers=headers)).status_code == 404
    assert (await client.patch(url, headers=headers, json={"room": "x"})).status_code == 404


BAD_FIELDS = [
    ({"title": ...}, "title"),
    ({"title": {}}, "title"),
    ({"title": {"en": ""}}, "title"),
    ({"title": {"de": "Gleichstellung"}}, "title"),
    ({"title": {"en": "x" * 201}}, "title.en"),
    ({"title": "Equal pay"}, "title"),
    ({"description": {"sv": "x" * 5001}}, "description.sv"),
    ({"description": ["text"]}, "description"),
    ({"room": "x" * 121}, "room"),
    ({"room": 12}, "room"),
    ({"starts_at": ...}, "starts_at"),
    ({"starts_at": "next tuesday"}, "starts_at"),
    ({"ends_at": ...}, "ends_at"),
    ({"ends_at": "START"}, "ends_at"),
    ({"starts_at": "BEFORE"}, "starts_at"),
    ({"ends_at": "AFTER"}, "ends_at"),
    ({"capacity": -1}, "capacity"),
    ({"capacity": 100_001}, "capacity"),
    ({"capacity": "many"}, "capacity"),
    ({"tables": ["x" * 81]}, "tables[0]"),
    ({"tables": ["A", "a"]}, "tables[1]"),
    ({"tables": ["T"] * 61}, "tables"),
    ({"tables": "A, B"}, "tables"),
    ({"facilitator_ids": [999_999]}, "facilitator_ids"),
    ({"facilitator_ids": ["one"]}, "facilitator_ids"),
    ({"theme_ids": [999_999]}, "theme_ids"),
    ({"theme_ids": "ARCHIVED"}, "theme_ids"),
    ({"colour": "red"}, "colour"),
]


@pytest.mark.parametrize(("overrides", "field"), BAD_FIELDS)
async def test_every_bad_field_is_a_422_naming_the_field(client, overrides, field):
    event = await conference()
    themes = await make_themes()
    headers = await organiser_token(event["id"])
    special = {
        "START": (event["starts_at"] + timedelta(hours=1)).isoformat(),
        "BEFORE": (event["starts_at"] - timedelta(hours=1)).isoformat(),
        "AFTER": (event["ends_at"] + timedelta(hours=1)).isoformat(),
        "ARCHIVED": [themes["T9"]],
    }
    overrides = {key: special.get(value, value) if isinstance(value, str) else value
                 for key, value in overrides.items()}
    response = await client.post(f"/api/v1/events/{event['slug']}/workshops", headers=headers,
                                 json=body(event, **overrides))
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert any(error["field"] == field or error["field"].startswith(f"{field}[") for error in errors), errors
    assert all(error["message"] for error in errors)
    assert await Workshop.count() == 0 and await WorkshopTable.count() == 0


async def test_a_body_that_is_not_json_is_a_422(client):
    event = await conference()
    headers = await organiser_token(event["id"])
    for content in (b"not json", b"[1, 2]", b""):
        response = await client.post(f"/api/v1/events/{event['slug']}/workshops",
                                     headers={**headers, "Content-Type": "application/json"}, content=content)
        assert response.status_code == 422, (content, response.status_code)


async def test_a_change_is_checked_against_the_workshop_as_it_is(client):
    event = await conference(capacity=10)
    workshop_id = await make_workshop(event["id"], capacity=2, starts_at=event["starts_at"])
    await registration.register(event["id"], person(1, workshop_ids=[workshop_id]), WorkshopSeatPlan())
    headers = await organiser_token(event["id"])
    url = f"/api/v1/workshops/{workshop_id}"
    too_early = await client.patch(url, headers=headers, json={"ends_at": event["starts_at"].isoformat()})
    assert too_early.status_code == 422 and too_early.json()["errors"][0]["field"] == "ends_at"
    too_small = await client.patch(url, headers=headers, json={"capacity": 0})
    assert too_small.status_code == 409 and too_small.json()["errors"][0]["field"] == "capacity"
    assert (await Workshop.select(Workshop.capacity).first())["capacity"] == 2


async def test_who_may_use_the_api(client):
    event = await conference()
    workshop_id = await make_workshop(event["id"], starts_at=event["starts_at"])
    url = f"/api/v1/workshops/{workshop_id}"
    create = f"/api/v1/events/{event['slug']}/workshops"
    assert (await client.post(create, json=body(event))).status_code == 401
    assert (await client.delete(url)).status_code == 401
    facilitator = await staff_support.make_staff("facilitator")
    as_facilitator = {"Authorization": f"Bearer {await create_api_token(facilitator, 'phone')}"}
    assert (await client.post(create, headers=as_facilitator, json=body(event))).status_code == 403
    assert (await client.patch(url, headers=as_facilitator, json={"room": "x"})).status_code == 403
    not_on_team = await organiser_token(None)
    assert (await client.post(create, headers=not_on_team, json=body(event))).status_code == 403
    assert (await client.delete(url, headers=not_on_team)).status_code == 403
    on_team = await organiser_token(event["id"])
    assert (await client.post("/api/v1/events/no-such-event/workshops", headers=on_team,
                              json=body(event))).status_code == 404
    assert (await client.delete("/api/v1/workshops/999999", headers=on_team)).status_code == 404
    assert await Workshop.count() == 1


async def test_a_staff_session_cannot_write_without_the_pages_csrf_token(client):
    event = await conference()
    await log_in_as_organiser(client, event["id"])
    create = f"/api/v1/events/{event['slug']}/workshops"
    await csrf_token(client, "/staff")  # the browser holds the CSRF cookie; a forged request lacks the header
    for headers in ({}, {"x-csrftoken": "forged"}):
        assert (await client.post(create, json=body(event), headers=headers)).status_code in {401, 403}
    assert await Workshop.count() == 0
    assert (await client.get("/api/v1/me/workshops")).status_code == 200

"""The organiser API: list and filter registrations, register on someone's behalf, check a ticket in; bearer
tokens scoped like the pages, rate limited per token; 4xx with field errors for bad input, never 5xx."""

from __future__ import annotations

import staff_support
from attendee_support import register
from public_support import client_with  # noqa: F401  # a fixture
from registration_support import make_event
from staff_support import make_staff

from events.access import add_to_team
from events.tables import Registration
from samrad.core.accounts import create_api_token
from samrad.core.tables import StaffUser

client = staff_support.client


async def token_for(role: str, *, team: int | None = None) -> dict[str, str]:
    email = await make_staff(role)
    user = await StaffUser.select(StaffUser.id).where(StaffUser.email == email).first()
    if team is not None:
        await add_to_team(team, user["id"])
    token = await create_api_token(email, "test")
    return {"Authorization": f"Bearer {token}"}


def url(event: dict, path: str = "registrations") -> str:
    return f"/api/v1/staff/events/{event['id']}/{path}"


async def test_list_and_filter_with_counts(client):
    event = await make_event(capacity=1)
    await register(event["id"], "Mette Kjær")
    await register(event["id"], "Lars Nørgaard")
    headers = await token_for("admin")
    everyone = await client.get(url(event), headers=headers)
    assert everyone.status_code == 200
    body = everyone.json()
    assert [item["name"] for item in body["items"]] == ["Mette Kjær", "Lars Nørgaard"]
    assert body["counts"]["status"]["waitlisted"] == 1 and body["names_hidden"] is False
    waiting = (await client.get(url(event) + "?status=waitlisted&q=lars", headers=headers)).json()
    assert [item["name"] for item in waiting["items"]] == ["Lars Nørgaard"] and waiting["total"] == 1


async def test_bad_filters_answer_422_with_field_errors(client):
    event = await make_event()
    headers = await token_for("admin")
    response = await client.get(url(event) + "?status=bogus&page=zero&sort=password", headers=headers)
    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"status", "page", "sort"}


async def test_a_sensitive_event_gives_counts_only(client):
    event = await make_event(sensitive=True)
    await register(event["id"], "Alex Sensitive-Name")
    headers = await token_for("admin")
    body = (await client.get(url(event), headers=headers)).json()
    assert body["items"] == [] and body["names_hidden"] is True and body["total"] == 1
    assert "Alex" not in str(body)


async def test_register_on_behalf_answers_201_and_marks_the_registration(client):
    event = await make_event()
    headers = await token_for("organiser", team=event["id"])
    response = await client.post(url(event), headers=headers, json={
        "name": "Grete Mikkelsen", "email": "grete@example.org", "consent": True, "locale": "da",
    })
    assert response.status_code == 201, response.text
    body = response.json()
    row = await Registration.select().where(Registration.id == body["id"]).first()
    assert body["status"] == "confirmed" and row["added_by_staff"] is True and row["locale"] == "da"
    again = await client.post(url(event), headers=headers, json={
        "name": "Grete Mikkelsen", "email": "grete@example.org", "consent": True,
    })
    assert again.status_code == 409 and again.json()["code"] == "already_registered"


async def test_register_on_behalf_with_bad_input_answers_422(client):
    event = await make_event()
    headers = await token_for("admin")
    response = await client.post(url(event), headers=headers, json={"name": "", "email": "nope", "locale": "fi"})
    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert {"name", "email", "consent", "locale"} <= fields
    wrong_type = await client.post(url(event), headers=headers, json={"name": 5, "workshop_ids": "x"})
    assert wrong_type.status_code == 400
    not_json = await client.post(url(event), headers={**headers, "content-type": "application/json"},
                                 content=b"{")
    assert not_json.status_code == 400
    assert await Registration.count() == 0


async def test_check_in_by_api_once_then_already(client):
    event = await make_event()
    ticket = await register(event["id"], "Mette Kjær")
    headers = await token_for("checkin", team=event["id"])
    first = await client.post(url(event, "checkins"), headers=headers, json={"code": ticket.ticket_code.lower()})
    assert first.status_code == 200
    assert first.json()["ok"] is True and first.json()["already_checked_in"] is False
    second = await client.post(url(event, "checkins"), headers=headers, json={"code": ticket.ticket_code})
    assert second.json()["already_checked_in"] is True
    unknown = await client.post(url(event, "checkins"), headers=headers, json={"code": "ZZZZZZZZZZ"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_ticket"
    empty = await client.post(url(event, "checkins"), headers=headers, json={})
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "code"


async def test_a_ticket_of_another_event_is_refused_without_its_name(client):
    event, other = await make_event(), await make_event(sensitive=True)
    ticket = await register(other["id"], "Alex Sensitive-Name")
    headers = await token_for("admin")
    response = await client.post(url(event, "checkins"), headers=headers, json={"code": ticket.ticket_code})
    assert response.status_code == 200
    assert response.json()["ok"] is False and response.json()["reason"] == "other_event"
    assert response.json()["name"] is None


async def test_tokens_are_scoped_like_the_pages(client):
    event, other = await make_event(), await make_event()
    organiser = await token_for("organiser", team=event["id"])
    door = await token_for("checkin", team=event["id"])
    assert (await client.get(url(event))).status_code == 401
    assert (await client.get(url(event), headers={"Authorization": "Bearer wrong"})).status_code == 401
    assert (await client.get(url(other), headers=organiser)).status_code == 403
    assert (await client.get(url(event), headers=door)).status_code == 403
    assert (await client.post(url(event), headers=door, json={})).status_code == 403
    assert (await client.get("/api/v1/staff/events/999999/registrations", headers=organiser)).status_code == 404


async def test_the_rate_limit_is_per_token(client_with):  # noqa: F811
    event = await make_event()
    first = await token_for("admin")
    second = await token_for("admin")
    async with client_with("10.9.9.9", api_rate=(2, 60)) as limited:
        assert (await limited.get(url(event), headers=first)).status_code == 200
        assert (await limited.get(url(event), headers=first)).status_code == 200
        refused = await limited.get(url(event), headers=first)
        assert refused.status_code == 429 and "retry-after" in refused.headers
        assert (await limited.get(url(event), headers=second)).status_code == 200


async def test_the_endpoints_are_in_the_openapi_schema(client):
    schema = (await client.get("/schema/openapi.json")).json()
    paths = schema["paths"]
    assert "get" in paths["/api/v1/staff/events/{event_id}/registrations"]
    assert "post" in paths["/api/v1/staff/events/{event_id}/registrations"]
    assert "post" in paths["/api/v1/staff/events/{event_id}/checkins"]


async def test_a_write_with_the_browser_session_needs_the_csrf_token(client):
    from staff_support import csrf_token, login_as

    event = await make_event()
    await login_as(client, "admin")
    forged = await client.post(url(event), json={"name": "X", "email": "x@example.org", "consent": True})
    assert forged.status_code == 403 and await Registration.count() == 0
    token = await csrf_token(client, "/staff")
    sent = await client.post(url(event), json={"name": "X", "email": "x@example.org", "consent": True},
                             headers={"x-csrftoken": token})
    assert sent.status_code == 201

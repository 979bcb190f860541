"""The public JSON API: listing, one event, registering and cancelling, and every kind of bad request."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import public_support
from public_support import make_event, make_venue, make_workshop, outbox_kinds, registration_rows, soon

settings = public_support.settings
client_with = public_support.client_with


def body(**overrides):
    """A valid JSON registration."""
    values = public_support.person(**overrides)
    values["consent"] = overrides.get("consent", True)
    return values


async def register(client, slug: str, **overrides):
    return await client.post(f"/api/v1/events/{slug}/registrations", json=body(**overrides))


def field_messages(response) -> dict[str, str]:
    return {item["field"]: item["message"] for item in response.json()["errors"]}


# --- events -----------------------------------------------------------------------------------------------


async def test_listing_returns_upcoming_dates_with_live_seats(client, settings):
    await make_event("roomy", title={"en": "Roomy", "da": "Rummelig"}, capacity=30, booked=4, starts_at=soon(1))
    await make_event("open-end", title={"en": "Unlimited"}, starts_at=soon(2))
    await make_event("cafe", kind="cafe", registration_mode="dropin", starts_at=soon(3))
    await make_event("draft", published=False)

    response = await client.get("/api/v1/events")

    assert response.status_code == 200
    data = response.json()
    assert data["total"] == 3 and data["page"] == 1 and data["next"] is None
    roomy, unlimited, cafe = data["items"]
    assert roomy["slug"] == "roomy" and roomy["kind"] == "conference"
    assert roomy["title"] == "Roomy" and roomy["titles"] == {"da": "Rummelig", "en": "Roomy"}
    assert roomy["seats_left"] == 26 and roomy["registration_open"] is True and roomy["waitlist"] is True
    assert roomy["timezone"] == "Europe/Copenhagen"
    assert roomy["url"] == f"{settings.base_url}/events/roomy"
    assert datetime.fromisoformat(roomy["starts_at"].replace("Z", "+00:00")) == soon(1)
    assert unlimited["seats_left"] is None and unlimited["registration_open"] is True
    assert cafe["seats_left"] is None and cafe["availability"] == "dropin" and cafe["registration_open"] is False
    assert cafe["waitlist"] is False


async def test_listing_speaks_the_requested_language(client):
    await make_event(title={"en": "Meeting", "sv": "Möte"})

    by_query = (await client.get("/api/v1/events", params={"lang": "sv"})).json()
    by_header = (await client.get("/api/v1/events", headers={"Accept-Language": "sv-SE"})).json()

    assert by_query["items"][0]["title"] == by_header["items"][0]["title"] == "Möte"


async def test_listing_filters_and_paginates_with_next_links(client):
    for number in range(7):
        await make_event(kind="training", starts_at=soon(1 + number))
    await make_event(kind="meeting", starts_at=soon(2))

    first = (await client.get("/api/v1/events", params={"kind": "training", "per_page": 3})).json()
    last = (await client.get("/api/v1/events", params={"kind": "training", "per_page": 3, "page": 3})).json()
    ranged = (await client.get("/api/v1/events", params={"from": soon(3).date().isoformat(),
                                                         "to": soon(4).date().isoformat()})).json()

    assert first["total"] == 7 and len(first["items"]) == 3
    assert first["next"].endswith("/api/v1/events?kind=training&page=2&per_page=3")
    assert first["prev"] is None
    assert len(last["items"]) == 1 and last["next"] is None and "page=2" in last["prev"]
    assert all(item["kind"] == "training" for item in first["items"])
    assert ranged["total"] == 2


async def test_listing_refuses_unusable_filters(client):
    bad_date = await client.get("/api/v1/events", params={"from": "tomorrow"})
    bad_kind = await client.get("/api/v1/events", params={"kind": "party"})
    bad_page = await client.get("/api/v1/events", params={"page": "0"})
    huge_page = await client.get("/api/v1/events", params={"per_page": "1000"})

    assert bad_date.status_code == 400 and "from" in field_messages(bad_date)
    assert bad_kind.status_code == 400 and "kind" in field_messages(bad_kind)
    assert bad_page.status_code == 400
    assert huge_page.status_code == 400


async def test_one_event_has_its_venue_audiences_dates_and_workshops(client):
    venue = await make_venue()
    event = await make_event("detail", venue=venue["id"], capacity=50, categories=("citizen", "council"),
                             quotas={"council": 10}, questions=["workshops", "diet"])
    await make_workshop(event["id"], title="Equal pay", capacity=8, booked=3)

    response = await client.get("/api/v1/events/detail")

    data = response.json()
    assert response.status_code == 200
    assert data["slug"] == "detail" and data["seats_left"] == 50
    assert data["venue"]["name"] == "Kulturhuset" and data["venue"]["step_free"] is True
    assert [(a["category"], a["quota_left"]) for a in data["audiences"]] == [("citizen", None), ("council", 10)]
    assert data["questions"] == ["workshops", "diet"]
    assert len(data["dates"]) == 1
    assert data["workshops"][0]["title"] == "Equal pay" and data["workshops"][0]["seats_left"] == 5


async def test_unknown_or_unpublished_event_is_a_json_404(client):
    await make_event("hidden", published=False)

    for path in ("/api/v1/events/nope", "/api/v1/events/hidden"):
        response = await client.get(path)
        assert response.status_code == 404
        assert response.json()["status_code"] == 404


# --- registering ------------------------------------------------------------------------------------------


async def test_registering_answers_201_with_ticket_and_manage_link(client, settings):
    event = await make_event("api-reg", capacity=3)

    response = await register(client, "api-reg", email="api@example.org")

    assert response.status_code == 201
    data = response.json()
    (row,) = await registration_rows(event["id"])
    assert data["status"] == "confirmed"
    assert data["ticket_code"] == row["ticket_code"]
    assert data["manage_url"].startswith(f"{settings.base_url}/manage/")
    assert await outbox_kinds("api@example.org") == ["notice.confirmed"]
    manage = await client.get(data["manage_url"].removeprefix(settings.base_url))
    assert manage.status_code == 200
    assert (await client.get("/api/v1/events/api-reg")).json()["seats_left"] == 2


async def test_registering_a_full_event_puts_one_on_the_waiting_list(client):
    await make_event("api-full", capacity=1)
    await register(client, "api-full")

    response = await register(client, "api-full")

    assert response.status_code == 201
    assert response.json()["status"] == "waitlisted" and response.json()["waitlist_position"] == 1


async def test_registration_locale_follows_the_request(client):
    event = await make_event("api-lang")

    await client.post("/api/v1/events/api-lang/registrations?lang=sv", json=body())
    await register(client, "api-lang", locale="da")

    assert [row["locale"] for row in await registration_rows(event["id"])] == ["sv", "da"]


async def test_missing_fields_get_422_with_a_message_per_field(client):
    await make_event("api-missing", categories=("citizen", "staff"))

    response = await client.post("/api/v1/events/api-missing/registrations", json={})

    assert response.status_code == 422
    data = response.json()
    assert data["status_code"] == 422 and data["detail"]
    messages = field_messages(response)
    assert set(messages) == {"name", "email", "category", "consent"}
    assert messages["name"] == "Enter your name."


async def test_each_bad_value_gets_a_field_message(client):
    event = await make_event("api-bad", categories=("citizen",), questions=["workshops", "access_needs", "diet"])
    await make_workshop(event["id"])
    cases = {
        "email": {"email": "nope"},
        "category": {"category": "elected"},
        "workshop_ids": {"workshop_ids": [999999]},
        "access_needs": {"access_needs": ["jetpack"]},
        "diet": {"diet": "x" * 301},
        "name": {"name": "n" * 201},
        "consent": {"consent": False},
        "locale": {"locale": "fr"},
    }
    for field, override in cases.items():
        response = await register(client, "api-bad", **override)
        assert response.status_code == 422, field
        assert field in field_messages(response), field
    assert await registration_rows(event["id"]) == []


async def test_malformed_json_is_a_400_never_a_500(client):
    await make_event("api-json")

    broken = await client.post("/api/v1/events/api-json/registrations", content=b"{not json",
                                headers={"content-type": "application/json"})
    not_object = await client.post("/api/v1/events/api-json/registrations", json=["a", "list"])
    wrong_types = await register(client, "api-json", name=42, workshop_ids="one")

    assert broken.status_code == 400 and broken.json()["status_code"] == 400
    assert not_object.status_code == 400
    assert wrong_types.status_code == 400
    assert wrong_types.json()["errors"]


async def test_closed_registration_is_a_409_with_a_code(client):
    await make_event("api-closed", registration_closes_at=datetime.now(UTC) - timedelta(hours=1))
    await make_event("api-early", registration_opens_at=datetime.now(UTC) + timedelta(days=1))

    closed = await register(client, "api-closed")
    early = await register(client, "api-early")

    assert closed.status_code == 409 and closed.json()["code"] == "closed"
    assert early.status_code == 409 and early.json()["code"] == "not_open_yet"


async def test_full_without_waiting_list_is_a_409(client):
    await make_event("api-packed", capacity=1, waitlist_enabled=False)
    await register(client, "api-packed")

    response = await register(client, "api-packed")

    assert response.status_code == 409
    assert response.json()["code"] == "full"


async def test_registering_twice_is_a_409_and_resends_the_link(client):
    event = await make_event("api-twice")
    await register(client, "api-twice", email="again@example.org")

    response = await register(client, "api-twice", email="again@example.org")

    assert response.status_code == 409
    assert response.json()["code"] == "already_registered"
    assert len(await registration_rows(event["id"])) == 1
    assert await outbox_kinds("again@example.org") == ["notice.confirmed", "notice.link_resent"]


async def test_a_sensitive_event_answers_the_same_for_new_and_known_addresses(client):
    await make_event("api-safe", sensitive=True)

    first = await register(client, "api-safe", email="same@example.org")
    second = await register(client, "api-safe", email="same@example.org")

    assert first.status_code == second.status_code == 201
    assert first.json() == second.json() == {"status": "submitted", "ticket_code": None, "manage_url": None,
                                             "waitlist_position": None}


async def test_drop_in_events_take_reminders_only_for_a_date(client):
    event = await make_event("api-cafe", kind="cafe", registration_mode="dropin", dates=[soon(2), soon(9)])
    dates = (await client.get("/api/v1/events/api-cafe")).json()["dates"]

    without_date = await register(client, "api-cafe")
    with_date = await register(client, "api-cafe", occurrence_id=dates[1]["id"])

    assert without_date.status_code == 422 and "occurrence_id" in field_messages(without_date)
    assert with_date.status_code == 201 and with_date.json()["status"] == "confirmed"
    (row,) = await registration_rows(event["id"])
    assert row["occurrence"] == dates[1]["id"]


async def test_api_registrations_are_rate_limited(client_with):
    await make_event("api-limit", capacity=100)
    address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"

    async with client_with(address, registration_rate=(2, 3600)) as limited:
        codes = [(await register(limited, "api-limit")).status_code for _ in range(3)]
        last = await register(limited, "api-limit")

    assert codes == [201, 201, 429]
    assert last.json()["status_code"] == 429
    assert "retry-after" in last.headers


async def test_api_reads_are_rate_limited_separately(client_with):
    address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"

    async with client_with(address, api_rate=(2, 3600)) as limited:
        codes = [(await limited.get("/api/v1/events")).status_code for _ in range(3)]
        page = await limited.get("/")

    assert codes == [200, 200, 429]
    assert page.status_code == 200


# --- cancelling -------------------------------------------------------------------------------------------


async def test_cancelling_promotes_the_waiting_list(client):
    event = await make_event("api-cancel", capacity=1)
    holder = (await register(client, "api-cancel")).json()
    await register(client, "api-cancel", email="next@example.org")
    token = holder["manage_url"].rsplit("/", 1)[1]

    response = await client.post(f"/api/v1/registrations/{token}/cancel")
    again = await client.post(f"/api/v1/registrations/{token}/cancel")

    assert response.status_code == 200
    assert response.json() == {"status": "cancelled", "promoted": 1}
    assert again.status_code == 409 and again.json()["code"] == "already_cancelled"
    assert [row["status"] for row in await registration_rows(event["id"])] == ["cancelled", "confirmed"]
    assert "notice.promoted" in await outbox_kinds("next@example.org")


async def test_cancelling_with_an_unknown_token_is_a_404(client):
    response = await client.post("/api/v1/registrations/" + "z" * 43 + "/cancel")

    assert response.status_code == 404


async def test_the_api_needs_no_csrf_token(client):
    await make_event("api-csrf")

    response = await register(client, "api-csrf")

    assert response.status_code == 201


# --- documentation ----------------------------------------------------------------------------------------


async def test_the_openapi_schema_documents_the_public_api(client):
    schema = (await client.get("/schema/openapi.json")).json()

    paths = schema["paths"]
    for path in ("/api/v1/events", "/api/v1/events/{slug}", "/api/v1/events/{slug}/registrations",
                 "/api/v1/registrations/{token}/cancel"):
        assert path in paths, path
    registration = paths["/api/v1/events/{slug}/registrations"]["post"]
    assert {"201", "409", "422"} <= set(registration["responses"])
    components = schema["components"]["schemas"]
    seats = components["EventOut"]["properties"]["seats_left"]
    assert "null when capacity is unlimited" in seats["description"]
    assert "consent" in components["RegistrationIn"]["properties"]
    assert set(components["RegistrationOut"]["properties"]) >= {"status", "ticket_code", "manage_url"}
    assert not any(path.startswith(("/manage", "/events")) for path in paths), "HTML pages stay out of the API"


async def test_field_messages_follow_the_requested_language(client):
    from samrad.core.i18n import _, use_locale

    await make_event("api-sv")
    with use_locale("sv"):
        expected = _("Enter an email address like name@example.com.")

    response = await client.post("/api/v1/events/api-sv/registrations?lang=sv", json=body(email="nope"))

    assert expected != "Enter an email address like name@example.com."
    assert field_messages(response)["email"] == expected

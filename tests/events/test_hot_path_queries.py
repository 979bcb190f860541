"""The hot paths cost a fixed, small number of SQL statements, whatever the data: a change that adds a query
to the event page or to registering fails here (pretix pins its pages the same way)."""

from __future__ import annotations

import public_support
from public_support import csrf_token, make_event, make_workshop, person, post_form

settings = public_support.settings
query_counter = public_support.query_counter

# Exact, so a saving is recorded here as well as a regression.
# The event page: the content version (samrad.core.pagecache), the event with its venue and audiences, its
# dates, the workshops with their waiting lists (the workshops area), and whether its "you said, we did" page has
# something to show (the feedback area).
EVENT_PAGE_QUERIES = 6
# Registering: the event with its audiences and its dates (the form's setup; the workshops only when the event
# asks for them), then the transaction: the event seat, the quota seat, the registration, the email's intent,
# the content version.
API_REGISTRATION_QUERIES = 7
FORM_REGISTRATION_QUERIES = 7


async def _conference() -> dict:
    event = await make_event("hot-path", title={"en": "Hot path conference"}, capacity=100)
    for number in range(3):
        await make_workshop(event["id"], capacity=10, title=f"Workshop {number}")
    return event


async def test_the_event_page_costs_a_fixed_number_of_queries(client, query_counter):
    await _conference()

    with query_counter() as count:
        response = await client.get("/events/hot-path")

    assert response.status_code == 200
    assert count.value == EVENT_PAGE_QUERIES


async def test_registering_through_the_api_costs_a_fixed_number_of_queries(client, query_counter):
    await _conference()
    body = {"name": "Alex Berg", "email": "alex@example.org", "category": "citizen", "consent": True}

    with query_counter() as count:
        response = await client.post("/api/v1/events/hot-path/registrations", json=body)

    assert response.status_code == 201
    assert count.value == API_REGISTRATION_QUERIES


async def test_registering_through_the_form_costs_a_fixed_number_of_queries(client, query_counter):
    await _conference()
    token = await csrf_token(client, "/events/hot-path/register")

    with query_counter() as count:
        response = await post_form(client, "hot-path", person(), token=token)

    assert response.status_code == 303
    assert count.value == FORM_REGISTRATION_QUERIES


async def test_reading_public_pages_makes_no_session(client):
    """A session costs a store write per visitor; someone who only reads the listing or an event page gets none."""
    await _conference()

    for path in ("/", "/events/hot-path", "/calendar.ics", "/events/hot-path/calendar.ics"):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert "samrad_session" not in response.headers.get("set-cookie", ""), path

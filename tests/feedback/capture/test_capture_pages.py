"""The facilitator's capture page without JavaScript: a plain form (POST-redirect-GET, CSRF), the list of what
was captured, undo, and who may open it."""

from __future__ import annotations

import asyncio
import re

import httpx
import staff_support
from input_support import count_items, facilitator, make_setup, new_id, organiser
from staff_support import csrf_from, next_address

from feedback.tables import InputItem, InputRevision

client = staff_support.client


def page_of(setup) -> str:
    return f"/staff/workshops/{setup.workshop_id}/capture"


async def send(client, setup, **fields):
    page = await client.get(page_of(setup))
    assert page.status_code == 200, page.text[:300]
    client_id = re.search(r'name="client_id" value="([^"]+)"', page.text).group(1)
    data = {"_csrf_token": csrf_from(page.text), "client_id": client_id, "kind": "idea", **fields}
    return await client.post(page_of(setup), data=data)


async def test_a_facilitator_captures_and_sees_the_item_newest_first(client):
    setup = await make_setup()
    await facilitator(client, setup.workshop_id)

    first = await send(client, setup, text="Flere bænke i parken", table=str(setup.table_ids[0]))
    # The table chosen last time stays chosen for the next entry.
    assert f'<option value="{setup.table_ids[0]}" selected>' in (await client.get(page_of(setup))).text
    second = await send(client, setup, text="Lys på stien", kind="proposal",
                        theme_ids=[str(setup.theme_ids[0]), str(setup.theme_ids[1])])

    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == page_of(setup)
    page = await client.get(page_of(setup))
    assert page.text.index("Lys på stien") < page.text.index("Flere bænke i parken")
    assert "Saved." in page.text
    row = await InputItem.select().where(InputItem.text == "Lys på stien").first()
    assert row["kind"] == "proposal" and row["source"] == "facilitator"


async def test_sending_the_same_form_twice_stores_it_once(client):
    setup = await make_setup()
    await facilitator(client, setup.workshop_id)
    page = await client.get(page_of(setup))
    data = {"_csrf_token": csrf_from(page.text), "client_id": new_id(), "text": "Once only", "kind": "idea"}

    assert (await client.post(page_of(setup), data=data)).status_code == 303
    again = await client.post(page_of(setup), data=data)

    assert again.status_code == 303
    assert await count_items(text="Once only") == 1
    assert "This entry was already saved." in (await client.get(page_of(setup))).text


async def test_bad_input_reshows_the_form_with_messages(client):
    setup = await make_setup()
    await facilitator(client, setup.workshop_id)

    empty = await send(client, setup, text="   ")
    too_long = await send(client, setup, text="x" * 2001)
    bad_choices = await send(client, setup, text="ok", kind="rant", table="999999", speaker_category="Anna",
                             theme_ids=[str(setup.other_theme_id)])

    assert empty.status_code == too_long.status_code == bad_choices.status_code == 422
    assert "Write what was said." in empty.text and 'id="error-summary"' in empty.text
    assert "Keep it under 2000 characters" in too_long.text
    for message in ("Choose one of the kinds.", "Choose one of this workshop&#39;s tables.",
                    "Choose one of the speaker categories, or none.", "Choose themes this workshop works on."):
        assert message in bad_choices.text
    assert await InputItem.count() == 0


async def test_the_form_needs_the_csrf_token(client):
    setup = await make_setup()
    await facilitator(client, setup.workshop_id)
    await client.get(page_of(setup))
    response = await client.post(page_of(setup), data={"text": "no token", "client_id": new_id()})
    assert response.status_code == 403
    assert await InputItem.count() == 0


async def test_undo_hides_the_item_and_keeps_it_in_the_history(client):
    setup = await make_setup()
    user_id = await facilitator(client, setup.workshop_id)
    await send(client, setup, text="Oops, wrong table")
    item = await InputItem.select().first()
    page = await client.get(page_of(setup))

    response = await client.post(f"{page_of(setup)}/{item['id']}/undo", data={"_csrf_token": csrf_from(page.text)})

    assert response.status_code == 303
    assert (await InputItem.select(InputItem.status).where(InputItem.id == item["id"]).first())["status"] == "hidden"
    revision = await InputRevision.select().where(InputRevision.action == "undo").first()
    assert revision["staff_user"] == user_id
    assert "Oops, wrong table" not in (await client.get(page_of(setup))).text


async def test_a_facilitator_cannot_capture_for_a_workshop_they_do_not_run(client):
    setup = await make_setup()
    await facilitator(client, setup.other_workshop_id)

    assert (await client.get(page_of(setup))).status_code == 404
    token = csrf_from((await client.get(f"/staff/workshops/{setup.other_workshop_id}/capture")).text)
    response = await client.post(page_of(setup), data={"_csrf_token": token, "client_id": new_id(), "text": "x"})
    assert response.status_code == 404
    assert await InputItem.count() == 0


async def test_an_organiser_captures_for_the_workshops_of_their_events_only(client):
    setup = await make_setup()
    other = await make_setup()
    await organiser(client, setup.event_id)
    assert (await client.get(page_of(setup))).status_code == 200
    assert (await client.get(page_of(other))).status_code == 404


async def test_the_anonymous_are_sent_to_the_login_page(client):
    setup = await make_setup()
    response = await client.get(page_of(setup))
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/login")


async def test_two_facilitators_capture_at_the_same_time(app):
    setup = await make_setup()
    browsers = []
    for _ in range(2):
        transport = httpx.ASGITransport(app=app, client=(next_address(), 40000))
        browser = httpx.AsyncClient(transport=transport, base_url="https://testserver.local")
        await facilitator(browser, setup.workshop_id)
        browsers.append(browser)
    try:
        async def capture_many(browser, name):
            for number in range(5):
                response = await send(browser, setup, text=f"{name} {number}")
                assert response.status_code == 303

        await asyncio.gather(*(capture_many(browser, f"facilitator {i}") for i, browser in enumerate(browsers)))
    finally:
        for browser in browsers:
            await browser.aclose()
    assert await InputItem.count() == 10
    assert await InputItem.count().where(InputItem.workshop == setup.workshop_id) == 10


async def test_the_service_worker_is_served_with_a_scope_covering_the_capture_pages(client):
    setup = await make_setup()
    await facilitator(client, setup.workshop_id)
    response = await client.get("/staff/workshops/capture-sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["service-worker-allowed"] == "/staff/workshops/"


async def test_the_page_offers_theme_suggestions_from_the_workshops_policy(client):
    from feedback.tables import Policy

    setup = await make_setup()
    await facilitator(client, setup.workshop_id)
    policy = await Policy.select(Policy.code).order_by(Policy.id, ascending=False).first()
    page = await client.get(page_of(setup))
    assert f'data-urls="/api/v1/policies/{policy["code"]}/suggestions"' in page.text

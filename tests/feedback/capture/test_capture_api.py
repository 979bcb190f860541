"""The capture API: one item or a batch, the same client id answered with the stored item, field errors as
422, the staff list of a workshop's input, and who may call it (the capture page's script with the session and
the page's CSRF header, or a script with a bearer token)."""

from __future__ import annotations

import staff_support
from input_support import capture, facilitator, make_setup, new_id
from staff_support import csrf_from, make_staff

from feedback.tables import InputItem
from samrad.core.accounts import create_api_token

client = staff_support.client


def api_of(setup) -> str:
    return f"/api/v1/workshops/{setup.workshop_id}/input"


async def bearer(role: str = "admin") -> dict[str, str]:
    email = await make_staff(role)
    return {"Authorization": f"Bearer {await create_api_token(email, 'capture app')}"}


async def session_headers(client, setup) -> dict[str, str]:
    page = await client.get(f"/staff/workshops/{setup.workshop_id}/capture")
    return {"X-CSRFToken": csrf_from(page.text)}


async def test_one_item_is_stored_and_answered_with_201(client):
    setup = await make_setup()
    await facilitator(client, setup.workshop_id)
    headers = await session_headers(client, setup)
    body = {"client_id": new_id(), "text": "Pay statistics by gender", "kind": "proposal",
            "theme_ids": [setup.theme_ids[0]], "table": setup.table_ids[0], "speaker_category": "staff"}

    response = await client.post(api_of(setup), json=body, headers=headers)

    assert response.status_code == 201, response.text
    [item] = response.json()["items"]
    assert item["client_id"] == body["client_id"] and item["created"] is True
    assert (item["kind"], item["table"], item["theme_ids"], item["status"]) == (
        "proposal", setup.table_ids[0], [setup.theme_ids[0]], "published")


async def test_a_batch_sent_twice_answers_200_with_the_stored_items(client):
    setup = await make_setup()
    await facilitator(client, setup.workshop_id)
    headers = await session_headers(client, setup)
    batch = {"items": [{"client_id": new_id(), "text": f"entry {n}"} for n in range(3)]}

    first = await client.post(api_of(setup), json=batch, headers=headers)
    again = await client.post(api_of(setup), json=batch, headers=await bearer())

    assert first.status_code == 201 and again.status_code == 200
    assert [i["id"] for i in first.json()["items"]] == [i["id"] for i in again.json()["items"]]
    assert all(i["created"] is False for i in again.json()["items"])
    assert await InputItem.count() == 3


async def test_field_errors_answer_422_and_store_nothing(client):
    setup = await make_setup()
    await facilitator(client, setup.workshop_id)
    headers = await session_headers(client, setup)
    batch = {"items": [{"client_id": new_id(), "text": "fine"},
                       {"client_id": "nope", "text": "", "kind": "rant", "theme_ids": [setup.other_theme_id]}]}

    response = await client.post(api_of(setup), json=batch, headers=headers)

    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"items[1].client_id", "items[1].text", "items[1].kind", "items[1].theme_ids"}
    assert await InputItem.count() == 0
    headers = await bearer()
    single = await client.post(api_of(setup), json={"client_id": new_id(), "text": ""}, headers=headers)
    assert single.status_code == 422 and single.json()["errors"][0]["field"] == "text"
    empty = await client.post(api_of(setup), json={"items": []}, headers=headers)
    assert empty.status_code == 422
    wrong_type = await client.post(api_of(setup), json={"client_id": new_id(), "text": 5}, headers=headers)
    assert wrong_type.status_code == 400


async def test_a_session_call_without_the_csrf_token_is_refused(client):
    setup = await make_setup()
    await facilitator(client, setup.workshop_id)
    await client.get(f"/staff/workshops/{setup.workshop_id}/capture")
    missing = await client.post(api_of(setup), json={"client_id": new_id(), "text": "forged"})
    wrong = await client.post(api_of(setup), json={"client_id": new_id(), "text": "forged"},
                              headers={"X-CSRFToken": "not-the-token"})
    assert missing.status_code == wrong.status_code == 403
    assert await InputItem.count() == 0


async def test_a_bearer_token_captures_without_csrf(client):
    setup = await make_setup()
    response = await client.post(api_of(setup), json={"client_id": new_id(), "text": "from the app"},
                                 headers=await bearer())
    assert response.status_code == 201, response.text


async def test_the_workshop_list_filters_by_status_for_staff_only(client):
    setup = await make_setup()
    await capture(setup, "shown")
    hidden = await capture(setup, "hidden one")
    await InputItem.update({InputItem.status: "hidden"}).where(InputItem.id == hidden["id"])

    assert (await client.get(api_of(setup))).status_code == 401
    await facilitator(client, setup.workshop_id)
    everything = await client.get(api_of(setup))
    published = await client.get(api_of(setup), params={"status": "published"})
    bad = await client.get(api_of(setup), params={"status": "secret"})

    assert [i["text"] for i in everything.json()["items"]] == ["hidden one", "shown"]
    assert [i["text"] for i in published.json()["items"]] == ["shown"]
    assert bad.status_code == 422


async def test_a_facilitator_cannot_use_the_api_of_another_workshop(client):
    setup = await make_setup()
    await facilitator(client, setup.other_workshop_id)
    page = await client.get(f"/staff/workshops/{setup.other_workshop_id}/capture")
    headers = {"X-CSRFToken": csrf_from(page.text)}

    assert (await client.post(api_of(setup), json={"client_id": new_id(), "text": "x"}, headers=headers)
            ).status_code == 404
    assert (await client.get(api_of(setup))).status_code == 404
    assert await InputItem.count() == 0


async def test_the_api_is_in_the_openapi_schema(client):
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert {"post", "get"} <= set(paths["/api/v1/workshops/{workshop_id}/input"])
    assert "post" in paths["/api/v1/join/{code}/input"]

"""Participants' own input by join code: anonymous, in the visitor's language, rate limited, the word list,
pre- and post-moderation, the event being over, voting once per browser; and what participants may read."""

from __future__ import annotations

import re

import httpx
import pytest
import staff_support
from input_support import capture, make_setup, new_id
from staff_support import csrf_from, next_address

from feedback.tables import InputItem, InputVote

client = staff_support.client


async def send(client, code: str, text: str, **fields):
    page = await client.get(f"/j/{code}")
    assert page.status_code == 200, page.text[:300]
    client_id = re.search(r'name="client_id" value="([^"]+)"', page.text).group(1)
    data = {"_csrf_token": csrf_from(page.text), "client_id": client_id, "text": text, "kind": "idea", **fields}
    return await client.post(f"/j/{code}", data=data)


async def test_a_participant_sends_input_anonymously_and_it_is_published(client):
    setup = await make_setup()

    response = await send(client, setup.join_code, "Gratis bind i skolerne", kind="proposal",
                          theme_ids=str(setup.theme_ids[1]))

    assert response.status_code == 303
    assert response.headers["location"] == f"/j/{setup.join_code}?sent=published"
    row = await InputItem.select().first()
    assert (row["source"], row["status"], row["kind"], row["speaker_category"]) == (
        "participant", "published", "proposal", "")
    assert row["workshop"] == setup.workshop_id and row["workshop_table"] is None
    thanks = await client.get(response.headers["location"])
    assert "Your input has been added." in thanks.text and "Gratis bind i skolerne" in thanks.text


async def test_a_tables_code_attributes_the_input_to_the_table(client):
    setup = await make_setup()
    await send(client, setup.table_codes[1].lower(), "Ved bord to")
    row = await InputItem.select().first()
    assert row["workshop_table"] == setup.table_ids[1]


async def test_the_page_speaks_the_visitors_language_and_explains_anonymity(client):
    setup = await make_setup()
    danish = await client.get(f"/j/{setup.join_code}", headers={"Accept-Language": "da"})
    swedish = await client.get(f"/j/{setup.join_code}?lang=sv")
    english = await client.get(f"/j/{setup.join_code}?lang=en")
    assert '<html lang="da">' in danish.text and '<html lang="sv">' in swedish.text
    assert "We do not store your name" in english.text


async def test_the_join_form_finds_a_code_or_says_it_is_unknown(client):
    setup = await make_setup()
    found = await client.get("/j", params={"code": f" {setup.join_code.lower()} "})
    unknown = await client.get("/j", params={"code": "NOSUCH"})
    assert found.status_code == 303 and found.headers["location"] == f"/j/{setup.join_code}"
    assert unknown.status_code == 404 and "No workshop has this code" in unknown.text
    assert (await client.get("/j")).status_code == 200
    assert (await client.get("/j/NOSUCH")).status_code == 404


async def test_the_front_page_has_a_code_box(client):
    response = await client.get("/")
    assert 'action="/j"' in response.text


async def test_words_from_the_word_list_hold_the_input(client):
    setup = await make_setup()
    held = await send(client, setup.join_code, "Chefen er en idiot")
    phone = await send(client, setup.join_code, "Ring til mig på 12 34 56 78")
    assert held.headers["location"].endswith("?sent=held")
    assert phone.headers["location"].endswith("?sent=held")
    assert {row["status"] for row in await InputItem.select(InputItem.status)} == {"held"}
    page = await client.get(f"/j/{setup.join_code}")
    assert "idiot" not in page.text, "participants never see unpublished input"


async def test_pre_moderation_holds_everything_until_approved(client):
    setup = await make_setup(moderation="pre")
    response = await send(client, setup.join_code, "Et helt pænt forslag")
    assert response.headers["location"].endswith("?sent=held")
    assert "will be shown once a moderator" in (await client.get(response.headers["location"])).text
    assert "Et helt pænt forslag" not in (await client.get(f"/j/{setup.join_code}")).text


async def test_bad_input_is_shown_again_with_messages(client):
    setup = await make_setup()
    empty = await send(client, setup.join_code, "")
    long = await send(client, setup.join_code, "x" * 2001)
    kind = await send(client, setup.join_code, "ok", kind="rant", theme_ids=str(setup.other_theme_id))
    assert empty.status_code == long.status_code == kind.status_code == 422
    assert "Write your input." in empty.text and "Keep it under 2000 characters" in long.text
    assert "Choose one of the kinds." in kind.text and "Choose themes this workshop works on." in kind.text
    assert await InputItem.count() == 0


async def test_participants_are_rate_limited_per_address(client, settings):
    setup = await make_setup()
    allowed = settings.participant_input_rate[0]
    for number in range(allowed):
        assert (await send(client, setup.join_code, f"idea {number}")).status_code == 303
    response = await send(client, setup.join_code, "one too many")
    assert response.status_code == 429 and "Retry-After" in response.headers
    assert await InputItem.count() == allowed


async def test_an_event_that_is_over_answers_410(client):
    setup = await make_setup(days=-3)
    response = await client.get(f"/j/{setup.join_code}")
    assert response.status_code == 410 and "This workshop is over" in response.text
    api = await client.post(f"/api/v1/join/{setup.join_code}/input", json={"text": "late"})
    assert api.status_code == 410


async def test_a_workshop_without_participant_input_takes_none(client):
    setup = await make_setup(participant_input=False)
    page = await client.get(f"/j/{setup.join_code}")
    assert "does not take input from participants" in page.text and 'name="text"' not in page.text
    api = await client.post(f"/api/v1/join/{setup.join_code}/input", json={"text": "x"})
    assert api.status_code == 403


async def test_one_vote_per_item_per_browser(app, client):
    setup = await make_setup()
    item = await capture(setup, "Cykelstier til skolen")
    page = await client.get(f"/j/{setup.join_code}")
    token = csrf_from(page.text)

    first = await client.post(f"/j/{setup.join_code}/votes/{item['id']}", data={"_csrf_token": token})
    again = await client.post(f"/j/{setup.join_code}/votes/{item['id']}", data={"_csrf_token": token})
    transport = httpx.ASGITransport(app=app, client=(next_address(), 40000))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver.local") as other:
        other_token = csrf_from((await other.get(f"/j/{setup.join_code}")).text)
        third = await other.post(f"/j/{setup.join_code}/votes/{item['id']}", data={"_csrf_token": other_token})

    assert "voted=1" in first.headers["location"] and "voted=0" in again.headers["location"]
    assert "voted=1" in third.headers["location"]
    row = await InputItem.select(InputItem.votes).where(InputItem.id == item["id"]).first()
    assert row["votes"] == 2 and await InputVote.count() == 2
    keys = [row["vote_key"] for row in await InputVote.select(InputVote.vote_key)]
    assert all(key.startswith(f"{item['id']}:") for key in keys)
    assert first.cookies.get("samrad_voter") not in "".join(keys)


async def test_one_browsers_votes_on_two_items_cannot_be_linked(client):
    setup = await make_setup()
    items = [await capture(setup, "Cykelstier"), await capture(setup, "Flere bænke")]
    token = csrf_from((await client.get(f"/j/{setup.join_code}")).text)
    for item in items:
        response = await client.post(f"/j/{setup.join_code}/votes/{item['id']}", data={"_csrf_token": token})
        assert "voted=1" in response.headers["location"]
    keys = [row["vote_key"] for row in await InputVote.select(InputVote.vote_key)]
    digests = {key.split(":", 1)[1] for key in keys}
    assert len(keys) == 2 and len(digests) == 2, "the same browser leaves a different digest on each item"


async def test_hidden_items_cannot_be_voted_for(client):
    setup = await make_setup()
    item = await capture(setup, "Skjult")
    await InputItem.update({InputItem.status: "hidden"}).where(InputItem.id == item["id"])
    token = csrf_from((await client.get(f"/j/{setup.join_code}")).text)
    response = await client.post(f"/j/{setup.join_code}/votes/{item['id']}", data={"_csrf_token": token})
    assert "voted=0" in response.headers["location"]
    assert await InputVote.count() == 0


# --- the participant API ----------------------------------------------------------------------------------

async def test_the_api_answers_201_published_and_202_held(client):
    setup = await make_setup()
    published = await client.post(f"/api/v1/join/{setup.join_code}/input", json={"text": "Fine idea"})
    held = await client.post(f"/api/v1/join/{setup.join_code}/input", json={"text": "What a stupid plan"})
    assert published.status_code == 201 and published.json()["status"] == "published"
    assert held.status_code == 202 and held.json()["status"] == "held"


async def test_the_api_replays_a_client_id_once(client):
    setup = await make_setup()
    body = {"text": "Same twice", "client_id": new_id()}
    first = await client.post(f"/api/v1/join/{setup.join_code}/input", json=body)
    again = await client.post(f"/api/v1/join/{setup.join_code}/input", json=body)
    assert first.json()["id"] == again.json()["id"]
    assert await InputItem.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [({"text": ""}, "text"), ({"text": "x" * 2001}, "text"), ({"text": "ok", "kind": "rant"}, "kind"),
     ({"text": "ok", "client_id": "nope"}, "client_id"), ({"text": "ok", "theme_ids": [999999]}, "theme_ids")],
)
async def test_the_api_answers_field_errors_with_422(client, body, field):
    setup = await make_setup()
    response = await client.post(f"/api/v1/join/{setup.join_code}/input", json=body)
    assert response.status_code == 422
    assert field in {error["field"] for error in response.json()["errors"]}


async def test_the_api_answers_404_for_an_unknown_code_and_429_over_the_limit(client, settings):
    setup = await make_setup()
    assert (await client.post("/api/v1/join/NOSUCH/input", json={"text": "x"})).status_code == 404
    for number in range(settings.participant_input_rate[0] - 1):
        await client.post(f"/api/v1/join/{setup.join_code}/input", json={"text": f"idea {number}"})
    response = await client.post(f"/api/v1/join/{setup.join_code}/input", json={"text": "too many"})
    assert response.status_code == 429

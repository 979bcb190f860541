"""The public event page links to the event's "you said, we did" page once that page has something to show (input
a public page may show, or a public action answering the event's input), in the visitor's language. The events
area gets the link from the feedback area (``event_follow_up``), never by importing it."""

from __future__ import annotations

import pytest
import staff_support
from follow_up_support import make_event, make_item, make_policy

from feedback.follow_up import services
from feedback.follow_up.services import ActionDetails, StatusChange

client = staff_support.client


def link_to(event: dict) -> str:
    return f'href="/events/{event["slug"]}/follow-up"'


async def action_answering(item: int, theme: int, *, public: bool) -> int:
    action = await services.create_action(
        ActionDetails(theme=theme, title={"en": "Pay audit"}, public=public),
        StatusChange(status="planned", progress=0), "tester",
    )
    await services.link_items(action, [item], "tester")
    return action


async def test_the_link_appears_once_input_is_published(client):
    themes = await make_policy()
    quiet = await make_event("Quiet")
    unmoderated = await make_event("Held only")
    await make_item(unmoderated["id"], "Waiting for a moderator", status="held")
    await make_item(unmoderated["id"], "Hidden by a moderator", status="hidden")
    heard = await make_event("Heard")
    await make_item(heard["id"], "Equal pay for equal work", themes=(themes["A"],))
    for event, linked in ((quiet, False), (unmoderated, False), (heard, True)):
        page = await client.get(f"/events/{event['slug']}?lang=en")
        assert page.status_code == 200
        assert (link_to(event) in page.text) is linked, event["title"]["en"]
    assert "1 piece of input was published." in (await client.get(f"/events/{heard['slug']}/follow-up?lang=en")).text


async def test_a_public_action_answering_the_events_input_is_something_to_show(client):
    themes = await make_policy()
    answered, private = await make_event("Answered"), await make_event("Answered in private")
    for event, public in ((answered, True), (private, False)):
        hidden = await make_item(event["id"], "Said with a name in it", themes=(themes["A"],), status="hidden")
        await action_answering(hidden, themes["A"], public=public)
    assert link_to(answered) in (await client.get(f"/events/{answered['slug']}")).text
    assert link_to(private) not in (await client.get(f"/events/{private['slug']}")).text


@pytest.mark.parametrize("lang, heading, words", [
    ("da", "Opfølgning: I sagde, vi gjorde", "Læs, hvad der blev sagt ved arrangementet"),
    ("sv", "Uppföljning: ni sa, vi gjorde", "Läs vad som sades på evenemanget"),
    ("en", "Follow-up: you said, we did", "Read what was heard at this event"),
])
async def test_the_link_speaks_the_visitors_language(client, lang, heading, words):
    event = await make_event("Heard")
    await make_item(event["id"], "More benches in the park")
    text = (await client.get(f"/events/{event['slug']}?lang={lang}")).text
    assert heading in text and words in text and link_to(event) in text

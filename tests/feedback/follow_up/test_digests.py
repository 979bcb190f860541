"""Digests: opting in on the public page (kept apart from the input), at most one email a day when an action
linked to the event's input changes, the unsubscribe link and the one-click POST (RFC 8058), without login."""

from __future__ import annotations

from datetime import timedelta

import pytest
import staff_support
from follow_up_support import make_event, make_item, make_policy
from mailcal_support import deliver_due, eml_files, outbox_rows, parse_eml
from staff_support import csrf_from

from feedback.follow_up import digests, services
from feedback.follow_up.services import ActionDetails, StatusChange
from feedback.tables import DigestSubscription, FollowUpChange, InputItem
from samrad.core.clock import now_utc
from samrad.core.tables import OutboxMessage

client = staff_support.client


@pytest.fixture
async def world():
    themes = await make_policy()
    event = await make_event("Dialogue", published=True)
    other = await make_event("Other", published=True)
    item = await make_item(event["id"], "Better lighting on the path", themes=(themes["A"],))
    other_item = await make_item(other["id"], "Something else", themes=(themes["A"],))
    action_id = await services.create_action(
        ActionDetails(theme=themes["A"], title={"en": "Lighting", "da": "Belysning"}),
        StatusChange("planned", 0), "t")
    await services.link_items(action_id, [item], "t")
    return {"themes": themes, "event": event, "other": other, "action": action_id, "other_item": other_item}


async def subscribe_through_the_page(client, slug: str, email: str):
    page = await client.get(f"/events/{slug}/follow-up")
    return await client.post(f"/events/{slug}/follow-up/subscribe",
                             data={"_csrf_token": csrf_from(page.text), "email": email, "website": ""})


async def test_opting_in_on_the_public_page_keeps_the_address_apart_from_the_input(client, world):
    response = await subscribe_through_the_page(client, world["event"]["slug"], "reader@example.org")
    assert response.status_code == 303 and "subscribed=1" in response.headers["location"]
    rows = await DigestSubscription.select()
    assert [row["email"] for row in rows] == ["reader@example.org"]
    again = await subscribe_through_the_page(client, world["event"]["slug"], "READER@example.org")
    assert again.status_code == 303 and await DigestSubscription.count() == 1
    columns = {column._meta.name for column in InputItem._meta.columns}
    assert "email" not in columns and not any("subscription" in name for name in columns)


@pytest.mark.parametrize("email", ["", "not-an-address", "a@b", "x" * 250 + "@example.org"])
async def test_a_bad_address_is_refused_with_an_error_summary(client, world, email):
    response = await subscribe_through_the_page(client, world["event"]["slug"], email)
    assert response.status_code == 422 and "error-summary" in response.text
    assert await DigestSubscription.count() == 0


async def test_the_honeypot_subscribes_no_one(client, world):
    page = await client.get(f"/events/{world['event']['slug']}/follow-up")
    await client.post(f"/events/{world['event']['slug']}/follow-up/subscribe",
                      data={"_csrf_token": csrf_from(page.text), "email": "bot@example.org", "website": "x"})
    assert await DigestSubscription.count() == 0


async def test_one_digest_a_day_when_a_linked_action_changes(world, settings):
    await digests.subscribe(world["event"]["id"], "reader@example.org", "en")
    await digests.subscribe(world["other"]["id"], "other@example.org", "en")
    now = now_utc()
    assert await digests.digest_job(now, settings, {}) == {}  # nothing new yet
    await services.change_status(world["action"], StatusChange("in_progress", 25, note={"en": "Poles ordered."}),
                                 "t")
    first = now_utc()
    assert await digests.digest_job(first, settings, {}) == {"digests": 1}
    await services.change_status(world["action"], StatusChange("in_progress", 50), "t")
    assert await digests.digest_job(first + timedelta(hours=2), settings, {}) == {}  # not twice a day
    assert await digests.digest_job(first + timedelta(days=1, minutes=1), settings, {}) == {"digests": 1}
    rows = await outbox_rows(kind=digests.MAIL_KIND)
    assert [row["to_address"] for row in rows] == ["reader@example.org", "reader@example.org"]
    assert "Poles ordered." in rows[0]["text_body"] and "50%" in rows[1]["text_body"]


async def test_the_digest_carries_unsubscribe_links_and_headers(world, settings):
    await digests.subscribe(world["event"]["id"], "reader@example.org", "da")
    await services.change_status(world["action"], StatusChange("done", 100, note={"da": "Lyset er tændt."}), "t")
    await digests.digest_job(now_utc() + timedelta(minutes=1), settings, {})
    await deliver_due(settings)
    files = eml_files(settings.mail_dir)
    message = parse_eml(files[-1].read_bytes())
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    one_click = message["List-Unsubscribe"].strip("<>")
    assert "/api/v1/follow-up/unsubscribe/" in one_click
    body = message.get_body(("plain",)).get_content()
    assert "Lyset er tændt." in body and "/follow-up/unsubscribe/" in body


async def test_a_removed_subscription_sends_nothing(world, settings):
    await digests.subscribe(world["event"]["id"], "reader@example.org", "en")
    await services.change_status(world["action"], StatusChange("done", 100), "t")
    await digests.digest_job(now_utc() + timedelta(minutes=1), settings, {})
    await DigestSubscription.delete(force=True)
    report = await deliver_due(settings)
    assert report.skipped == 1


async def test_unsubscribe_page_then_button_without_login(client, world):
    await digests.subscribe(world["event"]["id"], "reader@example.org", "en")
    key = digests.subscription_key(world["event"]["id"], "reader@example.org")
    token = digests.unsubscribe_token(key)
    page = await client.get(f"/follow-up/unsubscribe/{token}")
    assert page.status_code == 200 and await DigestSubscription.count() == 1  # opening the link changes nothing
    response = await client.post(f"/follow-up/unsubscribe/{token}", data={"_csrf_token": csrf_from(page.text)})
    assert response.status_code == 200 and "no more follow-up emails" in response.text
    assert await DigestSubscription.count() == 0
    assert (await client.get(f"/follow-up/unsubscribe/{token}")).status_code == 404


async def test_one_click_unsubscribe_needs_no_form_and_no_login(client, world):
    await digests.subscribe(world["event"]["id"], "reader@example.org", "en")
    token = digests.unsubscribe_token(digests.subscription_key(world["event"]["id"], "reader@example.org"))
    response = await client.post(f"/api/v1/follow-up/unsubscribe/{token}",
                                 content=b"List-Unsubscribe=One-Click",
                                 headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200 and response.json() == {"unsubscribed": True}
    assert await DigestSubscription.count() == 0
    again = await client.post(f"/api/v1/follow-up/unsubscribe/{token}")
    assert again.status_code == 404
    assert (await client.post("/api/v1/follow-up/unsubscribe/" + "x" * 300)).status_code == 404


async def test_subscriptions_are_deleted_two_years_after_the_event(world, settings):
    await digests.subscribe(world["event"]["id"], "reader@example.org", "en")
    later = now_utc() + timedelta(days=settings.digest_retention_days + 70)
    assert await digests.purge_subscriptions(later, settings, True) == {"digest_subscription:deleted": 1}
    assert await DigestSubscription.count() == 1  # a dry run deletes nothing
    assert await digests.purge_subscriptions(later, settings, False) == {"digest_subscription:deleted": 1}
    assert await DigestSubscription.count() == 0


async def test_changes_of_actions_not_public_send_nothing(world, settings):
    from feedback.tables import FollowUp

    await digests.subscribe(world["event"]["id"], "reader@example.org", "en")
    await FollowUp.update({FollowUp.public: False}).where(FollowUp.id == world["action"])
    await services.change_status(world["action"], StatusChange("done", 100), "t")
    assert await FollowUpChange.count() == 2
    assert await digests.digest_job(now_utc() + timedelta(minutes=1), settings, {}) == {}
    assert await OutboxMessage.count() == 0


async def test_the_participant_input_page_leads_to_the_opt_in(client):
    from workshops.tables import Workshop

    event = await make_event("Tomorrow", days_ago=-1, published=True)
    workshop = Workshop(event=event["id"], title={"en": "Table talk"}, join_code="FUOPTIN7")
    await workshop.save()
    page = await client.get("/j/FUOPTIN7?lang=en")
    assert page.status_code == 200 and f'href="/follow-up/events/{event["id"]}"' in page.text
    assert 'name="email"' not in page.text  # the address is never asked next to the input
    response = await client.get(f"/follow-up/events/{event['id']}")
    assert response.status_code == 303
    assert response.headers["location"] == f"/events/{event['slug']}/follow-up#subscribe"
    draft = await make_event("Draft", published=False)
    assert (await client.get(f"/follow-up/events/{draft['id']}")).status_code == 404

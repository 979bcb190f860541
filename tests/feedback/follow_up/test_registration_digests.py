"""Digests for people who ticked the follow-up opt-in when registering: the same digest (at most one a day per
address and event, through the outbox, with the unsubscribe link and one-click headers), none after the
registration is cancelled or erased, and an unsubscribe that stays."""

from __future__ import annotations

from datetime import timedelta

import pytest
import registration_support
from follow_up_support import make_item, make_policy
from mailcal_support import deliver_due, eml_files, parse_eml
from registration_support import person

from events.registration import rights
from events.registration import services as registration
from events.tables import Registration
from feedback.follow_up import digests, services
from feedback.follow_up.services import ActionDetails, StatusChange
from feedback.tables import DigestSubscription
from samrad.core.clock import now_utc
from samrad.core.tables import OutboxMessage


@pytest.fixture
async def world():
    themes = await make_policy()
    event = await registration_support.make_event()
    item = await make_item(event["id"], "Better lighting on the path", themes=(themes["A"],))
    action_id = await services.create_action(
        ActionDetails(theme=themes["A"], title={"en": "Lighting", "da": "Belysning"}),
        StatusChange("planned", 0), "t")
    await services.link_items(action_id, [item], "t")
    return {"event": event, "action": action_id}


async def register(world, number: int, opt_in: bool = True):
    return await registration.register(world["event"]["id"], person(number, follow_up_opt_in=opt_in), None)


async def change(world, progress: int):
    await services.change_status(world["action"], StatusChange("in_progress", progress), "t")


async def digest_addresses() -> list[str]:
    rows = await OutboxMessage.select(OutboxMessage.to_address).where(OutboxMessage.kind == digests.MAIL_KIND)
    return sorted(row["to_address"] for row in rows)


async def test_registrants_who_opted_in_get_one_digest_a_day(world, settings):
    await register(world, 1)
    await register(world, 2, opt_in=False)
    await change(world, 25)
    first = now_utc()
    assert await digests.digest_job(first, settings, {}) == {"digests": 1}
    await change(world, 50)
    assert await digests.digest_job(first + timedelta(hours=3), settings, {}) == {}
    assert await digests.digest_job(first + timedelta(days=1, minutes=1), settings, {}) == {"digests": 1}
    assert await digest_addresses() == ["person1@example.org", "person1@example.org"]


async def test_a_registrant_who_also_subscribed_on_the_page_gets_one_digest(world, settings):
    await digests.subscribe(world["event"]["id"], "PERSON1@example.org", "en")
    await register(world, 1)
    await change(world, 25)
    assert await digests.digest_job(now_utc() + timedelta(minutes=1), settings, {}) == {"digests": 1}
    assert await DigestSubscription.count() == 1


async def test_the_registration_digest_carries_the_unsubscribe_link_and_headers(world, settings):
    await register(world, 1)
    await change(world, 25)
    await digests.digest_job(now_utc() + timedelta(minutes=1), settings, {})
    await deliver_due(settings)
    digest = next(parse_eml(path.read_bytes()) for path in eml_files(settings.mail_dir)
                  if "Lighting" in parse_eml(path.read_bytes()).get_body(("plain",)).get_content())
    assert digest["To"] == "person1@example.org"
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/api/v1/follow-up/unsubscribe/" in digest["List-Unsubscribe"]
    assert "/follow-up/unsubscribe/" in digest.get_body(("plain",)).get_content()


async def test_cancelled_and_erased_registrations_get_no_digest(world, settings):
    cancelled = await register(world, 1)
    erased = await register(world, 2)
    await register(world, 3)
    await digests.digest_job(now_utc(), settings, {})  # the three are subscribed
    await registration.cancel(cancelled.manage_token, None)
    await rights.erase(erased.manage_token, None)
    await change(world, 25)
    assert await digests.digest_job(now_utc() + timedelta(minutes=1), settings, {}) == {"digests": 1}
    assert await digest_addresses() == ["person3@example.org"]


@pytest.mark.parametrize("one_click", [True, False])
async def test_an_unsubscribe_stops_the_digests_for_good(client, world, settings, one_click):
    await register(world, 1)
    await change(world, 25)
    first = now_utc()
    assert await digests.digest_job(first, settings, {}) == {"digests": 1}
    token = digests.unsubscribe_token(digests.subscription_key(world["event"]["id"], "person1@example.org"))
    if one_click:
        response = await client.post(f"/api/v1/follow-up/unsubscribe/{token}", content=b"List-Unsubscribe=One-Click",
                                     headers={"content-type": "application/x-www-form-urlencoded"})
    else:
        from staff_support import csrf_from

        page = await client.get(f"/follow-up/unsubscribe/{token}")
        response = await client.post(f"/follow-up/unsubscribe/{token}", data={"_csrf_token": csrf_from(page.text)})
    assert response.status_code == 200
    await change(world, 50)
    assert await digests.digest_job(first + timedelta(days=2), settings, {}) == {}
    assert await DigestSubscription.count() == 0
    assert [row["follow_up_opt_in"] for row in await Registration.select(Registration.follow_up_opt_in)] == [False]

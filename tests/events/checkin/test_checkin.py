"""At the door: scanning or typing ticket codes, finding people by name, counting drop-in visitors."""

from __future__ import annotations

import re
from datetime import timedelta

import staff_support
from registration_support import make_event, make_occurrence, soon
from staff_support import csrf_token, login_as, post_form

from events.contracts import RegistrationInput
from events.registration import services
from events.tables import Occurrence, Registration

client = staff_support.client
_people = iter(range(1, 100_000))


async def register(event_id: int, name: str | None = None, **fields) -> services.RegistrationResult:
    number = next(_people)
    data = RegistrationInput(
        name=name or f"Visitor {number}", email=f"visitor{number}@example.org",
        category=fields.pop("category", "citizen"), locale="en", **fields,
    )
    return await services.register(event_id, data, None)


async def scan(client, event_id: int, code: str):
    page = f"/staff/checkin/{event_id}"
    return await post_form(client, page, page, {"code": code})


def result_box(html: str) -> str:
    match = re.search(r'<div class="checkin-result[^"]*" role="alert">(.*?)</div>', html, re.S)
    assert match, "no check-in result on the page"
    return match.group(1)


async def test_a_scanned_ticket_checks_in_once(client):
    event = await make_event(capacity=10)
    ticket = await register(event["id"], "Mette Kjær", access_needs=("hearing_loop",))
    await login_as(client, "checkin")
    response = await scan(client, event["id"], ticket.ticket_code)
    assert response.status_code == 303 and response.headers["location"] == f"/staff/checkin/{event['id']}"
    page = await client.get(response.headers["location"])
    box = result_box(page.text)
    assert "Welcome: checked in" in box and "Mette Kjær" in box and "Hearing loop" in box
    assert "1 of 1 checked in" in page.text
    again = await client.get((await scan(client, event["id"], ticket.ticket_code)).headers["location"])
    assert "Already checked in" in result_box(again.text)
    row = await Registration.select(Registration.checked_in_at).first()
    assert row["checked_in_at"] is not None


async def test_a_typed_code_may_have_spaces_and_small_letters(client):
    event = await make_event()
    ticket = await register(event["id"])
    await login_as(client, "checkin")
    typed = " ".join(ticket.ticket_code[i:i + 3] for i in range(0, len(ticket.ticket_code), 3)).lower()
    page = await client.get((await scan(client, event["id"], typed)).headers["location"])
    assert "Welcome: checked in" in result_box(page.text)


async def test_the_result_is_shown_once(client):
    event = await make_event()
    ticket = await register(event["id"])
    await login_as(client, "checkin")
    await client.get((await scan(client, event["id"], ticket.ticket_code)).headers["location"])
    assert 'class="checkin-result' not in (await client.get(f"/staff/checkin/{event['id']}")).text


async def test_an_unknown_code_is_refused_with_a_way_forward(client):
    event = await make_event()
    await login_as(client, "checkin")
    page = await client.get((await scan(client, event["id"], "ZZZZ22ZZZZ")).headers["location"])
    box = result_box(page.text)
    assert "Not checked in" in box and "No ticket has this code" in box and "find the person by name" in box


async def test_an_empty_code_asks_for_one(client):
    event = await make_event()
    await login_as(client, "checkin")
    response = await scan(client, event["id"], " - ")
    assert response.status_code == 422
    assert "Enter or scan the ticket code." in response.text and 'class="error-summary"' in response.text


async def test_a_ticket_for_another_event_or_the_waiting_list_is_refused(client):
    event = await make_event(capacity=1)
    other = await make_event()
    other_ticket = await register(other["id"])
    await register(event["id"])
    waiting = await register(event["id"])
    assert waiting.status == "waitlisted"
    await login_as(client, "checkin")
    page = await client.get((await scan(client, event["id"], other_ticket.ticket_code)).headers["location"])
    assert "This ticket is for another event." in result_box(page.text)
    page = await client.get((await scan(client, event["id"], waiting.ticket_code)).headers["location"])
    assert "waiting list" in result_box(page.text)
    assert await Registration.count().where(Registration.checked_in_at.is_not_null()) == 0


async def test_a_cancelled_ticket_is_refused(client):
    event = await make_event()
    ticket = await register(event["id"])
    await services.cancel(ticket.manage_token, None)
    await login_as(client, "checkin")
    page = await client.get((await scan(client, event["id"], ticket.ticket_code)).headers["location"])
    assert "This registration has been cancelled." in result_box(page.text)


async def test_someone_without_their_ticket_is_found_by_name(client):
    event = await make_event()
    await register(event["id"], "Søren Østergaard")
    await register(event["id"], "Anna Karlsson")
    await login_as(client, "checkin")
    page = await client.get(f"/staff/checkin/{event['id']}?q=  østergaard ")
    assert page.status_code == 200
    assert "Søren Østergaard" in page.text and "Anna Karlsson" not in page.text
    action = re.search(r'action="(/staff/checkin/\d+/registrations/\d+)"', page.text).group(1)
    response = await post_form(client, f"/staff/checkin/{event['id']}", action, {})
    assert response.status_code == 303
    after = await client.get(response.headers["location"])
    assert "Søren Østergaard" in result_box(after.text)
    nobody = await client.get(f"/staff/checkin/{event['id']}?q=Nobody")
    assert "Nobody with that name is registered." in nobody.text


async def test_name_search_treats_wildcards_as_text(client):
    event = await make_event()
    await register(event["id"], "Lena Wetterlind")
    await login_as(client, "checkin")
    page = await client.get(f"/staff/checkin/{event['id']}?q=%25")
    assert "Lena Wetterlind" not in page.text


async def test_a_sensitive_event_shows_no_names_at_the_door(client):
    event = await make_event(sensitive=True)
    ticket = await register(event["id"], "Robin Private")
    await login_as(client, "checkin")
    page = await client.get(f"/staff/checkin/{event['id']}?q=Robin")
    assert "Robin Private" not in page.text and 'name="q"' not in page.text
    after = await client.get((await scan(client, event["id"], ticket.ticket_code)).headers["location"])
    box = result_box(after.text)
    assert "Welcome: checked in" in box and "Robin Private" not in box
    token = await csrf_token(client, f"/staff/checkin/{event['id']}")
    response = await client.post(f"/staff/checkin/{event['id']}/registrations/{ticket.registration_id}",
                                 data={"_csrf_token": token})
    assert response.status_code == 404


async def test_checking_in_someone_of_another_event_by_id_is_not_found(client):
    event = await make_event()
    other = await make_event()
    stranger = await register(other["id"])
    await login_as(client, "checkin")
    token = await csrf_token(client, f"/staff/checkin/{event['id']}")
    response = await client.post(f"/staff/checkin/{event['id']}/registrations/{stranger.registration_id}",
                                 data={"_csrf_token": token})
    assert response.status_code == 404
    assert (await Registration.select(Registration.checked_in_at).first())["checked_in_at"] is None


# --- drop-in headcount ------------------------------------------------------------------------------------

async def make_cafe() -> tuple[dict, int]:
    event = await make_event(capacity=None, registration_mode="dropin", sensitive=True, questions=(),
                             recurrence_rule="FREQ=WEEKLY;BYDAY=TH", starts_at=soon(-7))
    await make_occurrence(event["id"], soon(-7))
    today = await make_occurrence(event["id"], soon(0))
    await make_occurrence(event["id"], soon(60))
    return event, today


async def test_the_cafe_page_offers_recent_and_coming_dates_to_count(client):
    event, today = await make_cafe()
    await login_as(client, "checkin")
    page = await client.get(f"/staff/checkin/{event['id']}")
    dates = re.findall(r'href="/staff/checkin/dates/(\d+)"', page.text)
    assert str(today) in dates and len(dates) == 2, "last week and today; not two months ahead"
    assert 'name="code"' not in page.text, "nobody registered: no ticket form"


async def test_counting_visitors_with_plus_and_minus(client):
    _, today = await make_cafe()
    await login_as(client, "checkin")
    page = f"/staff/checkin/dates/{today}"
    for _ in range(3):
        response = await post_form(client, page, f"{page}/add", {"delta": "1"})
        assert response.status_code == 303 and response.headers["location"] == page
    await post_form(client, page, f"{page}/add", {"delta": "-1"})
    shown = await client.get(page)
    assert re.search(r'class="headcount-number">2<', shown.text)
    assert (await Occurrence.select(Occurrence.headcount).where(Occurrence.id == today).first())["headcount"] == 2


async def test_minus_never_goes_below_zero(client):
    _event, today = await make_cafe()
    await login_as(client, "checkin")
    page = f"/staff/checkin/dates/{today}"
    await post_form(client, page, f"{page}/add", {"delta": "-1"})
    assert (await Occurrence.select(Occurrence.headcount).where(Occurrence.id == today).first())["headcount"] == 0


async def test_setting_the_count_at_once(client):
    _event, today = await make_cafe()
    await login_as(client, "checkin")
    page = f"/staff/checkin/dates/{today}"
    response = await post_form(client, page, f"{page}/set", {"count": "11"})
    assert response.status_code == 303
    assert "The number of visitors has been saved." in (await client.get(page)).text
    assert (await Occurrence.select(Occurrence.headcount).where(Occurrence.id == today).first())["headcount"] == 11


async def test_bad_counts_are_explained_and_change_nothing(client):
    _event, today = await make_cafe()
    await Occurrence.update({Occurrence.headcount: 4}).where(Occurrence.id == today)
    await login_as(client, "checkin")
    page = f"/staff/checkin/dates/{today}"
    for value in ("ten", "-3", "1.5", "99999999", ""):
        response = await post_form(client, page, f"{page}/set", {"count": value})
        assert response.status_code == 422, value
        assert "Enter the number of visitors as a whole number from 0 to" in response.text
        assert 'class="error-summary"' in response.text
    for delta in ("5", "", "+1"):
        response = await post_form(client, page, f"{page}/add", {"delta": delta})
        assert response.status_code == 422, delta
        assert "Use the buttons to add or remove one visitor." in response.text
    assert (await Occurrence.select(Occurrence.headcount).where(Occurrence.id == today).first())["headcount"] == 4


async def test_an_unknown_date_is_not_found(client):
    await login_as(client, "checkin")
    assert (await client.get("/staff/checkin/dates/999999")).status_code == 404


async def test_the_check_in_list_shows_upcoming_published_events(client):
    event = await make_event(title={"en": "Network meeting"})
    hidden = await make_event(title={"en": "Draft training"}, published=False)
    old = await make_event(title={"en": "Old meeting"}, starts_at=soon(-30))
    assert hidden and old
    await login_as(client, "checkin")
    page = await client.get("/staff/checkin")
    assert f'href="/staff/checkin/{event["id"]}"' in page.text
    assert "Draft training" not in page.text and "Old meeting" not in page.text


async def test_the_day_after_dates_are_still_countable(client):
    event, _ = await make_cafe()
    yesterday = await make_occurrence(event["id"], soon(-1) - timedelta(hours=1))
    await login_as(client, "checkin")
    page = await client.get(f"/staff/checkin/{event['id']}")
    assert f'href="/staff/checkin/dates/{yesterday}"' in page.text

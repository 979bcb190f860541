"""The secret manage link: see, change, cancel, ticket and calendar, and the person's own data."""

from __future__ import annotations

import io
import json
import re

import icalendar
import public_support
import zxingcpp
from PIL import Image
from public_support import (
    csrf_token,
    make_event,
    make_workshop,
    outbox_kinds,
    post_form,
    register_via_form,
    registration_rows,
)

settings = public_support.settings


async def _post(client, path: str, fields: dict | None = None):
    """Post a manage form with the CSRF token of the page it is on."""
    token = await csrf_token(client, path)
    return await client.post(path, data={"_csrf_token": token, **(fields or {})})


# --- seeing -----------------------------------------------------------------------------------------------


async def test_unknown_manage_link_is_a_404(client):
    for path in ("/manage/not-a-real-token", "/manage/x" * 1, "/manage/" + "a" * 43 + "/ticket.png",
                 "/manage/" + "b" * 43 + "/data.json"):
        response = await client.get(path)
        assert response.status_code == 404, path


async def test_manage_page_shows_the_registration_and_is_never_cached(client):
    event = await make_event("seen", questions=["diet"], capacity=5)
    path = await register_via_form(client, "seen", name="Mary Jackson", diet="No nuts")

    response = await client.get(path)

    (row,) = await registration_rows(event["id"])
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "Mary Jackson" in response.text and "No nuts" in response.text
    assert "Confirmed" in response.text
    assert row["ticket_code"] in response.text
    assert f'src="{path}/ticket.svg"' in response.text


async def test_the_qr_ticket_decodes_to_the_ticket_code(client):
    event = await make_event("qr")
    path = await register_via_form(client, "qr")
    (row,) = await registration_rows(event["id"])

    png = await client.get(f"{path}/ticket.png")
    svg = await client.get(f"{path}/ticket.svg")

    assert png.headers["content-type"] == "image/png"
    (decoded,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
    assert decoded.text == row["ticket_code"]
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content


async def test_the_calendar_file_is_the_invitation_without_the_secret_link(client):
    await make_event("cal", title={"en": "Calendar day"})
    path = await register_via_form(client, "cal")

    response = await client.get(f"{path}/calendar.ics")

    assert response.status_code == 200
    calendar = icalendar.Calendar.from_ical(response.content)
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Calendar day"
    assert "/manage/" not in response.text
    assert path.rsplit("/", 1)[1] not in response.text


async def test_the_waiting_list_position_is_shown(client):
    await make_event("wait", capacity=1)
    await register_via_form(client, "wait")
    await register_via_form(client, "wait")
    third = await register_via_form(client, "wait")

    html = (await client.get(third)).text

    assert "On the waiting list" in html
    assert "You are number 2 on the waiting list." in html
    assert "Your ticket" not in html
    assert (await client.get(f"{third}/ticket.png")).status_code == 404


# --- changing ---------------------------------------------------------------------------------------------


async def test_changing_answers_saves_them_and_sends_an_email(client):
    event = await make_event("change", questions=["diet", "pronouns", "access_needs"])
    path = await register_via_form(client, "change", email="change@example.org", diet="Vegetarian")

    form = await client.get(f"{path}/change")
    response = await _post(client, f"{path}/change", {"name": "Dorothy Vaughan", "locale": "sv", "diet": "Vegan",
                                                       "pronouns": "she/her", "access_needs": ["step_free"]})
    page = await client.get(response.headers["location"])

    assert 'value="Vegetarian"' in form.text
    assert response.status_code == 303 and response.headers["location"] == path
    assert "Your changes are saved" in page.text
    (row,) = await registration_rows(event["id"])
    assert (row["name"], row["locale"], row["diet"], row["pronouns"]) == ("Dorothy Vaughan", "sv", "Vegan", "she/her")
    assert row["access_needs"] == ["step_free"]
    assert await outbox_kinds("change@example.org") == ["notice.confirmed", "notice.changed"]


async def test_changing_workshops_moves_the_seat(client):
    event = await make_event("move", questions=["workshops"])
    first = await make_workshop(event["id"], title="First", capacity=3)
    second = await make_workshop(event["id"], title="Second", capacity=3)
    path = await register_via_form(client, "move", workshop_ids=[str(first)])

    await _post(client, f"{path}/change", {"name": "Ada", "locale": "en", "workshop_ids": [str(second)]})

    from workshops.tables import Workshop

    booked = {row["id"]: row["booked"] for row in await Workshop.select(Workshop.id, Workshop.booked)}
    assert booked == {first: 0, second: 1}


async def test_a_bad_change_is_explained_and_nothing_changes(client):
    event = await make_event("bad-change", questions=["diet"])
    path = await register_via_form(client, "bad-change", name="Original")

    response = await _post(client, f"{path}/change", {"name": "", "locale": "xx", "diet": "D" * 400})

    assert response.status_code == 422
    assert "Enter your name." in response.text
    assert "Use at most 300 characters." in response.text
    assert "Choose one of the languages" in response.text
    (row,) = await registration_rows(event["id"])
    assert row["name"] == "Original"


async def test_manage_posts_need_the_csrf_token(client):
    await make_event("guarded")
    path = await register_via_form(client, "guarded")

    for action in ("change", "cancel", "delete"):
        response = await client.post(f"{path}/{action}", data={"name": "X"})
        assert response.status_code == 403, action


# --- cancelling -------------------------------------------------------------------------------------------


async def test_cancelling_asks_first_then_frees_the_seat_for_the_waiting_list(client):
    event = await make_event("cancel", capacity=1)
    holder = await register_via_form(client, "cancel", email="holder@example.org")
    waiting = await register_via_form(client, "cancel", email="waiting@example.org")

    confirm = await client.get(f"{holder}/cancel")
    response = await _post(client, f"{holder}/cancel")
    page = await client.get(response.headers["location"])

    assert "Yes, cancel my registration" in confirm.text
    assert response.status_code == 303
    assert "Your registration is cancelled" in page.text
    assert "Cancel your registration" not in page.text.split("What you can do", 1)[1]
    holder_row, waiting_row = await registration_rows(event["id"])
    assert holder_row["status"] == "cancelled"
    assert waiting_row["status"] == "confirmed"
    assert "notice.promoted" in await outbox_kinds("waiting@example.org")
    assert "Confirmed" in (await client.get(waiting)).text


async def test_once_the_event_has_started_it_can_no_longer_be_cancelled_here(client):
    from datetime import UTC, datetime, timedelta

    from events.tables import Event, Occurrence

    event = await make_event("started")
    path = await register_via_form(client, "started")
    token = await csrf_token(client, f"{path}/cancel")
    begun = datetime.now(UTC) - timedelta(minutes=5)
    await Event.update({Event.starts_at: begun}).where(Event.id == event["id"])
    await Occurrence.update({Occurrence.starts_at: begun}).where(Occurrence.event == event["id"])

    page = await client.get(path)
    response = await client.post(f"{path}/cancel", data={"_csrf_token": token})

    assert "can no longer be changed here" in page.text
    assert f'href="{path}/cancel"' not in page.text
    assert response.status_code == 409
    assert (await registration_rows(event["id"]))[0]["status"] == "confirmed"


# --- your data --------------------------------------------------------------------------------------------


async def test_data_page_shows_everything_stored_and_offers_download_and_delete(client):
    await make_event("data", questions=["diet"])
    path = await register_via_form(client, "data", name="Hedy Lamarr", email="hedy@example.org", diet="Halal")

    page = await client.get(f"{path}/data")
    download = await client.get(f"{path}/data.json")

    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert "Hedy Lamarr" in page.text and "hedy@example.org" in page.text and "Halal" in page.text
    assert f'href="{path}/data.json"' in page.text and f'href="{path}/delete"' in page.text
    assert download.headers["content-type"].startswith("application/json")
    assert "attachment" in download.headers["content-disposition"]
    data = json.loads(download.content)
    assert data["registration"]["name"] == "Hedy Lamarr"
    assert data["registration"]["diet"] == "Halal"
    assert data["emails"][0]["kind"] == "notice.confirmed"


async def test_deleting_ones_data_anonymises_it_and_kills_the_link(client):
    event = await make_event("erase", capacity=1)
    path = await register_via_form(client, "erase", name="Erased Person", email="erase@example.org")
    waiting = await register_via_form(client, "erase")

    confirm = await client.get(f"{path}/delete")
    response = await _post(client, f"{path}/delete")
    done = await client.get(response.headers["location"])

    assert "Yes, delete my data" in confirm.text
    assert response.status_code == 303 and response.headers["location"] == "/manage/deleted"
    assert "Your data has been deleted" in done.text
    assert (await client.get(path)).status_code == 404
    erased, promoted = await registration_rows(event["id"])
    assert erased["name"] == "" and erased["email"] == "" and erased["anonymised_at"] is not None
    assert erased["status"] == "cancelled"
    assert promoted["status"] == "confirmed"
    assert "Confirmed" in (await client.get(waiting)).text


async def test_drop_in_reminder_can_be_stopped(client):
    event = await make_event("cafe", kind="cafe", registration_mode="dropin",
                             dates=[public_support.soon(3), public_support.soon(10)])
    form = (await client.get("/events/cafe/register")).text
    date_id = re.search(r'name="occurrence_id" value="(\d+)"', form).group(1)
    response = await post_form(client, "cafe", public_support.person(occurrence_id=date_id))
    page = await client.get(response.headers["location"])
    path = re.search(r'href="(/manage/[^"/]+)"', page.text).group(1)

    manage = await client.get(path)
    await _post(client, f"{path}/cancel")

    assert "Stop the reminder" in manage.text
    assert "Your ticket" not in manage.text
    (row,) = await registration_rows(event["id"])
    assert row["status"] == "cancelled"

"""What the check-in page's script uses on a weak connection: the ticket list kept on the phone, and scans sent
from its queue, each counted once (the same scan sent twice gets the same answer)."""

from __future__ import annotations

import staff_support
from registration_support import make_event
from staff_support import csrf_token, login_as

from events.access import add_to_team, remove_from_team
from events.contracts import RegistrationInput
from events.registration import services
from events.tables import Registration
from samrad.core.tables import StaffUser

client = staff_support.client


async def register(event_id: int, name: str, number: int, **fields):
    data = RegistrationInput(name=name, email=f"door{number}@example.org", category="citizen", locale="en",
                             **fields)
    return await services.register(event_id, data, None)


async def send(client, event_id: int, body: dict, token: str | None = None):
    token = token or await csrf_token(client, f"/staff/checkin/{event_id}")
    return await client.post(f"/staff/checkin/{event_id}/scans", json=body, headers={"x-csrftoken": token})


async def test_the_ticket_list_has_what_the_door_needs(client):
    event = await make_event(capacity=1)
    first = await register(event["id"], "Mette Kjær", 1)
    waiting = await register(event["id"], "Lars Nørgaard", 2)
    await login_as(client, "admin")
    response = await client.get(f"/staff/checkin/{event['id']}/tickets")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    tickets = {ticket["code"]: ticket for ticket in response.json()["tickets"]}
    assert tickets[first.ticket_code] == {"code": first.ticket_code, "status": "confirmed", "checked_in": False,
                                          "category": "Citizen", "name": "Mette Kjær"}
    assert tickets[waiting.ticket_code]["status"] == "waitlisted"


async def test_a_sensitive_events_ticket_list_has_no_names(client):
    event = await make_event(sensitive=True)
    await register(event["id"], "Alex Sensitive-Name", 3)
    await login_as(client, "admin")
    body = (await client.get(f"/staff/checkin/{event['id']}/tickets")).json()
    assert body["sensitive"] is True and "Alex" not in str(body)


async def test_a_scan_sent_twice_counts_once_and_a_new_scan_says_already(client):
    event = await make_event()
    ticket = await register(event["id"], "Mette Kjær", 4)
    await login_as(client, "admin")
    token = await csrf_token(client, f"/staff/checkin/{event['id']}")
    scan = {"scan_id": "0b7c2a4e-1f5d-4c1e-9a57-3c0ad1f0e001", "code": ticket.ticket_code.lower()}
    first = (await send(client, event["id"], scan, token)).json()
    assert first["ok"] is True and first["already"] is False and first["title"] == "Welcome: checked in"
    assert first["name"] == "Mette Kjær"
    checked_at = (await Registration.select(Registration.checked_in_at).first())["checked_in_at"]
    replay = (await send(client, event["id"], scan, token)).json()
    assert replay["already"] is False  # the same scan again (its answer was lost): the same answer
    assert (await Registration.select(Registration.checked_in_at).first())["checked_in_at"] == checked_at
    other = (await send(client, event["id"], {**scan, "scan_id": "second-scan-0001"}, token)).json()
    assert other["ok"] is True and other["already"] is True and other["title"] == "Already checked in"


async def test_refusals_and_unknown_codes_are_answered_clearly(client):
    event = await make_event(capacity=1)
    await register(event["id"], "Mette Kjær", 5)
    waiting = await register(event["id"], "Lars Nørgaard", 6)
    other_event = await make_event(sensitive=True)
    elsewhere = await register(other_event["id"], "Alex Sensitive-Name", 7)
    await login_as(client, "admin")
    token = await csrf_token(client, f"/staff/checkin/{event['id']}")
    refused = (await send(client, event["id"], {"scan_id": "scan-waiting-01", "code": waiting.ticket_code},
                          token)).json()
    assert refused["ok"] is False and "waiting list" in refused["message"]
    unknown = (await send(client, event["id"], {"scan_id": "scan-unknown-01", "code": "ZZZZZZZZZZ"}, token)).json()
    assert unknown["found"] is False and "No ticket has this code" in unknown["message"]
    foreign = (await send(client, event["id"], {"scan_id": "scan-foreign-01", "code": elsewhere.ticket_code},
                          token)).json()
    assert foreign["ok"] is False and foreign["name"] == "" and "another event" in foreign["message"]


async def test_bad_scans_answer_422(client):
    event = await make_event()
    await login_as(client, "admin")
    token = await csrf_token(client, f"/staff/checkin/{event['id']}")
    response = await send(client, event["id"], {"scan_id": "x", "code": ""}, token)
    assert response.status_code == 422
    assert {error["field"] for error in response.json()["errors"]} == {"scan_id", "code"}
    not_json = await client.post(f"/staff/checkin/{event['id']}/scans", content=b"{",
                                 headers={"x-csrftoken": token, "content-type": "application/json"})
    assert not_json.status_code == 400


async def test_scans_need_the_csrf_token_and_the_event(client):
    event, other = await make_event(), await make_event()
    ticket = await register(event["id"], "Mette Kjær", 8)
    await login_as(client, "checkin", teams=[event["id"]])
    forged = await client.post(f"/staff/checkin/{event['id']}/scans",
                               json={"scan_id": "forged-scan-01", "code": ticket.ticket_code})
    assert forged.status_code == 403
    assert (await Registration.select(Registration.checked_in_at).first())["checked_in_at"] is None
    assert (await client.get(f"/staff/checkin/{other['id']}/tickets")).status_code == 403
    ok = await send(client, event["id"], {"scan_id": "door-scan-0001", "code": ticket.ticket_code})
    assert ok.status_code == 200 and ok.json()["ok"] is True


async def test_a_scan_after_the_session_ended_is_refused_with_401_and_counts_nothing(client):
    """The script keeps a scan in its queue on 401 (signed out) and sends it after the next login: the server must
    say 401, not check the ticket in nor answer about it."""
    event = await make_event()
    ticket = await register(event["id"], "Mette Kjær", 9)
    await login_as(client, "admin")
    token = await csrf_token(client, f"/staff/checkin/{event['id']}")
    client.cookies.delete("samrad_session")  # the session cookie ran out (12 hours); the page is still open
    response = await client.post(f"/staff/checkin/{event['id']}/scans",
                                 json={"scan_id": "after-expiry-01", "code": ticket.ticket_code},
                                 headers={"x-csrftoken": token, "Accept": "application/json"})
    assert response.status_code == 401 and "Mette" not in response.text
    assert (await Registration.select(Registration.checked_in_at).first())["checked_in_at"] is None


async def checked_in(code: str) -> bool:
    row = await Registration.select(Registration.checked_in_at).where(Registration.ticket_code == code).first()
    return row["checked_in_at"] is not None


async def test_a_refused_scan_answers_403_with_a_code_the_page_acts_on(client):
    """A 403 has the shape of every JSON error plus a ``code``: ``forbidden`` when this account may no longer
    check people in at this event (the script lists the scan as not recorded, naming its ticket), ``csrf`` when
    the page's token was refused (the script fetches the page again for a fresh token and sends the scan once
    more). Neither checks the ticket in nor says whose it is."""
    event = await make_event()
    first = await register(event["id"], "Mette Kjær", 10)
    second = await register(event["id"], "Lars Nørgaard", 11)
    email = await login_as(client, "checkin", teams=[event["id"]])
    user = await StaffUser.select(StaffUser.id).where(StaffUser.email == email).first()
    page = f"/staff/checkin/{event['id']}"
    scans = f"{page}/scans"
    token = await csrf_token(client, page)
    json_headers = {"x-csrftoken": token, "Accept": "application/json"}

    await remove_from_team(event["id"], user["id"])  # taken off the team while the door's page stays open
    refused = await client.post(scans, json={"scan_id": "after-removal-01", "code": first.ticket_code},
                                headers=json_headers)
    assert refused.status_code == 403
    body = refused.json()
    assert set(body) == {"status_code", "detail", "code"}
    assert body["status_code"] == 403 and body["code"] == "forbidden" and body["detail"]
    assert "Mette" not in refused.text and not await checked_in(first.ticket_code)
    listing = await client.get(f"{page}/tickets", headers={"Accept": "application/json"})
    assert listing.status_code == 403 and listing.json()["code"] == "forbidden"
    # The page refuses too, so a fresh token cannot help; it stays the usual error page for a browser.
    assert (await client.get(page)).status_code == 403

    await add_to_team(event["id"], user["id"])
    client.cookies.delete("samrad_csrf")  # the CSRF cookie is gone (the browser was restarted): the token fails
    expired = await client.post(scans, json={"scan_id": "after-restart-01", "code": second.ticket_code},
                                headers=json_headers)
    assert expired.status_code == 403
    assert expired.json()["code"] == "csrf" and expired.json()["detail"] != body["detail"]
    assert not await checked_in(second.ticket_code)
    # What the script does next: the page again for a fresh token (and cookie), then the same scan once more.
    fresh = await csrf_token(client, page)
    retried = await client.post(scans, json={"scan_id": "after-restart-01", "code": second.ticket_code},
                                headers={"x-csrftoken": fresh, "Accept": "application/json"})
    assert retried.status_code == 200 and retried.json()["ok"] is True
    assert await checked_in(second.ticket_code) and not await checked_in(first.ticket_code)


async def test_the_check_in_page_carries_the_scanner_and_its_texts(client):
    event = await make_event()
    await login_as(client, "admin")
    page = await client.get(f"/staff/checkin/{event['id']}?lang=da")
    assert '<script src="/static/vendor/jsqr/jsQR.js" defer></script>' in page.text
    assert 'id="checkin-config"' in page.text and "Allerede tjekket ind" in page.text
    assert "Du er blevet logget ud" in page.text  # what the queue says when a scan waits for a new login
    assert 'data-checkin-refused aria-live="assertive"' in page.text  # where refused scans are listed
    assert "Indtjekningen af %(code)s blev ikke registreret" in page.text
    assert f"/staff/checkin/{event['id']}/scans" in page.text
    vendored = await client.get("/static/vendor/jsqr/jsQR.js")
    assert vendored.status_code == 200 and "jsQR" in vendored.text

"""Registering through the HTML form: no account, no JavaScript, clear errors, and nothing revealed."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta

import public_support
from public_support import (
    csrf_token,
    make_event,
    make_org_unit,
    make_workshop,
    outbox_kinds,
    person,
    post_form,
    register_via_form,
    registration_rows,
    soon,
)

settings = public_support.settings
client_with = public_support.client_with

ALL_QUESTIONS = ["org_unit", "organisation", "workshops", "access_needs", "diet", "pronouns", "follow_up"]


def _input(html: str, name: str) -> str:
    """The opening tag of the first input or select named ``name``."""
    match = re.search(rf'<(?:input|select)[^>]*name="{re.escape(name)}"[^>]*>', html)
    assert match, f"no field {name}"
    return match.group(0)


# --- the form page ----------------------------------------------------------------------------------------


async def test_form_asks_only_the_questions_the_event_asks(client):
    await make_event("plain", questions=[])
    await make_event("full-form", questions=ALL_QUESTIONS, categories=("citizen", "staff", "council"))
    await make_org_unit()

    plain = (await client.get("/events/plain/register")).text
    full = (await client.get("/events/full-form/register")).text

    for name in ("name", "email", "consent"):
        assert f'name="{name}"' in plain
    for name in ("diet", "pronouns", "access_needs", "organisation", "org_unit_id", "follow_up_opt_in"):
        assert f'name="{name}"' not in plain
        assert f'name="{name}"' in full
    assert 'name="workshop_ids"' not in full  # the event asks, but has no workshops


async def test_form_offers_only_the_allowed_categories_in_the_visitors_language(client):
    await make_event("staff-day", categories=("staff", "leader"))

    english = (await client.get("/events/staff-day/register")).text
    danish = await client.get("/events/staff-day/register", headers={"Accept-Language": "da"})

    assert 'value="staff"' in english and 'value="leader"' in english
    assert 'value="citizen"' not in english and 'value="council"' not in english
    assert "Staff member" in english
    assert '<html lang="da">' in danish.text


async def test_form_fields_have_labels_autocomplete_and_a_hidden_honeypot(client):
    await make_event("labelled", questions=["diet"])

    html = (await client.get("/events/labelled/register")).text

    assert '<label for="name">' in html and '<label for="email">' in html and '<label for="diet">' in html
    assert 'autocomplete="name"' in _input(html, "name")
    assert 'autocomplete="email"' in _input(html, "email") and 'type="email"' in _input(html, "email")
    honeypot = _input(html, "website")
    assert 'tabindex="-1"' in honeypot and 'autocomplete="off"' in honeypot
    assert re.search(r'<div class="honeypot" aria-hidden="true">\s*<label for="website">', html)
    assert 'href="/privacy"' in html
    assert 'name="_csrf_token"' in html


async def test_form_shows_workshops_with_seats_left(client):
    event = await make_event("with-workshops", questions=["workshops"])
    await make_workshop(event["id"], title="Equal pay", capacity=12, booked=5)
    await make_workshop(event["id"], title="Safe streets", capacity=3, booked=3)

    html = (await client.get("/events/with-workshops/register")).text

    assert "Equal pay" in html and "7 seats left" in html
    assert "Safe streets" in html and "full: waiting list" in html
    assert html.count('name="workshop_ids"') == 2


async def test_form_explains_instead_when_registration_is_closed(client):
    await make_event("closed", registration_closes_at=datetime.now(UTC) - timedelta(hours=1))

    html = (await client.get("/events/closed/register")).text

    assert "Registration for this event has closed." in html
    assert "<form" not in html.split('<main', 1)[1].split('</main>', 1)[0]


async def test_every_access_need_has_a_label():
    from events import contracts, labels

    assert tuple(labels.ACCESS_NEED_LABELS) == contracts.ACCESS_NEEDS


# --- registering ------------------------------------------------------------------------------------------


async def test_registering_redirects_to_a_confirmation_with_ticket_and_link(client):
    event = await make_event("welcome", capacity=10)
    fields = person(email="grace@example.org")

    response = await post_form(client, "welcome", fields)

    assert response.status_code == 303
    assert response.headers["location"] == "/events/welcome/registered"
    confirmation = await client.get(response.headers["location"])
    assert confirmation.status_code == 200
    assert "You are registered" in confirmation.text
    assert confirmation.headers["cache-control"] == "no-store"
    (row,) = await registration_rows(event["id"])
    assert row["status"] == "confirmed" and row["email"] == "grace@example.org"
    assert row["ticket_code"] in confirmation.text
    assert re.search(r'href="/manage/[A-Za-z0-9_\-]{40,}"', confirmation.text)
    assert await outbox_kinds("grace@example.org") == ["notice.confirmed"]
    # The secret link is not in any URL the browser would send elsewhere.
    assert "/manage/" not in response.headers["location"]


async def test_confirmation_is_shown_once_then_neutral(client):
    await make_event("once")
    response = await post_form(client, "once", person())
    await client.get(response.headers["location"])

    again = await client.get(response.headers["location"])

    assert again.status_code == 200
    assert "/manage/" not in again.text
    assert "We have sent your confirmation" in again.text


async def test_answers_are_stored_for_the_questions_asked(client):
    event = await make_event("asked", questions=["access_needs", "diet", "pronouns", "follow_up"])
    fields = person(access_needs=["hearing_loop", "other"], access_other="Large print", diet="Vegan",
                    pronouns="they/them", follow_up_opt_in="1")

    await post_form(client, "asked", fields)

    (row,) = await registration_rows(event["id"])
    assert row["access_needs"] == ["hearing_loop", "other"]
    assert row["access_other"] == "Large print"
    assert (row["diet"], row["pronouns"], row["follow_up_opt_in"]) == ("Vegan", "they/them", True)


async def test_answers_to_questions_not_asked_are_not_stored(client):
    event = await make_event("minimal", questions=[])

    await post_form(client, "minimal", person(diet="Vegan", pronouns="she/her", access_needs=["step_free"]))

    (row,) = await registration_rows(event["id"])
    assert (row["diet"], row["pronouns"], row["access_needs"]) == ("", "", [])


async def test_staff_choose_their_unit_and_councils_name_their_council(client):
    unit = await make_org_unit("Elderly care")
    event = await make_event("mixed", categories=("staff", "council"), questions=["org_unit", "organisation"])

    missing = await post_form(client, "mixed", person(category="staff"))
    council_missing = await post_form(client, "mixed", person(category="council"))
    await post_form(client, "mixed", person(category="staff", org_unit_id=str(unit)))
    await post_form(client, "mixed", person(category="council", organisation="User council, Bakkehuset"))

    assert missing.status_code == 422 and "Choose your unit from the list." in missing.text
    assert council_missing.status_code == 422
    assert "Enter the name of your council or organisation." in council_missing.text
    staff_row, council_row = await registration_rows(event["id"])
    assert staff_row["org_unit"] == unit
    assert council_row["organisation"] == "User council, Bakkehuset"


async def test_workshop_choice_takes_a_workshop_seat(client):
    event = await make_event("choose", questions=["workshops"])
    workshop = await make_workshop(event["id"], title="Equal pay", capacity=5)

    await post_form(client, "choose", person(workshop_ids=[str(workshop)]))

    html = (await client.get("/events/choose")).text
    assert "4 seats left" in html


async def test_a_full_event_with_a_waiting_list_puts_people_on_it(client):
    event = await make_event("queue", capacity=1)
    await post_form(client, "queue", person())

    response = await post_form(client, "queue", person())
    confirmation = await client.get(response.headers["location"])

    assert "You are on the waiting list" in confirmation.text
    assert "You are number 1 on the list." in confirmation.text
    assert [row["status"] for row in await registration_rows(event["id"])] == ["confirmed", "waitlisted"]


async def test_drop_in_event_offers_a_reminder_for_a_chosen_date(client):
    event = await make_event("cafe", kind="cafe", registration_mode="dropin", recurrence_rule="FREQ=WEEKLY",
                             dates=[soon(2), soon(9)], questions=["diet"])

    form = (await client.get("/events/cafe/register")).text
    date_ids = re.findall(r'name="occurrence_id" value="(\d+)"', form)
    response = await post_form(client, "cafe", person(occurrence_id=date_ids[1]))
    confirmation = await client.get(response.headers["location"])

    assert "just come" in form
    assert len(date_ids) == 2
    assert 'name="diet"' not in form and 'name="category"' not in form
    assert response.status_code == 303
    assert "We will remind you" in confirmation.text
    (row,) = await registration_rows(event["id"])
    assert row["occurrence"] == int(date_ids[1])


async def test_drop_in_reminder_needs_a_date(client):
    await make_event("cafe-2", kind="cafe", registration_mode="dropin", dates=[soon(2)])

    response = await post_form(client, "cafe-2", person())

    assert response.status_code == 422
    assert "Choose the date you want a reminder for." in response.text


# --- bad input ----------------------------------------------------------------------------------------------


async def test_missing_answers_are_summarised_at_the_top_and_shown_next_to_each_field(client):
    await make_event("errors", categories=("citizen", "staff"))

    response = await post_form(client, "errors", {"name": "", "email": "", "diet": "kept"})

    html = response.text
    assert response.status_code == 422
    summary = re.search(r'<div class="error-summary"[^>]*>', html).group(0)
    assert 'role="alert"' in summary and 'tabindex="-1"' in summary
    assert '<a href="#name">Enter your name.</a>' in html
    assert '<a href="#email">Enter your email address.</a>' in html
    assert '<a href="#category-citizen">Choose which group you register as.</a>' in html
    assert '<a href="#consent">' in html
    name_input = _input(html, "name")
    assert 'aria-invalid="true"' in name_input and "name-error" in name_input
    assert '<span class="field-error" id="name-error">Enter your name.</span>' in html
    assert "<title>Error:" in html


async def test_input_is_kept_when_something_is_wrong(client):
    await make_event("keep", questions=["diet", "access_needs"])

    response = await post_form(client, "keep", person(email="not-an-email", name="Grace <b>Hopper</b>", diet="Vegan",
                                                      access_needs=["step_free"]))

    html = response.text
    assert 'value="Grace &lt;b&gt;Hopper&lt;/b&gt;"' in html
    assert 'value="not-an-email"' in html and 'value="Vegan"' in html
    assert re.search(r'value="step_free" checked', html)
    assert 'value="citizen" checked' in html or 'name="category" value="citizen"' in html


async def test_a_bad_email_address_is_refused(client):
    await make_event("mail")

    for email in ("plainaddress", "a@b", "two@@example.org", "with space@example.org"):
        response = await post_form(client, "mail", person(email=email))
        assert response.status_code == 422, email
        assert "Enter an email address like name@example.com." in response.text


async def test_a_category_the_event_does_not_allow_is_refused(client):
    event = await make_event("citizens-only", categories=("citizen", "partner"))

    response = await post_form(client, "citizens-only", person(category="elected"))

    assert response.status_code == 422
    assert "This event is not open to that group." in response.text
    assert await registration_rows(event["id"]) == []


async def test_an_unknown_workshop_is_refused(client):
    event = await make_event("ws", questions=["workshops"])
    other = await make_event("other-ws", questions=["workshops"])
    await make_workshop(event["id"])
    foreign = await make_workshop(other["id"])

    response = await post_form(client, "ws", person(workshop_ids=[str(foreign)]))
    garbage = await post_form(client, "ws", person(workshop_ids=["drop table"]))

    assert response.status_code == 422 and "Choose workshops from the list." in response.text
    assert garbage.status_code == 422
    assert await registration_rows(event["id"]) == []


async def test_overlong_answers_are_refused_not_cut(client):
    await make_event("long", questions=["diet", "pronouns"])

    response = await post_form(client, "long", person(name="N" * 201, diet="D" * 301, pronouns="P" * 61))

    assert response.status_code == 422
    assert "Use at most 200 characters." in response.text
    assert "Use at most 300 characters." in response.text
    assert "Use at most 60 characters." in response.text


async def test_registration_needs_consent_to_the_privacy_notice(client):
    event = await make_event("consent")

    response = await post_form(client, "consent", person(consent=""))

    assert response.status_code == 422
    assert "confirm that you have read the privacy notice" in response.text
    assert await registration_rows(event["id"]) == []


async def test_something_else_needs_a_description(client):
    await make_event("other-need", questions=["access_needs"])

    response = await post_form(client, "other-need", person(access_needs=["other"]))

    assert response.status_code == 422
    assert "Tell us what else you need" in response.text


async def test_a_filled_honeypot_is_quietly_ignored(client):
    event = await make_event("trap")

    response = await post_form(client, "trap", person(website="http://spam.example"))
    page = await client.get(response.headers["location"])

    assert response.status_code == 303
    assert "Thank you" in page.text
    assert await registration_rows(event["id"]) == []


async def test_registering_after_the_window_closed_is_a_conflict(client):
    event = await make_event("late")
    token = await csrf_token(client, "/events/late/register")
    from events.tables import Event

    await Event.update({Event.registration_closes_at: datetime.now(UTC) - timedelta(minutes=1)}).where(
        Event.id == event["id"]
    )

    response = await post_form(client, "late", person(), token=token)

    assert response.status_code == 409
    assert "Registration is closed." in response.text
    assert await registration_rows(event["id"]) == []


async def test_a_full_event_without_waiting_list_is_a_conflict(client):
    event = await make_event("packed", capacity=1, waitlist_enabled=False)
    token = await csrf_token(client, "/events/packed/register")
    await post_form(client, "packed", person(), token=token)

    response = await post_form(client, "packed", person(), token=token)

    assert response.status_code == 409
    assert "fully booked" in response.text
    assert len(await registration_rows(event["id"])) == 1


async def test_posting_without_csrf_token_is_forbidden(client):
    event = await make_event("csrf")
    await client.get("/events/csrf/register")

    response = await client.post("/events/csrf/register", data=person())

    assert response.status_code == 403
    assert await registration_rows(event["id"]) == []


async def test_too_many_registrations_from_one_address_get_a_friendly_429(client_with):
    await make_event("popular", capacity=100)
    address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"

    async with client_with(address, registration_rate=(2, 3600)) as limited:
        answers = [(await post_form(limited, "popular", person())).status_code for _ in range(3)]
        refused = await post_form(limited, "popular", person())

    assert answers == [303, 303, 429]
    assert refused.status_code == 429
    assert "Too many attempts" in refused.text
    assert "retry-after" in refused.headers


# --- duplicates -------------------------------------------------------------------------------------------


async def test_registering_twice_keeps_one_seat_and_resends_the_link(client):
    event = await make_event("twice", capacity=10)
    fields = person(email="twice@example.org")
    await post_form(client, "twice", fields)
    await client.get("/events/twice/registered")

    response = await post_form(client, "twice", {**fields, "email": "TWICE@example.org"})
    page = await client.get(response.headers["location"])

    assert "You are already registered" in page.text
    assert "/manage/" not in page.text
    assert len(await registration_rows(event["id"])) == 1
    assert await outbox_kinds("twice@example.org") == ["notice.confirmed", "notice.link_resent"]


async def test_a_sensitive_event_never_shows_whether_someone_is_registered(client):
    event = await make_event("safe-space", sensitive=True, capacity=20)
    fields = person(email="quiet@example.org")

    first = await post_form(client, "safe-space", fields)
    first_page = (await client.get(first.headers["location"])).text
    second = await post_form(client, "safe-space", fields)
    second_page = (await client.get(second.headers["location"])).text

    def main(html: str) -> str:
        return html.split("<main", 1)[1].split("</main>", 1)[0]

    assert first.status_code == second.status_code == 303
    assert main(first_page) == main(second_page)
    assert "/manage/" not in first_page and "Ticket code" not in first_page
    assert len(await registration_rows(event["id"])) == 1


async def test_the_manage_link_from_the_confirmation_opens_the_registration(client):
    await make_event("link")

    manage_path = await register_via_form(client, "link", name="Katherine Johnson")

    page = await client.get(manage_path)
    assert page.status_code == 200
    assert "Katherine Johnson" in page.text


async def test_errors_are_shown_in_the_visitors_language(client):
    from samrad.core.i18n import _, use_locale

    await make_event("sprog", categories=("citizen", "staff"))
    with use_locale("da"):
        expected = [_("Enter your name."), _("Choose which group you register as.")]
    client.cookies.set("samrad_lang", "da")

    response = await post_form(client, "sprog", {"name": "", "email": "x@example.org"})

    assert expected[0] != "Enter your name."  # the catalog translates it
    for message in expected:
        assert message in response.text

"""The staff side: logging in and out, the dashboard, event settings, registrations and needs totals."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import staff_support
from registration_support import make_event
from staff_support import PASSWORD, csrf_from, csrf_token, login, login_as, make_staff, post_form

from events.contracts import RegistrationInput
from events.registration import services
from events.tables import Event, EventAudience, Registration
from samrad.core.tables import AuditEntry, OutboxMessage, StaffUser

client = staff_support.client
other_client = staff_support.other_client
_people = iter(range(1, 100_000))


async def register(event_id: int, name: str | None = None, **fields) -> services.RegistrationResult:
    number = next(_people)
    data = RegistrationInput(
        name=name or f"Person {number}", email=f"person{number}@example.org",
        category=fields.pop("category", "citizen"), locale="en", **fields,
    )
    return await services.register(event_id, data, None)


async def event_row(event_id: int) -> dict:
    return await Event.select().where(Event.id == event_id).output(load_json=True).first()


# --- login and logout -------------------------------------------------------------------------------------

async def test_login_form_is_labelled_for_password_managers(client):
    page = await client.get("/staff/login")
    assert page.status_code == 200
    assert re.search(r'<label for="email">', page.text) and re.search(r'<label for="password">', page.text)
    assert 'autocomplete="username"' in page.text and 'autocomplete="current-password"' in page.text
    assert 'name="_csrf_token"' in page.text


async def test_login_with_the_right_password_opens_the_dashboard(client):
    email = await make_staff("organiser", name="Henrik Skogberg")
    response = await login(client, email)
    assert response.status_code == 303 and response.headers["location"] == "/staff"
    dashboard = await client.get("/staff")
    assert dashboard.status_code == 200
    assert "Henrik Skogberg" in dashboard.text
    user = await StaffUser.select(StaffUser.last_login_at).where(StaffUser.email == email).first()
    assert user["last_login_at"] is not None


@pytest.mark.parametrize(
    ("next_path", "expected"),
    [
        ("/staff/events", "/staff/events"),
        ("https://evil.example/staff", "/staff"),
        ("//evil.example/staff", "/staff"),
        ("", "/staff"),
    ],
)
async def test_login_returns_only_to_a_path_on_this_site(client, next_path, expected):
    email = await make_staff("organiser")
    response = await login(client, email, next_path=next_path)
    assert response.status_code == 303
    assert response.headers["location"] == expected


async def test_login_page_carries_next_from_the_redirect(client):
    redirect = await client.get("/staff/events")
    assert redirect.status_code == 303
    assert redirect.headers["location"] == "/staff/login?next=/staff/events"
    page = await client.get(redirect.headers["location"])
    assert 'name="next" value="/staff/events"' in page.text


async def test_wrong_password_and_unknown_email_get_the_same_generic_answer(client):
    email = await make_staff("organiser")
    wrong_password = await login(client, email, "not the password at all")
    unknown_email = await login(client, "nobody@staff.example.org", PASSWORD)
    assert wrong_password.status_code == unknown_email.status_code == 401
    message = "The email address or the password is not right."
    assert message in wrong_password.text and message in unknown_email.text
    hint = "After 5 wrong passwords in a row an account is locked for 15 minutes"
    assert hint in wrong_password.text and hint in unknown_email.text, "the lock-out is explained to everyone alike"
    assert 'value="nobody@staff.example.org"' in unknown_email.text, "the email is kept, the password is not"
    assert PASSWORD not in unknown_email.text
    assert (await client.get("/staff")).status_code == 303


async def test_missing_email_and_password_are_named_in_the_error_summary(client):
    token = await csrf_token(client)
    response = await client.post("/staff/login", data={"_csrf_token": token, "email": " ", "password": ""})
    assert response.status_code == 422
    assert 'class="error-summary"' in response.text
    assert "Enter your email address." in response.text and "Enter your password." in response.text
    assert 'aria-invalid="true"' in response.text


async def test_a_deactivated_account_cannot_log_in(client):
    email = await make_staff("organiser")
    await StaffUser.update({StaffUser.active: False}).where(StaffUser.email == email)
    response = await login(client, email)
    assert response.status_code == 401


async def test_a_deactivated_account_loses_its_session(client):
    email = await login_as(client, "organiser")
    await StaffUser.update({StaffUser.active: False}).where(StaffUser.email.like("organiser%"))
    assert email
    response = await client.get("/staff")
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/login")


async def test_login_gives_a_new_session_so_a_planted_one_is_worthless(client, other_client):
    planted = "a" * 64  # an id an attacker made the victim's browser carry
    client.cookies.set("samrad_session", planted, domain="testserver.local")
    await login_as(client, "organiser")
    session = client.cookies.get("samrad_session")
    assert session and session != planted
    other_client.cookies.set("samrad_session", planted, domain="testserver.local")
    stale = await other_client.get("/staff")
    assert stale.status_code == 303 and stale.headers["location"].startswith("/staff/login")


async def test_logging_in_again_replaces_the_session(client, other_client):
    await login_as(client, "organiser")
    first_session = client.cookies.get("samrad_session")
    dashboard = await client.get("/staff")
    second = await make_staff("checkin")
    response = await client.post(
        "/staff/login", data={"_csrf_token": csrf_from(dashboard.text), "email": second, "password": PASSWORD}
    )
    assert response.status_code == 303
    assert client.cookies.get("samrad_session") != first_session
    other_client.cookies.set("samrad_session", first_session, domain="testserver.local")
    assert (await other_client.get("/staff")).status_code == 303


async def test_logged_in_staff_skip_the_login_form(client):
    await login_as(client, "organiser")
    response = await client.get("/staff/login?next=/staff/events")
    assert response.status_code == 303 and response.headers["location"] == "/staff/events"


async def test_logout_ends_the_session_on_the_server(client, other_client):
    await login_as(client, "organiser")
    session = client.cookies.get("samrad_session")
    dashboard = await client.get("/staff")
    response = await client.post("/staff/logout", data={"_csrf_token": csrf_from(dashboard.text)})
    assert response.status_code == 303 and response.headers["location"] == "/staff/login?logged_out=1"
    logged_out = (await client.get(response.headers["location"])).text
    assert "You have logged out." in logged_out
    # The page takes the capture page's copies off the device (static/js/signed-out.js); a plain login does not.
    assert "/static/js/signed-out.js" in logged_out
    assert "/static/js/signed-out.js" not in (await client.get("/staff/login")).text
    assert (await client.get("/staff")).status_code == 303
    other_client.cookies.set("samrad_session", session, domain="testserver.local")
    assert (await other_client.get("/staff")).status_code == 303


# --- dashboard --------------------------------------------------------------------------------------------

async def test_dashboard_shows_upcoming_events_with_registered_capacity_and_waiting(client):
    event = await make_event(capacity=2, title={"en": "Implementation conference"})
    for _ in range(3):
        await register(event["id"])
    past = await make_event(starts_at=datetime.now(UTC) - timedelta(days=3), title={"en": "Last year's meeting"})
    assert past
    await login_as(client, "organiser")
    page = await client.get("/staff")
    assert "Implementation conference" in page.text
    assert "Last year&#39;s meeting" not in page.text and "Last year's meeting" not in page.text
    row = re.search(r"Implementation conference.*?</tr>", page.text, re.S).group(0)
    assert [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', row)] == [2, 2, 1]


async def test_dashboard_offers_only_the_pages_a_role_may_open(client):
    event = await make_event()
    await login_as(client, "checkin")
    page = await client.get("/staff")
    assert f'href="/staff/checkin/{event["id"]}"' in page.text
    assert f'href="/staff/events/{event["id"]}/settings"' not in page.text
    assert 'href="/staff/events"' not in page.text


# --- settings ---------------------------------------------------------------------------------------------

SETTINGS_DEFAULTS = {
    "capacity": "10",
    "waitlist_enabled": "1",
    "registration_opens_at": "",
    "registration_closes_at": "",
    "published": "1",
}


def settings_fields(**overrides) -> list[tuple[str, str]]:
    questions = overrides.pop("questions", ["org_unit", "access_needs", "diet"])
    audiences = overrides.pop("audiences", ["citizen"])
    fields = [(key, value) for key, value in {**SETTINGS_DEFAULTS, **overrides}.items()]
    fields += [("questions", q) for q in questions] + [("audiences", a) for a in audiences]
    return fields


async def save_settings(client, event_id: int, **overrides):
    page = f"/staff/events/{event_id}/settings"
    return await post_form(client, page, page, settings_fields(**overrides))


async def test_settings_form_shows_the_event_as_it_is(client):
    event = await make_event(capacity=40, questions=("diet",), categories=("staff", "council"),
                             quotas={"council": 12})
    await login_as(client, "organiser")
    page = await client.get(f"/staff/events/{event['id']}/settings")
    assert page.status_code == 200
    assert 'name="capacity" class="short" value="40"' in page.text
    assert re.search(r'id="question-diet" name="questions" value="diet" checked', page.text)
    assert not re.search(r'id="question-pronouns"[^>]* checked', page.text)
    assert re.search(r'id="audience-council" name="audiences" value="council" checked', page.text)
    assert 'id="quota_council" name="quota_council" value="12"' in page.text


async def test_raising_the_capacity_moves_the_waiting_list_up_at_once(client):
    event = await make_event(capacity=2)
    results = [await register(event["id"]) for _ in range(4)]
    assert [r.status for r in results] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    await login_as(client, "organiser")
    response = await save_settings(client, event["id"], capacity="3")
    assert response.status_code == 303
    page = await client.get(response.headers["location"])
    assert "The settings have been saved." in page.text
    assert "1 person moved up from the waiting list" in page.text
    statuses = [r["status"] for r in await Registration.select(Registration.status).order_by(Registration.id)]
    assert statuses == ["confirmed", "confirmed", "confirmed", "waitlisted"]
    assert (await event_row(event["id"]))["booked"] == 3
    assert await OutboxMessage.count().where(OutboxMessage.kind == "notice.promoted") == 1
    assert len(await AuditEntry.select().where(AuditEntry.action == "event.settings")) == 1


async def test_the_capacity_cannot_go_below_the_seats_taken(client):
    event = await make_event(capacity=5, questions=("diet",))
    for _ in range(3):
        await register(event["id"])
    await login_as(client, "organiser")
    response = await save_settings(client, event["id"], capacity="2", questions=["pronouns"])
    assert response.status_code == 409
    assert "3 people already have a seat: the capacity cannot be lower." in response.text
    row = await event_row(event["id"])
    assert row["capacity"] == 5 and row["questions"] == ["diet"], "nothing is half saved"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"capacity": "many"}, "capacity", "Enter the number of seats as a whole number"),
        ({"capacity": "-4"}, "capacity", "Enter the number of seats as a whole number"),
        ({"capacity": "1000000"}, "capacity", "Enter the number of seats as a whole number"),
        ({"registration_opens_at": "next week"}, "registration_opens_at", "Enter a date and time like"),
        ({"registration_opens_at": "2030-05-02T10:00", "registration_closes_at": "2030-05-01T10:00"},
         "registration_closes_at", "Registration must close after it opens."),
        ({"questions": ["favourite_colour"]}, "questions", "Choose questions from the list."),
        ({"audiences": []}, "audiences", "Choose at least one group that may register."),
        ({"audiences": ["robots"]}, "audiences", "Choose groups from the list."),
        ({"quota_citizen": "11"}, "quota_citizen", "The quota cannot be larger than the capacity."),
        ({"quota_staff": "3"}, "quota_staff", "A quota needs the group to be allowed to register"),
        ({"quota_citizen": "a few"}, "quota_citizen", "Enter the quota as a whole number of seats"),
    ],
)
async def test_bad_settings_are_explained_and_nothing_is_saved(client, overrides, field, message):
    event = await make_event(capacity=20, questions=("diet",))
    await login_as(client, "organiser")
    response = await save_settings(client, event["id"], **overrides)
    assert response.status_code == 422
    assert message in response.text
    assert 'class="error-summary"' in response.text and f'id="{field}-error"' in response.text
    row = await event_row(event["id"])
    assert row["capacity"] == 20 and row["questions"] == ["diet"]


async def test_settings_are_saved_with_the_window_in_the_event_time_zone(client):
    event = await make_event(capacity=20, categories=("citizen",))
    await login_as(client, "organiser")
    response = await save_settings(
        client, event["id"], capacity="30", waitlist_enabled="",
        registration_opens_at="2030-03-01T09:00", registration_closes_at="2030-03-20T23:59",
        questions=["workshops", "pronouns"], audiences=["citizen", "council"], quota_council="8",
    )
    assert response.status_code == 303
    row = await event_row(event["id"])
    assert row["capacity"] == 30 and not row["waitlist_enabled"]
    assert row["published"], "publishing is its own step, not a setting"
    assert row["questions"] == ["workshops", "pronouns"]
    copenhagen = ZoneInfo("Europe/Copenhagen")
    assert row["registration_opens_at"] == datetime(2030, 3, 1, 9, 0, tzinfo=copenhagen)
    assert row["registration_closes_at"] == datetime(2030, 3, 20, 23, 59, tzinfo=copenhagen)
    audiences = {a["category"]: a["quota"] for a in await EventAudience.select().where(
        EventAudience.event == event["id"])}
    assert audiences == {"citizen": None, "council": 8}
    page = await client.get(f"/staff/events/{event['id']}/settings")
    assert 'value="2030-03-01T09:00"' in page.text


async def test_a_group_with_registrations_cannot_be_removed(client):
    event = await make_event(categories=("citizen", "staff"))
    await register(event["id"], category="staff")
    await login_as(client, "organiser")
    response = await save_settings(client, event["id"], audiences=["citizen"])
    assert response.status_code == 409
    assert "A group with registrations cannot be removed." in response.text
    assert await EventAudience.count().where(EventAudience.event == event["id"]) == 2


async def test_a_new_quota_counts_the_seats_the_group_already_holds(client):
    event = await make_event(capacity=10, categories=("citizen", "council"))
    for _ in range(2):
        await register(event["id"], category="council", organisation="Ældrerådet")
    await login_as(client, "organiser")
    too_small = await save_settings(client, event["id"], audiences=["citizen", "council"], quota_council="1")
    assert too_small.status_code == 409
    assert "2 people of this group already have a seat: the quota cannot be lower." in too_small.text
    response = await save_settings(client, event["id"], audiences=["citizen", "council"], quota_council="2")
    assert response.status_code == 303
    council = await EventAudience.select().where(
        (EventAudience.event == event["id"]) & (EventAudience.category == "council")).first()
    assert council["quota"] == 2 and council["booked"] == 2
    third = await register(event["id"], category="council", organisation="Handicaprådet")
    assert third.status == "waitlisted", "the quota is full"


async def test_a_drop_in_event_has_no_capacity_to_set(client):
    event = await make_event(capacity=None, registration_mode="dropin", questions=())
    await login_as(client, "organiser")
    page = await client.get(f"/staff/events/{event['id']}/settings")
    assert 'name="capacity"' not in page.text
    response = await save_settings(client, event["id"], capacity="", questions=[])
    assert response.status_code == 303
    assert (await event_row(event["id"]))["capacity"] is None


async def test_settings_of_an_unknown_event_are_not_found(client):
    await login_as(client, "organiser")
    assert (await client.get("/staff/events/999999/settings")).status_code == 404


# --- needs totals -----------------------------------------------------------------------------------------

async def test_needs_totals_count_needs_and_diets_without_names(client):
    event = await make_event(capacity=3)
    await register(event["id"], "Karin Lindqvist", access_needs=("hearing_loop", "step_free"), diet="Vegan")
    await register(event["id"], "Erik Olsson", access_needs=("hearing_loop",), diet=" vegan ")
    await register(event["id"], "Maja Ahmadi", diet="Halal")
    await register(event["id"], "Oskar Waiting", access_needs=("sign_language",), diet="Glutenfri")
    await login_as(client, "organiser")
    page = await client.get(f"/staff/events/{event['id']}/needs")
    assert page.status_code == 200
    for name in ("Karin", "Erik", "Maja", "Oskar"):
        assert name not in page.text
    table = dict(re.findall(r'<th scope="row">([^<]+)</th><td class="num">(\d+)</td>', page.text))
    assert table["Hearing loop"] == "2" and table["Step-free access"] == "1"
    assert "Sign-language interpreting" not in table, "the waiting list is not counted"
    assert table["Vegan"] == "2" and table["Halal"] == "1"

"""Drafts and publishing, duplicating an event, each event's team, and the organiser API; with the boundaries of
who may do each (organiser of the event, organiser of another event, check-in staff, administrator)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import staff_support
from registration_support import make_event, make_workshop, outbox, person
from staff_support import csrf_from, login_as, make_staff, post_form

from events.access import add_to_team, team_of
from events.registration import services
from events.tables import Event, EventAudience, EventTeamMember, Occurrence, Registration
from samrad.core.accounts import create_api_token
from samrad.core.tables import ApiToken, AuditEntry, StaffUser
from workshops.tables import Workshop, WorkshopTable

client = staff_support.client
other_client = staff_support.other_client


def new_event_fields(**overrides) -> dict:
    start = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%d")
    return {
        "kind": "conference", "title_en": "Spring network day", "title_da": "Netværksdag", "timezone":
        "Europe/Copenhagen", "starts_at": f"{start}T09:00", "ends_at": f"{start}T15:00",
        "registration_mode": "required", "capacity": "40", "waitlist_enabled": "1", **overrides,
    }


async def user_id(email: str) -> int:
    return (await StaffUser.select(StaffUser.id).where(StaffUser.email == email).first())["id"]


async def event_row(event_id: int) -> dict:
    return await Event.select().where(Event.id == event_id).output(load_json=True).first()


# --- drafts -----------------------------------------------------------------------------------------------

async def test_a_new_event_is_a_draft_on_its_creators_team_until_it_is_published(client, other_client):
    email = await login_as(client, "organiser")
    response = await post_form(client, "/staff/events/new", "/staff/events/new", new_event_fields())
    assert response.status_code == 303
    event = await Event.select().order_by(Event.id, ascending=False).first()
    assert not event["published"] and event["created_by"] == await user_id(email)
    assert [member["email"] for member in await team_of(event["id"])] == [email]
    slug = event["slug"]

    # Invisible to the public: page, registration, listing, feeds, API.
    for path in (f"/events/{slug}", f"/events/{slug}/register", f"/events/{slug}/calendar.ics",
                 f"/api/v1/events/{slug}"):
        assert (await other_client.get(path)).status_code == 404, path
    assert slug not in (await other_client.get("/")).text
    assert slug not in (await other_client.get("/api/v1/events")).text
    assert slug not in (await other_client.get("/calendar.ics")).text
    # Staff see it.
    assert "Spring network day" in (await client.get("/staff/events")).text

    edit = f"/staff/events/{event['id']}/edit"
    assert (await post_form(client, edit, f"/staff/events/{event['id']}/publish", {})).status_code == 303
    published = await event_row(event["id"])
    assert published["published"] and published["published_at"] is not None
    assert (await other_client.get(f"/events/{slug}")).status_code == 200
    assert slug in (await other_client.get("/api/v1/events")).text

    assert (await post_form(client, edit, f"/staff/events/{event['id']}/unpublish", {})).status_code == 303
    assert not (await event_row(event["id"]))["published"]
    assert (await other_client.get(f"/events/{slug}")).status_code == 404
    actions = [row["action"] for row in await AuditEntry.select().where(AuditEntry.subject == f"event:{event['id']}")]
    assert actions == ["event.create", "event.publish", "event.unpublish"]


async def test_a_cancelled_event_cannot_be_published(client):
    event = await make_event(published=False, status="cancelled")
    await login_as(client, "organiser")
    edit = f"/staff/events/{event['id']}/edit"
    await post_form(client, edit, f"/staff/events/{event['id']}/publish", {})
    assert not (await event_row(event["id"]))["published"]


# --- who may manage which event ---------------------------------------------------------------------------

async def test_an_organiser_of_another_event_is_kept_out(client):
    theirs = await make_event()
    await login_as(client, "organiser", teams=())
    mine = await make_event()
    me = (await StaffUser.select(StaffUser.id).order_by(StaffUser.id, ascending=False).first())["id"]
    await add_to_team(mine["id"], me)
    for path in ("edit", "settings", "registrations", "needs", "dates", "team", "duplicate", "cancel"):
        assert (await client.get(f"/staff/events/{theirs['id']}/{path}")).status_code == 403, path
        assert (await client.get(f"/staff/events/{mine['id']}/{path}")).status_code == 200, path
    token = csrf_from((await client.get(f"/staff/events/{mine['id']}/edit")).text)
    for path in ("publish", "unpublish", "team", "duplicate"):
        response = await client.post(f"/staff/events/{theirs['id']}/{path}", data={"_csrf_token": token})
        assert response.status_code == 403, path
    listing = await client.get("/staff/events")
    assert f"/staff/events/{mine['id']}/edit" in listing.text
    assert f"/staff/events/{theirs['id']}/edit" not in listing.text
    assert (await client.get("/staff/events/999999/edit")).status_code == 404


async def test_check_in_staff_check_in_at_their_events_only_and_manage_none(client):
    theirs = await make_event()
    mine = await make_event()
    await login_as(client, "checkin", teams=[mine["id"]])
    assert (await client.get(f"/staff/checkin/{mine['id']}")).status_code != 403
    assert (await client.get(f"/staff/checkin/{theirs['id']}")).status_code == 403
    assert (await client.get(f"/staff/events/{mine['id']}/edit")).status_code == 403
    index = await client.get("/staff/checkin")
    assert f"/staff/checkin/{mine['id']}\"" in index.text and f"/staff/checkin/{theirs['id']}\"" not in index.text


async def test_administrators_manage_every_event(client):
    event = await make_event()
    await login_as(client, "admin", teams=())
    for path in ("edit", "settings", "team"):
        assert (await client.get(f"/staff/events/{event['id']}/{path}")).status_code == 200


# --- the team ---------------------------------------------------------------------------------------------

async def test_the_team_page_adds_and_removes_colleagues(client, other_client):
    event = await make_event()
    await login_as(client, "organiser")
    colleague = await make_staff("organiser", name="Karin Berg")
    page = f"/staff/events/{event['id']}/team"
    assert (await post_form(client, page, page, {"email": colleague})).status_code == 303
    assert colleague in {member["email"] for member in await team_of(event["id"])}
    assert "Karin Berg" in (await client.get(page)).text
    # The colleague may now manage the event.
    assert (await staff_support.login(other_client, colleague)).status_code == 303
    assert (await other_client.get(f"/staff/events/{event['id']}/edit")).status_code == 200

    remove = f"{page}/{await user_id(colleague)}/remove"
    assert (await post_form(client, page, remove, {})).status_code == 303
    assert (await other_client.get(f"/staff/events/{event['id']}/edit")).status_code == 403
    actions = {row["action"] for row in await AuditEntry.select().where(AuditEntry.subject == f"event:{event['id']}")}
    assert {"event.team.add", "event.team.remove"} <= actions


@pytest.mark.parametrize("email", ["", "no.such.person@staff.example.org"])
async def test_adding_someone_unknown_to_the_team_is_explained(client, email):
    event = await make_event()
    await login_as(client, "organiser")
    await make_staff("checkin")  # someone to choose, so the form is shown
    page = f"/staff/events/{event['id']}/team"
    response = await post_form(client, page, page, {"email": email})
    assert response.status_code == 422 and 'id="email-error"' in response.text


async def test_facilitators_are_not_put_on_event_teams(client):
    event = await make_event()
    facilitator = await make_staff("facilitator")
    await login_as(client, "organiser")
    page = f"/staff/events/{event['id']}/team"
    assert (await post_form(client, page, page, {"email": facilitator})).status_code == 422


async def test_the_last_person_on_the_team_stays(client):
    event = await make_event()
    email = await login_as(client, "organiser")
    page = f"/staff/events/{event['id']}/team"
    await post_form(client, page, f"{page}/{await user_id(email)}/remove", {})
    assert [member["email"] for member in await team_of(event["id"])] == [email]


# --- duplicate --------------------------------------------------------------------------------------------

async def test_duplicating_copies_the_event_without_its_registrations(client):
    event = await make_event(capacity=30, categories=("citizen", "staff"), quotas={"staff": 10},
                             questions=("diet", "workshops"))
    workshop = await make_workshop(event["id"], capacity=12, title="Housing")
    await WorkshopTable.insert(WorkshopTable(workshop=workshop, label="Table 1", position=1, join_code="3XY7KM"))
    await services.register(event["id"], person(1), None)
    email = await login_as(client, "organiser")
    page = f"/staff/events/{event['id']}/duplicate"
    assert (await client.get(page)).status_code == 200
    response = await post_form(client, page, page, {})
    assert response.status_code == 303
    copy_id = int(response.headers["location"].split("/")[3])
    assert copy_id != event["id"]

    copy = await event_row(copy_id)
    assert not copy["published"] and copy["booked"] == 0 and copy["slug"] != event["slug"]
    assert copy["title"] == event["title"] and copy["capacity"] == 30 and copy["questions"] == ["diet", "workshops"]
    assert copy["ical_uid"] != event["ical_uid"] and copy["created_by"] == await user_id(email)
    audiences = {a["category"]: (a["quota"], a["booked"]) for a in await EventAudience.select().where(
        EventAudience.event == copy_id)}
    assert audiences == {"citizen": (None, 0), "staff": (10, 0)}
    assert await Occurrence.count().where(Occurrence.event == copy_id) == 1
    assert await Registration.count().where(Registration.event == copy_id) == 0
    (copied,) = await Workshop.select().where(Workshop.event == copy_id).output(load_json=True)
    assert copied["title"]["en"] == "Housing" and copied["capacity"] == 12 and copied["booked"] == 0
    original = await Workshop.select(Workshop.join_code).where(Workshop.id == workshop).first()
    assert copied["join_code"] != original["join_code"]
    tables = await WorkshopTable.select().where(WorkshopTable.workshop == copied["id"])
    assert [t["label"] for t in tables] == ["Table 1"] and tables[0]["join_code"] != "3XY7KM"
    assert email in {member["email"] for member in await team_of(copy_id)}


# --- the organiser API ------------------------------------------------------------------------------------

def api_event(**overrides) -> dict:
    start = datetime.now(UTC) + timedelta(days=40)
    return {
        "kind": "training", "title": {"da": "Ligestillingskursus", "en": "Equality training"},
        "starts_at": start.replace(hour=8, minute=0, second=0, microsecond=0).isoformat(),
        "ends_at": start.replace(hour=12, minute=0, second=0, microsecond=0).isoformat(),
        "capacity": 25, **overrides,
    }


async def bearer(role: str = "organiser", **token_options) -> tuple[str, dict[str, str]]:
    email = await make_staff(role)
    return email, {"Authorization": f"Bearer {await create_api_token(email, 'api test', **token_options)}"}


async def test_the_api_creates_updates_publishes_and_cancels_an_event(client):
    email, headers = await bearer()
    created = await client.post("/api/v1/events", json=api_event(), headers=headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["published"] is False and body["slug"] == "ligestillingskursus" and body["capacity"] == 25
    assert [m["email"] for m in await team_of(body["id"])] == [email]
    slug = body["slug"]
    assert (await client.get(f"/api/v1/events/{slug}")).status_code == 404, "a draft is not in the public API"

    changed = await client.patch(f"/api/v1/events/{slug}", json={"title": {"sv": "Jämställdhetskurs", "en": ""}},
                                 headers=headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["titles"] == {"da": "Ligestillingskursus", "sv": "Jämställdhetskurs"}

    published = await client.post(f"/api/v1/events/{slug}/publish", headers=headers)
    assert published.status_code == 200 and published.json()["published"] is True
    assert (await client.get(f"/api/v1/events/{slug}")).status_code == 200

    await services.register(body["id"], person(7), None)
    cancelled = await client.post(f"/api/v1/events/{slug}/cancel", headers=headers)
    assert cancelled.status_code == 200 and cancelled.json() == {"status": "cancelled", "notified": 1}
    again = await client.post(f"/api/v1/events/{slug}/cancel", headers=headers)
    assert again.status_code == 409 and again.json()["code"] == "already_cancelled"
    assert (await client.post(f"/api/v1/events/{slug}/publish", headers=headers)).status_code == 409
    assert any(row["kind"] == "notice.event_cancelled" for row in await outbox(to_address=person(7).email))


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"kind": "party"}, {"kind"}),
        ({"title": {}}, {"title"}),
        ({"title": {"fr": "Formation"}}, {"title.fr"}),
        ({"starts_at": "tomorrow morning"}, {"starts_at"}),
        ({"ends_at": "2020-01-01T10:00:00+00:00"}, {"ends_at"}),
        ({"capacity": -4}, {"capacity"}),
        ({"timezone": "Mars/Olympus"}, {"timezone"}),
        ({"venue_id": 999999}, {"venue_id"}),
        ({"slug": "Not A Slug"}, {"slug"}),
        ({"weekdays": ["MO"]}, {"weekdays"}),
    ],
)
async def test_the_api_answers_bad_input_with_field_errors_and_saves_nothing(client, body, fields):
    _email, headers = await bearer()
    response = await client.post("/api/v1/events", json=api_event(**body), headers=headers)
    assert response.status_code == 422, response.text
    assert fields <= {error["field"] for error in response.json()["errors"]}
    assert await Event.count() == 0


@pytest.mark.parametrize("payload", [b"{not json", b"[]", b'{"capacity": "many"}', b'{"title": "one string"}'])
async def test_the_api_answers_malformed_bodies_with_400(client, payload):
    _email, headers = await bearer()
    response = await client.post("/api/v1/events", content=payload,
                                 headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 400
    event = await make_event(published=False)
    token_owner = (await ApiToken.select(ApiToken.user).first())["user"]
    await add_to_team(event["id"], token_owner)
    response = await client.patch(f"/api/v1/events/{event['slug']}", content=payload.replace(b"capacity", b"title"),
                                  headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 400


async def test_the_api_keeps_to_the_tokens_scope(client):
    theirs = await make_event(published=False)
    _email, headers = await bearer("organiser")
    for method, path in (("patch", ""), ("post", "/publish"), ("post", "/cancel")):
        kwargs = {"json": {"title": {"en": "Taken over"}}} if method == "patch" else {}
        response = await getattr(client, method)(f"/api/v1/events/{theirs['slug']}{path}", headers=headers, **kwargs)
        assert response.status_code == 403, (method, path)
    assert (await client.post("/api/v1/events/no-such-event/publish", headers=headers)).status_code == 404
    _checkin, checkin_headers = await bearer("checkin")
    assert (await client.post("/api/v1/events", json=api_event(), headers=checkin_headers)).status_code == 403
    _admin, admin_headers = await bearer("admin")
    assert (await client.post(f"/api/v1/events/{theirs['slug']}/publish", headers=admin_headers)).status_code == 200
    assert (await event_row(theirs["id"]))["title"] == theirs["title"]


async def test_the_api_refuses_missing_expired_revoked_and_deactivated_tokens(client):
    assert (await client.post("/api/v1/events", json=api_event())).status_code == 401
    _email, expired = await bearer(expires_at=datetime.now(UTC) - timedelta(minutes=1))
    assert (await client.post("/api/v1/events", json=api_event(), headers=expired)).status_code == 401
    email, revoked = await bearer()
    await ApiToken.update({ApiToken.revoked_at: datetime.now(UTC)}).where(ApiToken.user == await user_id(email))
    assert (await client.post("/api/v1/events", json=api_event(), headers=revoked)).status_code == 401
    email, deactivated = await bearer()
    await StaffUser.update({StaffUser.active: False}).where(StaffUser.email == email)
    assert (await client.post("/api/v1/events", json=api_event(), headers=deactivated)).status_code == 401
    assert await Event.count() == 0


async def test_a_session_alone_cannot_write_through_the_api(client):
    await login_as(client, "organiser")
    assert (await client.post("/api/v1/events", json=api_event())).status_code == 403
    token = csrf_from((await client.get("/staff/events/new")).text)
    response = await client.post("/api/v1/events", json=api_event(), headers={"X-CSRFToken": token})
    assert response.status_code == 201


async def test_the_api_is_rate_limited_per_token(client, settings):
    _email, headers = await bearer()
    allowed, _seconds = settings.organiser_api_rate
    statuses = [
        (await client.post("/api/v1/events", json=api_event(kind="party"), headers=headers)).status_code
        for _ in range(allowed + 1)
    ]
    assert statuses == [422] * allowed + [429]
    _other, fresh = await bearer()
    assert (await client.post("/api/v1/events", json=api_event(kind="party"), headers=fresh)).status_code == 422


async def test_the_api_is_in_the_openapi_schema(client):
    schema = (await client.get("/schema/openapi.json")).json()
    assert "post" in schema["paths"]["/api/v1/events"]
    assert {"patch"} <= set(schema["paths"]["/api/v1/events/{slug}"])
    assert "/api/v1/events/{slug}/publish" in schema["paths"] and "/api/v1/events/{slug}/cancel" in schema["paths"]


async def test_adding_a_colleague_twice_keeps_one_team_row():
    event = await make_event()
    email = await make_staff("organiser")
    await add_to_team(event["id"], await user_id(email))
    assert await add_to_team(event["id"], await user_id(email)) is False, "adding twice is a no-op"
    assert await EventTeamMember.count().where(EventTeamMember.event == event["id"]) == 1


async def test_publishing_is_idempotent_and_audited_once(client):
    event = await make_event(published=False)
    await login_as(client, "organiser")
    edit = f"/staff/events/{event['id']}/edit"
    for _ in range(2):
        await post_form(client, edit, f"/staff/events/{event['id']}/publish", {})
    assert len(await AuditEntry.select().where(AuditEntry.action == "event.publish")) == 1

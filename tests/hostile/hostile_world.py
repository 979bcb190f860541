"""The rows every hostile-input module sends its corpus against, made once per module through the services.

One of each thing a form or an endpoint can be about: an event going on now (workshop with tables and themes,
input published and held, voting and participants' input on), an event ahead with every question asked (the
registration form in full), an ended event with an evaluation and its invitation links, a policy with themes, a
public action, a digest subscription, staff in each role, account links, API tokens. Routes that remove or end
something get subjects of their own (``spare_*``), so the rest of the corpus keeps a world to talk to.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from registration_support import make_event, make_occurrence, make_workshop, soon
from staff_support import PASSWORD, make_staff

# How many spare subjects a route that uses them up gets (links that work once, registrations to cancel).
SPARES = 12


async def _staff_id(email: str) -> int:
    from samrad.core.tables import StaffUser

    return (await StaffUser.select(StaffUser.id).where(StaffUser.email == email).first())["id"]


async def _register(event_id: int, number: int, **fields: Any):
    from events.contracts import RegistrationInput
    from events.registration import services
    from samrad.areas import provided

    data = RegistrationInput(name=f"Hostile Person {number}", email=f"hostile{number}@example.org",
                             category=fields.pop("category", "citizen"), locale="en", **fields)
    return await services.register(event_id, data, provided()["seat_plan"])


async def _tables(workshop_id: int, count: int) -> list[int]:
    from workshops.tables import WorkshopTable

    ids = []
    for position in range(count):
        table = WorkshopTable(workshop=workshop_id, label=f"Table {position + 1}", position=position,
                              join_code=f"{position + 3}{uuid.uuid4().hex[:5].upper()}")
        await table.save()
        ids.append(table.id)
    return ids


async def _item(event_id: int, workshop_id: int | None, text: str, status: str = "published",
                theme_id: int | None = None) -> int:
    from feedback.tables import InputItem, InputTag

    item = InputItem(event=event_id, workshop=workshop_id, text=text, status=status, kind="idea",
                     source="facilitator", client_id=str(uuid.uuid4()),
                     created_at=datetime.now(UTC).replace(second=0, microsecond=0))
    await item.save()
    if theme_id is not None:
        await InputTag(input_item=item.id, theme=theme_id, tag_key=f"{item.id}:{theme_id}").save()
    return item.id


async def build_world() -> dict[str, Any]:
    """Make the rows; returns ids, slugs, codes and secret tokens by name (see ``path_values``)."""
    from events.access import add_to_team
    from events.tables import Event, Occurrence, OrgUnit, Registration
    from feedback.follow_up import digests, evaluations
    from feedback.tables import EventInputSettings, EventTheme, FollowUp, FollowUpInput, WorkshopTheme
    from feedback.themes import services as themes
    from samrad.core.account_links import _new_link
    from samrad.core.accounts import create_api_token, create_staff_user
    from samrad.core.settings import get_settings
    from samrad.core.tables import AccountLinkPurpose, ApiToken, StaffUser
    from workshops.access import assignment_key
    from workshops.tables import Workshop, WorkshopFacilitator

    world: dict[str, Any] = {}
    # Routes whose subject an accepted request uses up: their paths, taken one after the other by the tests.
    spend: dict[str, list[str]] = {}
    world["spend"] = spend
    base_url = get_settings().base_url
    admin = await make_staff("admin", name="Hostile Admin")
    world["admin_email"] = admin
    world["admin_id"] = await _staff_id(admin)
    facilitator = await make_staff("facilitator")
    world["facilitator_id"] = await _staff_id(facilitator)
    colleague = await make_staff("organiser")
    world["colleague_id"] = await _staff_id(colleague)

    unit = OrgUnit(name="Social services", code="HOSTILE-SOC", kind="department", headcount=40)
    await unit.save()
    world["org_unit_id"] = unit.id

    # Policy and themes (a spare theme for archive and delete).
    policy_id = await themes.create_policy(
        {"code": "hostile-policy", "kind": "municipal", "name": {"en": "Equality policy", "da": "Ligestilling"},
         "description": {}}, "test")
    theme_ids = []
    for code in ("H1", "H2", "H3"):
        theme_ids.append(await themes.create_theme(
            policy_id, None, {"code": code, "colour": "#1f5f8b", "name": {"en": f"Theme {code}", "da": f"Tema {code}"},
                              "description": {}, "keywords": {"en": ["care"]}}, "test"))
    world.update(policy_id=policy_id, policy_code="hostile-policy", theme_id=theme_ids[0], theme_ids=theme_ids[:2],
                 spare_theme_id=theme_ids[2])

    # The event going on now: capture, participants' input, voting, the wall, moderation.
    now_event = await make_event(starts_at=soon(5), categories=("citizen", "staff", "council"))
    attendee = await _register(now_event["id"], 1)  # before it starts: registration closes then
    started = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=1)
    await Event.update({Event.starts_at: started, Event.ends_at: started + timedelta(hours=6)}).where(
        Event.id == now_event["id"])
    await Occurrence.update({Occurrence.starts_at: started, Occurrence.ends_at: started + timedelta(hours=6)}).where(
        Occurrence.event == now_event["id"])
    workshop_id = await make_workshop(now_event["id"], capacity=None)
    other_workshop_id = await make_workshop(now_event["id"], capacity=None)
    spare_workshop_id = await make_workshop(now_event["id"], capacity=None)
    table_ids = await _tables(workshop_id, 2)
    for theme_id in theme_ids[:2]:
        await WorkshopTheme(workshop=workshop_id, theme=theme_id, link_key=f"{workshop_id}:{theme_id}").save()
        await EventTheme(event=now_event["id"], theme=theme_id, link_key=f"{now_event['id']}:{theme_id}").save()
    await WorkshopFacilitator(workshop=workshop_id, staff_user=world["facilitator_id"],
                              assignment_key=assignment_key(workshop_id, world["facilitator_id"])).save()
    await EventInputSettings(event=now_event["id"], moderation="post", voting=True, participant_input=True).save()
    join_code = (await Workshop.select(Workshop.join_code).where(Workshop.id == workshop_id).first())["join_code"]
    item_id = await _item(now_event["id"], workshop_id, "More benches along the river", theme_id=theme_ids[0])
    other_item_id = await _item(now_event["id"], workshop_id, "More benches by the river")
    held_item_id = await _item(now_event["id"], workshop_id, "Call me on 12 34 56 78", status="held")
    world.update(event_id=now_event["id"], slug=now_event["slug"], workshop_id=workshop_id,
                 other_workshop_id=other_workshop_id, spare_workshop_id=spare_workshop_id, table_ids=table_ids,
                 table_id=table_ids[0], join_code=join_code, item_id=item_id, other_item_id=other_item_id,
                 held_item_id=held_item_id)
    world.update(registration_id=attendee.registration_id, manage_token=attendee.manage_token,
                 ticket_code=attendee.ticket_code)

    # The event ahead: the registration form with every question, its workshops, a date for the headcounts.
    ahead = await make_event(starts_at=soon(14), capacity=50, categories=("citizen", "staff", "council"),
                             organiser_email="organiser@kommune.example")
    ahead_workshop = await make_workshop(ahead["id"], capacity=20, starts_at=soon(14), minutes=60)
    ahead_occurrence = (await Occurrence.select(Occurrence.id).where(Occurrence.event == ahead["id"]).first())["id"]
    people = [await _register(ahead["id"], number) for number in range(2, 2 + 2 + 3 * SPARES)]
    world.update(ahead_event_id=ahead["id"], ahead_slug=ahead["slug"], ahead_workshop_id=ahead_workshop,
                 occurrence_id=ahead_occurrence,
                 ahead_registration_id=people[0].registration_id, ahead_manage_token=people[0].manage_token,
                 ahead_ticket_code=people[0].ticket_code, spare_registration_id=people[1].registration_id)
    spares = [person.manage_token for person in people[2:]]
    spend["/manage/{token:str}/cancel"] = [f"/manage/{token}/cancel" for token in spares[:SPARES]]
    spend["/manage/{token:str}/delete"] = [f"/manage/{token}/delete" for token in spares[SPARES:2 * SPARES]]
    spend["/api/v1/registrations/{token:str}/cancel"] = [f"/api/v1/registrations/{token}/cancel"
                                                         for token in spares[2 * SPARES:]]

    # A drop-in series: headcounts per date, dates to cancel and reinstate.
    # A draft with dates to cancel and one to reinstate (publish, unpublish, cancel: it is there to be ended).
    spare_event = await make_event(starts_at=soon(21), capacity=30, published=False)
    spare_occurrence = await make_occurrence(spare_event["id"], soon(28))
    await make_occurrence(spare_event["id"], soon(35), cancelled=True)
    # A full event with someone waiting (a seat by hand), and a sensitive one (a registration opened on purpose).
    full = await make_event(starts_at=soon(18), capacity=1)
    waiting = [await _register(full["id"], number) for number in (60, 61)][1]
    sensitive = await make_event(starts_at=soon(19), capacity=10, sensitive=True)
    await _register(sensitive["id"], 62)
    world.update(full_event_id=full["id"], waiting_registration_id=waiting.registration_id,
                 sensitive_event_id=sensitive["id"])
    world.update(spare_event_id=spare_event["id"], spare_slug=spare_event["slug"],
                 spare_occurrence_id=spare_occurrence)

    # The ended event: an evaluation, its invitation links, "you said, we did".
    ended = await make_event(starts_at=soon(10), capacity=None)
    guests = [await _register(ended["id"], number) for number in range(100, 100 + 4 * SPARES)]
    await Registration.update({Registration.checked_in_at: datetime.now(UTC)}).where(Registration.event == ended["id"])
    past = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=2)
    await Event.update({Event.starts_at: past, Event.ends_at: past + timedelta(hours=3)}).where(
        Event.id == ended["id"])
    await Occurrence.update({Occurrence.starts_at: past, Occurrence.ends_at: past + timedelta(hours=3)}).where(
        Occurrence.event == ended["id"])
    await evaluations.save(ended["id"], {"en": "Tell us"}, [
        {"kind": "rating", "label": {"en": "How was it?"}}, {"kind": "text", "label": {"en": "What should change?"}},
    ], "test")
    evaluation = await evaluations.evaluation_for_event(ended["id"])
    await evaluations.invite_attendees(evaluation, datetime.now(UTC))
    keys = [f"{evaluation['id']}:{guest.registration_id}" for guest in guests]
    for key in keys[-5:]:  # five answers: the report shows them, and a text answer can become input
        await evaluations.submit(evaluations.invitation_token(key), {"q1": "4", "q2": "More breaks"}, "en")
    keys = keys[:-5]
    ended_item = await _item(ended["id"], None, "A ramp at the library", theme_id=theme_ids[0])
    world.update(ended_event_id=ended["id"], ended_slug=ended["slug"],
                 evaluation_tokens=[evaluations.invitation_token(key) for key in keys])
    spend["/evaluation/{token:str}"] = [f"/evaluation/{token}" for token in world["evaluation_tokens"]]

    action = FollowUp(theme=theme_ids[0], title={"en": "Ramps at every library", "da": "Ramper"},
                      description={"en": "We build ramps"}, public=True)
    await action.save()
    await FollowUpInput(follow_up=action.id, input_item=ended_item, link_key=f"{action.id}:{ended_item}").save()
    world.update(action_id=action.id, ended_item_id=ended_item)
    readers = [f"reader{number}@example.org" for number in range(2 * SPARES)]
    for reader in readers:
        await digests.subscribe(ended["id"], reader, "en")
    tokens = [digests.unsubscribe_token(digests.subscription_key(ended["id"], reader)) for reader in readers]
    world["unsubscribe_token"] = tokens[0]
    spend["/follow-up/unsubscribe/{token:str}"] = [f"/follow-up/unsubscribe/{token}" for token in tokens[:SPARES]]
    spend["/api/v1/follow-up/unsubscribe/{token:str}"] = [f"/api/v1/follow-up/unsubscribe/{token}"
                                                          for token in tokens[SPARES:]]

    for event_id in (now_event["id"], ahead["id"], spare_event["id"], ended["id"], full["id"], sensitive["id"]):
        await add_to_team(event_id, world["admin_id"])

    # A colleague whose account was closed (reactivate), and a policy without themes (the CSV import).
    closed = await make_staff("organiser")
    world["closed_id"] = await _staff_id(closed)
    await StaffUser.update({StaffUser.active: False}).where(StaffUser.id == world["closed_id"])
    world["empty_policy_id"] = await themes.create_policy(
        {"code": "empty-policy", "kind": "municipal", "name": {"en": "Empty policy"}, "description": {}}, "test")
    world["admin_password"] = PASSWORD
    world["colleague_email"] = colleague
    world["future_start"] = soon(40).strftime("%Y-%m-%dT%H:%M")
    world["future_end"] = soon(40, hour=15).strftime("%Y-%m-%dT%H:%M")
    world["future_start_iso"] = soon(40).isoformat()
    world["future_end_iso"] = soon(40, hour=15).isoformat()
    world["now_start_iso"] = (started + timedelta(minutes=30)).isoformat()
    world["now_end_iso"] = (started + timedelta(hours=2)).isoformat()

    # Bearer tokens (the admin's, and a colleague's to revoke); account links to choose a password.
    world["api_token"] = await create_api_token(admin, "hostile corpus")
    await create_api_token(colleague, "colleague's script")
    token_rows = await ApiToken.select(ApiToken.id, ApiToken.user).order_by(ApiToken.id)
    world["token_id"] = next(row["id"] for row in token_rows if row["user"] == world["colleague_id"])
    # Links to choose a password (each works once), for accounts invited and not yet used.
    welcome, reset = [], []
    for number in range(2 * SPARES):
        invited = await create_staff_user(f"invited{number}@staff.example.org", "Invited Colleague", None,
                                          "organiser")
        welcome.append((await _new_link(invited, AccountLinkPurpose.invitation)).removeprefix(base_url))
        reset.append((await _new_link(invited, AccountLinkPurpose.password_reset)).removeprefix(base_url))
        world.setdefault("invited_id", invited)
    spend["/staff/welcome/{token:str}"] = welcome
    spend["/staff/password/reset/{token:str}"] = reset
    world["welcome_token"] = welcome[0].rsplit("/", 1)[1]
    world["reset_token"] = reset[0].rsplit("/", 1)[1]
    return world


# Which secret a ``{token}`` or ``{code}`` of a route is; routes that end or remove their subject get a spare one.
_ROUTE_VALUES: dict[str, dict[str, str]] = {
    "/manage/": {"token": "ahead_manage_token"},
    "/evaluation/": {"token": "evaluation_token"},
    "/follow-up/unsubscribe/": {"token": "unsubscribe_token"},
    "/api/v1/follow-up/unsubscribe/": {"token": "unsubscribe_token"},
    "/staff/welcome/": {"token": "welcome_token"},
    "/staff/password/reset/": {"token": "reset_token"},
    "/api/v1/policies/": {"code": "policy_code"},
    "/lang/": {"code": "lang_code"},
    "/staff/workshops/{workshop_id:int}/remove": {"workshop_id": "spare_workshop_id"},
    "/api/v1/workshops/{workshop_id:int}": {"workshop_id": "spare_workshop_id"},
    "/staff/events/{event_id:int}/cancel": {"event_id": "spare_event_id"},
    "/staff/events/{event_id:int}/unpublish": {"event_id": "spare_event_id"},
    "/staff/events/{event_id:int}/publish": {"event_id": "spare_event_id"},
    "/api/v1/events/{slug:str}/cancel": {"slug": "spare_slug"},
    "/api/v1/events/{slug:str}/publish": {"slug": "spare_slug"},
    "/staff/dates/": {"occurrence_id": "spare_occurrence_id"},
    "/staff/events/{event_id:int}/registrations/{registration_id:int}/cancel": {
        "event_id": "ahead_event_id", "registration_id": "spare_registration_id"},
    "/staff/events/{event_id:int}/registrations/{registration_id:int}": {
        "event_id": "ahead_event_id", "registration_id": "ahead_registration_id"},
    "/staff/themes/{theme_id:int}/delete": {"theme_id": "spare_theme_id"},
    "/staff/themes/{theme_id:int}/archive": {"theme_id": "spare_theme_id"},
    "/events/{slug:str}/register": {"slug": "ahead_slug"},
    "/api/v1/events/{slug:str}/registrations": {"slug": "ahead_slug"},
    "/staff/events/{event_id:int}/registrations/new": {"event_id": "ahead_event_id"},
    "/api/v1/staff/events/{event_id:int}/registrations": {"event_id": "ahead_event_id"},
    "/staff/events/{event_id:int}/evaluation": {"event_id": "ended_event_id"},
    "/events/{slug:str}/follow-up": {"slug": "ended_slug"},
}


def path_values(world: dict[str, Any], pattern: str) -> dict[str, Any]:
    """The values to put in ``pattern``'s parameters: the world's main rows, or the route's own (longest
    matching prefix of ``_ROUTE_VALUES`` wins)."""
    values = {
        "event_id": world["event_id"], "slug": world["slug"], "workshop_id": world["workshop_id"],
        "item_id": world["item_id"], "registration_id": world["registration_id"],
        "occurrence_id": world["occurrence_id"], "user_id": world["colleague_id"],
        "staff_user_id": world["colleague_id"], "token_id": world["token_id"], "action_id": world["action_id"],
        "policy_id": world["policy_id"], "theme_id": world["theme_id"], "code": world["join_code"],
        "token": world["manage_token"], "export_format": "csv", "file_path": "css/site.css", "path": "swagger",
    }
    named = {**world, "evaluation_token": world["evaluation_tokens"][0], "lang_code": "da"}
    prefixes = sorted((p for p in _ROUTE_VALUES if pattern == p or (p.endswith("/") and pattern.startswith(p))),
                      key=len)
    for prefix in prefixes:
        values.update({name: named[key] for name, key in _ROUTE_VALUES[prefix].items()})
    return values


def target_path(world: dict[str, Any], pattern: str, action: str) -> str:
    """Where a form of ``pattern`` is posted: its own action, or the route's spare subject."""
    if any(pattern == p or (p.endswith("/") and pattern.startswith(p)) for p in _ROUTE_VALUES):
        from hostile_support import fill

        return fill(pattern, path_values(world, pattern))
    return action.split("#")[0]

"""A whole installation to walk: the demo data, plus one of every secret link (manage, evaluation, digest
unsubscribe, invitation, password reset), and a logged-in browser for each staff role.

Used by ``tests/test_hardening_security.py``: its walks fill every path parameter of every route from here, so a
new route with a parameter nobody knows fails loudly instead of being skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from staff_support import make_staff

LINK = re.compile(r"https?://[^\s\"<>]+")


@dataclass
class World:
    """Ids and secrets that fill the routes' path parameters, and the accounts of each role."""

    ids: dict[str, Any]
    tokens: dict[str, str]  # by the route's first path segment: manage, evaluation, follow-up, welcome, reset
    staff: dict[str, str] = field(default_factory=dict)  # role -> email


def all_routes(app) -> Iterator[tuple[str, str, object]]:
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(set(getattr(handler, "http_methods", ())) - {"OPTIONS", "HEAD"}):
                yield method, route.path, handler


# Which secret fills ``{token}``, by the path it stands in.
TOKEN_OF = {"/manage/": "manage", "/evaluation/": "evaluation", "/follow-up/unsubscribe/": "unsubscribe",
            "/api/v1/follow-up/unsubscribe/": "unsubscribe", "/api/v1/registrations/": "manage",
            "/staff/welcome/": "welcome", "/staff/password/reset/": "reset"}
CODE_OF = {"/lang/": "lang", "/j/": "join", "/api/v1/join/": "join", "/api/v1/policies/": "policy"}


# Routes that need more than their path parameters to answer with a page or a file.
QUERY_OF = {
    "/staff/events/{event_id:int}/export/list": "?format=csv-comma&columns=name&columns=email",
}
EXPORT_FORMAT_OF = {"/staff/reports/coverage/export/{export_format:str}": "csv-comma"}


def concrete(path: str, world: World) -> str:
    """The path with every ``{name:type}`` filled from the world (and the query some routes need); an unknown
    parameter fails the test."""

    def value(match: re.Match) -> str:
        name = match.group(1)
        if name == "token":
            kind = next(kind for prefix, kind in TOKEN_OF.items() if path.startswith(prefix))
            return world.tokens[kind]
        if name == "code":
            kind = next(kind for prefix, kind in CODE_OF.items() if path.startswith(prefix))
            return str(world.ids[f"{kind}_code"])
        if name == "export_format" and path in EXPORT_FORMAT_OF:
            return EXPORT_FORMAT_OF[path]
        assert name in world.ids, f"the hardening walk does not know how to fill {{{name}}} in {path}: add it"
        return str(world.ids[name])

    return re.sub(r"\{(\w+):\w+\}", value, path) + QUERY_OF.get(path, "")


async def link_in_outbox(kind: str) -> str:
    """The token of the newest staff link (invitation, reset) an email of ``kind`` carries."""
    from samrad.core.tables import OutboxMessage

    row = await OutboxMessage.select(OutboxMessage.text_body).where(OutboxMessage.kind == kind).order_by(
        OutboxMessage.id, ascending=False).first()
    link = next(url for url in LINK.findall(row["text_body"]) if "/staff/" in url)
    return link.rsplit("/", 1)[1]


async def build_world() -> World:
    """The demo, one registration (its manage link), an evaluation link not used yet, a digest subscription, an
    invitation and a reset link, and staff of every role on every team and workshop."""
    from events.access import add_to_team
    from events.contracts import RegistrationInput
    from events.registration import services
    from events.tables import Event, Occurrence, Registration
    from feedback.follow_up import digests, evaluations
    from feedback.tables import EvaluationInvitation, EvaluationReceipt, FollowUp, InputItem, Policy, Theme
    from samrad.core import account_links
    from samrad.core.accounts import create_api_token
    from samrad.core.clock import now_utc
    from samrad.core.tables import ApiToken, StaffUser
    from samrad.demo import load_demo
    from workshops.access import assignment_key
    from workshops.tables import Workshop, WorkshopFacilitator

    assert await load_demo() == 0
    now = now_utc()
    # A published event still to come, with workshops: its pages, walls, registration and staff pages.
    workshop = await Workshop.select(Workshop.id, Workshop.event, Workshop.join_code).where(
        Workshop.event.published.eq(True) & (Workshop.event.status == "scheduled") & (Workshop.event.ends_at > now)
    ).order_by(Workshop.id).first()
    event = await Event.select(Event.id, Event.slug).where(Event.id == workshop["event"]).first()
    occurrence = await Occurrence.select(Occurrence.id).where(Occurrence.event == event["id"]).first()
    result = await services.register(event["id"], RegistrationInput(
        name="Walker Through", email="walker.through@example.org", category="citizen", locale="en"), None)
    assert result.manage_token
    item = await InputItem.select(InputItem.id).where(InputItem.workshop == workshop["id"]).first() or \
        await InputItem.select(InputItem.id).first()
    policy = await Policy.select(Policy.id, Policy.code).order_by(Policy.id).first()
    theme = await Theme.select(Theme.id).where(Theme.policy == policy["id"]).order_by(Theme.id).first()
    action = await FollowUp.select(FollowUp.id).order_by(FollowUp.id).first()

    # Secret links: an evaluation invitation nobody answered, a digest subscription, an invitation, a reset.
    answered = [row["invitation"] for row in await EvaluationReceipt.select(EvaluationReceipt.invitation)]
    unanswered = await EvaluationInvitation.select(EvaluationInvitation.invitation_key).where(
        EvaluationInvitation.id.not_in(answered or [0])).order_by(EvaluationInvitation.id).first()
    evaluation_token = evaluations.invitation_token(unanswered["invitation_key"])
    await digests.subscribe(event["id"], "digest.reader@example.org", "en")
    unsubscribe = digests.unsubscribe_token(digests.subscription_key(event["id"], "digest.reader@example.org"))
    admin_email = await make_staff("admin")
    admin = await StaffUser.select().where(StaffUser.email == admin_email).first()
    await account_links.invite("new.colleague@example.org", "New Colleague", "organiser", "en", admin)
    welcome = await link_in_outbox("account.invitation")
    reset_for = await make_staff("organiser")
    await account_links.request_password_reset(reset_for)
    reset = await link_in_outbox("account.password_reset")

    staff = {"admin": admin_email}
    for role in ("organiser", "facilitator", "checkin"):
        staff[role] = await make_staff(role)
    for role, email in staff.items():
        user = await StaffUser.select(StaffUser.id).where(StaffUser.email == email).first()
        for row in await Event.select(Event.id):
            await add_to_team(row["id"], user["id"])
        if role == "facilitator":
            for row in await Workshop.select(Workshop.id):
                await WorkshopFacilitator(workshop=row["id"], staff_user=user["id"],
                                          assignment_key=assignment_key(row["id"], user["id"])).save()
    colleague = await StaffUser.select(StaffUser.id).where(StaffUser.email == reset_for).first()
    await create_api_token(reset_for, "walked token")
    token_row = await ApiToken.select(ApiToken.id).first()
    registration = await Registration.select(Registration.id).where(
        Registration.id == result.registration_id).first()
    ids = {
        "event_id": event["id"], "slug": event["slug"], "occurrence_id": occurrence["id"],
        "registration_id": registration["id"], "workshop_id": workshop["id"], "item_id": item["id"],
        "action_id": action["id"], "policy_id": policy["id"], "theme_id": theme["id"],
        "user_id": colleague["id"], "staff_user_id": colleague["id"], "token_id": token_row["id"],
        "export_format": "csv", "file_path": "css/samrad.css", "path": "openapi.json",
        "join_code": workshop["join_code"], "lang_code": "da", "policy_code": policy["code"],
    }
    tokens = {"manage": result.manage_token, "evaluation": evaluation_token, "unsubscribe": unsubscribe,
              "welcome": welcome, "reset": reset}
    return World(ids=ids, tokens=tokens, staff=staff)

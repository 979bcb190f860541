"""The public "you said, we did" pages, per event and per policy theme: what was heard (published input only,
counted per theme and kind, and the items an organiser chose to quote, never a name), and what is being done
(public actions with status, progress and history), in the visitor's language. The event page also takes an
email address from those who want a digest when its actions move on (``feedback.follow_up.digests``); the
unsubscribe link works without login, and answers the one-click POST of RFC 8058.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template
from msgspec import Struct

from events.tables import Event, EventStatus
from feedback.follow_up import actions, digests, queries
from feedback.follow_up.filters import InputFilter
from feedback.follow_up.labels import labels_context
from samrad.core.i18n import current_locale
from samrad.core.security import client_address
from samrad.core.staff import form_value

SUBSCRIBE_RATE = (5, 600)  # per client address: a few addresses, not a list


async def _published_event(slug: str) -> dict[str, Any]:
    event = await Event.select(
        Event.id, Event.slug, Event.title, Event.summary, Event.starts_at, Event.ends_at, Event.timezone,
        Event.status,
    ).where((Event.slug == slug) & Event.published.eq(True)).output(load_json=True).first()
    if event is None:
        raise NotFoundException()
    return event


async def _actions_with_history(action_ids: list[int]) -> list[dict[str, Any]]:
    rows = await actions.action_list(action_ids=action_ids, public_only=True)
    ids = [row["id"] for row in rows]
    history = await actions.history(ids)
    quotes = await actions.quoted_items(ids)
    for row in rows:
        row["history"] = history[row["id"]]
        row["quotes"] = quotes[row["id"]]
    return rows


async def _heard(flt: InputFilter, tree: queries.ThemeTree) -> dict[str, Any]:
    """Counts per theme and per kind of the published input in ``flt``."""
    counts = await queries.theme_counts(flt, tree)
    return {
        "total": await queries.count(flt, tree),
        "themes": [(tree.themes[theme_id], counts[theme_id]) for theme_id in tree.order if counts.get(theme_id)],
        "kinds": sorted((await queries.grouped_counts(flt, tree, "kind")).items(), key=lambda item: -item[1]),
    }


async def _event_page(request: Request, event: dict[str, Any], *, values: dict[str, str] | None = None,
                      errors: dict[str, str] | None = None, status_code: int = 200) -> Template:
    tree = await queries.theme_tree()
    flt = InputFilter(event=event["id"])  # published only: the visibility rule's default
    return Template(
        template_name="feedback/follow_up/public_event.html",
        context={
            "event": event, "tree": tree, "heard": await _heard(flt, tree),
            "actions": await _actions_with_history(await actions.actions_for_event(event["id"])),
            "values": values or {}, "errors": errors or {}, "subscribed": request.query_params.get("subscribed"),
            **labels_context(),
        },
        status_code=status_code,
    )


@get("/events/{slug:str}/follow-up", name="follow_up_public_event", include_in_schema=False)
async def event_follow_up(request: Request, slug: FromPath[str]) -> Template:
    return await _event_page(request, await _published_event(slug))


@post("/events/{slug:str}/follow-up/subscribe", name="follow_up_subscribe", status_code=303,
      include_in_schema=False)
async def event_subscribe(request: Request, slug: FromPath[str]) -> Template | Redirect:
    event = await _published_event(slug)
    if event["status"] == EventStatus.cancelled.value:
        raise NotFoundException()
    form = await request.form()
    email = form_value(form, "email", digests.MAX_EMAIL + 1).strip()
    if form_value(form, "website", 200):  # the honeypot: people leave it empty
        return Redirect(path=f"/events/{slug}/follow-up?subscribed=1#subscribe", status_code=303)
    await request.app.state.rate_limiter.hit("follow-up-subscribe", client_address(request), SUBSCRIBE_RATE)
    try:
        await digests.subscribe(event["id"], email, current_locale())
    except digests.SubscriptionError as error:
        return await _event_page(request, event, values={"email": email}, errors={"email": error.message},
                                 status_code=422)
    # The same answer whether or not the address was already subscribed: it tells no one who is.
    return Redirect(path=f"/events/{slug}/follow-up?subscribed=1#subscribe", status_code=303)


@get("/follow-up/events/{event_id:int}", name="follow_up_public_event_by_id", include_in_schema=False)
async def event_follow_up_by_id(event_id: FromPath[int]) -> Redirect:
    """Where a participant's input page sends those who want digests (it knows the event by its id)."""
    row = await Event.select(Event.slug).where((Event.id == event_id) & Event.published.eq(True)).first()
    if row is None:
        raise NotFoundException()
    return Redirect(path=f"/events/{row['slug']}/follow-up#subscribe", status_code=303)


async def event_follow_up_path(event_id: int, slug: str) -> str | None:
    """The event's "you said, we did" page, for the public event page to link to (``event_follow_up``, provided
    to the events area), or None while it has nothing to show."""
    return f"/events/{slug}/follow-up" if await queries.event_has_follow_up(event_id) else None


@get("/follow-up/themes/{theme_id:int}", name="follow_up_public_theme", include_in_schema=False)
async def theme_follow_up(request: Request, theme_id: FromPath[int]) -> Template:
    tree = await queries.theme_tree()
    theme = tree.themes.get(theme_id)
    if theme is None:
        raise NotFoundException()
    flt = InputFilter(theme=theme_id)
    subtree = tree.subtree(theme_id)
    action_rows = await actions.action_list(theme_ids=subtree, public_only=True)
    return Template(
        template_name="feedback/follow_up/public_theme.html",
        context={
            "theme": theme, "tree": tree, "policy": tree.policies.get(theme.policy, {}),
            "heard": await _heard(flt, tree),
            "actions": await _actions_with_history([row["id"] for row in action_rows]),
            "children": [tree.themes[t] for t in subtree if tree.themes[t].parent == theme_id],
            **labels_context(),
        },
    )


@get("/follow-up/unsubscribe/{token:str}", name="follow_up_unsubscribe_page", include_in_schema=False)
async def unsubscribe_page(request: Request, token: FromPath[str]) -> Template:
    """A confirmation button (mail scanners open links; only the POST removes anything)."""
    subscription = await digests.subscription_for_token(token)
    return Template(
        template_name="feedback/follow_up/unsubscribe.html",
        context={"subscription": subscription, "token": token, "done": False},
        status_code=200 if subscription else 404,
        headers={"Cache-Control": "no-store"},
    )


@post("/follow-up/unsubscribe/{token:str}", name="follow_up_unsubscribe", status_code=200,
      include_in_schema=False)
async def unsubscribe(request: Request, token: FromPath[str]) -> Template:
    """The button of the unsubscribe page."""
    removed = await digests.unsubscribe(token)
    return Template(
        template_name="feedback/follow_up/unsubscribe.html",
        context={"subscription": None, "token": token, "done": removed},
        status_code=200 if removed else 404,
        headers={"Cache-Control": "no-store"},
    )


class UnsubscribedOut(Struct):
    unsubscribed: bool


@post("/api/v1/follow-up/unsubscribe/{token:str}", name="api_follow_up_unsubscribe", status_code=200,
      tags=["Input"], summary="One-click unsubscribe from digests (RFC 8058)",
      description="What a mail client posts for List-Unsubscribe-Post: List-Unsubscribe=One-Click: no login, no "
                  "form; the secret token is the credential.",
      responses={404: ResponseSpec(UnsubscribedOut, description="Unknown or already used token "
                                                                "(unsubscribed is false).")})
async def one_click_unsubscribe(token: FromPath[str]) -> Response[UnsubscribedOut]:
    removed = await digests.unsubscribe(token)
    return Response(content=UnsubscribedOut(unsubscribed=removed), status_code=200 if removed else 404)


router = Router(
    path="/",
    route_handlers=[
        event_follow_up, event_subscribe, event_follow_up_by_id, theme_follow_up, unsubscribe_page, unsubscribe,
    ],
    include_in_schema=False,
)
route_handlers = [router, one_click_unsubscribe]

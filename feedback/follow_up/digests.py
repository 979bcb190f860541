"""Digests: people who asked to hear what becomes of an event's input get an email when an action linked to the
event's input changes status or progress, at most one a day, each with an unsubscribe link that works without
logging in (and ``List-Unsubscribe`` with one-click ``List-Unsubscribe-Post``, RFC 8058).

A subscription is an event and an email address, kept apart from the input: nothing links it to an item, and
the form that takes it is not the input form. Its unsubscribe token is derived from the secret key (HMAC), so
the renderer can write the link at send time while the table keeps only the token's hash.

People who ticked the follow-up opt-in when registering get the same digests: the job keeps a subscription for
each active registration with the opt-in (``from_registration``; an address that already subscribed on the form
keeps its one subscription) and removes it when the registration is cancelled or erased. Unsubscribing withdraws
the opt-in of the address's registration for the event, so the job does not subscribe it again.

The job (``digest_job``, every worker pass) finds, for each subscription due (no digest in the last day), the
public changes since its last digest; it moves ``last_digest_at`` with a conditional UPDATE and queues the intent
in the same transaction, so two workers never send the same digest. The renderer reads the changes when it
sends; a subscription removed meanwhile sends nothing.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from events.tables import Event, Registration, RegistrationStatus
from feedback.follow_up import actions, emails
from feedback.follow_up.labels import action_status_label
from feedback.tables import DigestSubscription, FollowUpChange
from samrad.core import audit, db, mail
from samrad.core.accounts import normalise_email
from samrad.core.clock import now_utc
from samrad.core.i18n import _, pick, use_locale
from samrad.core.security import hash_token
from samrad.core.settings import LOCALES, Settings, get_settings

DIGEST_INTERVAL = timedelta(days=1)
MAIL_KIND = "follow_up.digest"
MAX_EMAIL = 254


class SubscriptionError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def subscription_key(event_id: int, email: str) -> str:
    return f"{event_id}:{normalise_email(email)}"


def unsubscribe_token(key: str, settings: Settings | None = None) -> str:
    secret = (settings or get_settings()).secret_key.encode()
    return hmac.new(secret, f"digest:{key}".encode(), hashlib.sha256).hexdigest()


def unsubscribe_url(key: str, settings: Settings | None = None, *, one_click: bool = False) -> str:
    """The page with the unsubscribe button, or the address mail clients post to (``one_click``)."""
    settings = settings or get_settings()
    path = "/api/v1/follow-up/unsubscribe/" if one_click else "/follow-up/unsubscribe/"
    return f"{settings.base_url}{path}{unsubscribe_token(key, settings)}"


def valid_email(email: str) -> bool:
    local, at, domain = email.partition("@")
    return bool(at and local and "." in domain and " " not in email and len(email) <= MAX_EMAIL
                and not domain.startswith(".") and not domain.endswith("."))


async def subscribe(event_id: int, email: str, locale: str) -> bool:
    """Start a subscription; False when this address already has one for the event (nothing changes)."""
    email = email.strip()
    if not valid_email(email):
        raise SubscriptionError(_("Enter an email address like name@example.org."))
    key = subscription_key(event_id, email)
    async with db.atomic():
        rows = await DigestSubscription.insert(DigestSubscription(
            event=event_id, email=email, locale=locale if locale in LOCALES else LOCALES[0],
            subscription_key=key, token_hash=hash_token(unsubscribe_token(key)), created_at=now_utc(),
        )).on_conflict(target=DigestSubscription.subscription_key, action="DO NOTHING").returning(
            DigestSubscription.id
        )
        if rows:
            await audit.record("participant", "follow_up.subscribe", f"event:{event_id}")
    return bool(rows)


async def subscription_for_token(token: str) -> dict[str, Any] | None:
    if not token or len(token) > 100:
        return None
    return await DigestSubscription.select(
        DigestSubscription.id, DigestSubscription.event, DigestSubscription.event.title.as_alias("event_title"),
        DigestSubscription.event.slug.as_alias("event_slug"),
    ).where(DigestSubscription.token_hash == hash_token(token)).output(load_json=True).first()


async def unsubscribe(token: str) -> bool:
    """Remove the subscription (its address goes with it); False for an unknown or used token."""
    if not token or len(token) > 100:
        return False
    async with db.atomic():
        removed = await DigestSubscription.delete().where(
            DigestSubscription.token_hash == hash_token(token)
        ).returning(DigestSubscription.event, DigestSubscription.subscription_key)
        if removed:
            # Stored as the registration's own answer, so the job does not subscribe the address again.
            event_id, key = removed[0]["event"], removed[0]["subscription_key"]
            opted = await Registration.select(Registration.id, Registration.email).where(
                (Registration.event == event_id) & Registration.follow_up_opt_in.eq(True))
            withdrawn = [row["id"] for row in opted if subscription_key(event_id, row["email"]) == key]
            if withdrawn:
                await Registration.update({Registration.follow_up_opt_in: False}).where(
                    Registration.id.is_in(withdrawn))
            await audit.record("participant", "follow_up.unsubscribe", f"event:{removed[0]['event']}")
    return bool(removed)


# --- the job ----------------------------------------------------------------------------------------------

async def changes_for_event(event_id: int, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Public changes of actions linked to the event's input, in (since, until], oldest first."""
    action_ids = await actions.actions_for_event(event_id)
    if not action_ids:
        return []
    return await FollowUpChange.select(
        FollowUpChange.follow_up, FollowUpChange.status, FollowUpChange.progress, FollowUpChange.note,
        FollowUpChange.created_at, FollowUpChange.follow_up.title.as_alias("title"),
    ).where(
        FollowUpChange.follow_up.is_in(action_ids) & (FollowUpChange.created_at > since)
        & (FollowUpChange.created_at <= until) & FollowUpChange.follow_up.public.eq(True)
    ).order_by(FollowUpChange.created_at).output(load_json=True)


async def digest_job(now: datetime, settings: Settings, provided: Mapping[str, Any]) -> dict[str, int]:
    """Queue the digests that are due (one per subscription with news, at most one a day)."""
    await sync_registrations(now, settings)
    due = await DigestSubscription.select(
        DigestSubscription.id, DigestSubscription.event, DigestSubscription.email, DigestSubscription.created_at,
        DigestSubscription.last_digest_at,
    ).where(
        DigestSubscription.last_digest_at.is_null() | (DigestSubscription.last_digest_at <= now - DIGEST_INTERVAL)
    )
    if not due:
        return {}
    by_event: dict[int, list[dict[str, Any]]] = {}
    for row in due:
        by_event.setdefault(row["event"], []).append(row)
    queued = 0
    for event_id, rows in by_event.items():
        earliest = min(row["last_digest_at"] or row["created_at"] for row in rows)
        changes = await changes_for_event(event_id, earliest, now)
        for row in rows:
            since = row["last_digest_at"] or row["created_at"]
            if any(change["created_at"] > since for change in changes) and await _queue_digest(row, since, now):
                queued += 1
    return {"digests": queued} if queued else {}


async def sync_registrations(now: datetime, settings: Settings) -> None:
    """A subscription for every active registration with the follow-up opt-in (of events not yet purged), and
    none left for registrations cancelled, erased or whose opt-in was withdrawn."""
    opted = await Registration.select(
        Registration.event, Registration.email, Registration.locale, Registration.created_at,
    ).where(
        Registration.follow_up_opt_in.eq(True) & Registration.active_key.is_not_null()
        & Registration.anonymised_at.is_null() & (Registration.status != RegistrationStatus.cancelled)
        & (Registration.event.ends_at >= now - timedelta(days=settings.digest_retention_days))
    )
    wanted = {subscription_key(row["event"], row["email"]): row for row in opted}
    existing = {row["subscription_key"]: row for row in await DigestSubscription.select(
        DigestSubscription.id, DigestSubscription.subscription_key, DigestSubscription.from_registration)}
    stale = [row["id"] for key, row in existing.items() if row["from_registration"] and key not in wanted]
    new = [
        DigestSubscription(
            event=row["event"], email=row["email"], locale=row["locale"] if row["locale"] in LOCALES else LOCALES[0],
            subscription_key=key, token_hash=hash_token(unsubscribe_token(key)), created_at=row["created_at"],
            from_registration=True,
        )
        for key, row in wanted.items() if key not in existing
    ]
    if not stale and not new:
        return
    async with db.atomic():
        if stale:
            await DigestSubscription.delete().where(DigestSubscription.id.is_in(stale))
        if new:
            await DigestSubscription.insert(*new).on_conflict(
                target=DigestSubscription.subscription_key, action="DO NOTHING")


async def purge_subscriptions(now: datetime, settings: Settings, dry_run: bool) -> dict[str, int]:
    """The retention purge's step: delete the subscriptions (their addresses) of events that ended more than
    ``settings.digest_retention_days`` ago (two years by default: follow-up can take that long)."""
    ended = [row["id"] for row in await Event.select(Event.id).where(
        Event.ends_at < now - timedelta(days=settings.digest_retention_days))]
    if not ended:
        return {"digest_subscription:deleted": 0}
    if dry_run:
        return {"digest_subscription:deleted": await DigestSubscription.count().where(
            DigestSubscription.event.is_in(ended))}
    async with db.atomic():
        removed = await DigestSubscription.delete().where(DigestSubscription.event.is_in(ended)).returning(
            DigestSubscription.id)
        if removed:
            await audit.record("system", "follow_up.subscriptions_purged", "digest_subscription", len(removed))
    return {"digest_subscription:deleted": len(removed)}


async def _queue_digest(row: Mapping[str, Any], since: datetime, now: datetime) -> bool:
    """Claim the subscription's digest (a conditional UPDATE of ``last_digest_at``) and queue it, together."""
    async with db.atomic():
        previous = DigestSubscription.last_digest_at.is_null() if row["last_digest_at"] is None else (
            DigestSubscription.last_digest_at == row["last_digest_at"]
        )
        claimed = await DigestSubscription.update({DigestSubscription.last_digest_at: now}).where(
            (DigestSubscription.id == row["id"]) & previous
        ).returning(DigestSubscription.id)
        if claimed:
            await mail.queue_intent(MAIL_KIND, row["email"], {
                "subscription": row["id"], "since": since.isoformat(), "until": now.isoformat(),
            })
    return bool(claimed)


async def render_digest(intent: Mapping[str, Any], provided: Mapping[str, Any]) -> mail.RenderedMail | None:
    """The digest an intent stands for; None when the subscription was removed meanwhile."""
    row = await DigestSubscription.select().where(DigestSubscription.id == intent["subscription"]).first()
    if row is None:
        return None
    event = await Event.select(Event.title, Event.slug).where(Event.id == row["event"]).output(
        load_json=True).first()
    if event is None:
        return None
    settings = get_settings()
    changes = await changes_for_event(row["event"], datetime.fromisoformat(intent["since"]),
                                      datetime.fromisoformat(intent["until"]))
    if not changes:
        return None
    latest: dict[int, dict[str, Any]] = {}
    for change in changes:
        latest[change["follow_up"]] = change
    link = unsubscribe_url(row["subscription_key"], settings)
    with use_locale(row["locale"]):
        title = pick(event["title"])
        context = {
            "event_title": title,
            "changes": [
                {"title": pick(change["title"]), "status": action_status_label(change["status"]),
                 "progress": change["progress"], "note": pick(change["note"])}
                for change in latest.values()
            ],
            "page_url": f"{settings.base_url}/events/{event['slug']}/follow-up",
            "unsubscribe_url": link,
        }
        subject = _("What became of the input: %(event)s", event=title)
        text, html = emails.render("digest", context)
    return mail.RenderedMail(
        to=row["email"], subject=subject, text=text, html=html,
        headers={"List-Unsubscribe": f"<{unsubscribe_url(row['subscription_key'], settings, one_click=True)}>",
                 "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )

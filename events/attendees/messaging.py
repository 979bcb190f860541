"""Emails from the organiser to all or a filtered group of participants (everyone waiting, one workshop...).

The organiser writes the message in one or more languages; each recipient gets it in their own language
(``Registration.locale``) where a translation was given, else in the first language written (Danish, Swedish,
English). The page shows a preview per language and the number of recipients before anything is sent.

Sending queues one outbox row per recipient in one transaction with one audit entry (the count, never the
addresses). Each row is an intent (the registration, the language, the subject and text chosen for it) that
``render_group_message`` writes at send time: a person whose data was erased meanwhile gets nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment

from events import loaders
from events.messaging.calendar import public_event_url
from samrad.core import audit, db, mail
from samrad.core.i18n import N_, _, format_time_range, pick, use_locale
from samrad.core.settings import LOCALES, get_settings

MAIL_KIND = "attendees.message"
SUBJECT_LIMIT = 200
BODY_LIMIT = 5000


@dataclass(frozen=True)
class GroupMessage:
    """Subject and text by language code; only the languages the organiser wrote."""

    subjects: Mapping[str, str]
    bodies: Mapping[str, str]

    @property
    def languages(self) -> list[str]:
        return [code for code in LOCALES if code in self.subjects]

    def for_locale(self, locale: str) -> tuple[str, str, str]:
        """(language used, subject, text) for someone who reads ``locale``."""
        used = locale if locale in self.subjects else self.languages[0]
        return used, self.subjects[used], self.bodies[used]


def parse_message(fields: Mapping[str, Any]) -> GroupMessage | dict[str, str]:
    """The message from the form (``subject_da``, ``body_da``, ...), or field → translated message."""
    errors: dict[str, str] = {}
    subjects: dict[str, str] = {}
    bodies: dict[str, str] = {}
    for code in LOCALES:
        subject = " ".join(str(fields.get(f"subject_{code}") or "").split())
        body = str(fields.get(f"body_{code}") or "").replace("\r\n", "\n").strip()
        if not subject and not body:
            continue
        if not subject:
            errors[f"subject_{code}"] = _("Write a subject for this language, or leave its text empty too.")
        elif len(subject) > SUBJECT_LIMIT:
            errors[f"subject_{code}"] = _("Use at most %(limit)s characters.", limit=SUBJECT_LIMIT)
        if not body:
            errors[f"body_{code}"] = _("Write the text for this language, or leave its subject empty too.")
        elif len(body) > BODY_LIMIT:
            errors[f"body_{code}"] = _("Use at most %(limit)s characters.", limit=BODY_LIMIT)
        subjects[code], bodies[code] = subject, body
    if not subjects and not errors:
        errors[f"subject_{LOCALES[0]}"] = _("Write the message in at least one language.")
    if errors:
        return errors
    return GroupMessage(subjects, bodies)


def recipients_of(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The rows that can get an email (an address is kept)."""
    return [row for row in rows if (row.get("email") or "").strip()]


def languages_used(message: GroupMessage, rows: Sequence[Mapping[str, Any]]) -> Counter[str]:
    """How many recipients get each language version."""
    return Counter(message.for_locale(row["locale"])[0] for row in rows)


async def send_group_message(
    event_id: int, rows: Sequence[Mapping[str, Any]], message: GroupMessage, actor: str
) -> int:
    """Queue the message for every row with an address; returns how many were queued."""
    recipients = recipients_of(rows)
    async with db.atomic():
        for row in recipients:
            used, subject, body = message.for_locale(row["locale"])
            await mail.queue_intent(MAIL_KIND, row["email"], {
                "registration": row["id"], "event": event_id, "locale": used, "subject": subject, "body": body,
            })
        await audit.record(actor, "registration.message_group", f"event:{event_id}", count=len(recipients))
    return len(recipients)


# --- writing the email at send time ---------------------------------------------------------------------------

@cache
def _environments() -> tuple[Environment, Environment]:
    from samrad.core.web import build_template_environment

    html = build_template_environment(get_settings())
    return html, html.overlay(autoescape=False, cache_size=20)


def render_message_email(context: Mapping[str, Any]) -> tuple[str, str]:
    """(text, html) of the organiser's message in the current locale."""
    html_env, text_env = _environments()
    text = text_env.get_template("events/attendees/message_email.txt").render(context)
    html = html_env.get_template("events/attendees/message_email.html").render(context)
    return text.strip() + "\n", html


async def render_group_message(intent: Mapping[str, Any], provided: Mapping[str, Any]) -> mail.RenderedMail | None:
    """The mail renderer for ``attendees.*`` (``events.area``)."""
    registration = await loaders.registration(intent["registration"])
    if registration is None or registration["anonymised_at"] is not None or not registration["email"].strip():
        return None
    event = await loaders.event_row(registration["event"])
    if event is None:
        return None
    settings = get_settings()
    with use_locale(intent["locale"]):
        context = {
            "settings": settings,
            "name": registration["name"],
            "subject": intent["subject"],
            "paragraphs": [part.strip() for part in intent["body"].split("\n\n") if part.strip()],
            "title": pick(event["title"]),
            "when": format_time_range(event["starts_at"], event["ends_at"], event["timezone"]),
            "event_url": public_event_url(event, settings),
            "sensitive": event["sensitive"],
        }
        text, html = render_message_email(context)
    return mail.RenderedMail(to=registration["email"], subject=intent["subject"], text=text, html=html)


KIND_LABELS = {
    "notice.confirmed": N_("Confirmation"),
    "notice.waitlisted": N_("Waiting list"),
    "notice.promoted": N_("Seat from the waiting list"),
    "notice.changed": N_("Change"),
    "notice.cancelled": N_("Cancellation"),
    "notice.link_resent": N_("Link sent again"),
    "notice.event_changed": N_("Event changed"),
    "notice.event_cancelled": N_("Event cancelled"),
    "notice.reminder": N_("Reminder"),
    "notice.workshop_seat": N_("Workshop seat"),
    MAIL_KIND: N_("Message from the organiser"),
}

DELIVERY_LABELS = {
    "pending": N_("Waiting to be sent"),
    "sent": N_("Sent"),
    "failed": N_("Could not be delivered"),
    "skipped": N_("Not sent (data deleted)"),
}


def kind_label(kind: str) -> str:
    return _(KIND_LABELS[kind]) if kind in KIND_LABELS else kind


def delivery_label(status: str) -> str:
    return _(DELIVERY_LABELS[status]) if status in DELIVERY_LABELS else status

"""Writing a registrant's email when the worker sends it, from the intent ``notify`` queued.

The booking transaction stored only what to tell whom and the values frozen at the time of the change: the
registration status the notice is about, the place on the waiting list and the calendar SEQUENCE. Everything
else is read here, at send time, in the registrant's language: the event's title, time and venue, the workshop
seats (through the ``seat_plan`` the areas provide), the ticket (code and QR image) and the invitation
(``.ics``). ``render_notice`` is the events area's mail renderer (``events.area``, ``samrad.core.mail``).

Every email has a plain-text and an HTML body from ``templates/emails/<notice>.txt|.html`` (one shared
layout) and, when the notice carries it, the person's manage link. Tickets go with confirmed places;
invitations go with every notice where the person holds or loses a place.

A registration erased before its email goes out gets nothing (None: the outbox marks the message skipped).
A queued invite keeps the SEQUENCE it was queued with even if the event is edited before it is sent: the
edit raises the SEQUENCE and queues its own update behind it, so the newest details always come last with the
highest SEQUENCE, and an invite never outranks a later message to the same person.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any

from jinja2 import Environment

from events import loaders, rules
from events.contracts import Notice
from events.labels import SEAT_STATUS_LABELS, registration_status_label
from events.messaging import calendar
from events.messaging.tickets import qr_png
from events.tables import Occurrence, RegistrationStatus
from samrad.core import mail
from samrad.core.clock import now_utc
from samrad.core.i18n import N_, _, format_time_range, pick, use_locale
from samrad.core.settings import get_settings

SUBJECTS = {
    Notice.confirmed: N_("You are registered: %(title)s"),
    Notice.waitlisted: N_("You are on the waiting list: %(title)s"),
    Notice.promoted: N_("You have a place: %(title)s"),
    Notice.changed: N_("Your registration has been changed: %(title)s"),
    Notice.cancelled: N_("Your registration is cancelled: %(title)s"),
    Notice.link_resent: N_("Your link to your registration: %(title)s"),
    Notice.event_changed: N_("Changes to %(title)s"),
    Notice.event_cancelled: N_("Cancelled: %(title)s"),
    Notice.reminder: N_("Reminder: %(title)s, %(when)s"),
    Notice.workshop_seat: N_("You have a place in a workshop: %(title)s"),
}

# Notices that carry the ticket (the person holds a confirmed place).
TICKET_NOTICES = frozenset(
    {Notice.confirmed, Notice.promoted, Notice.changed, Notice.link_resent, Notice.reminder, Notice.workshop_seat}
)
CANCEL_NOTICES = frozenset({Notice.cancelled, Notice.event_cancelled})
QR_CONTENT_ID = "ticket-qr@samrad"


def carries_invite(notice: Notice, status: str) -> bool:
    """Whether the email may carry an ``.ics`` (REQUEST or CANCEL), so its SEQUENCE matters."""
    return notice in CANCEL_NOTICES or status == RegistrationStatus.confirmed.value


@cache
def _environments() -> tuple[Environment, Environment]:
    """The app's Jinja environment for HTML, and an overlay without autoescaping for plain text."""
    from samrad.core.web import build_template_environment

    html = build_template_environment(get_settings())
    text = html.overlay(autoescape=False, cache_size=100)
    return html, text


def render_email(template: str, context: Mapping[str, Any]) -> tuple[str, str]:
    """(text, html) of ``templates/emails/<template>.txt|.html`` in the current locale."""
    html_env, text_env = _environments()
    text = text_env.get_template(f"emails/{template}.txt").render(context)
    html = html_env.get_template(f"emails/{template}.html").render(context)
    return _tidy_text(text), html


def _tidy_text(text: str) -> str:
    """Plain-text emails: no trailing spaces (but the "-- " signature mark), at most one empty line in a row."""
    lines = [line if line == "-- " else line.rstrip() for line in text.strip().splitlines()]
    tidy: list[str] = []
    for line in lines:
        if not line and tidy and not tidy[-1]:
            continue
        tidy.append(line)
    return "\n".join(tidy) + "\n"


def _seat_line(line: Any) -> dict[str, str]:
    """A workshop line from ``SeatPlan.describe``: an object with ``title``/``status`` or a pair."""
    if isinstance(line, Mapping):
        title, status = line.get("title"), line.get("status")
    elif hasattr(line, "title") and hasattr(line, "status"):
        title, status = line.title, line.status
    else:
        title, status = line
    title_text = pick(title) if isinstance(title, Mapping) else str(title or "")
    label = SEAT_STATUS_LABELS.get(str(status))
    return {"title": title_text, "status": str(status), "status_label": _(label) if label else ""}


def _subject_title(event: Mapping[str, Any], title: str, settings: Any) -> str:
    """The event's name for the subject line; for sensitive events a neutral one.

    Subjects show on lock screens and in shared inboxes, and the name of an LGBTQ café can reveal more than
    the person wants to show there. The body, which they open themselves, names the event.
    """
    if event.get("sensitive"):
        return _("an event with %(municipality)s", municipality=settings.municipality_name)
    return title


def _when(event: Mapping[str, Any], occurrence: Mapping[str, Any] | None) -> tuple[datetime, datetime]:
    if occurrence is not None:
        return occurrence["starts_at"], occurrence["ends_at"]
    if event.get("recurrence_rule"):
        now = now_utc()
        upcoming = [row for row in event.get("occurrences") or [] if not row.get("cancelled")
                    and row["ends_at"] >= now]
        if upcoming:
            return upcoming[0]["starts_at"], upcoming[0]["ends_at"]
    return event["starts_at"], event["ends_at"]


async def _occurrence_row(occurrence_id: int | None, event: Mapping[str, Any]) -> dict[str, Any] | None:
    if occurrence_id is None:
        return None
    for row in event.get("occurrences") or []:
        if row["id"] == occurrence_id:
            return dict(row)
    return await Occurrence.select(
        Occurrence.id, Occurrence.event, Occurrence.starts_at, Occurrence.ends_at, Occurrence.cancelled
    ).where(Occurrence.id == occurrence_id).first()


def _calendar_file(
    notice: Notice, event: Mapping[str, Any], registration: Mapping[str, Any], own: Mapping[str, Any] | None,
    cancelled: Mapping[str, Any] | None, settings: Any,
) -> dict[str, Any] | None:
    """The invitation (REQUEST), its withdrawal (CANCEL), or None; ``event`` carries the frozen SEQUENCE."""
    if notice in CANCEL_NOTICES:
        if cancelled is not None and own is None:
            ics = calendar.occurrence_cancel_ics(event, cancelled, registration, settings=settings)
        elif cancelled is None or own is None or own["id"] == cancelled["id"]:
            ics = calendar.invite_ics(event, registration, calendar.CANCEL, settings=settings)
        else:
            return None  # another date of the series than the one this person signed up for
        return mail.calendar_attachment(ics, calendar.CANCEL, "cancel.ics")
    if registration["status"] == RegistrationStatus.confirmed.value:
        ics = calendar.invite_ics(event, registration, calendar.REQUEST, settings=settings)
        return mail.calendar_attachment(ics, calendar.REQUEST, "invite.ics")
    return None


async def render_notice(intent: Mapping[str, Any], provided: Mapping[str, Any]) -> mail.RenderedMail | None:
    """The email an intent of ``notify`` stands for, or None when the registration was erased meanwhile."""
    notice = Notice(intent["notice"])
    settings = get_settings()
    row = await loaders.registration(intent["registration"])
    if row is None or row["anonymised_at"] is not None or not (row["email"] or "").strip():
        return None
    event = await calendar.load_event_for_calendar(row["event"])
    if event is None:
        return None
    event["ical_sequence"] = intent["sequence"]  # frozen when queued (see the module's docstring)
    # The status this notice is about, not today's (a waiting-list email stays one after a promotion).
    registration = {**row, "status": intent["status"]}
    own_occurrence = await _occurrence_row(registration["occurrence"], event)
    cancelled_occurrence = await _occurrence_row(intent.get("occurrence"), event)
    seats = provided.get("seat_plan") if intent.get("workshops") else None
    seat_lines = [] if seats is None else await seats.describe(registration["id"])
    waitlisted = registration["status"] == RegistrationStatus.waitlisted.value
    manage_token = intent.get("manage_token")

    dropin = rules.is_dropin(event)
    confirmed = registration["status"] == RegistrationStatus.confirmed.value
    show_ticket = notice in TICKET_NOTICES and confirmed and not dropin and bool(registration["ticket_code"])

    with use_locale(intent.get("locale") or registration["locale"]):
        starts_at, ends_at = _when(event, cancelled_occurrence or own_occurrence)
        title = pick(event["title"])
        when_text = format_time_range(starts_at, ends_at, event["timezone"])
        attachments: list[dict[str, Any]] = []
        invite = _calendar_file(notice, event, registration, own_occurrence, cancelled_occurrence, settings)
        if invite is not None:
            attachments.append(invite)
        if show_ticket:
            attachments.append(mail.inline_image(qr_png(registration["ticket_code"]), "ticket.png", QR_CONTENT_ID))

        context = {
            "notice": notice.value,
            "settings": settings,
            "registration": registration,
            "event": event,
            "title": title,
            "summary": pick(event.get("summary")),
            "when": when_text,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "venue": event.get("venue"),
            "venue_text": calendar.venue_text(event.get("venue")),
            "event_url": calendar.public_event_url(event, settings),
            "status": registration["status"],
            "status_label": registration_status_label(registration["status"]),
            "seat_lines": [_seat_line(line) for line in seat_lines],
            "manage_url": f"{settings.base_url}/manage/{manage_token}" if manage_token else None,
            "ticket_code": registration["ticket_code"] if show_ticket else None,
            "qr_cid": QR_CONTENT_ID if show_ticket else None,
            "waitlist_position": intent.get("waitlist_position") if waitlisted else None,
            "dropin": dropin,
            "series": bool(event.get("recurrence_rule")) and own_occurrence is None and cancelled_occurrence is None,
            "cancelled_date": cancelled_occurrence is not None,
            "cancellation": notice in CANCEL_NOTICES,
            "has_invite": invite is not None,
        }
        text, html = render_email(notice.value, context)
        subject = _(SUBJECTS[notice], title=_subject_title(event, title, settings), when=when_text)
    return mail.RenderedMail(to=registration["email"], subject=subject, text=text, html=html, attachments=attachments)

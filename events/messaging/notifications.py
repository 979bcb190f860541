"""Emails to registrants: what happened to their registration or their event, in their own language.

``notify`` runs inside the caller's ``atomic()``: it renders the email and writes it to the outbox, so it goes
out only if the change it tells about is committed. The worker delivers it (``samrad.core.mail``).

Every email has a plain-text and an HTML body from ``templates/emails/<notice>.txt|.html`` (one shared
layout), the event's title, time in the event's time zone and venue, the registration's status and workshop
seats, and, when the caller passes the new token, the person's manage link. Tickets (code and QR image) go
with confirmed places; invitations (``.ics``) go with every notice where the person holds or loses a place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from jinja2 import Environment

from events import loaders, rules
from events.contracts import Notice, SeatPlan
from events.labels import SEAT_STATUS_LABELS, registration_status_label
from events.messaging import calendar
from events.messaging.tickets import qr_png
from events.tables import Event, Occurrence, Registration, RegistrationStatus
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


async def notify(
    notice: Notice | str,
    registration_id: int,
    *,
    manage_token: str | None = None,
    seats: SeatPlan | None = None,
    occurrence_id: int | None = None,
) -> int | None:
    """Queue the email for ``notice`` to the registrant; returns the outbox id (None if there is no address).

    ``occurrence_id`` names the one date of a series that an ``event_cancelled`` notice is about; people
    signed up for the whole series then get a CANCEL for that date only (RECURRENCE-ID).
    """
    notice = Notice(notice)
    settings = get_settings()
    registration = await loaders.registration(registration_id)
    if registration is None:
        raise LookupError(f"registration {registration_id} does not exist")
    if registration["anonymised_at"] is not None or not (registration["email"] or "").strip():
        return None
    event = await calendar.load_event_for_calendar(registration["event"])
    if event is None:
        raise LookupError(f"event of registration {registration_id} does not exist")
    own_occurrence = await _occurrence_row(registration["occurrence"], event)
    cancelled_occurrence = await _occurrence_row(occurrence_id, event) if occurrence_id else None

    seat_lines = [] if seats is None else await seats.describe(registration_id)
    waitlist_position = (
        await rules.waitlist_position(registration["event"], registration["id"])
        if registration["status"] == RegistrationStatus.waitlisted.value else None
    )
    offset = await calendar.invite_sequence_offset(registration)

    dropin = rules.is_dropin(event)
    confirmed = registration["status"] == RegistrationStatus.confirmed.value
    show_ticket = notice in TICKET_NOTICES and confirmed and not dropin and bool(registration["ticket_code"])

    with use_locale(registration["locale"]):
        starts_at, ends_at = _when(event, cancelled_occurrence or own_occurrence)
        title = pick(event["title"])
        when_text = format_time_range(starts_at, ends_at, event["timezone"])
        attachments: list[dict[str, Any]] = []
        if notice in CANCEL_NOTICES:
            if cancelled_occurrence is not None and own_occurrence is None:
                ics = calendar.occurrence_cancel_ics(event, cancelled_occurrence, registration,
                                                     sequence_offset=offset, settings=settings)
            elif cancelled_occurrence is None or own_occurrence is None \
                    or own_occurrence["id"] == cancelled_occurrence["id"]:
                ics = calendar.invite_ics(event, registration, calendar.CANCEL, sequence_offset=offset,
                                          settings=settings)
            else:
                ics = None  # another date of the series than the one this person signed up for
            if ics is not None:
                attachments.append(mail.calendar_attachment(ics, calendar.CANCEL, "cancel.ics"))
        elif confirmed:
            ics = calendar.invite_ics(event, registration, calendar.REQUEST, sequence_offset=offset,
                                      settings=settings)
            attachments.append(mail.calendar_attachment(ics, calendar.REQUEST, "invite.ics"))
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
            "waitlist_position": waitlist_position,
            "dropin": dropin,
            "series": bool(event.get("recurrence_rule")) and own_occurrence is None and cancelled_occurrence is None,
            "cancelled_date": cancelled_occurrence is not None,
            "cancellation": notice in CANCEL_NOTICES,
            "has_invite": any(item["content_type"] == "text/calendar" for item in attachments),
        }
        text, html = render_email(notice.value, context)
        subject = _(SUBJECTS[notice], title=_subject_title(event, title, settings), when=when_text)
    return await mail.queue_email(
        f"notice.{notice.value}", registration["email"], subject, text, html, attachments
    )


async def notify_many(
    notice: Notice | str,
    registration_ids: Sequence[int],
    *,
    seats: SeatPlan | None = None,
    occurrence_id: int | None = None,
) -> int:
    """``notify`` for each registration (event changed or cancelled); returns how many emails were queued."""
    queued = 0
    for registration_id in registration_ids:
        if await notify(notice, registration_id, seats=seats, occurrence_id=occurrence_id) is not None:
            queued += 1
    return queued


async def announce_event_update(
    event_id: int,
    notice: Notice | str,
    *,
    seats: SeatPlan | None = None,
    occurrence_id: int | None = None,
) -> int:
    """Tell everyone registered that the event changed or was cancelled (or one date of a series was).

    Call it inside the ``atomic()`` that saves the change, after saving it. It raises the event's SEQUENCE
    (calendars take the new invite, or the cancellation, as current) and queues ``notice`` for each active,
    not yet anonymised registration concerned: for one date of a series, the people registered for the whole
    series and those signed up for that date. Registrations keep their status; cancelling them is the
    caller's business, after this call (cancelled registrations are not told again). Returns how many emails
    were queued.
    """
    notice = Notice(notice)
    if notice not in {Notice.event_changed, Notice.event_cancelled}:
        raise ValueError("announce_event_update sends event_changed or event_cancelled")
    await Event.update({Event.ical_sequence: Event.ical_sequence + 1}).where(Event.id == event_id)
    concerned = (
        (Registration.event == event_id)
        & Registration.anonymised_at.is_null()
        & (Registration.status != RegistrationStatus.cancelled.value)
    )
    if occurrence_id is not None:
        concerned &= Registration.occurrence.is_null() | (Registration.occurrence == occurrence_id)
    rows = await Registration.select(Registration.id).where(concerned).order_by(Registration.id)
    return await notify_many(notice, [row["id"] for row in rows], seats=seats, occurrence_id=occurrence_id)

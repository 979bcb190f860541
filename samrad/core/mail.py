"""Email: a transactional outbox and its delivery.

Writing and sending are separate. ``queue_intent`` inserts an ``OutboxMessage`` inside the caller's
transaction, so an email exists exactly when the change it tells about was committed (and never for a change
that was rolled back). It holds the intent only (ids and the values frozen at the time of the change): the
booking transaction stays one small INSERT, and templates, calendar files and images are made at send time
by the area's renderer (``Area.mail_renderers``, handed in by the composition: the kernel names no area).
``queue_email`` queues a message that is already written. The worker calls ``deliver_due``, which claims due
messages one by one with a conditional UPDATE (so two workers never send the same message), renders intents,
builds a MIME message and hands it to the configured backend (``samrad.core.mail_transport``: ``.eml`` files
in development, SMTP in production).

A failed attempt (rendering or sending) is retried with exponential backoff (1 minute, doubling, at most an
hour) until ``settings.mail_max_attempts``; then the message is marked failed. A claim is a lease: if a worker
dies while sending, the message becomes due again when the lease runs out. Nothing is lost while the SMTP
server is down; messages wait in the outbox. A renderer that finds nothing to send any more (the person's
data was erased) returns None: the message is marked skipped, keeps no address, and is never retried.

Logs and ``last_error`` carry message ids, kinds, statuses and SMTP codes only: never addresses or content.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.errors import MessageError
from typing import Any

from samrad.core import db
from samrad.core.mail_transport import (
    BackendUnavailable,
    PermanentFailure,
    RenderFailure,
    backend_for,
    build_message,
    describe_error,
)
from samrad.core.settings import Settings
from samrad.core.tables import OutboxMessage, OutboxStatus

log = logging.getLogger("samrad.core.mail")

BACKOFF_START = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=1)
# How long a claimed message is reserved for the worker sending it (longer than any SMTP timeout).
CLAIM_LEASE = timedelta(minutes=5)
SENT_RETENTION = timedelta(days=30)


# --- attachments ------------------------------------------------------------------------------------------

def calendar_attachment(ics: bytes, method: str, filename: str = "invite.ics") -> dict[str, Any]:
    """An iCalendar object: sent as the ``text/calendar; method=...`` alternative (iMIP) and as a file."""
    return {
        "filename": filename,
        "content_type": "text/calendar",
        "method": method.upper(),
        "data_b64": base64.b64encode(ics).decode("ascii"),
    }


def inline_image(data: bytes, filename: str, content_id: str, content_type: str = "image/png") -> dict[str, Any]:
    """An image the HTML part shows with ``<img src="cid:{content_id}">``."""
    return {
        "filename": filename,
        "content_type": content_type,
        "inline": True,
        "content_id": content_id,
        "data_b64": base64.b64encode(data).decode("ascii"),
    }


def file_attachment(data: bytes, filename: str, content_type: str) -> dict[str, Any]:
    return {"filename": filename, "content_type": content_type, "data_b64": base64.b64encode(data).decode("ascii")}


# --- intents and their renderers ---------------------------------------------------------------------------

@dataclass(frozen=True)
class RenderedMail:
    """An email as a renderer writes it at send time (attachments as ``calendar_attachment`` etc. make them)."""

    to: str
    subject: str
    text: str
    html: str
    attachments: Sequence[dict[str, Any]] = field(default_factory=list)
    # Extra header fields, e.g. ``List-Unsubscribe`` and ``List-Unsubscribe-Post`` (RFC 8058) on a digest.
    headers: Mapping[str, str] = field(default_factory=dict)


# An area's renderer gets a message's intent and what the areas provide (``Area.provides``, as jobs do) and
# returns the email, or None when there is nothing to send any more (the registration was erased, say).
MailRenderer = Callable[[Mapping[str, Any], Mapping[str, Any]], Awaitable[RenderedMail | None]]


def renderer_for(kind: str, renderers: Mapping[str, MailRenderer]) -> MailRenderer:
    """The renderer declared for ``kind`` (``notice.confirmed``) or for its prefix (``notice``)."""
    found = renderers.get(kind) or renderers.get(kind.partition(".")[0])
    if found is None:
        raise LookupError("no renderer for this kind of message")
    return found


async def render_row(
    row: Mapping[str, Any], renderers: Mapping[str, MailRenderer], provided: Mapping[str, Any] | None = None
) -> dict[str, Any] | None:
    """The outbox row with its email written: an intent rendered, a ready-made message as it is.

    None when the renderer finds nothing to send. The worker and the tests read emails through this.
    """
    if row.get("intent") is None:
        return dict(row)
    rendered = await renderer_for(row["kind"], renderers)(row["intent"], provided or {})
    if rendered is None:
        return None
    return {
        **row,
        "to_address": rendered.to.strip(),
        "subject": _one_line(rendered.subject)[:300],
        "text_body": rendered.text,
        "html_body": rendered.html,
        "attachments": list(rendered.attachments),
        "headers": dict(rendered.headers),
    }


def _one_line(subject: str) -> str:
    return " ".join(subject.split()) if "\n" in subject or "\r" in subject else subject


# --- queueing ---------------------------------------------------------------------------------------------

async def queue_intent(kind: str, to: str, intent: Mapping[str, Any], *, not_before: datetime | None = None) -> int:
    """Add an email to the outbox in the caller's transaction as an intent; returns the message id.

    ``intent`` is JSON: ids and the values that must not change before sending. ``to`` is stored now so the
    person's data download and the retention purge find the message; the renderer gives the address used.
    """
    return await _insert(kind, to, not_before, intent=dict(intent))


async def queue_email(
    kind: str,
    to: str,
    subject: str,
    text: str,
    html: str,
    attachments: Sequence[dict[str, Any]] = (),
    *,
    not_before: datetime | None = None,
) -> int:
    """Add a ready-made email to the outbox in the caller's transaction; returns the message id."""
    return await _insert(kind, to, not_before, subject=_one_line(subject)[:300], text_body=text, html_body=html,
                         attachments=list(attachments))


async def _insert(kind: str, to: str, not_before: datetime | None, **content: Any) -> int:
    values = {"subject": "", "text_body": "", "html_body": "", "attachments": [], "intent": None, **content}
    message = OutboxMessage(
        kind=kind[:40], to_address=to.strip(), status=OutboxStatus.pending.value, attempts=0,
        next_attempt_at=not_before or datetime.now(UTC), last_error="", **values,
    )
    await message.save()
    return message.id


# --- delivery ---------------------------------------------------------------------------------------------

@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed + self.skipped



def backoff(attempts: int) -> timedelta:
    """Wait before the next try after ``attempts`` failed ones: 1, 2, 4, ... minutes, at most an hour."""
    delay = BACKOFF_START * (2 ** max(attempts - 1, 0))
    return min(delay, BACKOFF_MAX)


async def _due_ids(now: datetime, limit: int) -> list[int]:
    rows = (
        await OutboxMessage.select(OutboxMessage.id)
        .where((OutboxMessage.status == OutboxStatus.pending.value) & (OutboxMessage.next_attempt_at <= now))
        .order_by(OutboxMessage.next_attempt_at)
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return [row["id"] for row in rows]


async def _claim(message_id: int, now: datetime) -> dict[str, Any] | None:
    """Reserve a due message for this worker; None when another worker got it first."""
    async with db.atomic():
        claimed = (
            await OutboxMessage.update(
                {
                    OutboxMessage.next_attempt_at: now + CLAIM_LEASE,
                    OutboxMessage.attempts: OutboxMessage.attempts + 1,
                }
            )
            .where(
                (OutboxMessage.id == message_id)
                & (OutboxMessage.status == OutboxStatus.pending.value)
                & (OutboxMessage.next_attempt_at <= now)
            )
            .returning(OutboxMessage.id)
        )
        if not claimed:
            return None
        return await OutboxMessage.select().where(OutboxMessage.id == message_id).output(load_json=True).first()


async def _mark_sent(row: dict[str, Any]) -> None:
    """Sent: an intent keeps what was written from it (the data download shows the subject)."""
    now = datetime.now(UTC)
    values: dict[Any, Any] = {
        OutboxMessage.status: OutboxStatus.sent.value, OutboxMessage.sent_at: now, OutboxMessage.last_error: "",
    }
    if row.get("intent") is not None:
        values.update({
            OutboxMessage.to_address: row["to_address"][:254],
            OutboxMessage.subject: row["subject"],
            OutboxMessage.text_body: row["text_body"],
            OutboxMessage.html_body: row["html_body"],
            OutboxMessage.attachments: row["attachments"],
        })
    await OutboxMessage.update(values).where(OutboxMessage.id == row["id"])
    log.info("mail %s (%s) sent after %s attempt(s)", row["id"], row["kind"], row["attempts"])


async def _mark_skipped(row: dict[str, Any]) -> None:
    """Nothing to send any more (the person's data was erased): never retried, and no address kept."""
    await OutboxMessage.update(
        {OutboxMessage.status: OutboxStatus.skipped.value, OutboxMessage.to_address: "", OutboxMessage.intent: None,
         OutboxMessage.last_error: ""}
    ).where(OutboxMessage.id == row["id"])
    log.info("mail %s (%s) skipped: nothing to send any more", row["id"], row["kind"])


async def _mark_failed_attempt(row: dict[str, Any], error: BaseException, settings: Settings) -> str:
    """Record a failed attempt; returns the new status."""
    description = describe_error(error)
    attempts = row["attempts"]
    permanent = isinstance(error, PermanentFailure)
    if permanent or attempts >= settings.mail_max_attempts:
        await OutboxMessage.update(
            {OutboxMessage.status: OutboxStatus.failed.value, OutboxMessage.last_error: description}
        ).where(OutboxMessage.id == row["id"])
        log.error("mail %s (%s) failed for good after %s attempt(s): %s", row["id"], row["kind"], attempts,
                  description)
        return OutboxStatus.failed.value
    retry_at = datetime.now(UTC) + backoff(attempts)
    await OutboxMessage.update(
        {OutboxMessage.next_attempt_at: retry_at, OutboxMessage.last_error: description}
    ).where(OutboxMessage.id == row["id"])
    log.warning("mail %s (%s) attempt %s failed (%s); retry at %s", row["id"], row["kind"], attempts, description,
                retry_at.isoformat(timespec="seconds"))
    return OutboxStatus.pending.value


async def deliver_due(
    settings: Settings,
    limit: int = 50,
    *,
    now: datetime | None = None,
    should_stop: Callable[[], bool] | None = None,
    renderers: Mapping[str, MailRenderer] | None = None,
    provided: Mapping[str, Any] | None = None,
) -> DeliveryReport:
    """Send the pending messages that are due, at most ``limit``; safe to run in several workers at once.

    ``should_stop`` is asked before each message (the worker's shutdown flag): the rest wait for next time.
    ``renderers`` write the intents (by kind or kind prefix, see ``renderer_for``) with ``provided``.
    """
    report = DeliveryReport()
    now = now or datetime.now(UTC)
    ids = await _due_ids(now, limit)
    if not ids:
        return report
    unavailable: BackendUnavailable | None = None
    async with backend_for(settings) as backend:
        for message_id in ids:
            if should_stop is not None and should_stop():
                break
            row = await _claim(message_id, now)
            if row is None:
                continue
            if unavailable is not None:
                # The server is down: don't knock again for every message, just schedule them all.
                await _count_failure(report, await _mark_failed_attempt(row, unavailable, settings))
                continue
            try:
                rendered = await _render(row, renderers or {}, provided)
                if rendered is None:
                    await _mark_skipped(row)
                    report.skipped += 1
                    continue
                row = rendered
                try:
                    message = build_message(row, settings)
                except (ValueError, TypeError, LookupError, MessageError) as error:
                    # An address or part that can never be encoded: retrying will not help.
                    raise PermanentFailure(describe_error(error)) from error
                await backend.send(row, message)
            except asyncio.CancelledError:
                # Shutting down mid-send: give the message back so it goes out on the next run.
                await OutboxMessage.update({OutboxMessage.next_attempt_at: datetime.now(UTC)}).where(
                    OutboxMessage.id == row["id"]
                )
                raise
            except BackendUnavailable as error:
                unavailable = error
                await _count_failure(report, await _mark_failed_attempt(row, error, settings))
                continue
            except Exception as error:
                await _count_failure(report, await _mark_failed_attempt(row, error, settings))
                continue
            await _mark_sent(row)
            report.sent += 1
    return report


async def _render(
    row: dict[str, Any], renderers: Mapping[str, MailRenderer], provided: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    try:
        return await render_row(row, renderers, provided)
    except Exception as error:
        # A bug, or the database away: the message waits and is tried again, like after an SMTP failure.
        raise RenderFailure(error) from None


async def _count_failure(report: DeliveryReport, status: str) -> None:
    if status == OutboxStatus.failed.value:
        report.failed += 1
    else:
        report.retried += 1


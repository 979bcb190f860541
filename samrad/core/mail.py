"""Email: a transactional outbox and its delivery.

Writing and sending are separate. ``queue_intent`` inserts an ``OutboxMessage`` inside the caller's
transaction, so an email exists exactly when the change it tells about was committed (and never for a change
that was rolled back). It holds the intent only (ids and the values frozen at the time of the change): the
booking transaction stays one small INSERT, and templates, calendar files and images are made at send time
by the area's renderer (``Area.mail_renderers``, handed in by the composition: the kernel names no area).
``queue_email`` queues a message that is already written. The worker calls ``deliver_due``, which claims due
messages a few at a time, renders intents, builds a MIME message and hands it to the configured backend
(``samrad.core.mail_transport``: ``.eml`` files in development, SMTP in production).

Several senders (worker processes, on one machine or several) never send a message twice. A claim is one
statement, ``UPDATE ... WHERE id IN (SELECT id ... LIMIT n) RETURNING ...``, that gives each due message it
picks a lease (``next_attempt_at`` moves ``CLAIM_LEASE`` ahead, so the message is no longer due) and counts the
attempt. On PostgreSQL the inner SELECT takes its rows ``FOR UPDATE SKIP LOCKED``: concurrent senders pass over
the rows another is claiming and take the next ones, instead of waiting for them or claiming them again. On
SQLite writers take turns on the database lock, so the statement alone is enough. The attempt count is the
claim's fencing token: a sender records the outcome only while the row still holds the count it claimed, so a
sender whose lease ran out (a machine frozen for minutes) cannot overwrite what the sender that took the
message over recorded.

A failed attempt (rendering or sending) is retried with exponential backoff (1 minute, doubling, at most an
hour) until ``settings.mail_max_attempts``; then the message is marked failed. If a worker dies while sending,
its messages become due again when their lease runs out; a worker told to stop gives back at once what it
claimed and did not send. Nothing is lost while the SMTP server is down; messages wait in the outbox. A
renderer that finds nothing to send any more (the person's data was erased) returns None: the message is
marked skipped, keeps no address, and is never retried.

Logs and ``last_error`` carry message ids, kinds, statuses and SMTP codes only: never addresses or content.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.errors import MessageError
from typing import Any

from piccolo.querystring import QueryString
from piccolo.utils.encoding import dump_json

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
# How long a claimed message is reserved for the worker sending it, and how many one statement claims: a batch
# must go out well within the lease even when every send waits for the SMTP timeout (10 × 10 s by default).
CLAIM_LEASE = timedelta(minutes=5)
CLAIM_BATCH = 10
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


# Prepared SQL rather than ``OutboxMessage(...).save()``: every registration queues one, inside its write
# transaction, and building Piccolo's INSERT cost more than running it. JSON as Piccolo writes it (``dump_json``).
_INSERT = db.Statement(
    "INSERT INTO outbox_message (kind, to_address, subject, text_body, html_body, attachments, intent, status, "
    "attempts, next_attempt_at, last_error, created_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, 0, {}, '', {}) "
    "RETURNING id"
)


async def _insert(
    kind: str,
    to: str,
    not_before: datetime | None,
    *,
    subject: str = "",
    text_body: str = "",
    html_body: str = "",
    attachments: Sequence[dict[str, Any]] = (),
    intent: Mapping[str, Any] | None = None,
) -> int:
    now = datetime.now(UTC)
    rows = await _INSERT.run(
        kind[:40], to.strip(), subject, text_body, html_body, dump_json(list(attachments)),
        None if intent is None else dump_json(intent), OutboxStatus.pending.value, not_before or now, now,
    )
    return rows[0]["id"]


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


_DUE_SQLITE = (
    "id IN (SELECT id FROM outbox_message WHERE status = {} AND next_attempt_at <= {} "
    "ORDER BY next_attempt_at, id LIMIT {})"
)
_DUE_POSTGRES = (
    "id IN (SELECT id FROM outbox_message WHERE status = {} AND next_attempt_at <= {} "
    "ORDER BY next_attempt_at, id LIMIT {} FOR UPDATE SKIP LOCKED)"
)


def _due_rows(now: datetime, limit: int) -> QueryString:
    """The condition picking up to ``limit`` due messages, oldest due first; on PostgreSQL it locks them and
    skips those another sender is claiming at this moment."""
    return QueryString(_DUE_SQLITE if db.is_sqlite() else _DUE_POSTGRES, OutboxStatus.pending.value, now, limit)


async def _claim_batch(now: datetime, limit: int) -> list[dict[str, Any]]:
    """Reserve up to ``limit`` due messages for this sender in one statement (see the module's docstring);
    returns them by id. Every row of a batch gets the same lease, ``now + CLAIM_LEASE``."""
    rows = await OutboxMessage.update(
        {OutboxMessage.next_attempt_at: now + CLAIM_LEASE, OutboxMessage.attempts: OutboxMessage.attempts + 1}
    ).where(_due_rows(now, limit)).returning(*OutboxMessage.all_columns())
    for row in rows:
        for name in ("intent", "attachments"):
            if isinstance(row[name], str):
                row[name] = json.loads(row[name])
    return sorted(rows, key=lambda row: row["id"])


def _still_ours(row: dict[str, Any]) -> Any:
    """The row as this sender claimed it: pending, with the attempt count of its claim (the fencing token)."""
    return (
        (OutboxMessage.id == row["id"])
        & (OutboxMessage.status == OutboxStatus.pending.value)
        & (OutboxMessage.attempts == row["attempts"])
    )


async def _record(row: dict[str, Any], values: dict[Any, Any]) -> bool:
    """Write an outcome if the claim still holds; False (and a warning) when another sender took it over."""
    if await OutboxMessage.update(values).where(_still_ours(row)).returning(OutboxMessage.id):
        return True
    log.warning("mail %s (%s): the claim ran out before its outcome was recorded; another sender has it",
                row["id"], row["kind"])
    return False


async def _give_back(rows: Sequence[dict[str, Any]], lease_until: datetime) -> None:
    """Claimed but not tried (the worker is stopping): due again at once, the attempt not counted."""
    if not rows:
        return
    await OutboxMessage.update(
        {OutboxMessage.next_attempt_at: datetime.now(UTC), OutboxMessage.attempts: OutboxMessage.attempts - 1}
    ).where(
        OutboxMessage.id.is_in([row["id"] for row in rows])
        & (OutboxMessage.status == OutboxStatus.pending.value)
        & (OutboxMessage.next_attempt_at == lease_until)
    )


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
    if await _record(row, values):
        log.info("mail %s (%s) sent after %s attempt(s)", row["id"], row["kind"], row["attempts"])


async def _mark_skipped(row: dict[str, Any]) -> None:
    """Nothing to send any more (the person's data was erased): never retried, and no address kept."""
    if await _record(row, {OutboxMessage.status: OutboxStatus.skipped.value, OutboxMessage.to_address: "",
                           OutboxMessage.intent: None, OutboxMessage.last_error: ""}):
        log.info("mail %s (%s) skipped: nothing to send any more", row["id"], row["kind"])


async def _mark_failed_attempt(
    row: dict[str, Any], error: BaseException, settings: Settings, now: datetime
) -> str | None:
    """Record a failed attempt; returns the new status (None: the claim was lost, nothing recorded).

    The retry is counted from the pass's ``now`` when it is later than the clock (a test's pass in the future),
    so that a pass never meets a message it already tried."""
    description = describe_error(error)
    attempts = row["attempts"]
    permanent = isinstance(error, PermanentFailure)
    if permanent or attempts >= settings.mail_max_attempts:
        if not await _record(row, {OutboxMessage.status: OutboxStatus.failed.value,
                                   OutboxMessage.last_error: description}):
            return None
        log.error("mail %s (%s) failed for good after %s attempt(s): %s", row["id"], row["kind"], attempts,
                  description)
        return OutboxStatus.failed.value
    retry_at = max(now, datetime.now(UTC)) + backoff(attempts)
    if not await _record(row, {OutboxMessage.next_attempt_at: retry_at, OutboxMessage.last_error: description}):
        return None
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

    Messages are claimed ``CLAIM_BATCH`` at a time (see the module's docstring); each is tried at most once
    per call. ``should_stop`` is asked before each message (the worker's shutdown flag): what is claimed and
    not tried yet is given back for next time. ``renderers`` write the intents (by kind or kind prefix, see
    ``renderer_for``) with ``provided``.
    """
    report = DeliveryReport()
    now = now or datetime.now(UTC)
    unavailable: BackendUnavailable | None = None
    claimed = 0
    async with contextlib.AsyncExitStack() as stack:
        backend = None
        while claimed < limit and not (should_stop is not None and should_stop()):
            batch = await _claim_batch(now, min(CLAIM_BATCH, limit - claimed))
            if not batch:
                break
            claimed += len(batch)
            if backend is None:
                # Opened with the first claimed message: an empty outbox never connects to the server.
                backend = await stack.enter_async_context(backend_for(settings))
            for position, row in enumerate(batch):
                if should_stop is not None and should_stop():
                    await _give_back(batch[position:], now + CLAIM_LEASE)
                    return report
                try:
                    unavailable = await _deliver_one(row, backend, unavailable, report, settings, renderers or {},
                                                     provided, now)
                except asyncio.CancelledError:
                    # Shutting down mid-send: give the messages back so they go out on the next run.
                    await _record(row, {OutboxMessage.next_attempt_at: datetime.now(UTC)})
                    await _give_back(batch[position + 1:], now + CLAIM_LEASE)
                    raise
    return report


async def _deliver_one(
    row: dict[str, Any],
    backend: Any,
    unavailable: BackendUnavailable | None,
    report: DeliveryReport,
    settings: Settings,
    renderers: Mapping[str, MailRenderer],
    provided: Mapping[str, Any] | None,
    now: datetime,
) -> BackendUnavailable | None:
    """Render, build and send one claimed message and record the outcome; returns the backend's unavailability
    (the error of the first send that found the server down), which the rest of the call then shares."""
    if unavailable is not None:
        # The server is down: don't knock again for every message, just schedule them all.
        await _count_failure(report, await _mark_failed_attempt(row, unavailable, settings, now))
        return unavailable
    try:
        rendered = await _render(row, renderers, provided)
        if rendered is None:
            await _mark_skipped(row)
            report.skipped += 1
            return None
        row = rendered
        try:
            message = build_message(row, settings)
        except (ValueError, TypeError, LookupError, MessageError) as error:
            # An address or part that can never be encoded: retrying will not help.
            raise PermanentFailure(describe_error(error)) from error
        await backend.send(row, message)
    except BackendUnavailable as error:
        await _count_failure(report, await _mark_failed_attempt(row, error, settings, now))
        return error
    except Exception as error:
        await _count_failure(report, await _mark_failed_attempt(row, error, settings, now))
        return None
    await _mark_sent(row)
    report.sent += 1
    return None


async def _render(
    row: dict[str, Any], renderers: Mapping[str, MailRenderer], provided: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    try:
        return await render_row(row, renderers, provided)
    except Exception as error:
        # A bug, or the database away: the message waits and is tried again, like after an SMTP failure.
        raise RenderFailure(error) from None


async def _count_failure(report: DeliveryReport, status: str | None) -> None:
    if status == OutboxStatus.failed.value:
        report.failed += 1
    elif status == OutboxStatus.pending.value:
        report.retried += 1


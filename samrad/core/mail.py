"""Email: a transactional outbox and its delivery.

Writing and sending are separate. ``queue_email`` inserts an ``OutboxMessage`` inside the caller's
transaction, so an email exists exactly when the change it tells about was committed (and never for a change
that was rolled back). The worker calls ``deliver_due``, which claims due messages one by one with a
conditional UPDATE (so two workers never send the same message), builds a MIME message and hands it to the
configured backend:

* ``file`` (development default): one ``.eml`` file per message in ``settings.mail_dir``;
* ``smtp``: aiosmtplib with optional STARTTLS and login, and a timeout.

A failed attempt is retried with exponential backoff (1 minute, doubling, at most an hour) until
``settings.mail_max_attempts``; then the message is marked failed. A claim is a lease: if a worker dies while
sending, the message becomes due again when the lease runs out. Nothing is lost while the SMTP server is
down; messages wait in the outbox.

Logs and ``last_error`` carry message ids, kinds, statuses and SMTP codes only: never addresses or content.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Any

import aiosmtplib

from samrad.core import db
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


# --- queueing ---------------------------------------------------------------------------------------------

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
    """Add an email to the outbox in the caller's transaction; returns the message id."""
    if "\n" in subject or "\r" in subject:
        subject = " ".join(subject.split())
    message = OutboxMessage(
        kind=kind[:40],
        to_address=to.strip(),
        subject=subject[:300],
        text_body=text,
        html_body=html,
        attachments=list(attachments),
        status=OutboxStatus.pending.value,
        attempts=0,
        next_attempt_at=not_before or datetime.now(UTC),
        last_error="",
    )
    await message.save()
    return message.id


# --- building MIME ----------------------------------------------------------------------------------------

def _decoded(attachment: dict[str, Any]) -> bytes:
    return base64.b64decode(attachment["data_b64"])


def _split_type(content_type: str) -> tuple[str, str]:
    maintype, _sep, subtype = content_type.partition("/")
    return maintype or "application", subtype or "octet-stream"


def build_message(row: dict[str, Any], settings: Settings) -> EmailMessage:
    """The MIME message for an outbox row.

    multipart/mixed
      multipart/alternative
        text/plain
        multipart/related (text/html + inline images)   or text/html alone
        text/calendar; method=REQUEST|CANCEL             (iMIP: mail clients offer "add to calendar")
      application/ics attachment                         (the same calendar, for clients that ignore iMIP)
      other attachments
    """
    attachments = row["attachments"] or []
    inline = [a for a in attachments if a.get("inline")]
    calendars = [a for a in attachments if a.get("content_type") == "text/calendar" and not a.get("inline")]
    files = [a for a in attachments if not a.get("inline") and a.get("content_type") != "text/calendar"]

    alternative = MIMEPart(policy=SMTP)
    alternative.make_alternative()
    plain = MIMEPart(policy=SMTP)
    plain.set_content(row["text_body"], subtype="plain", charset="utf-8")
    alternative.attach(plain)
    html = MIMEPart(policy=SMTP)
    html.set_content(row["html_body"], subtype="html", charset="utf-8")
    if inline:
        related = MIMEPart(policy=SMTP)
        related.make_related()
        related.attach(html)
        for item in inline:
            maintype, subtype = _split_type(item["content_type"])
            image = MIMEPart(policy=SMTP)
            image.set_content(
                _decoded(item), maintype=maintype, subtype=subtype, disposition="inline",
                filename=item["filename"], cid=f"<{item['content_id']}>",
            )
            related.attach(image)
        alternative.attach(related)
    else:
        alternative.attach(html)
    for item in calendars[:1]:
        calendar = MIMEPart(policy=SMTP)
        calendar.set_content(
            _decoded(item).decode("utf-8"), subtype="calendar", charset="utf-8",
            params={"method": item.get("method", "PUBLISH")},
        )
        alternative.attach(calendar)

    message = EmailMessage(policy=SMTP)
    sender_address = parseaddr(settings.mail_from)[1]
    domain = sender_address.rpartition("@")[2] or "localhost"
    message["From"] = settings.mail_from
    message["To"] = Address(addr_spec=row["to_address"])
    message["Subject"] = row["subject"]
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(idstring=f"outbox{row['id']}", domain=domain)
    if settings.municipality_email:
        message["Reply-To"] = settings.municipality_email  # replies reach people, not the no-reply box
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    message.make_mixed()
    message.attach(alternative)
    for item in calendars:
        part = MIMEPart(policy=SMTP)
        part.set_content(_decoded(item), maintype="application", subtype="ics", filename=item["filename"])
        message.attach(part)
    for item in files:
        maintype, subtype = _split_type(item["content_type"])
        part = MIMEPart(policy=SMTP)
        part.set_content(_decoded(item), maintype=maintype, subtype=subtype, filename=item["filename"])
        message.attach(part)
    return message


# --- delivery ---------------------------------------------------------------------------------------------

class PermanentFailure(Exception):
    """The server refused the message for good (for example an unknown mailbox): no retry."""


class BackendUnavailable(Exception):
    """The mail server cannot be reached: every message of the batch waits for the next try."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(describe_error(cause))
        self.cause = cause


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0


_EMAIL_LIKE = re.compile(r"[^\s<>@,;:\"']+@[^\s<>@,;:\"']+")


def describe_error(error: BaseException) -> str:
    """A short, personal-data-free description of a delivery error: its type and SMTP code."""
    while isinstance(error, BackendUnavailable | PermanentFailure) and error.__cause__ is not None:
        error = error.__cause__
    name = type(error).__name__
    code = getattr(error, "code", None)
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused) and error.recipients:
        code = error.recipients[0].code
    text = f"{name} {code}" if code else name
    return _EMAIL_LIKE.sub("[address]", text)[:500]


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
    now = datetime.now(UTC)
    await OutboxMessage.update(
        {OutboxMessage.status: OutboxStatus.sent.value, OutboxMessage.sent_at: now, OutboxMessage.last_error: ""}
    ).where(OutboxMessage.id == row["id"])
    log.info("mail %s (%s) sent after %s attempt(s)", row["id"], row["kind"], row["attempts"])


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


class FileBackend:
    """Writes each message as ``<utc time>-<id>-<kind>.eml`` into the mail folder (atomically)."""

    def __init__(self, settings: Settings) -> None:
        self.directory = Path(settings.mail_dir)

    async def __aenter__(self) -> FileBackend:
        self.directory.mkdir(parents=True, exist_ok=True)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    async def send(self, row: dict[str, Any], message: EmailMessage) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        kind = re.sub(r"[^a-z0-9_]+", "_", row["kind"].lower())
        target = self.directory / f"{stamp}-{row['id']:08d}-{kind}.eml"
        data = message.as_bytes(policy=SMTP)
        await asyncio.to_thread(_write_atomically, target, data)


def _write_atomically(target: Path, data: bytes) -> None:
    # mkstemp creates the file readable by its owner only: emails hold addresses.
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".eml")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class SmtpBackend:
    """One SMTP connection for a batch; opened lazily, so an empty outbox never connects."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.client: aiosmtplib.SMTP | None = None

    async def __aenter__(self) -> SmtpBackend:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self.client is not None and self.client.is_connected:
            try:
                await self.client.quit()
            except (aiosmtplib.SMTPException, OSError):
                self.client.close()
        self.client = None

    async def _connect(self) -> aiosmtplib.SMTP:
        settings = self.settings
        client = aiosmtplib.SMTP(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            timeout=settings.smtp_timeout,
            start_tls=settings.smtp_starttls,
            use_tls=settings.smtp_port == 465,
        )
        await client.connect()
        if settings.smtp_username:
            try:
                await client.login(settings.smtp_username, settings.smtp_password)
            except BaseException:
                client.close()
                raise
        return client

    async def send(self, row: dict[str, Any], message: EmailMessage) -> None:
        if self.client is None or not self.client.is_connected:
            self.client = None
            try:
                self.client = await self._connect()
            except (aiosmtplib.SMTPException, OSError) as error:
                raise BackendUnavailable(error) from error
        sender = parseaddr(self.settings.mail_from)[1]
        try:
            await self.client.send_message(message, sender=sender, recipients=[row["to_address"]])
        except aiosmtplib.SMTPRecipientsRefused as error:
            if all(400 <= refusal.code < 500 for refusal in error.recipients):
                raise
            raise PermanentFailure(describe_error(error)) from error
        except aiosmtplib.SMTPResponseException as error:
            if 500 <= error.code < 600:
                raise PermanentFailure(describe_error(error)) from error
            raise
        except (aiosmtplib.SMTPServerDisconnected, OSError):
            self.client = None
            raise


def backend_for(settings: Settings) -> FileBackend | SmtpBackend:
    if settings.mail_backend == "smtp":
        return SmtpBackend(settings)
    if settings.mail_backend == "file":
        return FileBackend(settings)
    raise ValueError(f"unknown mail backend {settings.mail_backend!r} (use 'file' or 'smtp')")


async def deliver_due(
    settings: Settings,
    limit: int = 50,
    *,
    now: datetime | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> DeliveryReport:
    """Send the pending messages that are due, at most ``limit``; safe to run in several workers at once.

    ``should_stop`` is asked before each message (the worker's shutdown flag): the rest wait for next time.
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


async def _count_failure(report: DeliveryReport, status: str) -> None:
    if status == OutboxStatus.failed.value:
        report.failed += 1
    else:
        report.retried += 1


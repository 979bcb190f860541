"""How a message leaves: the MIME message built from a rendered outbox row, and the two backends.

``file`` (the development default) writes one ``.eml`` file per message into the mail folder; ``smtp`` sends
with aiosmtplib (optional STARTTLS and login, a timeout). ``samrad.core.mail`` decides what is due and when to
retry; this module only builds and hands over. Errors are described without addresses (``describe_error``).
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import tempfile
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Any

import aiosmtplib

from samrad.core.settings import Settings

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
    for name, value in (row.get("headers") or {}).items():  # set by the renderer (``RenderedMail.headers``)
        message[name] = value
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



class PermanentFailure(Exception):
    """The server refused the message for good (for example an unknown mailbox): no retry."""


class RenderFailure(Exception):
    """Rendering an intent failed: a failed attempt like an SMTP error. Carries the error's type only."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(f"RenderFailure {type(cause).__name__}")


class BackendUnavailable(Exception):
    """The mail server cannot be reached: every message of the batch waits for the next try."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(describe_error(cause))
        self.cause = cause



_EMAIL_LIKE = re.compile(r"[^\s<>@,;:\"']+@[^\s<>@,;:\"']+")


def describe_error(error: BaseException) -> str:
    """A short, personal-data-free description of a delivery error: its type and SMTP code."""
    while isinstance(error, BackendUnavailable | PermanentFailure) and error.__cause__ is not None:
        error = error.__cause__
    if isinstance(error, RenderFailure):
        return str(error)[:500]
    name = type(error).__name__
    code = getattr(error, "code", None)
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused) and error.recipients:
        code = error.recipients[0].code
    text = f"{name} {code}" if code else name
    return _EMAIL_LIKE.sub("[address]", text)[:500]


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



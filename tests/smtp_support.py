"""A real SMTP server for the mail tests (aiosmtpd on a free local port) and the settings that send to it."""

from __future__ import annotations

import contextlib
import dataclasses
import socket
from collections.abc import Callable

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Recorder:
    """An SMTP handler that keeps what it receives; ``refuse`` refuses recipients for good (all of them, or
    those a predicate names), as a server answering "550 no such mailbox" does."""

    def __init__(self, refuse: bool | Callable[[str], bool] = False) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []
        self.refused: list[str] = []
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse is True or (callable(self.refuse) and self.refuse(address)):
            self.refused.append(address)
            return f"550 5.1.1 <{address}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"


@contextlib.contextmanager
def smtp_server(port: int, handler: Recorder, **options):
    controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


def smtp_settings(settings, port: int, **changes):
    values = {
        "mail_backend": "smtp", "smtp_host": "127.0.0.1", "smtp_port": port, "smtp_timeout": 5,
        "smtp_starttls": False, "smtp_username": "", "smtp_password": "", **changes,
    }
    return dataclasses.replace(settings, **values)

"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps every message it is given."""

from __future__ import annotations

import asyncio
import email
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller

from devinfra.ports import free_port


@dataclass
class Inbox:
    messages: list[Message] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    # Seconds each message takes before it is kept and answered (a slow server widens the window
    # in which a crash test can kill the sender mid-delivery).
    delay: float = 0.0

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        data = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        self.raw.append(data)
        self.messages.append(email.message_from_bytes(data))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


@contextmanager
def smtp_server(delay: float = 0.0) -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(delay=delay), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def message_ids(inbox: Inbox) -> list[str]:
    return [str(m["Message-ID"]) for m in inbox.messages]

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
    # Messages whose data has arrived, accepted or not, and the sessions (connections) they came on.
    begun: int = 0
    connections: set[tuple[str, int]] = field(default_factory=set)  # the senders' (address, port)
    # The ordinals (1-based, counted by `begun`) of messages the server holds without ever
    # answering: their sender waits for the acceptance until it is killed, and the dropped
    # connection makes aiosmtpd abandon the message, as every SMTP server must (RFC 5321 4.1.1.4).
    hold: frozenset[int] = frozenset()
    refuse: frozenset[int] = frozenset()  # ordinals answered "451 try again later"

    async def handle_DATA(self, _server: Any, session: Any, envelope: Any) -> str:
        self.begun += 1
        self.connections.add(tuple(session.peer))
        if self.begun in self.hold:
            await asyncio.Event().wait()  # until the connection is lost, which cancels this handler
        if self.begun in self.refuse:
            return "451 4.3.0 Try again later"
        if self.delay:
            await asyncio.sleep(self.delay)
        data = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        self.raw.append(data)
        self.messages.append(email.message_from_bytes(data))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


@contextmanager
def smtp_server(delay: float = 0.0, hold: frozenset[int] = frozenset()) -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(delay=delay, hold=hold), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def message_ids(inbox: Inbox) -> list[str]:
    return [str(m["Message-ID"]) for m in inbox.messages]

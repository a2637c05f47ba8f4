"""E-mail over SMTP with aiosmtplib: one neutral message per notice.

The Message-ID derives from the notice id, so in the one window where a crash can repeat a send
(the server took the message, the workbench died before recording it) the two copies carry the same
Message-ID and a mail client shows one.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib


class MailNotSent(Exception):
    """The mail server did not take the message (transient: retried on the next run)."""


@dataclass(frozen=True)
class SmtpMailer:
    host: str
    port: int
    sender: str
    starttls: bool = False
    username: str = ""
    password: str = ""
    timeout: float = 15.0  # per SMTP step
    # The whole conversation, whatever its steps: a send never outlasts the sender's claim on its
    # notice (application/notifying.py, CLAIM_FOR).
    limit: float = 30.0

    async def send(self, to: str, subject: str, body: str, message_id: str) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Message-ID"] = f"<{message_id}@caseflow.invalid>"
        message.set_content(body)
        try:
            async with asyncio.timeout(self.limit):
                await aiosmtplib.send(
                    message,
                    hostname=self.host,
                    port=self.port,
                    start_tls=self.starttls,
                    username=self.username or None,
                    password=self.password or None,
                    timeout=self.timeout,
                )
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise MailNotSent(type(exc).__name__) from exc

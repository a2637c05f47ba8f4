"""E-mail over SMTP with aiosmtplib: one neutral message per notice, one connection per run.

A run of the sender opens one SMTP connection on its first message and says QUIT after its last
(`SmtpMailer.session`), so the moment the server accepts a message (its 250 reply to the end of the
data) is the last thing that happens before the sender records the send: no QUIT round trip and no
new connection sits in between (docs/decisions.md D38). The Message-ID derives from the notice id,
so in that remaining window (the server took the message, the workbench died before recording it)
the two copies carry the same Message-ID.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.message import EmailMessage

import aiosmtplib

# What a broken, refusing or silent mail server raises through aiosmtplib.
_SMTP_FAILURES = (aiosmtplib.SMTPException, OSError, TimeoutError)


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
    # Connecting, or one message, whatever its steps: a send never outlasts the sender's claim on
    # its notice (application/notifying.py, CLAIM_FOR).
    limit: float = 30.0

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[MailSession]:
        session = MailSession(self)
        try:
            yield session
        finally:
            await session.close()


@dataclass
class MailSession:
    """One SMTP connection, opened by the first send and reused by the ones after it."""

    config: SmtpMailer
    _smtp: aiosmtplib.SMTP | None = field(default=None, init=False)

    async def send(self, to: str, subject: str, body: str, message_id: str) -> None:
        """Returns once the server has accepted the message; MailNotSent otherwise (the
        connection is then dropped, and the next send opens a new one)."""
        message = EmailMessage()
        message["From"] = self.config.sender
        message["To"] = to
        message["Subject"] = subject
        message["Message-ID"] = f"<{message_id}@caseflow.invalid>"
        message.set_content(body)
        try:
            smtp = await self._connected()
            async with asyncio.timeout(self.config.limit):
                await smtp.send_message(message)
        except _SMTP_FAILURES as exc:
            self._drop()
            raise MailNotSent(type(exc).__name__) from exc

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._smtp is None or not self._smtp.is_connected:
            c = self.config
            smtp = aiosmtplib.SMTP(
                hostname=c.host,
                port=c.port,
                start_tls=c.starttls,
                username=c.username or None,
                password=c.password or None,
                timeout=c.timeout,
            )
            async with asyncio.timeout(c.limit):
                await smtp.connect()
            self._smtp = smtp
        return self._smtp

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    async def close(self) -> None:
        """QUIT, politely; every message was accepted (or not) before, so a failure here changes nothing."""
        if self._smtp is None:
            return
        try:
            async with asyncio.timeout(self.config.timeout):
                await self._smtp.quit()
        except _SMTP_FAILURES:
            pass
        finally:
            self._drop()

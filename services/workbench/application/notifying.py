"""Sending the notices: each due notice becomes one neutral e-mail, or is dropped for an advisor who
switched the e-mails off. Run periodically (app.py, shared/periodic.py: a mail server that refuses makes the loop back off);
a notice for an advisor whose address is not
known yet waits until they sign in once.

Each send is recorded in its own transaction right after the mail server took it, so a crash
repeats at most the one message in flight (with the same Message-ID, adapters/mailer.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from services.workbench.adapters import notification_store
from services.workbench.adapters.mailer import MailNotSent
from services.workbench.domain.notifications import neutral_mail


class Mailer(Protocol):
    async def send(self, to: str, subject: str, body: str, message_id: str) -> None: ...


@dataclass
class NoticeSender:
    engine: AsyncEngine
    mailer: Mailer
    workbench_url: str
    clock: Callable[[], datetime]
    batch: int = 50
    on_outcome: Callable[[str], None] = lambda _outcome: None

    async def run_once(self) -> int:
        """Send what is due; the number of notices done (sent or dropped)."""
        async with self.engine.connect() as conn:
            due = await notification_store.due_notices(conn, self.batch)
        done = 0
        for notice in due:
            outcome = (
                "opted_out"
                if notice.opted_out
                else await self._send(notice.notice_id, notice.email, notice.lang)
            )
            async with self.engine.begin() as conn:
                await notification_store.mark_done(conn, notice.notice_id, outcome, self.clock())
            self.on_outcome(outcome)
            done += 1
        return done

    async def _send(self, notice_id: str, email: str | None, lang: str) -> str:
        """ "sent", or MailNotSent raised: the run stops there and the periodic loop backs off."""
        assert email is not None
        mail = neutral_mail(lang, self.workbench_url)
        try:
            await self.mailer.send(email, mail.subject, mail.body, notice_id)
        except MailNotSent:
            async with self.engine.begin() as conn:
                await notification_store.count_attempt(conn, notice_id)
            self.on_outcome("failed")
            raise
        return "sent"

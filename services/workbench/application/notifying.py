"""Sending the notices: each due notice becomes one neutral e-mail, or is dropped for an advisor who
switched the e-mails off. Run periodically (app.py, shared/periodic.py: a mail server that refuses makes the loop back off);
a notice for an advisor whose address is not
known yet waits until they sign in once.

Each send is recorded in its own transaction right after the mail server accepted it, before
anything else happens on the connection (one connection per run, adapters/mailer.py). A crash
before the server accepted leaves the notice to be sent again once its claim runs out (a server
drops a message whose data did not end); a crash in the window between the server's acceptance and
that commit repeats the one message, with the same Message-ID (docs/decisions.md D38). Before
sending, a notice is claimed for CLAIM_FOR, so the senders of several pods never mail the same one.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from services.workbench.adapters import notification_store
from services.workbench.adapters.mailer import MailNotSent
from services.workbench.domain.notifications import neutral_mail

# Longer than one send may take (the mailer's whole-conversation limit, 30 s), short enough that
# the one notice a killed sender held waits less than a minute for the next.
CLAIM_FOR = timedelta(seconds=45)


class MailSession(Protocol):
    async def send(self, to: str, subject: str, body: str, message_id: str) -> None:
        """Returns once the mail server accepted the message; raises MailNotSent otherwise."""
        ...


class Mailer(Protocol):
    def session(self) -> AbstractAsyncContextManager[MailSession]: ...


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
        now = self.clock()
        async with self.engine.connect() as conn:
            due = await notification_store.due_notices(conn, self.batch, now)
        done = 0
        async with self.mailer.session() as mail:  # connects on its first send only
            for notice in due:
                async with self.engine.begin() as conn:
                    claimed = await notification_store.claim(
                        conn, notice.notice_id, self.clock(), self.clock() + CLAIM_FOR
                    )
                if not claimed:  # another pod's sender has it, or sent it meanwhile
                    continue
                outcome = (
                    "opted_out"
                    if notice.opted_out
                    else await self._send(mail, notice.notice_id, notice.email, notice.lang)
                )
                async with self.engine.begin() as conn:
                    await notification_store.mark_done(conn, notice.notice_id, outcome, self.clock())
                self.on_outcome(outcome)
                done += 1
        return done

    async def _send(self, mail_session: MailSession, notice_id: str, email: str | None, lang: str) -> str:
        """ "sent", or MailNotSent raised: the run stops there and the periodic loop backs off."""
        assert email is not None
        mail = neutral_mail(lang, self.workbench_url)
        try:
            await mail_session.send(email, mail.subject, mail.body, notice_id)
        except MailNotSent:
            async with self.engine.begin() as conn:
                await notification_store.count_attempt(conn, notice_id)
            self.on_outcome("failed")
            raise
        return "sent"

"""Neutral notification e-mails through a real SMTP server (aiosmtpd): who is told, that it says
nothing about the case (marker sweep over every byte sent), and that each is sent once, under
redelivery and repeated runs. The workbench is built by its composition root on SQLite and fed in
process (no broker)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from services.workbench.adapters import notification_store
from services.workbench.adapters.mailer import MailNotSent, SmtpMailer
from services.workbench.adapters.tables import notification_addresses, notifications
from services.workbench.app import create_runtime
from services.workbench.application.notifying import NoticeSender
from services.workbench.settings import WorkbenchSettings
from shared.contracts.intake import ClientMessagePosted, LegalDeadlineDue
from shared.contracts.scheduling import MeetingScheduled
from shared.envelope import EventPayload
from tests.support.in_process import Bus, InProcess
from tests.support.scheduling_events import (
    ASSIGNMENTS,
    CASES,
    MEETINGS,
    assigned,
    case_opened,
    envelope_bytes,
    reassigned,
    sealed,
)
from tests.support.smtp import Inbox, smtp_server

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
MARKER = "case-MARKER7"
ADDRESSES = {"adv-anna": "anna@example.org", "adv-bram": "bram@example.org"}


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as server:
        yield server


@pytest.fixture
async def workbench(tmp_path: Path) -> AsyncIterator[InProcess]:
    settings = WorkbenchSettings(
        kafka_bootstrap="127.0.0.1:9", database_url=f"sqlite+aiosqlite:///{tmp_path}/workbench.db"
    )
    service = await InProcess(create_runtime(settings, clock=lambda: NOW), Bus()).start()
    assert service.context is not None
    async with service.context.engine.begin() as conn:
        for advisor_id, address in ADDRESSES.items():
            await notification_store.remember_address(conn, advisor_id, address, "nl", NOW)
    try:
        yield service
    finally:
        await service.stop()


def sender(workbench: InProcess, port: int) -> NoticeSender:
    assert workbench.context is not None
    mailer = SmtpMailer("127.0.0.1", port, "caseflow@example.org")
    return NoticeSender(workbench.context.engine, mailer, "https://werkplek.example.nl", lambda: NOW)


def records(*payloads: EventPayload) -> list[tuple[bytes, bytes]]:
    return [(key, value) for _id, key, value in (envelope_bytes(p) for p in payloads)]


def assigned_now(case_id: str, advisor_id: str) -> EventPayload:
    return assigned(case_id, advisor_id).model_copy(update={"decided_at": NOW})


def reassigned_now(case_id: str, advisor_id: str) -> EventPayload:
    return reassigned(case_id, advisor_id).model_copy(update={"decided_at": NOW})


def client_message(case_id: str) -> ClientMessagePosted:
    return ClientMessagePosted(case_id=case_id, message_id="m-1", posted_at=NOW, content=sealed(case_id))


def moved(case_id: str, advisor_id: str, sequence: int) -> MeetingScheduled:
    return MeetingScheduled.model_validate(
        {
            "meeting_id": "mt-1",
            "case_id": case_id,
            "advisor_id": advisor_id,
            "start": NOW,
            "end": NOW,
            "mode": "phone",
            "neutral_title": "Afspraak",
            "reason_code": "moved",
            "scheduled_at": NOW,
            "calendar_sequence": sequence,
        }
    )


def recipients(inbox: Inbox) -> list[str]:
    return sorted(r for rcpts in inbox.recipients for r in rcpts)


async def test_a_new_assignment_tells_the_advisor_once_in_words_that_say_nothing_about_the_case(
    workbench: InProcess, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    await workbench.feed(CASES, records(case_opened(MARKER)))
    assignment = records(assigned_now(MARKER, "adv-anna"))
    await workbench.feed(ASSIGNMENTS, assignment)
    await workbench.feed(ASSIGNMENTS, assignment)  # redelivered: the inbox drops it
    send = sender(workbench, port)
    assert await send.run_once() == 1
    assert await send.run_once() == 0  # nothing twice
    assert recipients(inbox) == ["anna@example.org"]
    [message] = inbox.messages
    assert message["Subject"] == "Er is iets nieuws voor u in caseflow"
    assert message["Message-ID"].endswith("@caseflow.invalid>")
    raw = inbox.raw[0].decode("utf-8", errors="replace").lower()
    for secret in (MARKER.lower(), "adv-anna", "labour", "arbeidsconflict", "new_assignment", "web", "2025"):
        assert secret not in raw.replace("werkplek.example.nl", ""), secret


async def test_a_client_message_and_a_deadline_tell_the_current_assignee_only(
    workbench: InProcess, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    await workbench.feed(ASSIGNMENTS, records(assigned_now("case-1", "adv-anna")))
    await workbench.feed(ASSIGNMENTS, records(reassigned_now("case-1", "adv-bram")))  # anna has a conflict
    due = LegalDeadlineDue(
        case_id="case-1", deadline="feedback", due_on=NOW.date(), days_left=3, noticed_at=NOW
    )
    await workbench.feed(CASES, records(client_message("case-1"), due))
    await workbench.feed(CASES, records(client_message("case-unknown")))  # nobody holds it: nobody told
    assert await sender(workbench, port).run_once() == 4
    assert recipients(inbox) == ["anna@example.org"] + ["bram@example.org"] * 3


async def test_a_moved_meeting_tells_its_advisor_and_a_first_booking_does_not(
    workbench: InProcess, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    await workbench.feed(MEETINGS, records(moved("case-1", "adv-bram", 0), moved("case-1", "adv-bram", 1)))
    assert await sender(workbench, port).run_once() == 1
    assert recipients(inbox) == ["bram@example.org"]


async def test_a_meeting_that_comes_with_a_reassigned_case_makes_no_second_email(
    workbench: InProcess, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    await workbench.feed(MEETINGS, records(moved("case-1", "adv-anna", 0)))
    await workbench.feed(ASSIGNMENTS, records(reassigned_now("case-1", "adv-bram")))
    await workbench.feed(MEETINGS, records(moved("case-1", "adv-bram", 1)))  # re-planned for Bram
    assert await sender(workbench, port).run_once() == 1  # the new assignment, and that is all
    assert recipients(inbox) == ["bram@example.org"]


async def test_an_advisor_who_switched_the_emails_off_gets_none_and_their_address_is_forgotten(
    workbench: InProcess, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    assert workbench.context is not None
    engine = workbench.context.engine
    async with engine.begin() as conn:
        await notification_store.set_opted_out(conn, "adv-anna", True, NOW)
        await notification_store.remember_address(
            conn, "adv-anna", "anna@example.org", "nl", NOW
        )  # signs in again
    await workbench.feed(ASSIGNMENTS, records(assigned_now("case-1", "adv-anna")))
    assert await sender(workbench, port).run_once() == 1
    assert inbox.messages == []
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(notification_addresses).where(notification_addresses.c.advisor_id == "adv-anna")
            )
        ).one()
        outcome = (await conn.execute(select(notifications.c.outcome))).scalar_one()
    assert (row.email, row.opted_out, outcome) == (None, True, "opted_out")


async def test_a_mail_server_that_is_down_delays_the_notice_and_loses_nothing(
    workbench: InProcess, smtp: tuple[Inbox, int], unused_port: int
) -> None:
    inbox, port = smtp
    await workbench.feed(ASSIGNMENTS, records(assigned_now("case-1", "adv-anna")))
    with pytest.raises(MailNotSent):
        await sender(workbench, unused_port).run_once()
    assert workbench.context is not None
    async with workbench.context.engine.connect() as conn:
        attempts: Any = (await conn.execute(select(notifications.c.attempts, notifications.c.sent_at))).one()
    assert (attempts.attempts, attempts.sent_at) == (1, None)
    assert await sender(workbench, port).run_once() == 1
    assert recipients(inbox) == ["anna@example.org"]


@pytest.fixture
def unused_port() -> int:
    from devinfra.ports import free_port

    return free_port()


async def test_what_happened_more_than_a_day_ago_is_no_news(
    workbench: InProcess, smtp: tuple[Inbox, int]
) -> None:
    """A workbench reading the topics from their beginning (a new database) e-mails nobody about the past."""
    inbox, port = smtp
    old = assigned("case-1", "adv-anna").model_copy(update={"decided_at": NOW - timedelta(days=2)})
    await workbench.feed(ASSIGNMENTS, records(old))
    await workbench.feed(
        CASES, records(client_message("case-1").model_copy(update={"posted_at": NOW - timedelta(hours=25)}))
    )
    assert await sender(workbench, port).run_once() == 0
    assert inbox.messages == []


async def test_notices_for_an_advisor_without_an_address_never_hold_back_the_others(
    workbench: InProcess, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    waiting = [assigned_now(f"case-{n}", "adv-never-signed-in") for n in range(60)]  # more than a batch
    await workbench.feed(ASSIGNMENTS, records(*waiting))
    await workbench.feed(ASSIGNMENTS, records(assigned_now("case-anna", "adv-anna")))
    assert await sender(workbench, port).run_once() == 1
    assert recipients(inbox) == ["anna@example.org"]
    assert workbench.context is not None
    async with workbench.context.engine.connect() as conn:
        unsent = (
            await conn.execute(select(notifications.c.notice_id).where(notifications.c.sent_at.is_(None)))
        ).all()
    assert len(unsent) == 60  # they wait for the advisor's first sign-in


async def test_two_pods_sending_at_once_mail_each_notice_once(
    workbench: InProcess, smtp: tuple[Inbox, int]
) -> None:
    """Every pod runs a sender on the same database: a notice is claimed before it is mailed."""
    import asyncio

    inbox, port = smtp
    cases = [f"case-{n}" for n in range(12)]
    await workbench.feed(
        ASSIGNMENTS,
        records(*(assigned_now(c, "adv-anna" if n % 2 else "adv-bram") for n, c in enumerate(cases))),
    )
    done = await asyncio.gather(sender(workbench, port).run_once(), sender(workbench, port).run_once())
    assert sum(done) == len(cases)
    assert len(inbox.messages) == len(cases)
    assert len({m["Message-ID"] for m in inbox.messages}) == len(cases)
    assert len(inbox.connections) == 2  # one per run, however many messages it sends


async def test_a_run_sends_over_one_connection_and_a_refused_message_ends_it_with_the_rest_kept(
    workbench: InProcess, smtp: tuple[Inbox, int]
) -> None:
    """No QUIT or new connection between the server's acceptance and the record of the send
    (D38); a refusal mid-run keeps the refused notice and everything after it for the next run."""
    inbox, port = smtp
    cases = [f"case-{n}" for n in range(5)]
    await workbench.feed(ASSIGNMENTS, records(*(assigned_now(c, "adv-anna") for c in cases)))
    inbox.refuse = frozenset({3})
    with pytest.raises(MailNotSent):
        await sender(workbench, port).run_once()
    assert len(inbox.messages) == 2 and len(inbox.connections) == 1
    assert await sender(workbench, port).run_once() == 3
    assert len(inbox.messages) == 5 and len({m["Message-ID"] for m in inbox.messages}) == 5
    assert len(inbox.connections) == 2


async def test_a_claim_left_by_a_dead_sender_runs_out_and_the_notice_is_sent(
    workbench: InProcess, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    await workbench.feed(ASSIGNMENTS, records(assigned_now("case-1", "adv-anna")))
    assert workbench.context is not None
    async with workbench.context.engine.begin() as conn:  # a pod claimed it, then was killed
        [notice_id] = (await conn.execute(select(notifications.c.notice_id))).scalars().all()
        assert await notification_store.claim(conn, notice_id, NOW, NOW + timedelta(seconds=45))
    assert await sender(workbench, port).run_once() == 0  # the claim is live: nobody else sends
    assert inbox.messages == []
    later = NOW + timedelta(seconds=46)
    mailer = SmtpMailer("127.0.0.1", port, "caseflow@example.org")
    late = NoticeSender(workbench.context.engine, mailer, "https://werkplek.example.nl", lambda: later)
    assert await late.run_once() == 1
    assert recipients(inbox) == ["anna@example.org"]

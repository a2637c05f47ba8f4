"""Each notice is one e-mail, across SIGKILLs of the workbench process while it sends.

The workbench runs as a process (`caseflow serve workbench`) on a real broker; routing's decisions
for 40 cases are produced to its topic, and a real SMTP server (aiosmtpd, 50 ms a message) takes
the mail. Three times, the server holds a message it has received in full without accepting it,
and the workbench is killed with SIGKILL while it waits for that acceptance, then restarted: the
crash lands mid-delivery, deterministically, not in a race with the poll. At the end every notice
has arrived, and none twice (counted by Message-ID, which derives from the notice): a message the
server never accepted is sent again once its claim runs out, and one it accepted is never sent
again. The one window left (the server accepted, the process dies before its next commit) is not
reachable from outside; docs/decisions.md D38 says why SMTP cannot close it.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.workbench.adapters import notification_store
from services.workbench.adapters.migrations import SCHEMA
from shared import migrations
from shared.db import make_engine
from tests.support.kafka_io import create_topics, produce
from tests.support.processes import ServiceProcess
from tests.support.scheduling_events import assigned, envelope_bytes
from tests.support.smtp import message_ids, smtp_server

pytestmark = pytest.mark.e2e

TOTAL = 40
KILL_AT = (7, 17, 29)  # the ordinals of the messages the server holds while the process is killed
TOPICS = ("intake.cases.v1", "routing.assignments.v1", "scheduling.meetings.v1")
ADDRESSES = {"adv-anna": "anna@example.org", "adv-bram": "bram@example.org"}


async def prepared_database(url: str) -> None:
    """The workbench's database with the two advisors' addresses (as their sign-in would leave it)."""
    engine = make_engine(url)
    await migrations.prepare(engine, SCHEMA)  # as the workbench's first start would
    async with engine.begin() as conn:
        for advisor_id, address in ADDRESSES.items():
            await notification_store.remember_address(conn, advisor_id, address, "nl", datetime.now(UTC))
    await engine.dispose()


def wait_for(
    done: Callable[[], bool], what: Callable[[], str], workbench: ServiceProcess, timeout: float = 90
) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what()}; see {workbench.log_path}")
        time.sleep(0.02)


def test_every_notice_is_one_email_across_three_sigkills(kafka_bootstrap: str, tmp_path: Path) -> None:
    prefix = f"t-notify-{uuid.uuid4().hex[:8]}."
    asyncio.run(
        create_topics(kafka_bootstrap, [prefix + t for t in (*TOPICS, *(f"{t}.dlq" for t in TOPICS))])
    )
    database = f"sqlite+aiosqlite:///{tmp_path}/workbench.db"
    asyncio.run(prepared_database(database))
    with smtp_server(delay=0.05, hold=frozenset(KILL_AT)) as (inbox, port):
        workbench = ServiceProcess(
            "workbench",
            {
                "WORKBENCH_KAFKA_BOOTSTRAP": kafka_bootstrap,
                "WORKBENCH_TOPIC_PREFIX": prefix,
                "WORKBENCH_DATABASE_URL": database,
                "WORKBENCH_SMTP_HOST": "127.0.0.1",
                "WORKBENCH_SMTP_PORT": str(port),
                "WORKBENCH_NOTIFY_EVERY_SECONDS": "0.2",
            },
            tmp_path / "workbench.log",
        )
        workbench.start()
        try:
            now = datetime.now(UTC)
            decisions = [
                assigned(f"case-{n:02d}", ("adv-anna", "adv-bram")[n % 2]).model_copy(
                    update={"decided_at": now}
                )
                for n in range(TOTAL)
            ]
            records = [(key, value) for _id, key, value in (envelope_bytes(d) for d in decisions)]
            asyncio.run(produce(kafka_bootstrap, prefix + "routing.assignments.v1", records))
            for held in KILL_AT:
                wait_for(
                    lambda held=held: inbox.begun >= held,
                    lambda held=held: f"message {held} never reached the server",
                    workbench,
                )
                workbench.kill()  # while it waits for the server to accept message `held`
                workbench.start()
            wait_for(
                lambda: len(set(message_ids(inbox))) >= TOTAL,
                lambda: f"{len(set(message_ids(inbox)))} of {TOTAL} e-mails",
                workbench,
            )
        finally:
            workbench.stop()
    copies = Counter(message_ids(inbox))
    assert len(copies) == TOTAL
    assert [mid for mid, n in copies.items() if n > 1] == []  # none twice
    assert workbench.starts == 1 + len(KILL_AT)
    assert inbox.begun == TOTAL + len(KILL_AT)  # each held message came again, nothing else did
    assert sorted(Counter(r for rcpts in inbox.recipients for r in rcpts).values()) == [
        TOTAL // 2,
        TOTAL // 2,
    ]

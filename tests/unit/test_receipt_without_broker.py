"""Never a lost receipt: a committed unit of work answers within its wait whatever the broker does.

A publisher whose sends never complete stands in for a paused broker (its futures stay pending);
the unit of work must come back within `publish_timeout` with `passed_on` False, its rows committed
and still in the outbox, and the flush it asked for must not be cancelled. The web form then says
in words that the message is stored and will be passed on, and only then.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.applications import Starlette

from services.intake.adapters.rendering.web_form_texts import TEXT
from services.intake.entrypoints.web_form import web_form_routes
from shared.contracts.intake import ClientFeedbackGiven
from shared.db import create_all, make_engine
from shared.envelope import new_envelope
from shared.outbox import EventStore, OutboxRelay, Outgoing, define_messaging_tables
from shared.unit_of_work import Decision, UnitOfWork
from tests.support.html_page import Page

pytestmark = pytest.mark.unit
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


class PausedBroker:
    """Takes every send and never acknowledges one, until `resume()`."""

    def __init__(self) -> None:
        self.pending: list[asyncio.Future[None]] = []

    async def publish(self, topic: str, key: bytes, body: bytes) -> Any:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.pending.append(future)
        return future

    def resume(self) -> None:
        for future in self.pending:
            if not future.done():
                future.set_result(None)


class Acknowledging(PausedBroker):
    async def publish(self, topic: str, key: bytes, body: bytes) -> Any:
        future = await super().publish(topic, key, body)
        future.set_result(None)
        return future


async def _unit(tmp_path: Path, broker: PausedBroker, wait: float) -> tuple[UnitOfWork, OutboxRelay]:
    metadata = MetaData()
    tables = define_messaging_tables(metadata)
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/u.db")
    await create_all(engine, metadata)
    relay = OutboxRelay(engine, tables, broker.publish)
    return UnitOfWork(engine, EventStore(tables), relay=relay, publish_timeout=wait), relay


def _opening(case_id: str) -> Any:
    env = new_envelope(
        ClientFeedbackGiven(case_id=case_id, rating=5, given_at=NOW),
        stream_id=case_id,
        producer="t",
        occurred_at=NOW,
        causation_id=f"http:{case_id}",
    )

    async def work(_conn: AsyncConnection) -> Decision[str]:
        return Decision(
            f"receipt-of-{case_id}", [Outgoing("intake.cases.v1", env)], [(f"http:{case_id}", "http")]
        )

    return work


async def test_with_the_broker_paused_the_answer_comes_within_the_wait_and_the_event_stays_in_the_outbox(
    tmp_path: Path,
) -> None:
    broker = PausedBroker()
    uow, relay = await _unit(tmp_path, broker, wait=0.3)
    started = time.monotonic()
    committed = await uow.commit(_opening("case-ada"))
    took = time.monotonic() - started
    assert committed.result == "receipt-of-case-ada" and committed.passed_on is False
    assert took < 1.0, f"the answer waited {took:.2f}s for a paused broker"
    assert await relay.backlog() == 1

    broker.resume()  # the flush the unit asked for was not cancelled: it finishes the publication
    deadline = time.monotonic() + 5
    while await relay.backlog() and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert await relay.backlog() == 0


async def test_a_second_answer_while_the_broker_is_paused_does_not_queue_behind_the_first(
    tmp_path: Path,
) -> None:
    broker = PausedBroker()
    uow, relay = await _unit(tmp_path, broker, wait=0.2)
    first = await uow.commit(_opening("case-bo"))
    started = time.monotonic()
    second = await uow.commit(_opening("case-cy"))
    assert not first.passed_on and not second.passed_on
    assert time.monotonic() - started < 1.0
    assert await relay.backlog() == 2
    await relay.stop()


async def test_with_the_broker_answering_the_answer_says_passed_on(tmp_path: Path) -> None:
    uow, relay = await _unit(tmp_path, Acknowledging(), wait=2.0)
    committed = await uow.commit(_opening("case-dee"))
    assert committed.passed_on is True and await relay.backlog() == 0


async def _received_page(lang: str, passed_on: bool | None) -> Page:
    async def receive(_raw: bytes, _doc: Any) -> tuple[int, dict[str, Any]]:
        answer: dict[str, Any] = {
            "status": "received",
            "case_ref": "c-1",
            "receipt_code": "ABCD-EFGH-JKLM-NPQR",
        }
        if passed_on is not None:
            answer["passed_on"] = passed_on
        return 201, answer

    transport = httpx.ASGITransport(app=Starlette(routes=web_form_routes(receive)))
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        answer = await client.post(
            f"/formulier?lang={lang}",
            content=urlencode(
                {
                    "submission_id": "s-1",
                    "organisation_id": "min-bzk",
                    "unit_id": "bzk-dgob-ict",
                    "categories": "workload",
                }
            ),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert answer.status_code == 200
    return Page(answer.text)


def _later(page: Page) -> list[str]:
    return [n.text() for n in page.root.walk() if n.attrs.get("id") == "passed-on-later"]


@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_a_stored_message_not_yet_passed_on_is_said_in_words_next_to_the_receipt(lang: str) -> None:
    page = await _received_page(lang, passed_on=False)
    assert _later(page) == [TEXT[lang]["passed_on_later"]]
    assert "ABCD-EFGH-JKLM-NPQR" in page.root.text() and not page.unbalanced


async def test_the_dutch_words_are_plain() -> None:
    page = await _received_page("nl", passed_on=False)
    assert _later(page)[0].startswith("Uw melding is veilig bij ons opgeslagen. Wij sturen hem door")


@pytest.mark.parametrize("passed_on", [True, None])
async def test_a_message_passed_on_gets_no_such_words(passed_on: bool | None) -> None:
    page = await _received_page("nl", passed_on)
    assert _later(page) == [] and "ABCD-EFGH-JKLM-NPQR" in page.root.text()


async def test_flushes_asked_for_while_one_is_stuck_share_one_waiting_flush(tmp_path: Path) -> None:
    broker = PausedBroker()
    uow, relay = await _unit(tmp_path, broker, wait=0.1)
    await uow.commit(_opening("case-eve"))  # its flush now holds the relay, stuck on the send
    waiting = relay.flush_soon()
    assert relay.flush_soon() is waiting and relay.flush_soon() is waiting
    await relay.stop()  # shutdown: what was asked for is cancelled, the row stays for the next start
    assert waiting.cancelled() and await relay.backlog() == 1

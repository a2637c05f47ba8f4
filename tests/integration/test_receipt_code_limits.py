"""Receipt-code limits on a real database (SQLite and PostgreSQL): a correct code always works,
a flood of wrong codes locks nobody out, and the counters are one set for every instance.

First the limiter on its table, two engines playing two intake instances; then the dialogue over
HTTP on the running intake service (real broker), with its clock driven.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.intake.adapters.receipt_guess_limits import ALL_CODES, GuessBudget, ReceiptGuessLimiter
from services.intake.adapters.tables import metadata, receipt_code_failures
from services.intake.application.open_case import new_receipt_code, receipt_hash
from shared.db import create_all, make_engine
from tests.support.lifecycle import Lifecycle, start_lifecycle
from tests.support.services import wait_until

pytestmark = pytest.mark.integration

NOON = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
BUDGET = GuessBudget(
    per_code=5, code_window=timedelta(hours=1), global_failures=10, global_window=timedelta(minutes=1)
)


@dataclass
class Instance:
    """One intake instance: its own engine and limiter, the database shared."""

    engine: AsyncEngine
    limiter: ReceiptGuessLimiter

    async def wrong(self, code: str, now: datetime = NOON) -> str | None:
        async with self.engine.begin() as conn:
            refusal = await self.limiter.wrong_code(conn, receipt_hash(code), now)
        return None if refusal is None else refusal.reason

    async def right(self, code: str) -> None:
        async with self.engine.begin() as conn:
            await self.limiter.right_code(conn, receipt_hash(code))

    async def counters(self) -> dict[str, int]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(receipt_code_failures))
            return {"*" if r.counter == ALL_CODES else r.counter[:8]: r.failures for r in rows}


@pytest.fixture
async def instances(db_url: str) -> AsyncIterator[tuple[Instance, Instance]]:
    first, second = make_engine(db_url), make_engine(db_url)
    await create_all(first, metadata)
    yield (
        Instance(first, ReceiptGuessLimiter(receipt_code_failures, BUDGET)),
        Instance(second, ReceiptGuessLimiter(receipt_code_failures, BUDGET)),
    )
    await first.dispose()
    await second.dispose()


class TestLimiterOnTheDatabase:
    async def test_two_instances_count_one_code_together(self, instances: tuple[Instance, Instance]) -> None:
        a, b = instances
        assert [await i.wrong("WXYZ-WXYZ-WXYZ-WXYZ") for i in (a, b, a, b, a)] == [None] * 5
        assert await b.wrong("WXYZ-WXYZ-WXYZ-WXYZ") == "code_tried_too_often"
        assert await a.wrong("ABCD-ABCD-ABCD-ABCD") is None  # another code is untouched

    async def test_concurrent_wrong_codes_on_two_instances_are_all_counted(
        self, instances: tuple[Instance, Instance]
    ) -> None:
        a, b = instances
        await asyncio.gather(*((a if n % 2 else b).wrong(f"CODE-{n}") for n in range(10)))
        assert (await a.counters())["*"] == 10
        assert await a.wrong("CODE-X") == "too_many_wrong_codes"  # the 11th, on either instance

    async def test_a_correct_code_clears_its_counter(self, instances: tuple[Instance, Instance]) -> None:
        a, b = instances
        code = new_receipt_code()
        for _ in range(5):
            await a.wrong(code)
        await b.right(code)
        assert [await a.wrong(code) for _ in range(5)] == [None] * 5

    async def test_past_the_budget_nothing_is_written_and_ended_windows_are_forgotten(
        self, instances: tuple[Instance, Instance]
    ) -> None:
        a, b = instances
        reasons = [await a.wrong(new_receipt_code()) for _ in range(30)]
        assert reasons == [None] * 10 + ["too_many_wrong_codes"] * 20
        assert await b.wrong(new_receipt_code()) == "too_many_wrong_codes"
        # The global row stops at the first refusal of each instance; the ten counted codes stay.
        assert (await a.counters())["*"] == 12 and len(await a.counters()) == 1 + 10
        await a.wrong(new_receipt_code(), NOON + timedelta(hours=2))
        assert len(await a.counters()) == 1 + 1


# -- over HTTP, on the running service -----------------------------------------------------------

BUDGET_PER_MINUTE = 30


@pytest.fixture
async def life(kafka_bootstrap: str, db_url: str, tmp_path: Path) -> AsyncIterator[Lifecycle]:
    async for lifecycle in start_lifecycle(
        kafka_bootstrap, db_url, tmp_path, receipt_global_failures_per_minute=BUDGET_PER_MINUTE
    ):
        yield lifecycle


def client_at(life: Lifecycle, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=life.service.runtime.asgi_app(), client=(address, 40_000))
    return httpx.AsyncClient(transport=transport, base_url="http://intake")


async def status(client: httpx.AsyncClient, code: str) -> int:
    return (await client.get("/v1/dialogue/messages", headers={"X-Receipt-Code": code})).status_code


def guess() -> str:
    return "-".join(secrets.token_hex(2).upper() for _ in range(4))


class TestDialogue:
    async def test_five_wrong_codes_then_the_right_one_works(self, life: Lifecycle) -> None:
        _, code = await life.open_case()
        typo = code[:-1] + ("B" if code[-1] != "B" else "C")
        assert [await status(life.client, guess()) for _ in range(5)] == [404] * 5
        assert [await status(life.client, typo) for _ in range(5)] == [404] * 5
        assert await status(life.client, code) == 200
        assert await status(life.client, typo) == 429  # the sixth try of that one wrong code
        assert await status(life.client, code) == 200
        assert life.metric("caseflow_access_denied_total", reason="receipt_code_unknown") == 10
        assert life.metric("caseflow_access_denied_total", reason="receipt_rate_limited") == 1

    async def test_a_flood_from_one_address_locks_out_no_other_client(self, life: Lifecycle) -> None:
        _, mine = await life.open_case()
        _, theirs = await life.open_case()
        async with client_at(life, "10.6.6.6") as flooder, client_at(life, "10.1.2.3") as me:
            flood = [await status(flooder, guess()) for _ in range(3 * BUDGET_PER_MINUTE)]
            assert flood == [404] * BUDGET_PER_MINUTE + [429] * (2 * BUDGET_PER_MINUTE)
            answer = await me.get("/v1/dialogue/messages", headers={"X-Receipt-Code": mine})
            assert answer.status_code == 200 and answer.json()["status"] == "received"
            # Behind a proxy every client has the flooder's address: a right code works there too.
            assert await status(flooder, theirs) == 200
            # When the minute is over, wrong codes are answered as unknown again.
            life.clock.advance(minutes=1)
            assert await status(flooder, guess()) == 404

    async def test_erasure_with_the_right_code_works_during_a_flood(self, life: Lifecycle) -> None:
        _, code = await life.open_case()
        stop = asyncio.Event()
        seen: list[int] = []

        async def flood(client: httpx.AsyncClient) -> None:
            while not stop.is_set():
                seen.append(await status(client, guess()))

        async with client_at(life, "10.6.6.6") as flooder, client_at(life, "10.1.2.3") as me:
            flooders = [asyncio.create_task(flood(flooder)) for _ in range(4)]
            try:
                await wait_until(lambda: seen.count(429) >= 10, timeout=60, interval=0.05)
                erased = await me.delete("/v1/dialogue", headers={"X-Receipt-Code": code})
                rate_limited_before = seen.count(429)
                await wait_until(
                    lambda: seen.count(429) > rate_limited_before + 10, timeout=60, interval=0.05
                )
            finally:
                stop.set()
                await asyncio.gather(*flooders)
            assert (erased.status_code, erased.json()) == (200, {"status": "erased"})
            assert set(seen) == {404, 429}
            assert await status(me, code) in (404, 429)  # the erased code opens nothing
        erasures = await life.events_of("CasePersonalDataErased")
        assert len(erasures) == 1

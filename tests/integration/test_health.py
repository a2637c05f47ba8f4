"""/health tells the truth: a consumer that stops making progress while it lags is unhealthy.

Checking that the broker answers is not enough (a consumer can stay stuck after a rebalance or a
broker restart, aio-libs/aiokafka#1154). Here intake's handler is made to hang on the real broker:
/health turns 503 with `consumer_stuck` while the lag grows, and 200 again once it moves on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from services.intake.app import create_runtime
from services.intake.settings import IntakeSettings
from shared.outbox import Outgoing
from shared.pipeline import Decoded, Route
from tests.support import samples
from tests.support.kafka_io import create_topics, produce
from tests.support.services import TEST_MASTER_KEY, running, wait_until

pytestmark = pytest.mark.integration
TOPICS = (
    "intake.submissions.v1",
    "intake.cases.v1",
    "intake.rejections.v1",
    "intake.submissions.v1.dlq",
    "routing.assignments.v1",
    "directory.advisors.v1",
    "directory.units.v1",
    "advisor.actions.v1",
)


async def test_a_stuck_consumer_makes_health_fail_and_recovery_makes_it_pass(
    kafka_bootstrap: str, unique_topic: str, tmp_path: Path
) -> None:
    await create_topics(kafka_bootstrap, [unique_topic + t for t in TOPICS])
    settings = IntakeSettings(
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=unique_topic,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/i.db",
        keystore_url=f"sqlite+aiosqlite:///{tmp_path}/k.db",
        master_key=TEST_MASTER_KEY,
        stuck_after_seconds=2,
    )
    runtime = create_runtime(settings)
    runtime.watchdog.interval = 0.3
    release = asyncio.Event()
    async with running(runtime):
        pipeline = runtime.context.pipeline
        real = pipeline.routes["intake.submissions.v1"]

        async def hanging(
            conn: AsyncConnection, messages: Sequence[Decoded], now: datetime
        ) -> list[Sequence[Outgoing]]:
            await release.wait()  # a handler that never returns: the partition makes no progress
            return await real.run(conn, messages, now)

        pipeline.routes = {
            **pipeline.routes,
            "intake.submissions.v1": Route(real.decode, handle_batch=hanging),
        }
        transport = httpx.ASGITransport(app=runtime.asgi_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            await wait_until(lambda: runtime.watchdog.status.member, timeout=30)
            healthy = await client.get("/health")
            assert healthy.status_code == 200, healthy.json()

            await produce(
                kafka_bootstrap,
                unique_topic + "intake.submissions.v1",
                [(None, samples.to_bytes(samples.submission())) for _ in range(5)],
            )
            body: dict[str, Any] = {}

            async def stuck() -> bool:
                nonlocal body
                answer = await client.get("/health")
                body = answer.json()
                return answer.status_code == 503

            await wait_until(stuck, timeout=30, interval=0.3)
            assert (
                body["reasons"][0].startswith("consumer_stuck")
                and body["lag"][unique_topic + "intake.submissions.v1"] == 5
            )
            assert (await client.get("/ready")).status_code == 200  # ready, but not healthy: restart me

            release.set()

            async def recovered() -> bool:
                return (await client.get("/health")).status_code == 200

            await wait_until(recovered, timeout=30, interval=0.3)

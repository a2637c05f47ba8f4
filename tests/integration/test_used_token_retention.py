"""Used token ids are forgotten only when no command carrying them could still be judged valid.

A command is judged at its publication, up to TOKEN_POLICY.max_queue_delay before it is processed:
its jti must be remembered that long after the token expired, or a copy published back then could
be replayed. Routing forgets on a job; intake on its retention tick (same window).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from services.routing.adapters.tables import metadata, used_tokens
from services.routing.entrypoints.jobs import forget_used_tokens
from shared.auth import TOKEN_POLICY

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


async def test_routing_keeps_a_jti_for_the_whole_queue_window_after_expiry(tmp_path: Path) -> None:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/routing.db")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        for jti, expired in {
            "still-judgeable": NOW - TOKEN_POLICY.replay_window + timedelta(minutes=1),
            "past-the-window": NOW - TOKEN_POLICY.replay_window - timedelta(minutes=1),
        }.items():
            await conn.execute(
                used_tokens.insert().values(
                    jti=jti, advisor_id="adv-anna", expires_at=expired, used_at=expired
                )
            )
    ctx = SimpleNamespace(engine=engine, clock=lambda: NOW)
    assert await forget_used_tokens(ctx) == 1  # type: ignore[arg-type]
    async with engine.connect() as conn:
        assert (await conn.execute(select(used_tokens.c.jti))).scalars().all() == ["still-judgeable"]
    await engine.dispose()

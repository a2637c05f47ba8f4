from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.workbench.adapters import meeting_store, time_store
from services.workbench.adapters.meeting_store import MeetingRow
from services.workbench.adapters.tables import metadata
from services.workbench.entrypoints.kafka_handlers import (
    meeting_cancelled,
    meeting_scheduled,
    time_was_logged,
)
from shared.codes import MeetingMode, TimeActivity
from shared.contracts.intake import TimeLogged
from shared.contracts.scheduling import MeetingCancelled, MeetingScheduled
from shared.pipeline import Decoded

START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    eng = create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/wb.db")
    async with eng.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield eng
    await eng.dispose()


def _row(seq: int, start: datetime) -> MeetingRow:
    return MeetingRow("m1", "c1", "a1", start, start + timedelta(hours=1), "video", seq, "scheduled")


async def test_reschedule_moves_and_a_late_older_sequence_does_not(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await meeting_store.record_scheduled(conn, _row(0, START), None, None)
        await meeting_store.record_scheduled(conn, _row(1, START + timedelta(days=1)), None, None)
        await meeting_store.record_scheduled(conn, _row(0, START), None, None)  # late redelivery
        (only,) = await meeting_store.of_case(conn, "c1")
    assert only.calendar_sequence == 1
    assert only.start == START + timedelta(days=1)


async def test_cancelled_meetings_are_not_shown(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await meeting_store.record_scheduled(conn, _row(0, START), None, None)
        await meeting_store.record_cancelled(conn, "m1")
        assert await meeting_store.of_case(conn, "c1") == []
        assert await meeting_store.of_case(conn, "other") == []


def _scheduled(seq: int, start: datetime) -> MeetingScheduled:
    return MeetingScheduled(
        meeting_id="m9",
        case_id="c9",
        advisor_id="a9",
        start=start,
        end=start + timedelta(minutes=45),
        mode=MeetingMode.PHONE,
        neutral_title="Afspraak",
        reason_code="SCHEDULED",
        scheduled_at=START - timedelta(days=3),
        calendar_sequence=seq,
    )


async def test_handlers_fold_scheduled_cancelled_and_rescheduled(engine: AsyncEngine) -> None:
    m = Decoded(message_id="e1", inbound=cast(Any, None), body=None)
    now = START - timedelta(days=2)
    async with engine.begin() as conn:
        await meeting_scheduled(conn, _scheduled(0, START), m, now)
        (first,) = await meeting_store.of_case(conn, "c9")
        assert (first.mode, first.start, first.calendar_sequence) == ("phone", START, 0)
        cancel = MeetingCancelled(
            meeting_id="m9", case_id="c9", advisor_id="a9", reason="rescheduled", cancelled_at=now
        )
        await meeting_cancelled(conn, cancel, m, now)
        assert await meeting_store.of_case(conn, "c9") == []
        await meeting_scheduled(conn, _scheduled(1, START + timedelta(days=2)), m, now)
        (moved,) = await meeting_store.of_case(conn, "c9")
    assert (moved.start, moved.calendar_sequence) == (START + timedelta(days=2), 1)


async def test_time_logged_is_summed_per_activity_once_per_event(engine: AsyncEngine) -> None:
    def logged(activity: TimeActivity, minutes: int, case_id: str | None) -> TimeLogged:
        return TimeLogged(
            advisor_id="a1", case_id=case_id, minutes=minutes, activity=activity, logged_at=START
        )

    def msg(event_id: str) -> Decoded:
        return Decoded(message_id=event_id, inbound=cast(Any, None), body=None)

    async with engine.begin() as conn:
        await time_was_logged(conn, logged(TimeActivity.CONVERSATION, 45, "c1"), msg("e1"), START)
        await time_was_logged(conn, logged(TimeActivity.CONVERSATION, 45, "c1"), msg("e1"), START)
        await time_was_logged(conn, logged(TimeActivity.CONVERSATION, 30, "c1"), msg("e2"), START)
        await time_was_logged(conn, logged(TimeActivity.ADMINISTRATION, 10, "c1"), msg("e3"), START)
        await time_was_logged(conn, logged(TimeActivity.TRAINING, 60, None), msg("e4"), START)
        await time_was_logged(conn, logged(TimeActivity.CONVERSATION, 5, "c2"), msg("e5"), START)
        totals = await time_store.minutes_per_activity(conn, "c1")
    assert totals == {"conversation": 75, "administration": 10}

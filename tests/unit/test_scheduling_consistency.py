"""Scheduling's ledger against its published meetings: the fold follows each stream's order."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from services.scheduling.domain.consistency import compare_meetings, published_meetings

pytestmark = pytest.mark.unit
T9, T10, T11 = (datetime(2026, 3, 2, h, tzinfo=UTC) for h in (9, 10, 11))


def event(kind: str, seq: int, **payload: Any) -> dict[str, Any]:
    return {
        "event_id": f"{kind}-{seq}",
        "event_type": kind,
        "stream_id": "case-1",
        "sequence": seq,
        "payload": {"meeting_id": "m1", "advisor_id": "adv-anna", **payload},
    }


def booking(status: str, start: datetime, end: datetime, advisor: str = "adv-anna") -> Any:
    return SimpleNamespace(meeting_id="m1", status=status, advisor_id=advisor, starts_at=start, ends_at=end)


def test_a_rescheduled_meeting_is_its_last_published_state_whatever_the_reading_order() -> None:
    log = [
        event("MeetingScheduled", 3, start=T10.isoformat(), end=T11.isoformat()),
        event("MeetingScheduled", 1, start=T9.isoformat(), end=T10.isoformat()),
        event("MeetingCancelled", 2),
        event("MeetingCancelled", 2),  # re-published: counted once
    ]
    published = published_meetings(log)
    assert compare_meetings([booking("active", T10, T11)], published) == []
    (stale,) = compare_meetings([booking("active", T9, T10)], published)
    assert "ledger says active with adv-anna from 2026-03-02T09:00:00+00:00" in stale.describe()


def test_a_booking_never_published_and_a_meeting_the_ledger_lacks_are_both_named() -> None:
    assert [m.describe() for m in compare_meetings([booking("active", T9, T10)], {})] == [
        (
            "meeting m1: scheduling's ledger says active with adv-anna from 2026-03-02T09:00:00+00:00; "
            "scheduling.meetings.v1 says nothing published"
        )
    ]
    published = published_meetings([event("MeetingScheduled", 0, start=T9.isoformat(), end=T10.isoformat())])
    assert [m.in_ledger for m in compare_meetings([], published)] == [None]
    assert compare_meetings([booking("active", T9, T10, advisor="adv-bram")], published) != []

"""Three scheduling processes in one consumer group on PostgreSQL, one SIGKILLed halfway and restarted.

240 meeting requests for 4 rooms and 12 advisors, so requests compete for the same rooms and
advisors across instances while partitions move and batches are redelivered. Afterwards SQL finds
no two active bookings of a room closer than the privacy buffer and no advisor in two places at
once, and every request has exactly one answer on the topic (MeetingScheduled, NoSlotFound or
AdvisorCommandRejected), counted by distinct event ids. The same scenario at 2,000 requests, with
its timings, is bench/bench_scheduling_stress.py.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.support.scheduling_stress import Size, run_scenario

pytestmark = pytest.mark.e2e

SIZE = Size(requests=240, rooms_per_location=2, advisors=12)


# Both of PostgreSQL's booking locks (D62): the one calendar lock, and per case, where the
# instances' bookings of these few rooms collide in the exclusion constraints instead.
@pytest.mark.parametrize("booking_lock", ["calendar", "case"])
async def test_three_instances_answer_every_request_once_without_overlapping_bookings(
    kafka_bootstrap: str, pg_url_base: str, tmp_path: Path, booking_lock: str
) -> None:
    outcome = await run_scenario(
        kafka_bootstrap, pg_url_base, tmp_path, replace(SIZE, booking_lock=booking_lock)
    )

    assert (outcome.room_overlaps, outcome.advisor_overlaps, outcome.dead_letters) == (0, 0, 0)
    assert all(len(ids) == 1 for ids in outcome.answer_ids.values()), "a request answered twice"
    unanswered = set(outcome.request_ids) - set(outcome.answers)
    stray = [
        (a["event_type"], a["payload"]) for c, a in outcome.answers.items() if c not in outcome.request_ids
    ]
    assert not unanswered and not stray, (
        f"{len(unanswered)} requests unanswered; answers to no request: {stray}"
    )
    assert outcome.kinds["not_assignee"] == SIZE.wrong_advisor_requests
    # The two advisors without time: every request of theirs finds no slot.
    assert outcome.kinds["ADVISOR_UNAVAILABLE"] >= 2 * (SIZE.requests // SIZE.advisors)
    assert outcome.scheduled > SIZE.requests // 2  # the rooms were contended, not left empty
    assert outcome.active_bookings == outcome.scheduled  # no cancellations: one booking per meeting

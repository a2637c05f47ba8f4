"""Readiness says whether an instance can do its work; liveness does not fail on a broker outage.

`judge` is a pure rule over monotonic seconds; the monitor is driven with checks that answer, fail
or hang; the consumer watchdog is sampled with the broker away.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from prometheus_client import CollectorRegistry

from shared.health import ConsumerWatchdog
from shared.metrics import PipelineMetrics
from shared.readiness import Readiness, ReadinessMonitor, judge

pytestmark = pytest.mark.unit
GRACE, OUTBOX_GRACE = 5.0, 30.0


def verdict(
    *,
    now: float = 100.0,
    broker: float | None = 99.0,
    database: float | None = 99.5,
    drained: float | None = 99.0,
    started: bool = True,
    since: float = 0.0,
) -> Readiness:
    return judge(
        started=started,
        now=now,
        since=since,
        answered={"broker": broker, "database": database},
        grace=GRACE,
        drained=drained,
        outbox_grace=OUTBOX_GRACE,
    )


def test_an_instance_whose_broker_database_and_outbox_all_answered_lately_is_ready() -> None:
    ready = verdict()
    assert ready.ready and ready.reasons == ()
    assert ready.silent_for == {"broker": 1.0, "database": 0.5}


def test_a_broker_silent_for_longer_than_the_grace_makes_it_unready_and_says_so_in_words() -> None:
    unready = verdict(broker=94.0)
    assert not unready.ready
    assert unready.reasons == ("broker_unreachable: no answer from the broker for 6s",)


def test_a_broker_silent_for_just_the_grace_is_still_tolerated() -> None:
    assert verdict(broker=95.0).ready


def test_a_database_that_stopped_answering_makes_it_unready() -> None:
    assert verdict(database=80.0).reasons == ("database_unreachable: no answer from the database for 20s",)


def test_a_dependency_that_never_answered_counts_from_the_start_so_a_fresh_instance_gets_its_grace() -> None:
    assert verdict(broker=None, database=None, drained=None, since=97.0).ready
    late = verdict(broker=None, database=99.0, drained=99.0, since=90.0)
    assert late.reasons == ("broker_unreachable: no answer from the broker for 10s",)


def test_an_outbox_whose_relay_made_no_progress_for_longer_than_its_grace_is_not_draining() -> None:
    stalled = verdict(drained=60.0)
    assert stalled.reasons == ("outbox_not_draining: the outbox relay made no progress for 40s",)


def test_an_instance_still_starting_is_unready_whatever_its_dependencies_say() -> None:
    assert verdict(started=False).reasons == ("starting: the service has not finished starting",)


def test_every_reason_is_named_when_several_things_are_wrong() -> None:
    worst = verdict(broker=10.0, database=10.0, drained=10.0)
    assert [r.split(":")[0] for r in worst.reasons] == [
        "broker_unreachable",
        "database_unreachable",
        "outbox_not_draining",
    ]


async def test_the_monitor_notes_a_dependency_that_answers_and_not_one_that_hangs_or_fails() -> None:
    async def answers() -> None:
        return None

    async def hangs() -> None:
        await asyncio.Event().wait()

    async def fails() -> None:
        raise ConnectionError("refused")

    monitor = ReadinessMonitor({"database": answers, "broker": hangs, "keystore": fails}, timeout=0.05)
    before = time.monotonic()
    await monitor.sample()
    took = time.monotonic() - before
    answered_at = monitor.answered["database"]
    assert answered_at is not None and answered_at >= before
    assert monitor.answered["broker"] is None and monitor.answered["keystore"] is None
    assert took < 1.0, f"a hanging broker held the sample for {took:.2f}s"
    assert monitor.answered_within("database", 1.0)
    monitor.since -= 10  # ten seconds have passed since start, and the broker never answered
    assert not monitor.answered_within("broker", 5.0)


class _Subscriber:
    consumer = None  # not a member of its group


def _watchdog(broker_up: list[bool]) -> ConsumerWatchdog:
    metrics = PipelineMetrics.create(CollectorRegistry(), "t")
    return ConsumerWatchdog(
        "t", [_Subscriber()], metrics, stuck_after=0.05, broker_reachable=lambda: broker_up[0]
    )


async def test_liveness_stays_healthy_while_the_broker_is_away_and_its_clocks_restart_when_it_is_back() -> (
    None
):
    broker_up = [False]
    watchdog = _watchdog(broker_up)
    # A minute without progress and out of its group: stuck, were the broker up.
    watchdog.last_progress = watchdog.not_member_since = time.monotonic() - 60
    status = await watchdog.sample()
    assert status.healthy and status.reasons == []
    assert watchdog.not_member_since is None and time.monotonic() - watchdog.last_progress < 1

    broker_up[0] = True  # back: the consumer gets stuck_after seconds to rejoin
    assert (await watchdog.sample()).healthy
    deadline = time.monotonic() + 5
    while (status := await watchdog.sample()).healthy and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert not status.healthy and status.reasons[0].startswith("not_in_consumer_group")


async def test_with_the_broker_up_a_consumer_out_of_its_group_is_unhealthy_as_before() -> None:
    watchdog = _watchdog([True])
    await watchdog.sample()
    watchdog.not_member_since = time.monotonic() - 1
    status = await watchdog.sample()
    assert not status.healthy and status.reasons[0].startswith("not_in_consumer_group")

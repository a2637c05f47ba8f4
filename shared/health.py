"""Health that tells the truth: a consumer that stopped making progress is unhealthy.

Checking that the broker answers is not enough (aiokafka consumers can stay stuck after a
rebalance or a broker restart, aio-libs/aiokafka#1154). The watchdog samples each subscriber's
consumer: the group membership, the lag (end offsets minus committed offsets) and the time of the
last processed batch. Unhealthy means: lagging with no progress for `stuck_after` seconds, or not
a member of its consumer group for that long.

This is liveness: an orchestrator restarts an unhealthy instance. A broker outage is not a reason
(a restart does not bring the broker back; readiness, shared/readiness.py, says it): while the
broker does not answer (`broker_reachable`), the clocks of "no progress" and "not a member" stand
still and start again once it is back, and a sample that fails leaves the verdict as it was.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog

from shared.metrics import PipelineMetrics
from shared.periodic import every

log = structlog.get_logger(__name__)


@dataclass
class ConsumerHealth:
    healthy: bool
    reasons: list[str]
    lag: dict[str, int]
    seconds_since_progress: float | None
    member: bool


@dataclass
class ConsumerWatchdog:
    service: str
    subscribers: list[Any]
    metrics: PipelineMetrics
    stuck_after: float = 30.0
    interval: float = 5.0
    started_at: float = field(default_factory=time.monotonic)
    last_progress: float = field(default_factory=time.monotonic)
    not_member_since: float | None = None
    status: ConsumerHealth = field(default_factory=lambda: ConsumerHealth(True, [], {}, None, False))
    broker_reachable: Callable[[], bool] = lambda: True

    def progressed(self, _topic: str = "") -> None:
        self.last_progress = time.monotonic()

    async def sample(self) -> ConsumerHealth:
        if not self.broker_reachable():  # nobody can make progress now: wait for the broker
            self.last_progress, self.not_member_since = time.monotonic(), None
            self.status = ConsumerHealth(True, [], self.status.lag, 0.0, self.status.member)
            return self.status
        lag: dict[str, int] = {}
        member = True
        for sub in self.subscribers:
            consumer = getattr(sub, "consumer", None)
            if consumer is None:
                member = False
                continue
            coordinator = getattr(consumer, "_coordinator", None)
            if coordinator is not None and not getattr(coordinator, "member_id", ""):
                member = False
            assignment = list(consumer.assignment())
            if not assignment:
                continue
            ends = await asyncio.wait_for(consumer.end_offsets(assignment), timeout=10)
            for tp in assignment:
                committed = await asyncio.wait_for(consumer.committed(tp), timeout=10)
                behind = max(0, ends.get(tp, 0) - (committed or 0))
                lag[tp.topic] = lag.get(tp.topic, 0) + behind
        now = time.monotonic()
        since = now - self.last_progress
        reasons = []
        total_lag = sum(lag.values())
        if total_lag > 0 and since > self.stuck_after:
            reasons.append(f"consumer_stuck: lag {total_lag}, no progress for {since:.0f}s")
        if member:
            self.not_member_since = None
        else:
            self.not_member_since = self.not_member_since or now
            if now - self.not_member_since > self.stuck_after:
                reasons.append(f"not_in_consumer_group for {now - self.not_member_since:.0f}s")
        for topic, value in lag.items():
            self.metrics.consumer_lag.labels(self.service, topic).set(value)
        self.status = ConsumerHealth(not reasons, reasons, lag, since, member)
        return self.status

    async def run(self, stop: asyncio.Event) -> None:
        # A failed sample (the broker went away mid-way) leaves the verdict as it was.
        await every(self.interval, self.sample, name="consumer_watchdog", cap=30.0)(stop)

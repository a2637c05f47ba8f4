"""Readiness: can this instance do its work now? Liveness (shared/health.py) is another question.

`/ready` answers 503, with reasons in words, when the instance cannot do its work: it has not
finished starting, the broker has not answered for longer than a short grace, a database (its own,
and for key holders the key store) has not answered for that long, or the outbox relay has made no
progress for longer than `outbox_grace` (no batch published and no flush that found the outbox
empty: rows committed but not published), or a partition is parked because the dead letter of one
of its records cannot be written (shared/pipeline.py). An
orchestrator then stops sending it traffic; nothing is restarted. `/health` (liveness) stays 200
through a broker outage: restarting a process does not bring a broker back, and intake still
stores submissions (their receipt is answered, the relay publishes them later).

`judge` is the rule, a pure function of what was observed (monotonic seconds, passed in);
`ReadinessMonitor` observes: every `interval` (the runtime's loop) it asks each dependency one cheap question with a
`timeout` and notes when each last answered. The runtime serves the verdict
(shared/runtime.py) and sets the gauges `caseflow_service_ready` and
`caseflow_dependency_reachable` (shared/metrics.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

import structlog

log = structlog.get_logger(__name__)

Check = Callable[[], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class Readiness:
    ready: bool
    reasons: tuple[str, ...]
    # Per dependency: seconds since it last answered (since start when it never did).
    silent_for: Mapping[str, float] = field(default_factory=dict)


def judge(
    *,
    started: bool,
    now: float,
    since: float,
    answered: Mapping[str, float | None],
    grace: float,
    drained: float | None,
    outbox_grace: float,
    parked: Sequence[str] = (),
) -> Readiness:
    """Ready when started, every dependency answered within `grace` seconds and the outbox relay
    made progress (`drained`: published a batch or found nothing to publish) within
    `outbox_grace`. `since` is when observing began: a dependency that never answered counts from
    then, so a fresh instance gets its grace too. `parked`: the partitions held because a dead
    letter could not be written ("topic partition P at offset O for Ns"), each one a reason."""
    reasons: list[str] = []
    if not started:
        reasons.append("starting: the service has not finished starting")
    silent_for = {name: now - (last if last is not None else since) for name, last in answered.items()}
    for name, seconds in silent_for.items():
        if seconds > grace:
            reasons.append(f"{name}_unreachable: no answer from the {name} for {seconds:.0f}s")
    stalled = now - (drained if drained is not None else since)
    if stalled > outbox_grace:
        reasons.append(f"outbox_not_draining: the outbox relay made no progress for {stalled:.0f}s")
    reasons += [f"dead_letter_parked: {where}: its dead letter cannot be written" for where in parked]
    return Readiness(not reasons, tuple(reasons), silent_for)


class ReadinessMonitor:
    """Asks each dependency its question, each within `timeout` seconds, once per `sample`."""

    def __init__(self, checks: Mapping[str, Check], *, timeout: float = 2.0) -> None:
        self._checks = dict(checks)
        self.timeout = timeout
        self.since = time.monotonic()
        self.answered: dict[str, float | None] = dict.fromkeys(self._checks)

    async def _ask(self, name: str, check: Check) -> None:
        try:
            await asyncio.wait_for(check(), timeout=self.timeout)
        except Exception as exc:  # noqa: BLE001 - a dependency that does not answer is the finding
            log.debug("dependency_silent", dependency=name, error_type=type(exc).__name__)
            return
        self.answered[name] = time.monotonic()

    async def sample(self) -> None:
        await asyncio.gather(*(self._ask(name, check) for name, check in self._checks.items()))

    def answered_within(self, name: str, seconds: float) -> bool:
        last = self.answered.get(name)
        return time.monotonic() - (last if last is not None else self.since) <= seconds

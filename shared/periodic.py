"""Periodic background work: the one loop behind every job a service runs on a timer.

`every(interval, job, name=...)` gives the coroutine function a service starts as a background
task (`loop(stop)`): run the job, wait `interval`, run it again, until `stop` is set.

- A failed run is logged as `periodic_job_failed` with the job's name and the error's type only
  (an exception's text may carry personal data), and the next run waits longer: `interval` doubled
  for each consecutive failure, at most `cap` (never less than `interval`: a failing job is not
  retried faster than a healthy one runs). Each such wait is shortened by a random share of at
  most `jitter`, so that instances that failed together (a database or broker outage) do not retry
  in lock-step. A success restores the plain `interval`, without jitter.
- Waits are on the stop event, so setting it ends the loop at once, never after a wait; a run in
  progress is finished, not interrupted.
- Tests drive the loop without real sleeps: `wait` (how to wait for a number of seconds unless
  stopped) and `draw` (a number in [0, 1) for the jitter) are injectable; `backoff_delay` is the
  arithmetic on its own. docs/decisions.md D24 says why this shape.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import structlog

log = structlog.get_logger(__name__)

Wait = Callable[[asyncio.Event, float], Awaitable[None]]
Loop = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


async def wait_unless_stopped(stop: asyncio.Event, seconds: float) -> None:
    """Return after `seconds`, or as soon as `stop` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


def backoff_delay(interval: float, failures: int, *, cap: float, jitter: float, draw: float) -> float:
    """The wait before the next run after `failures` consecutive failures (0: the last run worked).

    `draw` in [0, 1) picks the jitter: the wait is the backed-off delay less `jitter * draw` of it.
    """
    if failures <= 0:
        return interval
    backed_off = min(interval * 2.0**failures, max(cap, interval))
    return backed_off * (1.0 - jitter * draw)


def every(
    interval: float,
    job: Callable[[], Awaitable[object]],
    *,
    name: str,
    cap: float = 300.0,
    jitter: float = 0.2,
    first_after: float = 0.0,
    on_failure: Callable[[Exception], Awaitable[object]] | None = None,
    wait: Wait = wait_unless_stopped,
    draw: Callable[[], float] = random.random,
) -> Loop:
    """Run `job` every `interval` seconds until stopped, backing off on failure (see the module).

    `first_after`: wait this long before the first run. `on_failure`: called with the exception
    after each failed run (e.g. to mark the service unhealthy or recreate a client); its own
    failure is ignored.
    """
    if interval <= 0 or cap <= 0 or first_after < 0:
        raise ValueError("interval and cap must be positive, first_after not negative")
    if not 0.0 <= jitter < 1.0:
        raise ValueError("jitter is a share of the wait, in [0, 1)")

    async def loop(stop: asyncio.Event) -> None:
        failures = 0
        if first_after > 0:
            await wait(stop, first_after)
        while not stop.is_set():
            try:
                await job()
                failures = 0
            except Exception as exc:  # noqa: BLE001 - the job must outlive a bad moment
                failures += 1
                log.warning("periodic_job_failed", job=name, error_type=type(exc).__name__, failures=failures)
                if on_failure is not None:
                    with contextlib.suppress(Exception):
                        await on_failure(exc)
            await wait(stop, backoff_delay(interval, failures, cap=cap, jitter=jitter, draw=draw()))

    return loop

"""shared/periodic.every: periodic jobs back off on failure, reset on success, stop at once.

The loop is driven: `DrivenWait` records each wait it is asked for instead of sleeping, and sets the
stop event after a given number of them, so no test sleeps and each run is counted exactly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import structlog
from hypothesis import given
from hypothesis import strategies as st

from shared.periodic import backoff_delay, every, wait_unless_stopped

pytestmark = pytest.mark.unit


class DrivenWait:
    """A wait that returns at once, records how long it was asked to wait, and stops the loop
    after `stop_after` waits."""

    def __init__(self, stop_after: int, trace: list[object] | None = None) -> None:
        self.stop_after = stop_after
        self.waits: list[float] = []
        self.trace = trace if trace is not None else []

    async def __call__(self, stop: asyncio.Event, seconds: float) -> None:
        self.waits.append(seconds)
        self.trace.append(("wait", seconds))
        if len(self.waits) >= self.stop_after:
            stop.set()


class ScriptedJob:
    """A job that fails or succeeds as scripted: "fail" raises ConnectionError, "ok" returns."""

    def __init__(self, *outcomes: str, trace: list[object] | None = None) -> None:
        self.outcomes: Iterator[str] = iter(outcomes)
        self.runs = 0
        self.trace = trace if trace is not None else []

    async def __call__(self) -> None:
        self.runs += 1
        self.trace.append("run")
        if next(self.outcomes) == "fail":
            raise ConnectionError("database unreachable")


async def drive(job: ScriptedJob, runs: int, interval: float, **options: object) -> DrivenWait:
    wait = DrivenWait(stop_after=runs, trace=job.trace)
    loop = every(interval, job, name="test_job", wait=wait, **options)  # type: ignore[arg-type]
    await loop(asyncio.Event())
    return wait


async def test_a_healthy_job_runs_once_per_interval_and_its_waits_carry_no_jitter() -> None:
    job = ScriptedJob("ok", "ok", "ok")
    wait = await drive(job, 3, interval=10.0, jitter=0.5, draw=lambda: 0.99)
    assert job.runs == 3
    assert wait.waits == [10.0, 10.0, 10.0]


async def test_consecutive_failures_double_the_wait_until_the_cap() -> None:
    job = ScriptedJob(*["fail"] * 6)
    wait = await drive(job, 6, interval=1.0, cap=8.0, jitter=0.0)
    assert wait.waits == [2.0, 4.0, 8.0, 8.0, 8.0, 8.0]


async def test_a_success_resets_the_backoff_to_the_plain_interval() -> None:
    job = ScriptedJob("fail", "fail", "fail", "ok", "fail", "ok")
    wait = await drive(job, 6, interval=1.0, cap=300.0, jitter=0.0)
    assert wait.waits == [2.0, 4.0, 8.0, 1.0, 2.0, 1.0]


async def test_a_failing_hourly_job_is_not_retried_sooner_than_it_runs_when_healthy() -> None:
    job = ScriptedJob("fail", "fail")
    wait = await drive(job, 2, interval=3600.0, cap=300.0, jitter=0.0)
    assert wait.waits == [3600.0, 3600.0]


async def test_jitter_takes_the_drawn_share_off_a_backed_off_wait() -> None:
    job = ScriptedJob("fail", "fail", "fail")
    draws = iter([0.0, 0.5, 0.999])
    wait = await drive(job, 3, interval=10.0, cap=1000.0, jitter=0.2, draw=lambda: next(draws))
    assert wait.waits == pytest.approx([20.0, 40.0 * 0.9, 80.0 * (1 - 0.2 * 0.999)])


@given(
    interval=st.floats(0.01, 3600.0),
    cap=st.floats(0.01, 3600.0),
    failures=st.integers(0, 40),
    jitter=st.floats(0.0, 0.99),
    draw=st.floats(0.0, 1.0, exclude_max=True),
)
def test_a_wait_stays_within_its_jitter_band_below_the_cap(
    interval: float, cap: float, failures: int, jitter: float, draw: float
) -> None:
    ceiling = interval  # the oracle: double once per failure, clamp each time
    for _ in range(failures):
        ceiling = min(ceiling * 2, max(cap, interval))
    delay = backoff_delay(interval, failures, cap=cap, jitter=jitter, draw=draw)
    if failures == 0:
        assert delay == interval
    else:
        assert ceiling * (1 - jitter) - 1e-9 <= delay <= ceiling + 1e-9
        assert delay <= max(cap, interval) + 1e-9


async def test_first_after_waits_before_the_first_run() -> None:
    trace: list[object] = []
    job = ScriptedJob("ok", trace=trace)
    await drive(job, 2, interval=600.0, first_after=60.0)
    assert trace == [("wait", 60.0), "run", ("wait", 600.0)]


async def test_setting_stop_ends_an_hour_long_wait_at_once() -> None:
    ran = asyncio.Event()

    async def job() -> None:
        ran.set()

    stop = asyncio.Event()
    task = asyncio.create_task(every(3600.0, job, name="hourly")(stop))
    await asyncio.wait_for(ran.wait(), timeout=5)
    assert not task.done()  # waiting out its hour
    stop.set()
    await asyncio.wait_for(task, timeout=1)  # far sooner than the hour


async def test_a_stop_set_during_a_run_lets_that_run_finish_and_starts_no_other() -> None:
    stop = asyncio.Event()
    runs: list[str] = []

    async def job() -> None:
        stop.set()
        await asyncio.sleep(0)
        runs.append("finished")

    await asyncio.wait_for(every(3600.0, job, name="once")(stop), timeout=1)
    assert runs == ["finished"]


async def test_a_stopped_loop_never_runs_its_job() -> None:
    job = ScriptedJob()
    stop = asyncio.Event()
    stop.set()
    await asyncio.wait_for(every(1.0, job, name="never")(stop), timeout=1)
    assert job.runs == 0


async def test_a_failure_is_logged_with_its_type_and_never_its_text() -> None:
    async def job() -> None:
        raise ValueError("Jan Jansen <jan.jansen@example.org> could not be stored")

    wait = DrivenWait(stop_after=2)
    with structlog.testing.capture_logs() as logs:
        await every(1.0, job, name="retention", wait=wait, jitter=0.0)(asyncio.Event())
    failures = [entry for entry in logs if entry["event"] == "periodic_job_failed"]
    assert [(f["job"], f["error_type"], f["failures"]) for f in failures] == [
        ("retention", "ValueError", 1),
        ("retention", "ValueError", 2),
    ]
    assert "Jansen" not in repr(logs)


async def test_on_failure_hears_each_failure_and_a_failing_hook_does_not_stop_the_loop() -> None:
    heard: list[str] = []

    async def hook(exc: Exception) -> None:
        heard.append(type(exc).__name__)
        raise RuntimeError("the hook failed too")

    job = ScriptedJob("fail", "ok", "fail")
    await drive(job, 3, interval=1.0, on_failure=hook)
    assert job.runs == 3
    assert heard == ["ConnectionError", "ConnectionError"]


async def test_wait_unless_stopped_returns_after_its_time_when_not_stopped() -> None:
    stop = asyncio.Event()
    await asyncio.wait_for(wait_unless_stopped(stop, 0.001), timeout=1)
    assert not stop.is_set()


@pytest.mark.parametrize(
    "options",
    [
        {"interval": 0.0},
        {"interval": 1.0, "cap": 0.0},
        {"interval": 1.0, "jitter": 1.0},
        {"interval": 1.0, "first_after": -1.0},
    ],
)
def test_nonsense_settings_are_refused(options: dict[str, float]) -> None:
    async def job() -> None:
        return None

    interval = options.pop("interval")
    with pytest.raises(ValueError):
        every(interval, job, name="bad", **options)  # type: ignore[arg-type]

"""`caseflow demo`: the whole case flow on a fresh machine, in one command.

Starts Kafka and the four services as separate processes (SQLite, embedded defaults), loads the
sample organisation and its rooms, plays frontends, clients and advisors with the mix the study
describes (a seeded load: the same seed plays the same contacts and actions), shows live progress,
writes the anonymised annual report, prints where to look, and stops everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import shutil
import sys
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer

from caseflow import stack
from caseflow.progress import ProgressLine
from shared.directory_copies import directory_records
from tools.demo.sample_org import ADVISORS, UNITS, directory_events, places_events
from tools.demo.seeded import DEMO_SEED, LogicalClock, day_anchor, demo_release_key
from tools.demo.simulator import Simulator

ORGANISATIONS = ("min-bzk", "min-fin")


async def _seed(bootstrap: str, prefix: str, intake_url: str | None = None) -> None:
    """Load the sample organisation and rooms; with `intake_url`, wait until intake knows the units
    (it refuses submissions for units it does not know, and all of them before the first arrived)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for env in directory_events():  # directory.v1 and its narrow copies (shared/topics.py)
            for topic, key, value in directory_records(env):
                await producer.send(prefix + topic, value, key=key)
        for env in places_events():
            await producer.send(prefix + "scheduling.places.v1", env.to_bytes(), key=env.stream_id.encode())
        await producer.flush()
    finally:
        await producer.stop()
    if intake_url is not None:
        await _directory_arrived(intake_url, units=len(UNITS))


async def _directory_arrived(intake_url: str, units: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=intake_url, timeout=5) as client:
        while True:
            with contextlib.suppress(httpx.TransportError):
                answer = await client.get("/v1/directory")
                if answer.status_code == 200 and answer.json()["units"] >= units:
                    return
            if time.monotonic() > deadline:
                raise TimeoutError("intake did not receive the directory in time")
            await asyncio.sleep(0.5)


# In keep-running mode the simulator leaves Anna's cases to the person who signs in as her.
LEFT_TO_PEOPLE = frozenset({"adv-anna"})


# Run beside the simulation (a chaos run's fault injector, tools/demo/chaos.py); awaited before the
# last settle, so whatever it broke has been mended when the state is read.
Alongside = Callable[[stack.StackState], Coroutine[Any, Any, None]]


async def _run_simulation(
    state: stack.StackState,
    cases: int,
    rate: float,
    seed: int,
    say: Callable[[str], None],
    left_to_people: frozenset[str] = frozenset(),
    alongside: Alongside | None = None,
    patience: float = 60.0,
) -> Simulator:
    intake_url = state.url("intake")
    assert intake_url is not None
    clock = LogicalClock(day_anchor(datetime.now(UTC)), rate)
    sim = Simulator(
        state.kafka_bootstrap,
        state.topic_prefix,
        intake_url,
        seed=seed,
        clock=clock,
        left_to_people=left_to_people,
    )
    sim.patience = patience
    await sim.start()
    watcher = asyncio.create_task(sim.watch())
    # Fitted to the terminal, never wrapping; paced by the loop below.
    progress = ProgressLine(sys.stdout, tty_interval=0, plain_interval=0)

    async def show() -> None:
        while True:
            progress.show(sim.progress.line(), indent="  ")
            await asyncio.sleep(0.5 if progress.tty else 5)

    shower = asyncio.create_task(show())
    beside = asyncio.create_task(alongside(state)) if alongside is not None else None
    try:
        await sim.advisors_register_training([a["advisor_id"] for a in ADVISORS])
        # Every contact, the advisors' work on it, and the stack settled afterwards (no sleeps).
        await sim.play(cases, rate)
        if beside is not None:
            await beside
            await sim.settle()
    finally:
        if beside is not None and not beside.done():
            beside.cancel()
            with contextlib.suppress(BaseException):
                await beside
        shower.cancel()
        watcher.cancel()
        with contextlib.suppress(BaseException):
            await watcher
        await sim.stop()
    progress.finish(sim.progress.line(), indent="  ")
    return sim


def _write_reports(state: stack.StackState, out: Path, year: int, say: Callable[[str], None]) -> list[Path]:
    url = state.url("reporting")
    written: list[Path] = []
    if url is None:
        return written
    for org in ("all", *ORGANISATIONS):
        for fmt in ("html", "csv", "json"):
            answer = httpx.get(
                f"{url}/v1/reports/annual", params={"org": org, "year": year, "format": fmt}, timeout=30
            )
            if answer.status_code != 200:
                say(f"  report {org} {fmt}: HTTP {answer.status_code} {answer.text[:200]}")
                continue
            path = out / f"jaarverslag-{org}-{year}.{fmt}"
            path.write_bytes(answer.content)
            written.append(path)
    return written


def demo_env(seed: int) -> dict[str, str]:
    """The demo's settings on top of the stack's: reports with names, released, seeded."""
    # Reporting takes unit sizes and names from the HR export (not from directory.v1, which carries
    # pseudonyms it may not read): the sample organisation's export is in deploy/samples.
    organisation = Path(__file__).resolve().parents[2] / "deploy" / "samples" / "directory.json"
    # Statistics are released only for closed quarters (docs/reporting.md, "Releases"): the demo's
    # contacts happen now, so its reporting service releases as it will once the year has closed.
    closed = f"{datetime.now(UTC).year + 1}-01-20T00:00:00+00:00"
    return {
        "REPORTING_ORGANISATION_FILE": str(organisation),
        "REPORTING_RELEASE_AS_OF": closed,
        # The secondary-suppression priority's key, from the seed: the same seed, the same report
        # cells. Demo data only; production leaves it empty and the ledger draws a random key.
        "REPORTING_RELEASE_KEY_HEX": demo_release_key(seed),
        # Releases only when the reports are asked for, at the end of a settled run: a background
        # release made mid-run would freeze half a run's figures (and differ between two runs).
        "REPORTING_RELEASE_JOB_FIRST_AFTER_SECONDS": str(24 * 3600),
    }


def play_seeded(
    state: stack.StackState,
    out: Path,
    *,
    seed: int,
    cases: int,
    rate: float,
    say: Callable[[str], None] = print,
    alongside: Alongside | None = None,
    patience: float = 60.0,
) -> list[Path]:
    """On a started stack: the sample organisation, `cases` seeded contacts and the advisors' work,
    then the reports in `out` (what `caseflow demo` does between `up` and `down`; tools/demo/chaos.py
    plays it with faults beside it)."""
    asyncio.run(_seed(state.kafka_bootstrap, state.topic_prefix, state.url("intake")))
    asyncio.run(_run_simulation(state, cases, rate, seed, say, alongside=alongside, patience=patience))
    out.mkdir(parents=True, exist_ok=True)
    return _write_reports(state, out, datetime.now(UTC).year, say)


def run_demo(
    duration: float,
    rate: float,
    home: Path,
    out: Path,
    keep_running: bool = False,
    seed: int | None = DEMO_SEED,
    cases: int | None = None,
) -> int:
    """`cases` contacts (default: duration x rate), paced at `rate`; the same `seed` plays the same
    load (docs/operations.md, "A seeded load"); `seed=None` draws a fresh one and prints it."""
    say = print
    started = time.monotonic()
    if seed is None:
        seed = random.SystemRandom().randrange(2**32)
    count = cases if cases is not None else max(1, round(duration * rate))
    if home.exists():
        shutil.rmtree(home)
    out.mkdir(parents=True, exist_ok=True)
    say(f"caseflow demo: {count} contacts paced at about {rate:g} per second, seed {seed}")
    say(f"  working folder {home}")
    # Reporting takes unit sizes and names from the HR export (not from directory.v1, which carries
    # pseudonyms it may not read): the sample organisation's export is in deploy/samples.
    state = stack.up(
        home,
        say=say,
        extra_env=demo_env(seed),
        workbench=keep_running,  # a person can then sign in and look at the simulated cases
    )
    try:
        say("loading the sample organisation (2 ministries, 5 advisors) and its rooms ...")
        asyncio.run(_seed(state.kafka_bootstrap, state.topic_prefix, state.url("intake")))
        say("simulating frontends, clients and the advisors' workbench (Ctrl-C stops early) ...")
        try:
            people = LEFT_TO_PEOPLE if keep_running else frozenset()
            sim = asyncio.run(_run_simulation(state, count, rate, seed, say, people))
        except KeyboardInterrupt:
            say("\n  stopped early")
            sim = None
        if sim is not None:
            say("scenarios played:")
            for name, count in sim.progress.scenarios.most_common():
                say(f"  {count:>4}  {name}")
        year = datetime.now(UTC).year
        reports = _write_reports(state, out, year, say)
        say("")
        say("where to look:")
        for path in reports:
            if path.suffix == ".html":
                say(f"  annual report      {path.resolve()}")
        say(f"  all formats        {out.resolve()}/ (html, csv, json per organisation)")
        if keep_running:  # the services keep running: their addresses stay good
            for service in stack.SERVICES:
                say(f"  {service:<18} {state.url(service)}/metrics  {state.url(service)}/health")
            say(f"  the workbench      {state.url('workbench')}/  sign in as anna, bram, carla, dirk,")
            say("                     coordinator or management; password <name>-demo-password")
            say(
                f"                     anna's {sim.progress.counts['left_to_people'] if sim else 0} case(s) were left for you to work"
            )
        say(f"  event contracts    {Path('docs/asyncapi.yaml').resolve()}  (JSON Schemas in docs/schemas/)")
        say(f"  service logs       {home}/*.log")
        if keep_running:
            say(f"the stack keeps running: `caseflow status --home {home}`, `caseflow down --home {home}`")
            return 0
    finally:
        if not keep_running:
            say("stopping ...")
            stack.down(home, say=lambda _line: None)
    say(f"done in {time.monotonic() - started:.0f} s")
    return 0

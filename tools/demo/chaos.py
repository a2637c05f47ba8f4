"""A chaos run: the seeded demo load on a three-broker cluster while faults are injected beside it.

`FaultInjector` plays a schedule drawn from the seed (which service, which brokers), at moments
measured from the start of the load:

- `service_killed`: SIGKILL of one service's process group; the stack's supervisor
  (caseflow/supervisor.py) starts it again, and the recovery is the time until it is ready;
- `leader_killed`: SIGKILL of the broker that leads partition 0 of intake.cases.v1 (no controlled
  shutdown, no leadership handed over), started again on its port and data a few seconds later;
- `two_brokers_stopped`: two of the three brokers stopped together, so that with
  min.insync.replicas 2 no write can be acknowledged, then both started again (together: each
  waits for a quorum of controllers, so starting one at a time would wait for ever);
- `postgres_restarted` (when routing keeps its database in a given PostgreSQL server): an
  immediate restart (every connection dropped, WAL recovery as after a crash); the recovery is the
  time until routing is ready again, which nobody restarted.

Each fault records when it began, how long the fault was held and when the thing it broke
answered again. The run is compared with a calm run of the same seed by the state digest
(tools/demo/state_digest.py): tests/e2e/test_chaos_equals_calm.py, and `python -m tools.demo.chaos`
for a longer run by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from caseflow import stack
from devinfra.kafka import KafkaCluster, KafkaNode
from devinfra.postgres import PostgresServer
from tools.demo.demo import Alongside

SERVICES = ("intake", "routing", "scheduling", "reporting")


@dataclass
class Fault:
    kind: str  # service_killed, leader_killed, two_brokers_stopped
    target: str  # the service, or the broker node ids
    at: float  # seconds since the injector began
    held: float = 0.0  # how long the fault was kept (brokers down)
    recovered_after: float | None = None  # from the fault's start until the target answered again

    def describe(self) -> str:
        back = f"{self.recovered_after:.1f} s" if self.recovered_after is not None else "not measured"
        held = f", held {self.held:.1f} s" if self.held else ""
        return f"{self.at:6.1f} s  {self.kind:<20} {self.target:<12}{held}, answering again after {back}"


def crash(node: KafkaNode) -> None:
    """SIGKILL, as a machine that loses power; the data directory stays for the restart."""
    assert node.pid is not None
    os.killpg(node.pid, signal.SIGKILL)
    node.stop(cleanup=False)  # reaps the process


@dataclass
class FaultInjector:
    cluster: KafkaCluster
    seed: int
    pause: float = 5.0  # between two faults: the load goes on meanwhile
    held: float = 8.0  # how long two brokers stay stopped
    postgres: PostgresServer | None = None  # routing's database server, restarted once
    faults: list[Fault] = field(default_factory=list)

    def schedule(self) -> list[str]:
        """The fault kinds in order: every kind at least once, each service killed once."""
        kinds = ["service", "leader", "service", "two_brokers", "service", "service"]
        return [*kinds[:2], "postgres", *kinds[2:]] if self.postgres is not None else kinds

    async def run(self, state: stack.StackState) -> None:
        rng = random.Random(f"chaos:{self.seed}")
        home = Path(state.home)
        begun = time.monotonic()
        services = list(SERVICES)
        rng.shuffle(services)
        for kind in self.schedule():
            await asyncio.sleep(self.pause + rng.uniform(0, 2))
            at = time.monotonic() - begun
            if kind == "service":
                service = services.pop()
                fault = Fault("service_killed", service, at)
                self.faults.append(fault)
                await self._kill_service(home, service, fault)
            elif kind == "leader":
                leader = await self.cluster.leader_of(state.topic_prefix + "intake.cases.v1", 0)
                fault = Fault("leader_killed", f"node {leader}", at)
                self.faults.append(fault)
                await self._down_then_up([self.cluster.node(leader)], fault, crash, rng.uniform(2, 4))
            elif kind == "postgres":
                fault = Fault("postgres_restarted", "routing db", at)
                self.faults.append(fault)
                await self._restart_postgres(state, fault)
            else:
                pair = sorted(rng.sample([n.node_id for n in self.cluster.nodes], 2))
                fault = Fault("two_brokers_stopped", f"nodes {pair[0]},{pair[1]}", at)
                self.faults.append(fault)
                nodes = [self.cluster.node(n) for n in pair]
                await self._down_then_up(nodes, fault, lambda n: n.stop(30, cleanup=False), self.held)

    async def _kill_service(self, home: Path, service: str, fault: Fault) -> None:
        state = stack.StackState.load(home)
        assert state is not None
        proc = next(p for p in state.processes if p.name == service)
        started = time.monotonic()
        os.killpg(proc.pid, signal.SIGKILL)

        def restarted() -> bool:  # the supervisor has started it again (a new pid in stack.json)
            current = stack.StackState.load(home)
            return current is not None and any(
                p.name == service and p.pid != proc.pid for p in current.processes
            )

        await _ready_again(state.url(service), started, fault, f"{service}'s SIGKILL", restarted)

    async def _restart_postgres(self, state: stack.StackState, fault: Fault) -> None:
        assert self.postgres is not None
        started = time.monotonic()
        await asyncio.to_thread(self.postgres.restart, "immediate")
        fault.held = time.monotonic() - started
        await _ready_again(state.url("routing"), started, fault, "the PostgreSQL restart")

    async def _down_then_up(
        self, nodes: list[KafkaNode], fault: Fault, take_down: Callable[[KafkaNode], None], down_for: float
    ) -> None:
        """`take_down` every node at once, wait `down_for`, start them together; record the times."""
        started = time.monotonic()
        await asyncio.gather(*(asyncio.to_thread(take_down, node) for node in nodes))
        await asyncio.sleep(down_for)
        fault.held = time.monotonic() - started
        await self._start_together(nodes)
        fault.recovered_after = time.monotonic() - started

    @staticmethod
    async def _start_together(nodes: list[KafkaNode], timeout: float = 180) -> None:
        # Started from this (the loop's) thread, not a worker thread: a broker dies with the thread
        # that started it (devinfra.process.die_with_parent), and asyncio.run ends its workers.
        deadline = time.monotonic() + timeout
        for node in nodes:
            node.start(timeout, wait=False)
        for node in nodes:
            await asyncio.to_thread(node.wait_ready, deadline)


async def _ready_again(
    url: str | None,
    started: float,
    fault: Fault,
    what: str,
    first: Callable[[], bool] = lambda: True,
    timeout: float = 120,
) -> None:
    """Poll `url`/ready until it answers 200 (once `first` holds) and record the recovery."""
    async with httpx.AsyncClient(timeout=1) as client:
        while time.monotonic() - started < timeout:  # a supervisor's backoff plus a start-up
            await asyncio.sleep(0.2)
            if not first():
                continue
            try:
                if (await client.get(f"{url}/ready")).status_code == 200:
                    fault.recovered_after = time.monotonic() - started
                    return
            except httpx.HTTPError:
                pass
    raise TimeoutError(f"{url} was not ready again within {timeout:.0f} s of {what}")


def run_seeded(
    cluster: KafkaCluster,
    home: Path,
    out: Path,
    *,
    seed: int,
    cases: int,
    rate: float,
    prefix: str,
    injector: FaultInjector | None = None,
    say: Callable[[str], None] | None = print,
    routing_database: str | None = None,
    alongside: Alongside | None = None,
) -> tuple[stack.StackState, list[Path]]:
    """The demo's seeded load on `cluster` (topics with replication factor 3), supervised; with
    `injector`, faults beside it; with `routing_database` (a PostgreSQL URL), routing keeps its
    state there; `alongside` runs beside the load instead of an injector (tools/demo/restore_drill.py).
    Returns the stack (still running: the caller reads it, then stops it) and the reports written."""
    from caseflow import supervisor
    from tools.demo.demo import demo_env, play_seeded

    quiet: Callable[[str], None] = say if say is not None else (lambda _line: None)
    state = stack.up(
        home,
        kafka_bootstrap=cluster.bootstrap,
        say=quiet,
        extra_env=demo_env(seed) | ({"ROUTING_DATABASE_URL": routing_database} if routing_database else {}),
        topic_prefix=prefix,
        replication_factor=len(cluster.nodes),
    )
    supervisor.start_in_background(state)
    reports = play_seeded(
        state,
        out,
        seed=seed,
        cases=cases,
        rate=rate,
        say=quiet,
        alongside=injector.run if injector is not None else alongside,
        patience=240.0 if injector is not None or alongside is not None else 60.0,
    )
    return stack.StackState.load(home) or state, reports


def main(argv: list[str] | None = None) -> int:
    """A longer chaos run by hand: calm, then chaos, on one cluster; prints the tables that differ."""
    from tools.demo.state_digest import digests

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("work", type=Path, help="an empty folder for the cluster and both runs")
    parser.add_argument("--seed", type=int, default=45)
    parser.add_argument("--cases", type=int, default=60)
    parser.add_argument("--rate", type=float, default=1.0)
    args = parser.parse_args(argv)
    # The clients' complaints while brokers are away are the faults themselves, not news.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    cluster = KafkaCluster(args.work / "cluster", size=3)
    postgres = PostgresServer(fsync=True)  # durable commits, as in production
    cluster.start(timeout=240)
    postgres.start()
    try:
        found = {}
        for name, injector in (
            ("calm", None),
            ("chaos", FaultInjector(cluster, args.seed, postgres=postgres)),
        ):
            home, out = args.work / name / "home", args.work / name / "out"
            routing_db = postgres.create_database(f"{name}_routing")
            run_seeded(cluster, home, out, seed=args.seed, cases=args.cases, rate=args.rate,
                       prefix=f"{name}.", injector=injector, say=None, routing_database=routing_db)  # fmt: skip
            stack.down(home, say=lambda _line: None)
            found[name] = digests(home, out, topic_prefix=f"{name}.", postgres={"routing": routing_db})
            if injector is not None:
                for fault in injector.faults:
                    print(fault.describe())
    finally:
        postgres.stop()
        cluster.stop()
    differ = sorted(t for t in found["calm"] if found["calm"][t][1] != found["chaos"].get(t, (0, ""))[1])
    print(f"{len(found['calm'])} tables and reports compared, {len(differ)} differ: {differ}")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())

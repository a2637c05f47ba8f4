"""A chaos run ends in the state of a calm run of the same seed (issue 15).

One three-broker cluster (replication factor 3, min.insync.replicas 2), two stacks on it under
their own topic prefixes, each supervised (caseflow/supervisor.py) and played the same seeded load
(tools/demo/simulator.py). The calm one runs undisturbed; beside the other, tools/demo/chaos.py
SIGKILLs each of the four services once, at moments and in an order drawn from the seed, SIGKILLs the broker that leads a
partition of intake.cases.v1, restarts PostgreSQL (routing's database; the other services keep
SQLite) in immediate mode, and stops two brokers at once so that no write can be acknowledged for
a while. Afterwards every table of every service database and every JSON and CSV report is
compared by the state digest (tools/demo/state_digest.py): nothing lost, nothing twice, nothing
decided differently, and `caseflow audit verify` reproduces every routing decision of the chaos
run. The faults and their recovery times are printed.

The restore drill (issue 16, tools/demo/restore_drill.py) runs on the same cluster against the same
calm run: `caseflow backup` under the load, every service killed and its databases destroyed a
while later, `caseflow restore`, and the run must still end in the calm run's state, with the
backup's age at the disaster, the events folded back and the recovery time printed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from caseflow import stack
from devinfra.kafka import KafkaCluster
from devinfra.postgres import PostgresServer
from tools.demo.chaos import SERVICES, FaultInjector, run_seeded
from tools.demo.restore_drill import RestoreDrill
from tools.demo.state_digest import digests

pytestmark = pytest.mark.e2e
CASEFLOW = str(Path(sys.executable).with_name("caseflow"))
SEED, CASES, RATE = 45, 24, 0.3  # 80 s of contacts at least: the faults fall among them


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    # Durable commits, as in production (tests/e2e/test_postgres_restart.py says why).
    server = PostgresServer(fsync=True)
    server.start()
    yield server
    server.stop()


def _audit_verify(state: stack.StackState) -> str:
    home = Path(state.home)
    env = {**os.environ, **stack.service_env("routing", home, state, 0), **state.extra_env}
    done = subprocess.run(
        [CASEFLOW, "audit", "verify"]
        + ["--intake-database", f"sqlite+aiosqlite:///{home}/intake.db"]
        + ["--scheduling-database", f"sqlite+aiosqlite:///{home}/scheduling.db"],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=home,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def _run(
    cluster: KafkaCluster,
    postgres: PostgresServer,
    work: Path,
    name: str,
    injector: FaultInjector | None,
    drill: Callable[[str], RestoreDrill] | None = None,
) -> dict[str, tuple[int, str]]:
    home, out = work / name / "home", work / name / "out"
    started = time.monotonic()
    routing_db = postgres.create_database(f"{name}_routing")  # routing on PostgreSQL, the rest SQLite
    beside = drill(routing_db) if drill is not None else None
    state, reports = run_seeded(
        cluster, home, out, seed=SEED, cases=CASES, rate=RATE, prefix=f"{name}.", injector=injector,
        say=None, routing_database=routing_db, alongside=beside.run if beside is not None else None,
    )  # fmt: skip
    try:
        assert len(reports) == 9  # html, csv and json for all and both ministries
        audit = _audit_verify(state) if injector is not None else ""
        restarts = {p.name: (p.restarts, p.last_exit) for p in state.processes if p.restarts}
    finally:
        stack.down(home, say=lambda _line: None)
    found = digests(home, out, topic_prefix=f"{name}.", postgres={"routing": routing_db})
    assert "routing.routing_cases" in found
    print(f"{name}: {time.monotonic() - started:.0f} s, {len(found)} tables and reports; restarts {restarts}")
    if audit:
        print("  audit verify: " + " | ".join(audit.strip().splitlines()))
    return {table: (count, digest) for table, (count, digest, _rows) in found.items()}


@pytest.fixture(scope="module")
def calm(
    cluster: KafkaCluster, postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[int, str]]:
    return _run(cluster, postgres, tmp_path_factory.mktemp("calm"), "calm", None)


def _differ(
    calm: dict[str, tuple[int, str]], other: dict[str, tuple[int, str]]
) -> dict[str, tuple[Any, Any]]:
    return {t: (calm[t][0], other.get(t, (None, ""))[0]) for t in calm if calm[t] != other.get(t)}


def test_a_chaos_run_ends_in_the_state_of_a_calm_run_of_the_same_seed(
    cluster: KafkaCluster, postgres: PostgresServer, calm: dict[str, tuple[int, str]], tmp_path: Path
) -> None:
    assert calm["intake.cases"][0] == CASES
    # What is compared holds every kind of effect: dialogue messages, meetings, time, reassignments.
    assert calm["intake.messages"][0] > 0 and calm["scheduling.bookings"][0] > 0
    assert calm["reporting.rp_time"][0] > 0 and calm["reporting.rp_assignments"][0] > CASES
    injector = FaultInjector(cluster, SEED, postgres=postgres)
    chaos = _run(cluster, postgres, tmp_path, "chaos", injector)
    for fault in injector.faults:
        print("  " + fault.describe())
    kinds = [f.kind for f in injector.faults]
    assert sorted(f.target for f in injector.faults if f.kind == "service_killed") == sorted(SERVICES)
    assert {"leader_killed", "two_brokers_stopped", "postgres_restarted"} <= set(kinds)
    assert all(f.recovered_after is not None for f in injector.faults)
    differ = _differ(calm, chaos)
    assert not differ, f"tables and reports that differ (calm rows, chaos rows): {differ}"
    assert set(chaos) == set(calm)


def test_a_run_restored_from_a_backup_under_load_ends_in_the_state_of_a_calm_run(
    cluster: KafkaCluster, postgres: PostgresServer, calm: dict[str, tuple[int, str]], tmp_path: Path
) -> None:
    drills: list[RestoreDrill] = []

    def drill(routing_db: str) -> RestoreDrill:
        drills.append(RestoreDrill(tmp_path / "backup", routing_database=routing_db))
        return drills[0]

    restored = _run(cluster, postgres, tmp_path, "drill", None, drill)
    figures = drills[0].figures
    print("restore drill (RPO: nothing that reached Kafka is lost; the key store is not restored):")
    for line in figures.describe():
        print("  " + line)
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert set(manifest["services"]) == set(SERVICES) and manifest["keystores"]
    # The backup was taken while work went on, and work went on after it: the log gave it back.
    assert figures.backup_age_at_disaster >= 10
    folded = {line.split(":")[0]: line for line in figures.restore_output if "folded back" in line}
    assert set(folded) == set(SERVICES), figures.restore_output
    assert " 0 published events folded back" not in folded["intake"], "cases opened after the backup"
    differ = _differ(calm, restored)
    assert not differ, f"tables and reports that differ (calm rows, restored rows): {differ}"
    assert set(restored) == set(calm)

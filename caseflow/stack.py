"""The local stack: a Kafka broker and the four services as separate processes, on embedded defaults;
with `workbench=True` also a Keycloak (dev mode, the sample realm) and the advisors' workbench.

`caseflow up` starts it under a home folder (default ./var/stack): the broker's data, each
service's SQLite database, the key store, logs, and `stack.json` (pids and ports) that `caseflow
status` and `caseflow down` read. The master key for the demo is generated into the home folder;
production supplies its own through the services' settings (docs/operations.md).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from devinfra.kafka import KafkaNode
from devinfra.keycloak import KeycloakNode, workbench_client_secret
from devinfra.ports import free_port
from shared.crypto import new_master_key_b64

SERVICES = ("intake", "routing", "scheduling", "reporting")
KEY_HOLDERS = ("intake", "routing")
CASEFLOW = str(Path(sys.executable).with_name("caseflow"))


@dataclass
class ProcessInfo:
    name: str
    pid: int
    port: int | None = None
    log: str = ""
    # Kept by the supervisor (caseflow/supervisor.py): how often it restarted this process, when
    # (the last ten, epoch seconds) and why the last one stopped.
    restarts: int = 0
    last_exit: str = ""
    restart_times: list[float] = field(default_factory=list)


@dataclass
class StackState:
    home: str
    kafka_bootstrap: str
    topic_prefix: str = ""
    keycloak_issuer: str = ""
    processes: list[ProcessInfo] = field(default_factory=list)
    # Settings given to `up` on top of service_env (the demo's report settings): the supervisor
    # starts a service again with them, so a restarted service runs as the first one did.
    extra_env: dict[str, str] = field(default_factory=dict)
    replication_factor: int = 1  # of the topics `up` created (3 on a three-broker cluster)

    def save(self) -> None:
        # Written whole and renamed: the supervisor and the commands read it while the other writes.
        path = Path(self.home, "stack.json")
        partial = path.with_name(f"stack.json.{os.getpid()}.tmp")
        partial.touch(mode=0o600)  # extra_env may hold settings not everyone on the machine should read
        partial.write_text(json.dumps(asdict(self), indent=2))
        partial.replace(path)

    @classmethod
    def load(cls, home: Path) -> StackState | None:
        path = home / "stack.json"
        if not path.exists():
            return None
        doc = json.loads(path.read_text())
        doc["processes"] = [ProcessInfo(**p) for p in doc["processes"]]
        return cls(**doc)

    def url(self, service: str) -> str | None:
        proc = next((p for p in self.processes if p.name == service), None)
        return f"http://127.0.0.1:{proc.port}" if proc and proc.port else None


def alive(pid: int) -> bool:
    # A process this one started (the demo runs the stack in process) stays a zombie until reaped,
    # and a zombie still answers kill(pid, 0): reap it first.
    try:
        reaped, _status = os.waitpid(pid, os.WNOHANG)
        if reaped == pid:
            return False
    except ChildProcessError:
        pass  # not our child: `caseflow down` from another shell
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    # A killed process whose parent has exited waits as a zombie until init reaps it, which some
    # inits (containers, sandboxes) do late or never: a zombie has stopped.
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True  # no /proc (macOS): kill(pid, 0) is all there is


def master_key(home: Path) -> str:
    path = home / "master.key"
    if not path.exists():
        path.write_text(new_master_key_b64())
        path.chmod(0o600)
    return path.read_text().strip()


def service_env(service: str, home: Path, state: StackState, port: int) -> dict[str, str]:
    p = service.upper() + "_"
    env = {
        f"{p}KAFKA_BOOTSTRAP": state.kafka_bootstrap,
        f"{p}TOPIC_PREFIX": state.topic_prefix,
        f"{p}DATABASE_URL": f"sqlite+aiosqlite:///{home}/{service}.db",
        f"{p}HTTP_PORT": str(port),
        f"{p}LOG_JSON": "true",
    }
    if service == "workbench":  # signs in at the stack's Keycloak; the URL browsers use is loopback
        env["WORKBENCH_OIDC_ISSUER"] = state.keycloak_issuer
        env["WORKBENCH_INTAKE_URL"] = state.url("intake") or ""
        env["WORKBENCH_SIGNER_KEY_FILE"] = str(home / SIGNER_KEY_FILE)
        env["WORKBENCH_OIDC_CLIENT_SECRET"] = workbench_client_secret()
        env["WORKBENCH_PUBLIC_URL"] = f"http://127.0.0.1:{port}"
        env["WORKBENCH_REPORTING_URL"] = state.url("reporting") or ""
    if service == "reporting" and state.keycloak_issuer:  # the views take roles from the same provider
        env["REPORTING_ROLE_JWKS_URL"] = f"{state.keycloak_issuer}/protocol/openid-connect/certs"
        env["REPORTING_ROLE_JWT_ISSUER"] = state.keycloak_issuer
        env["REPORTING_ROLE_JWT_AUDIENCE"] = "caseflow-reporting"
        env["REPORTING_ROLE_CLAIM_ORG"] = "organisation_id"
        env["REPORTING_ROLE_CLAIM_ADVISOR"] = "advisor_id"
    if service == "intake":  # the stack's frontends (the demo's simulator) seal their submissions
        env["INTAKE_REQUIRE_SEALED_SUBMISSIONS"] = "true"
    if service in KEY_HOLDERS:
        env[f"{p}KEYSTORE_URL"] = f"sqlite+aiosqlite:///{home}/keystore.db"
        env[f"{p}MASTER_KEY"] = master_key(home)
    return env


def up(
    home: Path,
    *,
    kafka_bootstrap: str | None = None,
    services: tuple[str, ...] = SERVICES,
    say: Callable[[str], None] = print,
    extra_env: dict[str, str] | None = None,
    topic_prefix: str = "",
    workbench: bool = False,
    replication_factor: int = 1,
) -> StackState:
    """Start the broker (unless one is given) and the services; wait until every one is ready.
    With `workbench`, Keycloak and the workbench too. When any of them fails to start, everything
    started is stopped again before the error rises. `replication_factor` 3 for a given
    three-broker cluster (devinfra.kafka.KafkaCluster)."""
    home = home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    existing = StackState.load(home)
    if existing and any(alive(p.pid) for p in existing.processes):
        raise StackRunning(home)
    state = StackState(
        home=str(home),
        kafka_bootstrap=kafka_bootstrap or "",
        topic_prefix=topic_prefix,
        extra_env=dict(extra_env or {}),
        replication_factor=replication_factor,
    )
    if not kafka_bootstrap:
        say("starting Kafka (KRaft, single node) ...")
        node = KafkaNode(port=free_port(), data_dir=home / "kafka", die_with_parent=False)
        started = time.monotonic()
        node.start()
        assert node.pid is not None
        state.kafka_bootstrap = node.bootstrap
        state.processes.append(ProcessInfo("kafka", node.pid, node.port, str(node.log_file)))
        say(f"  Kafka ready at {node.bootstrap} in {time.monotonic() - started:.1f}s")
    state.save()
    try:
        if workbench:
            _start_keycloak(state, say)
            services = (*services, "workbench")
        _start_services(state, services, say)
    except BaseException:
        # A service that dies during start-up (or Ctrl-C) must not leave the broker and the other
        # services running without anyone to stop them: the next `up` would refuse to start.
        say("start-up failed: stopping what was started ...")
        down(home, say=lambda _line: None)
        raise
    return state


SIGNER_KEY_FILE = "workbench-signer.pem"


async def register_workbench_signer(state: StackState) -> None:
    """The workbench's signing key (kept in the home folder) as a command signer every service
    trusts: a CommandSignerRegistered on directory.v1 and its narrow copy, as an operator would
    publish it with `caseflow token signer-keygen`."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from caseflow.commands.directory_cmd import publish
    from shared.auth import private_key_from_pem, private_key_to_pem, public_key_to_b64
    from shared.contracts.directory import CommandSignerRegistered
    from shared.envelope import new_envelope

    path = Path(state.home) / SIGNER_KEY_FILE
    if not path.exists():
        path.write_bytes(private_key_to_pem(Ed25519PrivateKey.generate()))
        path.chmod(0o600)
    public = public_key_to_b64(private_key_from_pem(path.read_bytes()).public_key())
    now = datetime.now(UTC)
    event = CommandSignerRegistered(
        signer_id="workbench", public_key_b64=public, valid_from=now - timedelta(minutes=5)
    )
    envelope = new_envelope(
        event, stream_id=event.stream_id, producer="caseflow-stack", occurred_at=now, causation_id=None
    )
    await publish([envelope], state.kafka_bootstrap, state.topic_prefix)


def _start_keycloak(state: StackState, say: Callable[[str], None]) -> None:
    say("starting Keycloak (dev mode, the sample realm of deploy/keycloak) ...")
    node = KeycloakNode(port=free_port(), data_dir=Path(state.home) / "keycloak", die_with_parent=False)
    started = time.monotonic()
    node.start()
    assert node.pid is not None
    state.keycloak_issuer = node.issuer
    state.processes.append(ProcessInfo("keycloak", node.pid, node.port, str(node.log_file)))
    state.save()
    say(f"  Keycloak ready at {node.base_url} in {time.monotonic() - started:.1f}s")


def _start_services(
    state: StackState,
    services: tuple[str, ...],
    say: Callable[[str], None],
) -> None:
    import asyncio

    from shared.topics_config import apply_topics

    home = Path(state.home)
    report = asyncio.run(
        apply_topics(state.kafka_bootstrap, state.topic_prefix, replication_factor=state.replication_factor)
    )
    say(f"  topics: {len(report.created)} created, {len(report.existing)} existing")
    if "workbench" in services:
        asyncio.run(register_workbench_signer(state))
        say("  the workbench's command signer is registered with the services")
    for service in services:
        port = free_port()
        log_path = home / f"{service}.log"
        env = {**os.environ, **service_env(service, home, state, port), **state.extra_env}
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(
                [CASEFLOW, "serve", service],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=home,
            )
        state.processes.append(ProcessInfo(service, proc.pid, port, str(log_path)))
        state.save()
    for service in services:
        wait_ready(state, service)
        say(f"  {service:<11} ready at {state.url(service)}")


def wait_ready(state: StackState, service: str, timeout: float = 90) -> None:
    proc = next(p for p in state.processes if p.name == service)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(proc.pid):
            tail = Path(proc.log).read_text(errors="replace")[-2000:] if proc.log else ""
            raise SystemExit(f"{service} exited during start-up; the end of {proc.log}:\n{tail}")
        try:
            if httpx.get(f"{state.url(service)}/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{service} not ready after {timeout:.0f}s; see {proc.log}")


class StackRunning(SystemExit):
    def __init__(self, home: Path) -> None:
        super().__init__(f"a stack is already running under {home}: `caseflow down --home {home}` first")
        self.home = home


def resume(home: Path, say: Callable[[str], None] = print) -> StackState:
    """`caseflow up` on a stack that partly runs: with its broker alive, start a supervisor if
    none runs, and it starts the services that are missing (with their ports and databases)."""
    from caseflow import supervisor

    state = StackState.load(home.resolve())
    assert state is not None
    kafka = next((p for p in state.processes if p.name == "kafka"), None)
    if kafka is not None and not alive(kafka.pid):
        raise SystemExit(
            f"the broker of the stack under {home} is gone: `caseflow down --home {home}`, then `caseflow up` again"
        )
    watcher = next((p for p in state.processes if p.name == "supervisor"), None)
    missing = [p.name for p in state.processes if p.name not in ("kafka", "supervisor") and not alive(p.pid)]
    if watcher is not None and alive(watcher.pid):
        say(f"a stack is running under {state.home}; its supervisor restarts what stops" + (
            f" (waiting to restart: {', '.join(missing)})" if missing else ""))  # fmt: skip
        return state
    supervisor.start_in_background(state)
    say(f"supervisor started for the stack under {state.home}" + (
        f"; it starts {', '.join(missing)}" if missing else ""))  # fmt: skip
    return state


def down(home: Path, say: Callable[[str], None] = print) -> int:
    state = StackState.load(home.resolve())
    if state is None:
        say(f"no stack under {home}")
        return 0
    # The supervisor first (it would restart what follows); then, with the pids it may have
    # changed, the services (they flush and commit), the broker last.
    for proc in [p for p in state.processes if p.name == "supervisor"]:
        _stop_process(proc, say)
    state = StackState.load(home.resolve()) or state
    for proc in sorted(state.processes, key=lambda p: p.name == "kafka"):
        if proc.name != "supervisor":
            _stop_process(proc, say)
    Path(state.home, "stack.json").unlink(missing_ok=True)
    return 0


def _stop_process(proc: ProcessInfo, say: Callable[[str], None]) -> None:
    if not alive(proc.pid):
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except OSError:
        os.kill(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while alive(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if alive(proc.pid):
        os.killpg(proc.pid, signal.SIGKILL)
    say(f"  stopped {proc.name}")


def status(home: Path) -> list[dict[str, Any]]:
    state = StackState.load(home.resolve())
    if state is None:
        return []
    rows = []
    for proc in state.processes:
        from caseflow.supervisor import in_crash_loop

        row: dict[str, Any] = {
            "name": proc.name,
            "pid": proc.pid,
            "running": alive(proc.pid),
            "port": proc.port,
            "restarts": proc.restarts,
            "last_exit": proc.last_exit,
            "crash_loop": in_crash_loop(proc),
        }
        if proc.name not in ("kafka", "keycloak", "supervisor") and row["running"]:
            try:
                health = httpx.get(f"{state.url(proc.name)}/health", timeout=2)
                row["healthy"] = health.status_code == 200
                row["detail"] = health.json()
            except httpx.HTTPError as exc:
                row["healthy"] = False
                row["detail"] = {"error": type(exc).__name__}
        rows.append(row)
    return rows

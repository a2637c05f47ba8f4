"""The local stack's supervisor: restart a service that stops, with backoff, and say why it stopped.

`caseflow up` starts the broker and the services, then this supervisor as a process of its own
(`caseflow supervise --home H`, detached, logging to H/supervisor.log). Every half second it looks
at each service of stack.json: one that is gone is started again with the same settings and port
(so its URL stays valid), after a backoff that doubles with each failure in a row (1 s, 2 s, 4 s,
... 60 s) and resets once the service has stayed up for STABLE_AFTER seconds. Each process's
restarts, recent restart times and last exit ("exit code 1", "killed by SIGKILL") go into
stack.json, where `caseflow status` shows them, with CRASH LOOP when a service restarted
CRASH_LOOP_RESTARTS times within CRASH_LOOP_WINDOW seconds. The broker and Keycloak are not
restarted here (`caseflow up` starts a missing broker again; docs/operations.md).

For systemd and Kubernetes, the equivalent is the platform's own: `Restart=on-failure` with
`RestartSec` and `StartLimitBurst`, or a Deployment's restart policy with its probes
(docs/operations.md, "Supervision").
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from caseflow import stack

POLL_SECONDS = 0.5
FIRST_BACKOFF, MAX_BACKOFF = 1.0, 60.0
STABLE_AFTER = 60.0
CRASH_LOOP_RESTARTS, CRASH_LOOP_WINDOW = 3, 300.0
NOT_SUPERVISED = frozenset({"kafka", "keycloak", "supervisor"})

log = structlog.get_logger("caseflow.supervisor")


def describe_exit(returncode: int | None) -> str:
    if returncode is None:
        return "gone (started before the supervisor: exit status unknown)"
    if returncode < 0:
        return f"killed by {signal.Signals(-returncode).name}"
    return f"exit code {returncode}"


def in_crash_loop(proc: stack.ProcessInfo, now: float | None = None) -> bool:
    now = time.time() if now is None else now
    recent = [t for t in proc.restart_times if now - t <= CRASH_LOOP_WINDOW]
    return len(recent) >= CRASH_LOOP_RESTARTS


@dataclass
class Watched:
    started_at: float
    child: subprocess.Popen[bytes] | None = None  # None: adopted from `caseflow up`
    failures_in_a_row: int = 0
    restart_due: float | None = None


@dataclass
class Supervisor:
    home: Path
    watched: dict[str, Watched] = field(default_factory=dict)
    stopping: bool = False

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        log.info("supervisor_started", home=str(self.home), pid=os.getpid())
        while not self.stopping:
            state = stack.StackState.load(self.home)
            if state is None:  # `caseflow down` removed the stack
                break
            self.tick(state, time.time())
            time.sleep(POLL_SECONDS)
        log.info("supervisor_stopped")

    def _stop(self, _signum: int, _frame: object) -> None:
        self.stopping = True

    def tick(self, state: stack.StackState, now: float) -> None:
        changed = False
        for proc in state.processes:
            if proc.name in NOT_SUPERVISED:
                continue
            watched = self.watched.setdefault(proc.name, Watched(started_at=now))
            if watched.restart_due is None:
                returncode = self._exited(proc, watched)
                if returncode is False:
                    if now - watched.started_at >= STABLE_AFTER:
                        watched.failures_in_a_row = 0
                    continue
                watched.failures_in_a_row += 1
                backoff = min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** (watched.failures_in_a_row - 1))
                watched.restart_due = now + backoff
                proc.last_exit = describe_exit(returncode if isinstance(returncode, int) else None)
                changed = True
                log.warning(
                    "service_exited", service=proc.name, last_exit=proc.last_exit, restart_in_seconds=backoff
                )
            elif now >= watched.restart_due:
                child = self._start(state, proc)
                proc.pid = child.pid
                proc.restarts += 1
                proc.restart_times = [*proc.restart_times[-9:], now]
                self.watched[proc.name] = Watched(
                    started_at=now, child=child, failures_in_a_row=watched.failures_in_a_row
                )
                changed = True
                log.info("service_restarted", service=proc.name, pid=child.pid, restarts=proc.restarts)
        if changed:
            state.save()

    def _exited(self, proc: stack.ProcessInfo, watched: Watched) -> int | None | bool:
        """False while running; the exit code of a child of ours; None for an adopted one."""
        if watched.child is not None and watched.child.pid == proc.pid:
            code = watched.child.poll()
            return False if code is None else code
        return False if stack.alive(proc.pid) else None

    def _start(self, state: stack.StackState, proc: stack.ProcessInfo) -> subprocess.Popen[bytes]:
        assert proc.port is not None
        env = {**os.environ, **stack.service_env(proc.name, self.home, state, proc.port), **state.extra_env}
        with open(proc.log, "ab") as out:
            return subprocess.Popen(
                [stack.CASEFLOW, "serve", proc.name],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=self.home,
            )


def start_in_background(state: stack.StackState) -> int:
    """Start `caseflow supervise` detached from this process and record it in stack.json."""
    home = Path(state.home)
    with open(home / "supervisor.log", "ab") as out:
        proc = subprocess.Popen(
            [stack.CASEFLOW, "supervise", "--home", str(home)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=home,
        )
    state.processes = [p for p in state.processes if p.name != "supervisor"]
    state.processes.append(stack.ProcessInfo("supervisor", proc.pid, None, str(home / "supervisor.log")))
    state.save()
    return proc.pid

"""A restore drill beside the seeded load: back up under load, lose every service database, restore.

`RestoreDrill.run` is played beside the demo's seeded load (tools/demo/chaos.py `run_seeded`):

1. some seconds into the load, `caseflow backup` of the four services, as an operator runs it
   (the real command, finding the stack from its stack.json), while contacts keep arriving;
2. the load goes on; then the disaster: the supervisor is paused (SIGSTOP, so nothing restarts),
   every service is SIGKILLed and its databases are destroyed (the SQLite files deleted;
   routing's PostgreSQL schema dropped); the key store survives (it is the one store the log
   cannot give back: docs/operations.md, "Backup and restore");
3. `caseflow restore` of the four services from that backup (which catches each up on what the
   backup missed, taking over the decisions it had published after it), then the supervisor
   resumes and starts them.

The figures: the backup's duration, its age at the disaster (what the log had to give back), the
records caught up on and the events folded back, and the recovery time from the disaster until
every service answers /ready (RTO). tests/e2e/test_restore_drill.py compares the run's final state
with a calm run of the same seed (nothing lost, nothing twice, nothing decided differently).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from caseflow import stack

SERVICES = ("intake", "routing", "scheduling", "reporting")
CASEFLOW = str(Path(sys.executable).with_name("caseflow"))


@dataclass
class DrillFigures:
    backup_seconds: float = 0.0
    backup_age_at_disaster: float = 0.0  # seconds of work after the backup that the log gave back
    restore_seconds: float = 0.0  # the restore command, group sessions expiring included
    recovery_seconds: float = 0.0  # RTO: from the disaster until every service is ready again
    restore_output: list[str] = field(default_factory=list)

    def describe(self) -> list[str]:
        return [
            f"backup under load: {self.backup_seconds:.1f} s",
            f"backup age at the disaster (work the log had to give back): {self.backup_age_at_disaster:.1f} s",
            f"restore command: {self.restore_seconds:.1f} s",
            f"RTO (disaster -> every service ready again): {self.recovery_seconds:.1f} s",
            *self.restore_output,
        ]


@dataclass
class RestoreDrill:
    backup_dir: Path
    backup_after: float = 15.0  # seconds into the load
    disaster_after: float = 15.0  # seconds after the backup
    routing_database: str | None = None  # a PostgreSQL URL: its schema is dropped at the disaster
    figures: DrillFigures = field(default_factory=DrillFigures)

    async def run(self, state: stack.StackState) -> None:
        home = Path(state.home)
        await asyncio.sleep(self.backup_after)
        began = time.monotonic()
        await _caseflow(state, "backup", *SERVICES, "--to", str(self.backup_dir))
        taken = time.monotonic()
        self.figures.backup_seconds = taken - began
        await asyncio.sleep(self.disaster_after)

        current = stack.StackState.load(home) or state
        supervisor = next(p for p in current.processes if p.name == "supervisor")
        os.kill(supervisor.pid, signal.SIGSTOP)  # nothing restarts while the state is restored
        try:
            killed = [p for p in current.processes if p.name in SERVICES]
            for proc in killed:
                os.killpg(proc.pid, signal.SIGKILL)
            disaster = time.monotonic()
            self.figures.backup_age_at_disaster = disaster - taken
            await _until_gone([p.pid for p in killed])
            await self._destroy(home)
            restored = time.monotonic()
            output = await _caseflow(state, "restore", *SERVICES, "--from", str(self.backup_dir))
            self.figures.restore_seconds = time.monotonic() - restored
            self.figures.restore_output = [line for line in output.splitlines() if line.strip()]
        finally:
            os.kill(supervisor.pid, signal.SIGCONT)
        await _all_ready_again(home, {p.name: p.pid for p in killed})
        self.figures.recovery_seconds = time.monotonic() - disaster

    async def _destroy(self, home: Path) -> None:
        for path in home.glob("*.db*"):
            if not path.name.startswith("keystore"):
                path.unlink()
        if self.routing_database:
            from sqlalchemy import text

            from shared.db import make_engine

            engine = make_engine(self.routing_database)
            async with engine.begin() as conn:
                await conn.execute(text("DROP SCHEMA public CASCADE"))
                await conn.execute(text("CREATE SCHEMA public"))
            await engine.dispose()


async def _caseflow(state: stack.StackState, *argv: str) -> str:
    """Run a caseflow command as an operator would beside the stack; its output (it must succeed)."""
    env = {**os.environ, **state.extra_env, "CASEFLOW_STACK_HOME": state.home}
    proc = await asyncio.create_subprocess_exec(
        CASEFLOW,
        *argv,
        env=env,
        cwd=state.home,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    text = out.decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"caseflow {argv[0]} failed ({proc.returncode}): {text[-2000:]}")
    return text


async def _until_gone(pids: list[int], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while any(stack.alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            raise TimeoutError(f"processes {pids} still alive after SIGKILL")
        await asyncio.sleep(0.1)


async def _all_ready_again(home: Path, old_pids: dict[str, int], timeout: float = 180) -> None:
    """Every service started again (a new pid in stack.json) and answering /ready with 200."""
    deadline = time.monotonic() + timeout
    waiting = set(old_pids)
    async with httpx.AsyncClient(timeout=1) as client:
        while waiting:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"not ready again within {timeout:.0f} s of the restore: {sorted(waiting)}"
                )
            await asyncio.sleep(0.2)
            state = stack.StackState.load(home)
            if state is None:
                continue
            for proc in state.processes:
                if proc.name not in waiting or proc.pid == old_pids[proc.name]:
                    continue
                url = state.url(proc.name)
                try:
                    if url and (await client.get(f"{url}/ready")).status_code == 200:
                        waiting.discard(proc.name)
                except httpx.HTTPError:
                    pass

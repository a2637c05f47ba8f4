"""Services as real OS processes (`caseflow serve <service>`), for crash and end-to-end tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from devinfra.ports import free_port

CASEFLOW = str(Path(sys.executable).with_name("caseflow"))


class ServiceProcess:
    def __init__(self, service: str, env: dict[str, str], log_path: Path) -> None:
        self.service = service
        self.port = int(env.get(f"{service.upper()}_HTTP_PORT") or free_port())
        self.env = {
            **os.environ,
            **env,
            f"{service.upper()}_HTTP_PORT": str(self.port),
            f"{service.upper()}_LOG_JSON": "true",
        }
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait_ready: bool = True, timeout: float = 60) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child owns it
        self.proc = subprocess.Popen(
            [CASEFLOW, "serve", self.service],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.starts += 1
        if wait_ready:
            self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.service} exited with {self.proc.returncode}; see {self.log_path}")
            try:
                if httpx.get(self.url + "/ready", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{self.service} not ready after {timeout}s; see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flush, no offset commit."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()

    def metrics_text(self) -> str:
        return httpx.get(self.url + "/metrics", timeout=5).text


def audit_verify(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`caseflow audit verify` with `env` over this process's environment (its exit code is checked
    by the caller: 0 all agree, 1 a difference, 2 nothing to compare)."""
    return subprocess.run(
        [CASEFLOW, "audit", "verify"],
        env={**os.environ, **env},
        check=False,
        capture_output=True,
        text=True,
        timeout=180,
    )


def intake_and_routing(
    bootstrap: str, prefix: str, folder: Path, master_key: str
) -> dict[str, ServiceProcess]:
    """Intake and routing as processes on SQLite files in `folder`, sharing one key store (not started)."""
    common = {"KAFKA_BOOTSTRAP": bootstrap, "TOPIC_PREFIX": prefix, "MASTER_KEY": master_key}
    return {
        name: ServiceProcess(
            name,
            {f"{name.upper()}_{k}": v for k, v in common.items()}
            | {
                f"{name.upper()}_DATABASE_URL": f"sqlite+aiosqlite:///{folder}/{name}.db",
                f"{name.upper()}_KEYSTORE_URL": f"sqlite+aiosqlite:///{folder}/keys.db",  # one key store
            },
            folder / f"{name}.log",
        )
        for name in ("intake", "routing")
    }

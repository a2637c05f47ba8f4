"""Helpers for the throwaway server processes tests and the demo start (Kafka, Keycloak, Prometheus)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path


def die_with_parent() -> Callable[[], None]:
    """A preexec_fn that has the kernel send SIGTERM to the child when its parent dies.

    Without it a test session killed hard would leave a JVM or a Prometheus behind. The libc
    lookup happens here, before fork, so the child only makes one system call.

    The kernel's "parent" is the *thread* that started the child: a process started from a worker
    thread (asyncio.to_thread) gets SIGTERM when that thread ends, which asyncio.run's shutdown
    does to its workers. Start long-lived children from a thread that outlives them.
    """
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    pr_set_pdeathsig = 1

    def preexec() -> None:
        prctl(pr_set_pdeathsig, signal.SIGTERM)

    return preexec


def stop_process_group(proc: subprocess.Popen[bytes], timeout: float) -> None:
    """SIGTERM to ``proc``'s process group (started with start_new_session), SIGKILL after ``timeout``."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def log_tail(path: Path, lines: int = 25) -> str:
    """The last log records of ``path``, without Java stack frames (the message is what helps)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return f"(no {path})"
    records = [line for line in text.splitlines() if not line.startswith(("\tat ", "\t... "))]
    return f"--- last lines of {path} (stack frames left out) ---\n" + "\n".join(records[-lines:])

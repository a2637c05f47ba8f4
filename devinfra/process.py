"""Helpers for the throwaway server processes tests and the demo start (Kafka, Prometheus)."""

from __future__ import annotations

import ctypes
import signal
from collections.abc import Callable


def die_with_parent() -> Callable[[], None]:
    """A preexec_fn that has the kernel send SIGTERM to the child when its parent dies.

    Without it a test session killed hard would leave a JVM or a Prometheus behind. The libc
    lookup happens here, before fork, so the child only makes one system call.
    """
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    pr_set_pdeathsig = 1

    def preexec() -> None:
        prctl(pr_set_pdeathsig, signal.SIGTERM)

    return preexec

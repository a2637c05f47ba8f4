"""The download cache of the development servers: ``$CASEFLOW_CACHE``, default ``~/.cache/caseflow``.

A fetched server (the Kafka jars, the Keycloak distribution) lives in ``<cache>/<name>-<version>``
and is complete when its marker file holds the digest of what it was fetched from; fetches are
serialised by a lock file next to it, so two sessions never fetch the same thing at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

MARKER = ".complete"


def cache_root() -> Path:
    root = os.environ.get("CASEFLOW_CACHE")
    return Path(root) if root else Path.home() / ".cache" / "caseflow"


def is_complete(target: Path, digest: str) -> bool:
    marker = target / MARKER
    return marker.is_file() and marker.read_text(encoding="utf-8").strip() == digest


def lock_path(target: Path) -> Path:
    return target.parent / f".{target.name}.lock"


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive advisory lock on ``path`` (created if need be), held for the ``with`` block."""
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

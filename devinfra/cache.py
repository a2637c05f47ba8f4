"""The download cache of the development servers: ``$CASEFLOW_CACHE``, default ``~/.cache/caseflow``.

A fetched server (the Kafka jars, the Keycloak distribution) lives in ``<cache>/<name>-<version>``
and is complete when its marker file holds the digest of what it was fetched from; fetches are
serialised by a lock file next to it, so two sessions never fetch the same thing at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
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


def pinned_version(pom: Path, name: str) -> str | None:
    """The `<name>.version` property of a POM (the single source of truth of a fetched server)."""
    match = re.search(
        rf"<{re.escape(name)}\.version>([^<]+)</{re.escape(name)}\.version>", pom.read_text(encoding="utf-8")
    )
    return match.group(1).strip() if match else None


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class FetchFailed(RuntimeError):
    """What a fetch said when it failed: the command and the last lines of its output."""


def fetch_once(target: Path, digest: str, fill: Callable[[Path], None]) -> Path:
    """`target`, filled by `fill(staging)` once: `fill` gets an empty directory and puts the server
    in it; it becomes `target` (with the marker) only when `fill` returned. Two sessions that fetch
    at once wait for each other, and a half-finished fetch is never mistaken for a cache."""
    if is_complete(target, digest):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(lock_path(target)):
        if is_complete(target, digest):
            return target
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
        try:
            fill(staging)
            (staging / MARKER).write_text(digest, encoding="utf-8")
            if target.exists():
                shutil.rmtree(target)
            staging.rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target


def run_maven(pom: Path, *goal: str, what: str) -> None:
    """`mvn -q -B -f pom <goal...>`; FetchFailed with the output's tail when it fails."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise FetchFailed(f"Maven ('mvn') is needed once to fetch {what}: apt-get install maven")
    cmd = [mvn, "-q", "-B", "-f", str(pom), *goal]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        output = (proc.stdout + proc.stderr).strip().splitlines()[-30:]
        raise FetchFailed(
            f"fetching {what} failed (exit {proc.returncode}): {' '.join(cmd)}\n" + "\n".join(output)
        )

"""A real Keycloak (OpenID Connect provider) for tests, the demo and CI, without Docker.

The server distribution (``org.keycloak:keycloak-quarkus-dist``, a zip) comes from Maven Central
through ``deploy/keycloak/pom.xml`` and is unzipped once into a cache directory
(``$CASEFLOW_CACHE/keycloak-<version>``, default ``~/.cache/caseflow/keycloak-<version>``); a marker
file holding the POM's digest tells later runs that the cache is complete, so no Maven run happens
then. Maven checks the archive against Central's ``.sha1`` (``-C``: a mismatch fails the fetch).

Each node runs ``bin/kc.sh start-dev`` from a home of its own (a temporary directory): the
distribution's jars, themes and configuration are symlinked into it, and it holds its own
``data/`` (the realm to import, transaction logs) and its own copy of ``lib/quarkus`` (the
build that Keycloak re-augments for dev mode), so runs share no state and never write into the
cache. The database is ``dev-mem`` (H2 in memory): every start imports the realm afresh.

Dev mode re-augments the prod-built distribution on its first start (about 20 s on two cores);
the result is kept next to the cache (``.dev-build-<digest>``) and copied into later homes, whose
start then skips that step.

    with KeycloakNode() as node:        # free ports, temporary home, realm deploy/keycloak/caseflow-realm.json
        discovery = httpx.get(node.discovery_url).json()

CLI: ``python -m devinfra.keycloak --help``.
"""

from __future__ import annotations

import argparse
import atexit
import hashlib
import json
import os
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from devinfra.cache import (
    FetchFailed,
    cache_root,
    fetch_once,
    file_digest,
    file_lock,
    lock_path,
    pinned_version,
    run_maven,
)
from devinfra.ports import free_port
from devinfra.process import die_with_parent, stop_process_group
from devinfra.process import log_tail as _tail

DEPLOY_DIR = Path(__file__).resolve().parents[1] / "deploy" / "keycloak"
POM = DEPLOY_DIR / "pom.xml"
REALM_FILE = DEPLOY_DIR / "caseflow-realm.json"
REALM = "caseflow"
# The build-time options of every start. Keycloak re-augments when they change, so they are fixed
# here (and part of the cached build's name); runtime options (ports, host) are free.
BUILD_OPTIONS: tuple[str, ...] = ("--db=dev-mem", "--health-enabled=true")
# Inherited variables that would change the server's configuration behind our back.
_ENV_PREFIXES = ("KC_", "KEYCLOAK_", "QUARKUS_")
_ENV_NAMES = ("JAVA_OPTS", "JAVA_OPTS_APPEND", "JAVA_OPTS_KC_HEAP", "JAVA_ADD_OPENS", "DEBUG", "DEBUG_PORT")


class KeycloakInfraError(RuntimeError):
    """The development Keycloak could not be fetched or started."""


def workbench_client_secret() -> str:
    """The sample realm's secret of the `caseflow-workbench` client (for the demo and the tests only)."""
    realm = json.loads(REALM_FILE.read_text(encoding="utf-8"))
    (client,) = [c for c in realm["clients"] if c["clientId"] == "caseflow-workbench"]
    secret: str = client["secret"]
    return secret


def keycloak_version() -> str:
    """The Keycloak version pinned in deploy/keycloak/pom.xml (the single source of truth)."""
    version = pinned_version(POM, "keycloak")
    if version is None:
        raise KeycloakInfraError(f"no <keycloak.version> property in {POM}")
    return version


def dist_dir() -> Path:
    return cache_root() / f"keycloak-{keycloak_version()}"


def ensure_dist() -> Path:
    """The directory holding the unzipped Keycloak distribution, fetching it with Maven on first use."""

    def fill(staging: Path) -> None:
        download = Path(tempfile.mkdtemp(prefix=".keycloak-download-", dir=staging.parent))
        try:
            # -C: strict checksums, the zip must match Central's .sha1.
            run_maven(POM, "-C", "dependency:copy", f"-DoutputDirectory={download}", what="Keycloak")
            archives = sorted(download.glob("keycloak-quarkus-dist-*.zip"))
            if len(archives) != 1:
                raise KeycloakInfraError(f"fetching Keycloak with {POM} gave {len(archives)} archives")
            _unzip(archives[0], staging)
        except FetchFailed as exc:
            raise KeycloakInfraError(str(exc)) from exc
        finally:
            shutil.rmtree(download, ignore_errors=True)
        if not (staging / "bin" / "kc.sh").is_file() or not (staging / "lib" / "quarkus").is_dir():
            raise KeycloakInfraError(f"{POM}'s archive holds no Keycloak distribution")

    return fetch_once(dist_dir(), file_digest(POM), fill)


def _unzip(archive: Path, into: Path) -> None:
    """Extract the distribution's single top folder (``keycloak-<version>/``) as ``into``, with file modes."""
    into.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            _, _, inner = info.filename.partition("/")
            if not inner:
                continue
            path = into / inner
            # The archive is checksummed, but a path leaving the target is refused all the same.
            if not path.resolve().is_relative_to(into.resolve()):
                raise KeycloakInfraError(f"{archive.name}: entry {info.filename!r} leaves the target")
            if info.is_dir():
                path.mkdir(parents=True, exist_ok=True)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(path, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                path.chmod(mode)
            elif inner.startswith("bin/") and inner.endswith(".sh"):
                path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def _build_digest() -> str:
    return hashlib.sha256("\n".join([keycloak_version(), *BUILD_OPTIONS]).encode()).hexdigest()[:16]


def _dev_build_dir(dist: Path) -> Path:
    """Where the dev-mode augmentation of ``lib/quarkus`` is kept for later homes."""
    return dist / f".dev-build-{_build_digest()}"


def _java_home() -> str | None:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return java_home
    if shutil.which("java") is None:
        raise KeycloakInfraError(
            "Java 17 or newer is needed to run Keycloak: apt-get install openjdk-17-jre-headless"
        )
    return None


def _get_json(url: str, timeout: float = 2.0) -> Any:
    """The JSON document at ``url``, or None when the server does not answer it (yet)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            if response.status != 200:
                return None
            return json.loads(response.read())
    except (OSError, ValueError):  # refused, reset, timed out, 404 while the realm imports, not JSON
        return None


class KeycloakNode:
    """One Keycloak server in dev mode on 127.0.0.1, with the caseflow realm imported.

    ``port``/``management_port`` default to free ports; ``data_dir`` (the node's home) defaults to a
    temporary directory that ``stop()`` removes (a given ``data_dir`` is kept). The master realm's
    admin is ``admin_username`` with a random ``admin_password`` unless one is given.
    """

    def __init__(
        self,
        port: int | None = None,
        data_dir: Path | None = None,
        management_port: int | None = None,
        *,
        realm_files: Sequence[Path] = (REALM_FILE,),
        heap: str = "512m",
        admin_username: str = "admin",
        admin_password: str | None = None,
        die_with_parent: bool = True,
    ) -> None:
        self._port = port
        self._management_port = management_port
        self._given_data_dir = Path(data_dir) if data_dir is not None else None
        self._data_dir: Path | None = self._given_data_dir
        self.realm_files = [Path(path) for path in realm_files]
        self.heap = heap
        self.admin_username = admin_username
        self.admin_password = admin_password or secrets.token_urlsafe(18)
        self.die_with_parent = die_with_parent
        self.startup_seconds: float | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._stdout: IO[bytes] | None = None

    # -- addresses and paths -------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._port is None:
            raise KeycloakInfraError("the node has no port before start()")
        return self._port

    @property
    def management_port(self) -> int:
        if self._management_port is None:
            raise KeycloakInfraError("the node has no management port before start()")
        return self._management_port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def issuer(self) -> str:
        """The caseflow realm's issuer (dev mode takes the host from the request: use 127.0.0.1)."""
        return f"{self.base_url}/realms/{REALM}"

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    @property
    def data_dir(self) -> Path:
        if self._data_dir is None:
            raise KeycloakInfraError("the node has no data dir before start()")
        return self._data_dir

    @property
    def home(self) -> Path:
        return self.data_dir / "home"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "keycloak.log"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self, timeout: float = 180) -> None:
        """Start the server and return once the realm's discovery document answers.

        The first start after a fetch re-augments for dev mode (tens of seconds more); raise
        KeycloakInfraError when the server exits or is not ready within ``timeout`` seconds.
        """
        if self.running:
            return
        started = time.monotonic()
        deadline = started + timeout
        dist = ensure_dist()
        java_home = _java_home()
        if self._port is None:
            self._port = free_port()
        if self._management_port is None:
            self._management_port = free_port()
        if self._data_dir is None:
            self._data_dir = Path(tempfile.mkdtemp(prefix="caseflow-keycloak-"))
        self._prepare_home(dist)
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(_ENV_PREFIXES) and key not in _ENV_NAMES
        }
        env.update(
            JAVA_OPTS_KC_HEAP=f"-Xms64m -Xmx{self.heap}",
            KC_BOOTSTRAP_ADMIN_USERNAME=self.admin_username,
            KC_BOOTSTRAP_ADMIN_PASSWORD=self.admin_password,
        )
        if java_home is not None:
            env["JAVA_HOME"] = java_home
        cmd = [
            str(self.home / "bin" / "kc.sh"),
            "start-dev",
            *BUILD_OPTIONS,
            "--http-host=127.0.0.1",
            f"--http-port={self.port}",
            f"--http-management-port={self.management_port}",
            "--import-realm",
        ]
        self._stdout = open(self.log_file, "ab")  # noqa: SIM115 (closed in stop)
        self._proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=self._stdout,
            stderr=subprocess.STDOUT,
            cwd=self.home,
            env=env,
            start_new_session=True,  # own process group: stop() signals kc.sh and its JVM together
            # Safe despite threads: the hook only makes one prctl call, resolved before fork.
            preexec_fn=die_with_parent() if self.die_with_parent else None,  # noqa: PLW1509
        )
        if self.die_with_parent:
            atexit.register(self.stop)
        try:
            self._wait_ready(deadline)
        except BaseException:
            self.stop(cleanup=False)
            raise
        self.startup_seconds = time.monotonic() - started
        self._keep_dev_build(dist)

    def stop(self, timeout: float = 30, *, cleanup: bool = True) -> None:
        """SIGTERM to the process group (a graceful shutdown), then SIGKILL after ``timeout`` seconds.

        With ``cleanup`` a temporary data dir is removed; pass ``cleanup=False`` to read its log.
        """
        atexit.unregister(self.stop)
        proc, self._proc = self._proc, None
        if proc is not None:
            stop_process_group(proc, timeout)
        if self._stdout is not None:
            self._stdout.close()
            self._stdout = None
        if cleanup and self._given_data_dir is None and self._data_dir is not None:
            shutil.rmtree(self._data_dir, ignore_errors=True)
            self._data_dir = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- the admin API -------------------------------------------------------------------------
    def admin_token(self) -> str:
        """A master-realm admin access token (admin-cli, password grant), for the admin REST API."""
        body = urllib.parse.urlencode(
            {
                "grant_type": "password",
                "client_id": "admin-cli",
                "username": self.admin_username,
                "password": self.admin_password,
            }
        ).encode()
        url = f"{self.base_url}/realms/master/protocol/openid-connect/token"
        try:
            with urllib.request.urlopen(url, data=body, timeout=10) as response:
                token = json.loads(response.read())["access_token"]
        except (OSError, ValueError, KeyError) as exc:
            raise KeycloakInfraError(f"no admin token from {url}: {exc}") from exc
        if not isinstance(token, str):
            raise KeycloakInfraError(f"no admin token from {url}")
        return token

    # -- internals -----------------------------------------------------------------------------
    def _prepare_home(self, dist: Path) -> None:
        """A Keycloak home of this node's own: symlinks to the cache, its own data and build."""
        home = self.home
        if home.exists():
            shutil.rmtree(home)  # a restart with a given data dir: a fresh home, the realm re-imported
        (home / "bin").mkdir(parents=True)
        shutil.copy2(dist / "bin" / "kc.sh", home / "bin" / "kc.sh")  # kc.sh finds its home from its path
        for name in ("conf", "providers", "themes"):
            (home / name).symlink_to(dist / name, target_is_directory=True)
        (home / "lib").mkdir()
        for entry in (dist / "lib").iterdir():
            if entry.name == "quarkus":
                continue
            if entry.is_dir():
                (home / "lib" / entry.name).symlink_to(entry, target_is_directory=True)
            else:
                shutil.copy2(entry, home / "lib" / entry.name)
        with file_lock(lock_path(dist)):
            built = _dev_build_dir(dist)
            shutil.copytree(built if built.is_dir() else dist / "lib" / "quarkus", home / "lib" / "quarkus")
        imports = home / "data" / "import"
        imports.mkdir(parents=True)
        for realm_file in self.realm_files:
            shutil.copy2(realm_file, imports / realm_file.name)

    def _keep_dev_build(self, dist: Path) -> None:
        """After a start that re-augmented, keep its build for the next homes (replacing a stale one)."""
        log = self.log_file.read_text(encoding="utf-8", errors="replace")
        if "Quarkus augmentation completed" not in log:
            return
        with file_lock(lock_path(dist)):
            target = _dev_build_dir(dist)
            staging = Path(tempfile.mkdtemp(prefix=".dev-build-", dir=dist))
            try:
                shutil.copytree(self.home / "lib" / "quarkus", staging / "quarkus")
                if target.exists():
                    shutil.rmtree(target)
                (staging / "quarkus").rename(target)
            finally:
                shutil.rmtree(staging, ignore_errors=True)

    def _wait_ready(self, deadline: float) -> None:
        assert self._proc is not None
        while True:
            code = self._proc.poll()
            if code is not None:
                raise KeycloakInfraError(
                    f"Keycloak exited with code {code} during start-up\n{_tail(self.log_file)}"
                )
            discovery = _get_json(self.discovery_url)
            if isinstance(discovery, dict) and discovery.get("issuer") == self.issuer:
                return
            if time.monotonic() > deadline:
                raise KeycloakInfraError(
                    f"Keycloak on {self.base_url} not ready in time (no {self.discovery_url})\n"
                    f"{_tail(self.log_file)}"
                )
            time.sleep(0.5)


# -- CLI ---------------------------------------------------------------------------------------
def _run_foreground(args: argparse.Namespace) -> int:
    node = KeycloakNode(
        port=args.port,
        management_port=args.management_port,
        heap=args.heap,
        admin_password=args.admin_password,
    )
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    node.start(timeout=args.timeout)
    print(
        f"Keycloak {keycloak_version()} ready at {node.base_url} in {node.startup_seconds:.1f}s\n"
        f"  realm:  {node.issuer}\n"
        f"  admin:  {node.base_url}/admin/ as {node.admin_username} / {node.admin_password}\n"
        f"  health: http://127.0.0.1:{node.management_port}/health/ready\n"
        f"  log:    {node.log_file}\n  Ctrl-C stops it.",
        flush=True,
    )
    try:
        while not stop.wait(1.0):
            if not node.running:
                print(f"Keycloak died.\n{_tail(node.log_file)}", file=sys.stderr)
                return 1
    finally:
        node.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devinfra.keycloak",
        description=(
            "A real Keycloak in dev mode, with the caseflow realm (deploy/keycloak/caseflow-realm.json), "
            "without Docker. The distribution comes from Maven Central via deploy/keycloak/pom.xml and "
            "is cached in $CASEFLOW_CACHE/keycloak-<version> (default ~/.cache/caseflow/keycloak-<version>); "
            "Java 17+ is needed to run it, and Maven once to fetch it."
        ),
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "fetch", help="fetch and unzip the distribution into the cache (CI set-up) and print the directory"
    )
    run = sub.add_parser(
        "run",
        help="run a server in the foreground until Ctrl-C",
        description="Run a server in the foreground until Ctrl-C (or SIGTERM), then shut it down. "
        "Its state (an in-memory database) is gone afterwards: every start imports the realm afresh.",
    )
    run.add_argument("--port", type=int, default=8180, help="HTTP port, default 8180")
    run.add_argument(
        "--management-port", type=int, default=None, help="management (health) port (default: free)"
    )
    run.add_argument("--heap", default="512m", help="JVM max heap, default 512m")
    run.add_argument("--admin-password", default=None, help="master realm admin password (default: random)")
    run.add_argument("--timeout", type=float, default=180, help="seconds to wait for start-up, default 180")
    args = parser.parse_args(argv)
    try:
        if args.command == "fetch":
            print(ensure_dist())
            return 0
        return _run_foreground(args)
    except KeycloakInfraError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())

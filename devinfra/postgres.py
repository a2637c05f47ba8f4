"""A throwaway PostgreSQL server for tests, the demo and CI, without Docker.

Uses Debian's server binaries (``/usr/lib/postgresql/<version>/bin``), installing the
``postgresql`` package when they are missing and we are root. The cluster lives in a fresh
temporary directory on a free port and is removed by ``stop()``.

    with PostgresServer() as pg:
        url = pg.create_database("intake")   # postgresql+asyncpg://postgres@127.0.0.1:PORT/intake

CLI: ``python -m devinfra.postgres --help``.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import glob
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

from devinfra.ports import free_port

PG_USER = "postgres"  # both the OS user that owns the cluster and the database superuser


class PostgresInfraError(RuntimeError):
    """The PostgreSQL server could not be found, installed or started."""


def _version_key(bindir: str) -> tuple[int, ...]:
    version = Path(bindir).parent.name  # /usr/lib/postgresql/<version>/bin
    return tuple(int(part) for part in re.findall(r"\d+", version)) or (0,)


def find_bindir() -> Path | None:
    """The newest PostgreSQL server bin directory (one with initdb), or None."""
    candidates = [d for d in glob.glob("/usr/lib/postgresql/*/bin") if os.access(f"{d}/initdb", os.X_OK)]
    if candidates:
        return Path(max(candidates, key=_version_key))
    pg_config = shutil.which("pg_config")
    if pg_config:
        proc = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        bindir = Path(proc.stdout.strip())
        if proc.returncode == 0 and (bindir / "initdb").is_file():
            return bindir
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def ensure_installed() -> Path:
    """The server bin directory, installing Debian's ``postgresql`` first when it is missing."""
    bindir = find_bindir()
    if bindir is not None:
        return bindir
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise PostgresInfraError(
            "PostgreSQL server binaries (initdb, pg_ctl) not found. Install them, e.g. "
            "`sudo apt-get install postgresql` on Debian/Ubuntu, or point PATH at their bin directory."
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends", "postgresql"]):
        print("+", " ".join(cmd), file=sys.stderr, flush=True)
        if subprocess.run(cmd, env=env, check=False).returncode != 0:
            raise PostgresInfraError(f"`{' '.join(cmd)}` failed")
    bindir = find_bindir()
    if bindir is None:
        raise PostgresInfraError("installed the postgresql package but found no initdb afterwards")
    return bindir


def _as_pg_user(cmd: Sequence[str]) -> list[str]:
    # initdb and postgres refuse to run as root; as anyone else we simply run as ourselves.
    if os.geteuid() == 0:
        return ["runuser", "-u", PG_USER, "--", *cmd]
    return list(cmd)


class PostgresServer:
    """A PostgreSQL cluster in a temporary directory, listening on 127.0.0.1 with trust auth."""

    def __init__(self, port: int | None = None, *, fsync: bool = False, bindir: Path | None = None) -> None:
        self._port = port
        # fsync=off (and its companions) makes a throwaway cluster several times faster to write to.
        self.fsync = fsync
        self._bindir = bindir
        self._tmp: Path | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise PostgresInfraError("the server has no port before start()")
        return self._port

    @property
    def url_base(self) -> str:
        """``postgresql+asyncpg://postgres@127.0.0.1:PORT`` (append ``/dbname``)."""
        return f"postgresql+asyncpg://{PG_USER}@127.0.0.1:{self.port}"

    def url(self, dbname: str = "postgres") -> str:
        return f"{self.url_base}/{dbname}"

    @property
    def data_dir(self) -> Path:
        if self._tmp is None:
            raise PostgresInfraError("the server has no data dir before start()")
        return self._tmp / "data"

    @property
    def log_file(self) -> Path:
        if self._tmp is None:
            raise PostgresInfraError("the server has no log before start()")
        return self._tmp / "postgres.log"

    @property
    def running(self) -> bool:
        return self._tmp is not None and (self.data_dir / "postmaster.pid").exists()

    def start(self, timeout: float = 60) -> None:
        if self._tmp is not None:
            return
        bindir = self._bindir or ensure_installed()
        self._bindir = bindir
        if self._port is None:
            self._port = free_port()
        self._tmp = Path(tempfile.mkdtemp(prefix="caseflow-pg-"))
        if os.geteuid() == 0:
            user = pwd.getpwnam(PG_USER)
            os.chown(self._tmp, user.pw_uid, user.pw_gid)
        atexit.register(self.stop)
        try:
            self._run(
                [str(bindir / "initdb"), "-D", str(self.data_dir), "-U", PG_USER, "--auth=trust"]
                + ["-E", "UTF8", "--no-locale", "--no-sync"],
                timeout=timeout,
                what="initdb",
            )
            options = [
                f"-p {self.port}",
                f"-k {self._tmp}",  # the Unix socket stays inside our directory
                "-c listen_addresses=127.0.0.1",
                "-c max_connections=200",
            ]
            if not self.fsync:
                options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
            self._run(
                [str(bindir / "pg_ctl"), "-D", str(self.data_dir), "-l", str(self.log_file)]
                + ["-o", " ".join(options), "-w", "-t", str(max(1, int(timeout))), "start"],
                timeout=timeout + 5,
                what="pg_ctl start",
            )
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        atexit.unregister(self.stop)
        tmp, self._tmp = self._tmp, None
        if tmp is None:
            return
        data = tmp / "data"
        if self._bindir is not None and (data / "postmaster.pid").exists():
            cmd = _as_pg_user([str(self._bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
            try:
                subprocess.run(cmd, capture_output=True, timeout=30, check=False)
            except subprocess.TimeoutExpired:
                self._kill_postmaster(data)
        shutil.rmtree(tmp, ignore_errors=True)

    def restart(self, mode: str = "immediate", timeout: float = 60) -> None:
        """Restart on the same port and data. `immediate` is a crash as the clients see it: every
        connection dropped at once, no checkpoint, WAL recovery on the way up."""
        assert self._bindir is not None and self._tmp is not None, "start() first"
        self._run(
            [str(self._bindir / "pg_ctl"), "-D", str(self.data_dir), "-l", str(self.log_file)]
            + ["-m", mode, "-w", "-t", str(max(1, int(timeout))), "restart"],
            timeout=timeout + 5,
            what=f"pg_ctl restart -m {mode}",
        )

    def postmaster_pid(self) -> int:
        """The server's main process (its backends are its children)."""
        return int((self.data_dir / "postmaster.pid").read_text().splitlines()[0])

    @staticmethod
    def _kill_postmaster(data: Path) -> None:
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int((data / "postmaster.pid").read_text().splitlines()[0])
            os.kill(pid, signal.SIGQUIT)  # immediate shutdown

    def create_database(self, name: str) -> str:
        """Create database ``name`` and return its SQLAlchemy URL."""
        assert self._bindir is not None and self._tmp is not None, "start() first"
        self._run(
            [str(self._bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", PG_USER, name],
            timeout=30,
            what=f"createdb {name}",
        )
        return self.url(name)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _run(self, cmd: list[str], *, timeout: float, what: str) -> None:
        try:
            proc = subprocess.run(
                _as_pg_user(cmd),
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                cwd=self._tmp or "/",  # the postgres user may not be allowed into our cwd
            )
        except subprocess.TimeoutExpired as exc:
            raise PostgresInfraError(f"{what} timed out after {timeout:.0f}s\n{self._log_tail()}") from exc
        if proc.returncode != 0:
            raise PostgresInfraError(
                f"{what} failed (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}\n{self._log_tail()}"
            )

    def _log_tail(self, lines: int = 30) -> str:
        if self._tmp is None:
            return ""
        try:
            text = self.log_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no server log)"
        return "--- last lines of the server log ---\n" + "\n".join(text.splitlines()[-lines:])


def _run_foreground(args: argparse.Namespace) -> int:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    started = time.monotonic()
    with PostgresServer(port=args.port, fsync=args.fsync) as server:
        for name in args.database:
            server.create_database(name)
        print(
            f"PostgreSQL ready at {server.url_base} in {time.monotonic() - started:.1f}s "
            f"(databases: postgres{''.join(', ' + n for n in args.database)})\n"
            "  Ctrl-C stops it and deletes its data.",
            flush=True,
        )
        stop.wait()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devinfra.postgres",
        description="A throwaway PostgreSQL server on 127.0.0.1 (trust auth) for tests and the demo.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "ensure-installed",
        help="find the server binaries, installing Debian's postgresql when missing (root); print the bin dir",
    )
    run = sub.add_parser("run", help="run a temporary server in the foreground until Ctrl-C")
    run.add_argument("--port", type=int, default=None, help="port (default: a free one)")
    run.add_argument("--database", action="append", default=[], help="create this database (repeatable)")
    run.add_argument("--fsync", action="store_true", help="keep fsync on (default off: throwaway data)")
    args = parser.parse_args(argv)
    try:
        if args.command == "ensure-installed":
            print(ensure_installed())
            return 0
        return _run_foreground(args)
    except PostgresInfraError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())

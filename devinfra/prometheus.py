"""A real Prometheus server (and promtool) for tests and CI, without Docker.

Uses Debian's ``prometheus`` package (``/usr/bin/prometheus`` and ``/usr/bin/promtool``),
installing it when missing and we are root. The server runs on 127.0.0.1 with a temporary
storage directory that ``stop()`` removes.

    config = write_config(tmp / "prometheus.yml", {"intake": ["127.0.0.1:8001"]})
    with PrometheusServer(config) as prom:
        prom.wait_for_targets_up()
        prom.query('up{job="intake"}')   # [{"metric": {...}, "value": [ts, "1"]}]

CLI: ``python -m devinfra.prometheus ensure-installed``.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

import httpx
import yaml

from devinfra.ports import free_port
from devinfra.process import die_with_parent

REPO_ROOT = Path(__file__).resolve().parents[1]
DEPLOY_DIR = REPO_ROOT / "deploy" / "prometheus"
PROMETHEUS_YML = DEPLOY_DIR / "prometheus.yml"
ALERTS_YML = DEPLOY_DIR / "alerts.yml"
ALERTS_TEST_YML = DEPLOY_DIR / "alerts_test.yml"


class PrometheusInfraError(RuntimeError):
    """Prometheus could not be found, installed or started."""


def find_bindir() -> Path | None:
    """The directory holding both ``prometheus`` and ``promtool``, or None."""
    for candidate in (shutil.which("promtool"), "/usr/bin/promtool"):
        if candidate and os.access(candidate, os.X_OK):
            bindir = Path(candidate).parent
            if os.access(bindir / "prometheus", os.X_OK):
                return bindir
    return None


@contextlib.contextmanager
def _install_lock() -> Iterator[None]:
    # Two test sessions may both find Prometheus missing; one apt-get run is enough.
    with open(Path(tempfile.gettempdir()) / "caseflow-prometheus-install.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_prometheus() -> Path:
    """The bin directory of ``prometheus`` and ``promtool``, installing Debian's package when missing.

    Raises PrometheusInfraError when they are missing and cannot be installed (not root, no apt-get).
    """
    bindir = find_bindir()
    if bindir is not None:
        return bindir
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise PrometheusInfraError(
            "prometheus and promtool not found, and installing them needs root and apt-get: "
            "`sudo apt-get install prometheus` on Debian/Ubuntu, or put both binaries on PATH."
        )
    with _install_lock():
        bindir = find_bindir()
        if bindir is not None:
            return bindir
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for cmd in (
            ["apt-get", "update"],
            ["apt-get", "install", "-y", "--no-install-recommends", "prometheus"],
        ):
            print("+", " ".join(cmd), file=sys.stderr, flush=True)
            if subprocess.run(cmd, env=env, check=False, stdin=subprocess.DEVNULL).returncode != 0:
                raise PrometheusInfraError(f"`{' '.join(cmd)}` failed")
    bindir = find_bindir()
    if bindir is None:
        raise PrometheusInfraError("installed the prometheus package but found no promtool afterwards")
    return bindir


def promtool(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``promtool`` with ``args`` (not checked: look at returncode and output)."""
    return subprocess.run(
        [str(ensure_prometheus() / "promtool"), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


def write_config(
    dest: Path,
    targets: Mapping[str, Sequence[str]],
    *,
    base: Path = PROMETHEUS_YML,
    scrape_interval: str = "1s",
    evaluation_interval: str = "1s",
) -> Path:
    """deploy/prometheus/prometheus.yml with the given ``job -> ["host:port", ...]`` targets.

    Jobs of the base file not in ``targets`` are dropped; unknown jobs are an error (the test
    should scrape what production scrapes). Rule files become absolute, Alertmanager goes.
    """
    document: dict[str, Any] = yaml.safe_load(base.read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in document["scrape_configs"]}
    unknown = set(targets) - set(jobs)
    if unknown:
        raise PrometheusInfraError(f"jobs {sorted(unknown)} are not in {base} (it has {sorted(jobs)})")
    document["scrape_configs"] = [
        {**jobs[name], "static_configs": [{"targets": list(addresses)}]}
        for name, addresses in targets.items()
    ]
    document["global"] = {
        **document.get("global", {}),
        "scrape_interval": scrape_interval,
        "scrape_timeout": scrape_interval,
        "evaluation_interval": evaluation_interval,
    }
    document["rule_files"] = [str((base.parent / rule).resolve()) for rule in document.get("rule_files", [])]
    document.pop("alerting", None)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return dest


class PrometheusServer:
    """One Prometheus process on 127.0.0.1 with temporary storage."""

    def __init__(self, config_path: Path, port: int | None = None, *, die_with_parent: bool = True) -> None:
        self.config_path = Path(config_path)
        self._port = port
        self.die_with_parent = die_with_parent
        self._proc: subprocess.Popen[bytes] | None = None
        self._tmp: Path | None = None
        self._log: IO[bytes] | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise PrometheusInfraError("the server has no port before start()")
        return self._port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        if self._tmp is None:
            raise PrometheusInfraError("the server has no log before start()")
        return self._tmp / "prometheus.log"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 60) -> None:
        """Start the server and return once /-/ready answers 200."""
        if self.running:
            return
        bindir = ensure_prometheus()
        if self._port is None:
            self._port = free_port()
        self._tmp = Path(tempfile.mkdtemp(prefix="caseflow-prometheus-"))
        self._log = open(self.log_file, "ab")  # noqa: SIM115 (closed in stop)
        self._proc = subprocess.Popen(
            [
                str(bindir / "prometheus"),
                f"--config.file={self.config_path}",
                f"--storage.tsdb.path={self._tmp / 'data'}",
                "--storage.tsdb.retention.time=1h",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--web.enable-lifecycle",
                "--log.level=warn",
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=self._tmp,
            start_new_session=True,
            # Safe despite threads: the hook only makes one prctl call, resolved before fork.
            preexec_fn=die_with_parent() if self.die_with_parent else None,  # noqa: PLW1509
        )
        atexit.register(self.stop)
        deadline = time.monotonic() + timeout
        try:
            while not self._ready():
                if self._proc.poll() is not None:
                    raise PrometheusInfraError(
                        f"prometheus exited with code {self._proc.returncode}\n{self._tail()}"
                    )
                if time.monotonic() > deadline:
                    raise PrometheusInfraError(
                        f"prometheus on {self.url} not ready in {timeout:.0f}s\n{self._tail()}"
                    )
                time.sleep(0.2)
        except BaseException:
            self.stop()
            raise

    def stop(self, timeout: float = 15) -> None:
        atexit.unregister(self.stop)
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- HTTP API --------------------------------------------------------------------------------
    def _api(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        response = httpx.get(f"{self.url}{path}", params=params, timeout=10)
        body = response.json()
        if response.status_code != 200 or body.get("status") != "success":
            raise PrometheusInfraError(f"GET {path} {dict(params or {})}: {response.status_code} {body}")
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """An instant query; the result list (for a vector: ``{"metric": {...}, "value": [t, "v"]}``)."""
        data = self._api("/api/v1/query", {"query": expr})
        result: list[dict[str, Any]] = data["result"]
        return result

    def targets(self) -> list[dict[str, Any]]:
        """The active scrape targets (``labels``, ``health`` "up"/"down"/"unknown", ``lastError``, ...)."""
        active: list[dict[str, Any]] = self._api("/api/v1/targets", {"state": "active"})["activeTargets"]
        return active

    def rules(self) -> list[dict[str, Any]]:
        """The loaded rule groups (with each alert's state)."""
        groups: list[dict[str, Any]] = self._api("/api/v1/rules")["groups"]
        return groups

    def wait_for_targets_up(self, timeout: float = 30) -> list[dict[str, Any]]:
        """Wait until every active target has been scraped successfully; return the targets."""
        deadline = time.monotonic() + timeout
        while True:
            targets = self.targets()
            if targets and all(t["health"] == "up" for t in targets):
                return targets
            if time.monotonic() > deadline:
                states = [
                    (t["labels"].get("job"), t["scrapeUrl"], t["health"], t.get("lastError")) for t in targets
                ]
                raise PrometheusInfraError(f"targets not all up in {timeout:.0f}s: {states}")
            time.sleep(0.25)

    def reload(self) -> None:
        """Re-read the config file (after rewriting it, e.g. with new targets)."""
        response = httpx.post(f"{self.url}/-/reload", timeout=10)
        if response.status_code != 200:
            raise PrometheusInfraError(f"reload failed: {response.status_code} {response.text}")

    def _ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/-/ready", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def _tail(self, lines: int = 25) -> str:
        try:
            text = self.log_file.read_text(encoding="utf-8", errors="replace")
        except (OSError, PrometheusInfraError):
            return "(no prometheus log)"
        return "--- last lines of the prometheus log ---\n" + "\n".join(text.splitlines()[-lines:])


PROMETHEUS_RULE_YAML = REPO_ROOT / "deploy" / "k8s" / "monitoring" / "prometheusrule.yaml"


def prometheus_rule_manifest() -> str:
    """deploy/prometheus/alerts.yml as a Prometheus Operator PrometheusRule: the same groups, so
    compose and Kubernetes alert alike. `python -m devinfra.prometheus prometheus-rule` writes it;
    the deploy artifact tests fail when the file and alerts.yml differ."""
    groups = yaml.safe_load(ALERTS_YML.read_text(encoding="utf-8"))["groups"]
    manifest = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {
            "name": "caseflow",
            "namespace": "caseflow",
            "labels": {"app.kubernetes.io/name": "caseflow", "app.kubernetes.io/part-of": "caseflow"},
        },
        "spec": {"groups": groups},
    }
    header = (
        "# Generated from deploy/prometheus/alerts.yml by `python -m devinfra.prometheus prometheus-rule`:\n"
        "# edit alerts.yml (and alerts_test.yml), then regenerate. For the Prometheus Operator; your\n"
        "# Prometheus must select it (ruleSelector, often the label `release: <helm release>`).\n---\n"
    )
    body: str = yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True, width=100)
    return header + body


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devinfra.prometheus",
        description="Prometheus and promtool for tests: Debian's prometheus package, installed when missing (root).",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "ensure-installed", help="find prometheus/promtool, installing them when missing; print the bin dir"
    )
    sub.add_parser("check", help="promtool check config, check rules and test rules on deploy/prometheus")
    sub.add_parser(
        "prometheus-rule", help=f"write {PROMETHEUS_RULE_YAML.relative_to(REPO_ROOT)} from alerts.yml"
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "ensure-installed":
            print(ensure_prometheus())
            return 0
        if args.command == "prometheus-rule":
            PROMETHEUS_RULE_YAML.write_text(prometheus_rule_manifest(), encoding="utf-8")
            print(f"wrote {PROMETHEUS_RULE_YAML.relative_to(REPO_ROOT)}")
            return 0
        worst = 0
        for cmd in (
            ["check", "config", str(PROMETHEUS_YML)],
            ["check", "rules", str(ALERTS_YML)],
            ["test", "rules", str(ALERTS_TEST_YML)],
        ):
            proc = promtool(*cmd, cwd=DEPLOY_DIR)
            print(f"$ promtool {' '.join(cmd)}\n{proc.stdout}{proc.stderr}", flush=True)
            worst = max(worst, proc.returncode)
        return worst
    except PrometheusInfraError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())

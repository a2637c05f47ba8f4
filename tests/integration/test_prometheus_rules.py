"""Prometheus config and alert rules pass promtool, and a real Prometheus loads and evaluates them.

promtool and prometheus come from Debian's `prometheus` package, installed on first use when we
are root (CI is); elsewhere these tests skip with the reason.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from devinfra.ports import free_port
from devinfra.prometheus import (
    ALERTS_TEST_YML,
    ALERTS_YML,
    DEPLOY_DIR,
    PROMETHEUS_YML,
    PrometheusInfraError,
    PrometheusServer,
    ensure_prometheus,
    promtool,
    write_config,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", autouse=True)
def prometheus_installed() -> Path:
    try:
        return ensure_prometheus()
    except PrometheusInfraError as exc:
        pytest.skip(f"Prometheus unavailable: {exc}")


def test_promtool_accepts_the_prometheus_config() -> None:
    result = promtool("check", "config", str(PROMETHEUS_YML), cwd=DEPLOY_DIR)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_accepts_the_alert_rules() -> None:
    result = promtool("check", "rules", str(ALERTS_YML))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_alert_unit_tests_pass() -> None:
    result = promtool("test", "rules", str(ALERTS_TEST_YML), cwd=DEPLOY_DIR)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_alert_unit_tests_fail_when_a_threshold_changes(tmp_path: Path) -> None:
    # The unit tests bite: lowering the lag threshold makes ConsumerLagHigh fire for scheduling too.
    (tmp_path / "alerts.yml").write_text(ALERTS_YML.read_text().replace("> 1000", "> 800"))
    (tmp_path / "alerts_test.yml").write_text(ALERTS_TEST_YML.read_text())
    result = promtool("test", "rules", "alerts_test.yml", cwd=tmp_path)
    assert result.returncode != 0
    assert "ConsumerLagHigh" in result.stdout + result.stderr


def test_every_alert_is_tested_firing_and_silent() -> None:
    alerts = {
        rule["alert"]
        for group in yaml.safe_load(ALERTS_YML.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }
    firing: set[str] = set()
    silent: set[str] = set()
    for test in yaml.safe_load(ALERTS_TEST_YML.read_text())["tests"]:
        for case in test.get("alert_rule_test", []):
            (firing if case["exp_alerts"] else silent).add(case["alertname"])
    assert alerts - firing == set(), "alerts never shown firing"
    assert alerts - silent == set(), "alerts never shown staying silent"


# -- a real server ------------------------------------------------------------------------------

EXPOSITION = b"""\
# HELP caseflow_consumer_lag_messages Messages behind the end of the topic, summed over partitions.
# TYPE caseflow_consumer_lag_messages gauge
caseflow_consumer_lag_messages{service="intake",topic="intake.submissions.v1"} 7.0
"""


class _Metrics(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path != "/metrics":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        self.send_header("Content-Length", str(len(EXPOSITION)))
        self.end_headers()
        self.wfile.write(EXPOSITION)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def metrics_endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Metrics)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _wait_for(check: Any, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in {timeout:.0f}s")
        time.sleep(0.25)


def test_a_real_prometheus_scrapes_a_target_and_evaluates_the_rules(
    metrics_endpoint: str, tmp_path: Path
) -> None:
    dead = f"127.0.0.1:{free_port()}"  # nothing listens there
    config = write_config(tmp_path / "prometheus.yml", {"intake": [metrics_endpoint], "routing": [dead]})

    with PrometheusServer(config) as prometheus:
        targets = _wait_for(
            lambda: (ts := prometheus.targets()) and all(t["health"] != "unknown" for t in ts) and ts
        )
        health = {t["labels"]["job"]: t["health"] for t in targets}
        assert health == {"intake": "up", "routing": "down"}

        lag = _wait_for(lambda: prometheus.query('caseflow_consumer_lag_messages{job="intake"}'))
        assert lag[0]["metric"]["topic"] == "intake.submissions.v1"
        assert float(lag[0]["value"][1]) == 7.0

        # The rules from deploy/prometheus/alerts.yml are loaded and evaluated: the routing target
        # is down, so ServiceDown is pending for it (it fires after its `for: 1m`).
        def service_down_alerts() -> list[dict[str, Any]]:
            rules = [r for g in prometheus.rules() for r in g["rules"] if r.get("name") == "ServiceDown"]
            return [a for r in rules for a in r.get("alerts", [])]

        alerts = _wait_for(service_down_alerts)
        assert [a["labels"]["job"] for a in alerts] == ["routing"]
        assert alerts[0]["state"] in {"pending", "firing"}  # firing only if this test took over a minute
    assert not prometheus.running


def test_write_config_refuses_a_job_that_production_does_not_scrape(tmp_path: Path) -> None:
    with pytest.raises(PrometheusInfraError, match="not in"):
        write_config(tmp_path / "p.yml", {"billing": ["127.0.0.1:1"]})

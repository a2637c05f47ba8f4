"""A real Prometheus scrapes the four running services: every target up, the domain metrics there.

The services run as processes (`caseflow up` on the test broker); one contact flows through intake,
routing, scheduling and reporting first, so that labelled counters have series to show.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx
import pytest

from caseflow import stack
from devinfra.prometheus import PrometheusServer, ensure_prometheus, promtool, write_config
from tests.support import samples
from tools.demo.demo import _seed

pytestmark = pytest.mark.e2e

DOMAIN_METRICS = {
    "intake": ["caseflow_intake_cases_opened_total"],
    "routing": [
        "caseflow_routing_decisions_total",
        "caseflow_intake_to_assignment_seconds_count",
        "caseflow_routing_escalations_waiting",
    ],
    "scheduling": ["caseflow_scheduling_outcomes_total"],
    "reporting": ["caseflow_messages_processed_total"],
}
EVERY_SERVICE = [
    "caseflow_outbox_backlog_events",
    "caseflow_consumer_lag_messages",
    "caseflow_messages_processed_total",
    "faststream_received_messages_total",
]


def test_promtool_accepts_the_config_and_the_rule_tests_pass() -> None:
    ensure_prometheus()
    rules = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
    assert promtool("check", "rules", str(rules / "alerts.yml")).returncode == 0
    assert promtool("test", "rules", str(rules / "alerts_test.yml"), cwd=rules).returncode == 0


async def test_prometheus_scrapes_all_four_services_and_finds_the_domain_metrics(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    ensure_prometheus()
    prefix = f"t-prom-{uuid.uuid4().hex[:8]}."
    state = await asyncio.to_thread(
        stack.up,
        tmp_path / "stack",
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=prefix,
        say=lambda _line: None,
    )
    try:
        await _seed(kafka_bootstrap, prefix, state.url("intake"))
        async with httpx.AsyncClient(timeout=10) as client:
            answer = await client.post(
                f"{state.url('intake')}/v1/submissions", json=samples.submission("prom")
            )
            assert answer.status_code == 201
        config = write_config(
            tmp_path / "prometheus.yml",
            {
                s: [state.url(s).removeprefix("http://")]
                for s in stack.SERVICES  # type: ignore[union-attr]
            },
        )
        with PrometheusServer(config) as prometheus:
            targets = await asyncio.to_thread(prometheus.wait_for_targets_up, 60)
            assert sorted(t["labels"]["job"] for t in targets) == sorted(stack.SERVICES)
            missing: list[str] = []
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 60
            while loop.time() < deadline:
                missing = [
                    f"{job}:{name}"
                    for job, names in DOMAIN_METRICS.items()
                    for name in names + EVERY_SERVICE
                    if not prometheus.query(f'{name}{{job="{job}"}}')
                ]
                if not missing:
                    break
                await asyncio.sleep(1)
            assert missing == []
            opened = prometheus.query('sum(caseflow_intake_cases_opened_total{job="intake"})')
            assert float(opened[0]["value"][1]) == 1.0
    finally:
        stack.down(tmp_path / "stack", say=lambda _line: None)

"""Intake's domain metrics, counted from committed events (codes only as labels)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter


class IntakeMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.opened = Counter(
            "caseflow_intake_cases_opened_total", "Cases opened, by channel.", ["channel"], registry=registry
        )
        self.rejected = Counter(
            "caseflow_intake_submissions_rejected_total", "Submissions rejected, by reason code.", ["reason"],
            registry=registry,
        )

    def count(self, stored: list[Any]) -> None:
        for env in stored:
            if env.event_type == "CaseOpened":
                self.opened.labels(env.payload.channel.value).inc()
            elif env.event_type == "SubmissionRejected":
                self.rejected.labels(env.payload.reason).inc()

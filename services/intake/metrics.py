"""Intake's domain metrics, counted from committed events (codes only as labels)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge

LIFECYCLE_EVENTS = frozenset(
    {
        "CaseAccepted",
        "TimeLogged",
        "OutcomeRecorded",
        "CaseClosed",
        "TrainingRegistered",
        "SupervisionRegistered",
        "CaseFileRead",
        "ClientMessagePosted",
        "AdvisorMessagePosted",
        "ClientFeedbackGiven",
        "LegalDeadlineSet",
        "LegalDeadlineDue",
        "LegalDeadlineMet",
        "LegalDeadlineMissed",
    }
)


class IntakeMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.opened = Counter(
            "caseflow_intake_cases_opened_total", "Cases opened, by channel.", ["channel"], registry=registry
        )
        self.rejected = Counter(
            "caseflow_intake_submissions_rejected_total",
            "Submissions rejected, by reason code.",
            ["reason"],
            registry=registry,
        )
        self.access_denied = Counter(
            "caseflow_access_denied_total",
            "Refused advisor actions, case-file requests and receipt codes, by reason code.",
            ["reason"],
            registry=registry,
        )
        self.lifecycle = Counter(
            "caseflow_intake_lifecycle_events_total",
            "Case lifecycle events emitted, by type.",
            ["event_type"],
            registry=registry,
        )
        self.erased = Counter(
            "caseflow_intake_cases_erased_total",
            "Cases whose personal data was erased, by reason.",
            ["reason"],
            registry=registry,
        )
        self.deadlines_at_risk = Gauge(
            "caseflow_legal_deadlines_at_risk",
            "Whistleblower-report deadlines not met that end within the warning period.",
            ["deadline"],
            registry=registry,
        )
        self.deadlines_overdue = Gauge(
            "caseflow_legal_deadlines_overdue",
            "Whistleblower-report deadlines past their day and not met.",
            ["deadline"],
            registry=registry,
        )
        for deadline in ("acknowledgement", "feedback"):
            self.deadlines_at_risk.labels(deadline).set(0)
            self.deadlines_overdue.labels(deadline).set(0)

    def count(self, stored: list[Any]) -> None:
        for env in stored:
            kind = env.event_type
            if kind == "CaseOpened":
                self.opened.labels(env.payload.channel.value).inc()
            elif kind == "SubmissionRejected":
                self.rejected.labels(env.payload.reason).inc()
            elif kind == "AdvisorCommandRejected":
                self.access_denied.labels(env.payload.reason_code).inc()
            elif kind == "CasePersonalDataErased":
                self.erased.labels(env.payload.reason).inc()
            elif kind in LIFECYCLE_EVENTS:
                self.lifecycle.labels(kind).inc()

    def set_deadline_gauges(self, at_risk: dict[str, int], overdue: dict[str, int]) -> None:
        for deadline, count in at_risk.items():
            self.deadlines_at_risk.labels(deadline).set(count)
        for deadline, count in overdue.items():
            self.deadlines_overdue.labels(deadline).set(count)

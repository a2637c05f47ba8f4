"""Routing's domain metrics, from committed events (codes only as labels)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class RoutingMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.decisions = Counter(
            "caseflow_routing_decisions_total",
            "Routing decisions, by outcome.",
            ["outcome"],
            registry=registry,
        )
        self.reassignments = Counter(
            "caseflow_routing_reassignments_total",
            "Cases reassigned, by coarse cause (conflict | other; the reason itself is sealed).",
            ["reason"],
            registry=registry,
        )
        self.escalations_waiting = Gauge(
            "caseflow_routing_escalations_waiting",
            "Cases in the coordinators' queue: nobody eligible.",
            registry=registry,
        )
        self.terms_ending = Gauge(
            "caseflow_routing_advisor_terms_ending",
            "Advisors whose term ends within the warning period.",
            registry=registry,
        )
        self.latency = Histogram(
            "caseflow_intake_to_assignment_seconds",
            "From case opened to first advisor assigned.",
            registry=registry,
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600),
        )
        self.rejected_actions = Counter(
            "caseflow_access_denied_total",
            "Refused advisor actions and case-file requests, by reason.",
            ["reason"],
            registry=registry,
        )

    def count(self, stored: list[Any]) -> None:
        for env in stored:
            p = env.payload
            if env.event_type == "AdvisorAssigned":
                self.decisions.labels("assigned").inc()
                self.latency.observe(max(0.0, (p.decided_at - p.case_opened_at).total_seconds()))
            elif env.event_type == "CaseReassigned":
                self.reassignments.labels(p.cause).inc()
                self.decisions.labels("assigned" if p.to_advisor_id else "escalated").inc()
            elif env.event_type == "RoutingEscalated" and p.cause == "initial":
                self.decisions.labels("escalated").inc()
            elif env.event_type == "AdvisorCommandRejected":
                self.rejected_actions.labels(p.reason_code).inc()

"""The workbench's metrics: sign-ins by outcome, pages refused by reason, notices by outcome. Codes
only, never a name or an address."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter


@dataclass(frozen=True)
class WorkbenchMetrics:
    sign_ins: Counter
    refusals: Counter
    notices: Counter

    def count_notice(self, outcome: str) -> None:
        self.notices.labels(outcome).inc()

    @classmethod
    def create(cls, registry: CollectorRegistry) -> WorkbenchMetrics:
        return cls(
            sign_ins=Counter(
                "caseflow_workbench_sign_ins_total",
                "Sign-ins completed (outcome=signed_in) or refused (outcome=<reason code>).",
                ["outcome"],
                registry=registry,
            ),
            refusals=Counter(
                "caseflow_workbench_page_refusals_total",
                "Page requests refused: no_session, wrong_role, csrf_mismatch.",
                ["reason"],
                registry=registry,
            ),
            notices=Counter(
                "caseflow_workbench_notices_total",
                "Notification e-mails by outcome: sent, opted_out, failed (the mail server refused).",
                ["outcome"],
                registry=registry,
            ),
        )

"""The workbench's metrics: sign-ins by outcome, pages refused by reason. Codes only, never a name."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter


@dataclass(frozen=True)
class WorkbenchMetrics:
    sign_ins: Counter
    refusals: Counter

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
        )

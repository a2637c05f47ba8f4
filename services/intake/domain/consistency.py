"""Does intake's case register agree with the case events it published? (`caseflow audit verify`)

Routing, scheduling and reporting know a case only from `intake.cases.v1`. A case row that was
stored but whose `CaseOpened` never left is a client with a receipt code whom nobody will route; a
closed or erased case whose event never left stays open everywhere else (an erased one keeps its
meetings). The check folds the topic per case and compares each case row: opened, closed, erased.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

# What each event says of the case's state; a later state never goes back to an earlier one.
STATES = {"CaseOpened": "open", "CaseClosed": "closed", "CasePersonalDataErased": "erased"}
ORDER = {"open": 0, "closed": 1, "erased": 2}


@dataclass(frozen=True, slots=True)
class CaseMismatch:
    case_id: str
    in_register: str | None
    published: str | None

    def describe(self) -> str:
        register = self.in_register or "no case row"
        log = self.published or "no CaseOpened published"
        return f"case {self.case_id}: intake's case register says {register}; intake.cases.v1 says {log}"


def published_case_states(envelopes: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Each case's furthest state on the topic: open, closed or erased."""
    states: dict[str, str] = {}
    for env in envelopes:
        state = STATES.get(str(env.get("event_type")))
        if state is None:
            continue
        case_id = env["payload"]["case_id"]
        if ORDER[state] >= ORDER.get(states.get(case_id, "open"), 0):
            states[case_id] = state
    return states


def register_state(row: Any) -> str:
    """A case row's state: erased wins over closed (an erased case may have been closed first)."""
    if row.erased_at is not None:
        return "erased"
    return "closed" if row.status == "closed" else "open"


def compare_cases(rows: Sequence[Any], published: dict[str, str]) -> list[CaseMismatch]:
    """`rows`: intake's cases (case_id, status, erased_at)."""
    mismatches = []
    held = set()
    for row in rows:
        held.add(row.case_id)
        state = register_state(row)
        if published.get(row.case_id) != state:
            mismatches.append(CaseMismatch(row.case_id, state, published.get(row.case_id)))
    for case_id, state in published.items():
        if case_id not in held:
            mismatches.append(CaseMismatch(case_id, None, state))
    return sorted(mismatches, key=lambda m: m.case_id)

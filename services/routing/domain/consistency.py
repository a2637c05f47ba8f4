"""Does routing's state agree with what it published? The check behind `caseflow audit verify`.

The decision audit (audit.py) proves each recorded decision follows from its inputs. It cannot see
a decision that was made in routing's database but never published: that is how re-routes were
lost when one directory change re-routed several cases (their events shared an id and the outbox
kept one). This check folds `routing.assignments.v1` as consumers see it (intake grants case-file
access from it, scheduling plans meetings from it) and compares every open case in routing's
database with it: same status, same advisor. Any difference is a case that sits in a queue other
services do not know of. The same comparison runs against intake's assignment projection, the
state that decides who may read a case file: an advisor who kept access after a re-route shows up
there.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

ASSIGNMENT_EVENTS = ("AdvisorAssigned", "CaseReassigned", "RoutingEscalated")
OPEN_STATES = ("assigned", "escalated")


@dataclass(frozen=True, slots=True)
class Placement:
    status: str  # assigned | escalated
    advisor_id: str | None

    def describe(self) -> str:
        return f"assigned to {self.advisor_id}" if self.status == "assigned" else "escalated (no advisor)"


@dataclass(frozen=True, slots=True)
class Mismatch:
    case_id: str
    in_state: Placement | None
    published: Placement | None
    holder: str = "routing's database"

    def describe(self) -> str:
        state = self.in_state.describe() if self.in_state else "not open"
        log = self.published.describe() if self.published else "no assignment event published"
        return f"{self.case_id}: {self.holder} says {state}; routing.assignments.v1 says {log}"


def published_placements(envelopes: Iterable[dict[str, Any]]) -> dict[str, Placement]:
    """The last placement of every case on the assignments topic, in each case's stream order.

    Duplicates (a re-published event) carry the same id and are counted once.
    """
    latest: dict[str, tuple[int, Placement]] = {}
    seen: set[str] = set()
    for env in envelopes:
        if env.get("event_type") not in ASSIGNMENT_EVENTS or env.get("event_id") in seen:
            continue
        seen.add(env["event_id"])
        p = env["payload"]
        if env["event_type"] == "AdvisorAssigned":
            placement = Placement("assigned", p["advisor_id"])
        elif env["event_type"] == "CaseReassigned":
            to = p.get("to_advisor_id")
            placement = Placement("assigned", to) if to else Placement("escalated", None)
        else:
            placement = Placement("escalated", None)
        sequence = int(env.get("sequence", 0))
        earlier = latest.get(p["case_id"])
        if earlier is None or sequence >= earlier[0]:
            latest[p["case_id"]] = (sequence, placement)
    return {case_id: placement for case_id, (_seq, placement) in latest.items()}


def compare(
    state_rows: Sequence[Any],
    published: dict[str, Placement],
    *,
    holder: str = "routing's database",
    every_published_case_held: bool = True,
) -> list[Mismatch]:
    """Open cases whose placement differs from the published one, and published cases the holder lacks.

    `state_rows` are (case_id, status, current_advisor_id) rows: routing's routing_cases, or a
    consumer's projection of the topic (intake's assignments, which decide who reads a case file).
    Closed and erased cases are left out: their last published placement is history, not a queue.
    A consumer that forgets erased cases passes `every_published_case_held=False`.
    """
    mismatches: list[Mismatch] = []
    known: set[str] = set()
    for row in state_rows:
        known.add(row.case_id)
        if row.status not in OPEN_STATES:
            continue
        state = Placement(row.status, row.current_advisor_id if row.status == "assigned" else None)
        log = published.get(row.case_id)
        if log != state:
            mismatches.append(Mismatch(row.case_id, state, log, holder))
    for case_id, placement in published.items():
        if every_published_case_held and case_id not in known:
            mismatches.append(Mismatch(case_id, None, placement, holder))
    return sorted(mismatches, key=lambda m: m.case_id)


def decode_values(values: Iterable[bytes]) -> list[dict[str, Any]]:
    """Envelopes as JSON documents; records that are not JSON objects are not routing's and skipped."""
    out = []
    for value in values:
        try:
            doc = json.loads(value)
        except ValueError:
            continue
        if isinstance(doc, dict) and "payload" in doc:
            out.append(doc)
    return out

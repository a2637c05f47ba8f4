"""The routing audit: explain every decision from the log, and prove a replay reproduces it.

Each decision event carries the directory revision it saw and, sealed under the case key, the
case facts and advisor loads it used. Refolding routing's directory log to that revision and
calling the pure policy again must give the same outcome, advisor, rule counts and exclusions.
Only someone with key access (an auditor) can run this: the inputs and exclusions are sealed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.routing.adapters.directory_projection import to_change
from services.routing.adapters.facts import facts_from_document
from services.routing.adapters.tables import directory_log, messaging
from services.routing.domain.directory import AdvisorLoadChanged, Directory, DirectoryDataError
from services.routing.domain.policy import Decision, PolicySettings, decide, explain
from shared.crypto import CaseCipher, KeyErased, Sealed

DECISION_EVENTS = ("AdvisorAssigned", "CaseReassigned", "RoutingEscalated")


@dataclass
class Verdict:
    case_id: str
    event_type: str
    decided_at: str
    matches: bool
    differences: list[str] = field(default_factory=list)
    explanation: list[str] = field(default_factory=list)
    erased: bool = False


def _recorded_outcome(
    event_type: str, p: dict[str, Any], detail: dict[str, Any] | None
) -> tuple[str | None, dict[str, int]]:
    """The advisor a decision named and its rule counts: sealed in `detail` since version 2 of the
    decision events, in clear (`rule_codes`, `reason_codes`) in version 1 records."""
    rules = detail["rule_codes"] if detail is not None else p.get("rule_codes", p.get("reason_codes", {}))
    if event_type == "AdvisorAssigned":
        return p["advisor_id"], rules
    if event_type == "CaseReassigned":
        return p["to_advisor_id"], rules
    return None, rules


class DirectoryReplayer:
    """Folds the directory log forward, one revision at a time (decisions come in revision order)."""

    def __init__(self, rows: list[tuple[int, str, str]]) -> None:
        self._rows = rows
        self._applied = 0
        self.directory = Directory()

    def at(self, revision: int) -> Directory:
        while self._applied < revision and self._applied < len(self._rows):
            _rev, event_type, body = self._rows[self._applied]
            change = to_change(event_type, json.loads(body), self.directory)
            if change is not None:
                try:
                    self.directory.apply(change)
                except DirectoryDataError:
                    pass
            self._applied += 1
        return self.directory

    def with_loads(self, loads: dict[str, int]) -> Directory:
        for advisor in self.directory.advisors():
            wanted = loads.get(advisor.advisor_id, 0)
            if advisor.open_cases != wanted:
                self.directory.apply(AdvisorLoadChanged(advisor.advisor_id, wanted))
        return self.directory


async def recorded_decisions(conn: AsyncConnection, case_id: str | None = None) -> list[dict[str, Any]]:
    events = messaging.events
    query = select(events.c.body).where(events.c.event_type.in_(DECISION_EVENTS)).order_by(events.c.position)
    if case_id:
        query = query.where(events.c.stream_id == case_id)
    return [json.loads(r.body) for r in await conn.execute(query)]


async def audit(
    conn: AsyncConnection, cipher: CaseCipher, settings: PolicySettings, case_id: str | None = None
) -> Iterator[Verdict]:
    rows = [
        (r.revision, r.event_type, r.body)
        for r in await conn.execute(select(directory_log).order_by(directory_log.c.revision))
    ]
    decisions = await recorded_decisions(conn, case_id)
    decisions.sort(key=lambda e: e["payload"].get("directory_revision", 0))
    replayer = DirectoryReplayer(rows)
    verdicts = []
    for env in decisions:
        verdicts.append(await _verify_one(env, replayer, cipher, settings))
    return iter(verdicts)


async def _verify_one(
    env: dict[str, Any], replayer: DirectoryReplayer, cipher: CaseCipher, settings: PolicySettings
) -> Verdict:
    p = env["payload"]
    case_id = p["case_id"]
    decided_at = p.get("decided_at") or p.get("escalated_at")
    verdict = Verdict(case_id, env["event_type"], decided_at, matches=False)
    if not p.get("inputs"):
        verdict.differences.append("no recorded inputs")
        return verdict
    try:
        inputs = await cipher.open(case_id, "routing_inputs", Sealed.model_validate(p["inputs"]))
        exclusions = await cipher.open(case_id, "routing_exclusions", Sealed.model_validate(p["exclusions"]))
        detail = (
            await cipher.open(case_id, "routing_detail", Sealed.model_validate(p["detail"]))
            if p.get("detail")
            else None
        )
    except KeyErased:
        verdict.erased, verdict.matches = True, True
        verdict.explanation = [
            "The case's personal data was erased: its decision inputs can no longer be read."
        ]
        return verdict
    replayer.at(p["directory_revision"])
    directory = replayer.with_loads(inputs["loads"])
    decision: Decision = decide(
        facts_from_document(inputs["facts"]), directory, datetime.fromisoformat(decided_at), settings
    )
    advisor, rules = _recorded_outcome(env["event_type"], p, detail)
    clear = decision.clear_part()
    if decision.advisor_id != advisor:
        verdict.differences.append(f"advisor: recorded {advisor}, replayed {decision.advisor_id}")
    if clear["rule_codes_applied"] != rules:
        verdict.differences.append(f"rule counts: recorded {rules}, replayed {clear['rule_codes_applied']}")
    if decision.sensitive_part() != exclusions:
        verdict.differences.append("exclusions differ")
    if decision.policy_version != p["policy_version"]:
        verdict.differences.append(
            f"policy version: recorded {p['policy_version']}, now {decision.policy_version}"
        )
    verdict.matches = not verdict.differences
    verdict.explanation = explain(decision, include_exclusions=True) + _sealed_reason(detail)
    return verdict


def _sealed_reason(detail: dict[str, Any] | None) -> list[str]:
    """What the event says only sealed: who left the case and why (an auditor holds the key)."""
    if detail is None or "reason" not in detail:
        return []
    if detail.get("coordinator_id"):
        return [
            f"Chosen by coordinator {detail['coordinator_id']} for the escalated case ({detail['reason']})."
        ]
    if detail.get("from_advisor_id"):
        return [f"Reassigned away from advisor {detail['from_advisor_id']} ({detail['reason']})."]
    return [f"Decided for: {detail['reason']}."]

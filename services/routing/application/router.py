"""Use cases: route a case, re-check assignments, and turn a policy Decision into events."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.routing.adapters import case_rows
from services.routing.adapters.directory_projection import DirectoryCache
from services.routing.adapters.facts import case_facts, facts_document
from services.routing.adapters.tables import advisor_keys, messaging, routing_cases, used_tokens
from services.routing.domain.policy import (
    CaseFacts,
    Decision,
    PolicySettings,
    RuleCode,
    candidates_for,
    coordinator_refusal,
    decide,
    is_assignment_still_valid,
)
from shared.advisor_commands import ActorCheck, AdvisorCommandGate, SignedCommand
from shared.auth import Refusal
from shared.contracts.routing import (
    AdvisorAssigned,
    CaseReassigned,
    ReferralSuggested,
    RoutingEscalated,
    cause_of,
    reassignment_cause,
)
from shared.crypto import CaseCipher, KeyErased, Sealed
from shared.emitter import Emitter
from shared.envelope import Envelope, decode_envelope, derive_event_id
from shared.outbox import Outgoing
from shared.pipeline import Decoded
from shared.topics import ROUTING_ASSIGNMENTS

PRODUCER = "routing"
GATE = AdvisorCommandGate(advisor_keys, used_tokens)


async def current_assignee(conn: AsyncConnection, case_id: str) -> str | None:
    """Routing's projection of who holds a case: its advisor while the case is assigned."""
    row = (
        await conn.execute(
            select(routing_cases.c.status, routing_cases.c.current_advisor_id).where(
                routing_cases.c.case_id == case_id
            )
        )
    ).first()
    return row.current_advisor_id if row is not None and row.status == "assigned" else None


def emitter_of(message: Decoded, now: datetime) -> Emitter:
    """Routing's events caused by a consumed message (its id the cause, its correlation carried)."""
    return Emitter.of_message(message, producer=PRODUCER, topic=ROUTING_ASSIGNMENTS.name, now=now)


def emitter_for(cause: str, now: datetime) -> Emitter:
    """Routing's events caused by a job run: a correlation chain starts at `cause`."""
    return Emitter.of_cause(cause, producer=PRODUCER, topic=ROUTING_ASSIGNMENTS.name, now=now)


@dataclass
class Router:
    cipher: CaseCipher
    cache: DirectoryCache
    settings: PolicySettings

    async def verify_actor(
        self,
        conn: AsyncConnection,
        command: Any,
        now: datetime,
        published_at: datetime | None,
        may_act: ActorCheck | None = None,
    ) -> Refusal | None:
        """None if the advisor-command gate (shared/advisor_commands.py) admits the command, judged
        at `published_at` (its broker timestamp); else the refusal. The one who may act is the case's
        current assignee unless `may_act` says otherwise (a coordinator on an escalated case)."""
        signed = SignedCommand.of(command)
        if may_act is None:
            admitted = await GATE.admit(conn, signed, current_assignee, now=now, published_at=published_at)
        else:
            admitted = await GATE.admit_if(conn, signed, may_act, now=now, published_at=published_at)
        return admitted if isinstance(admitted, Refusal) else None

    async def loads(self, conn: AsyncConnection) -> dict[str, int]:
        rows = await conn.execute(
            select(routing_cases.c.current_advisor_id, func.count())
            .where(routing_cases.c.status == "assigned")
            .group_by(routing_cases.c.current_advisor_id)
        )
        return {r[0]: int(r[1]) for r in rows}

    def _inputs(self, facts: CaseFacts) -> dict[str, Any]:
        candidates = candidates_for(facts, self.cache.directory)
        return {
            "facts": facts_document(facts),
            "loads": {a.advisor_id: a.open_cases for a in candidates if a.open_cases},
        }

    async def route(
        self,
        conn: AsyncConnection,
        row: Any,
        now: datetime,
        *,
        emit: Emitter,
        reason: str,
        opened_at: datetime | None = None,
        published: Sequence[Envelope[Any]] | None = None,
    ) -> list[Outgoing]:
        """Decide for a case row and update it; `reason` is "initial" or the re-routing reason.
        `published`: what `published_decisions` found for this case (None: look it up here)."""
        if published is None:
            published = (await published_decisions(conn, [(emit, row.case_id, reason)])).get(row.case_id, [])
        if published:
            return await self._adopt(conn, row, published, now)
        facts = await case_facts(self.cipher, row)
        decision = decide(facts, self.cache.directory, now, self.settings)
        return await self._record(
            conn,
            row,
            facts,
            decision,
            now,
            emit=emit,
            reason=reason,
            opened_at=opened_at or row.opened_at,
        )

    async def _adopt(
        self, conn: AsyncConnection, row: Any, published: Sequence[Envelope[Any]], now: datetime
    ) -> list[Outgoing]:
        """Take the decision routing already published for this cause (a restored database that
        `caseflow restore` gave its published events back, D55) instead of deciding again: the
        case's status, advisor and load follow the published events; nothing is emitted (the
        events are in the outbox already, and everyone downstream acted on them)."""
        status, advisor = row.status, row.current_advisor_id
        for env in published:
            p = env.payload
            if isinstance(p, AdvisorAssigned):
                status, advisor = "assigned", p.advisor_id
            elif isinstance(p, CaseReassigned):
                status, advisor = ("assigned", p.to_advisor_id) if p.to_advisor_id else ("escalated", None)
            elif isinstance(p, RoutingEscalated):
                status, advisor = "escalated", None
        await self._set_decided(conn, row, status, advisor, now)
        return []

    async def _set_decided(
        self, conn: AsyncConnection, row: Any, status: str, advisor_id: str | None, now: datetime
    ) -> None:
        previous = row.current_advisor_id
        if isinstance(row, case_rows.NewCaseRow):  # in memory only: the caller inserts it as it is now
            row.status, row.current_advisor_id, row.updated_at = status, advisor_id, now
        else:
            await conn.execute(
                update(routing_cases)
                .where(routing_cases.c.case_id == row.case_id)
                .values(status=status, current_advisor_id=advisor_id, updated_at=now)
            )
        self.cache.change_load(previous, -1)
        self.cache.change_load(advisor_id, +1)

    async def assign_chosen(
        self,
        conn: AsyncConnection,
        row: Any,
        chosen_id: str,
        now: datetime,
        *,
        emit: Emitter,
        coordinator_id: str,
    ) -> list[Outgoing] | RuleCode:
        """Decide for an escalated case with the advisor a coordinator chose among its candidates
        (domain/policy.py, step 5). The decision is recorded only if it gives the case to that
        advisor; otherwise nothing changes and the rule that excluded them is returned."""
        row = case_rows.with_coordinator_choice(row, chosen_id)
        published = await published_decisions(conn, [(emit, row.case_id, "coordinator_choice")])
        if published:  # restored: the choice was recorded and published before (see `_adopt`)
            await case_rows.keep_coordinator_choice(conn, row)
            return await self._adopt(conn, row, published[row.case_id], now)
        facts = await case_facts(self.cipher, row)
        decision = decide(facts, self.cache.directory, now, self.settings)
        refused = coordinator_refusal(decision, chosen_id)
        if refused is not None:
            return refused
        await case_rows.keep_coordinator_choice(conn, row)
        return await self._record(
            conn,
            row,
            facts,
            decision,
            now,
            emit=emit,
            reason="coordinator_choice",
            opened_at=row.opened_at,
            detail={"reason": "coordinator_choice", "coordinator_id": coordinator_id},
        )

    async def _record(
        self,
        conn: AsyncConnection,
        row: Any,
        facts: CaseFacts,
        decision: Decision,
        now: datetime,
        *,
        emit: Emitter,
        reason: str,
        opened_at: datetime,
        detail: dict[str, str] | None = None,
    ) -> list[Outgoing]:
        """The events of `decision`; `detail` adds sealed facts to an AdvisorAssigned (who chose)."""
        key = await self.cipher.key_of(row.case_id)  # one key fetch for all sealing below

        def seal(purpose: str, doc: Any) -> Sealed:
            return CaseCipher.seal_with_key(key, row.case_id, purpose, doc)

        exclusions = seal("routing_exclusions", decision.sensitive_part())
        inputs = seal("routing_inputs", self._inputs(facts))
        clear = decision.clear_part()
        rules: dict[str, int] = clear["rule_codes_applied"]  # type: ignore[assignment]
        previous = row.current_advisor_id
        events: list[Any] = []
        if decision.outcome == "assigned" and decision.advisor_id == previous:
            return []  # still valid and unchanged: nothing happened
        if previous is not None and reason != "initial":
            events.append(
                CaseReassigned(
                    case_id=row.case_id,
                    to_advisor_id=decision.advisor_id,
                    cause=reassignment_cause(reason),
                    scope=decision.advisor_scope,
                    policy_version=decision.policy_version,
                    decided_at=now,
                    exclusions=exclusions,
                    directory_revision=self.cache.revision,
                    inputs=inputs,
                    detail=seal(
                        "routing_detail", {"rule_codes": rules, "from_advisor_id": previous, "reason": reason}
                    ),
                )
            )
        elif decision.outcome == "assigned":
            assert decision.advisor_id is not None and decision.advisor_scope is not None
            events.append(
                AdvisorAssigned(
                    case_id=row.case_id,
                    advisor_id=decision.advisor_id,
                    scope=decision.advisor_scope,
                    policy_version=decision.policy_version,
                    selection_reason=decision.selection_reason.value if decision.selection_reason else "",
                    decided_at=now,
                    case_opened_at=opened_at,
                    exclusions=exclusions,
                    directory_revision=self.cache.revision,
                    inputs=inputs,
                    detail=seal("routing_detail", {"rule_codes": rules, **(detail or {})}),
                )
            )
        if decision.outcome == "escalated" and row.status != "escalated":
            events.append(
                RoutingEscalated(
                    case_id=row.case_id,
                    organisation_id=row.organisation_id,
                    policy_version=decision.policy_version,
                    escalated_at=now,
                    cause=cause_of(reason),
                    exclusions=exclusions,
                    directory_revision=self.cache.revision,
                    inputs=inputs,
                    detail=seal("routing_detail", {"rule_codes": rules, "reason": reason}),
                )
            )
        if decision.referral_suggested and reason == "initial":
            events.append(
                ReferralSuggested(
                    case_id=row.case_id,
                    referral=decision.referral_suggested,
                    reason="labour_question",
                    suggested_at=now,
                )
            )
        status = "assigned" if decision.outcome == "assigned" else "escalated"
        await self._set_decided(conn, row, status, decision.advisor_id, now)
        to_assignments = emit.to(ROUTING_ASSIGNMENTS.name)
        return [to_assignments(e, row.case_id, f"{reason}:{i}") for i, e in enumerate(events)]

    async def recheck(
        self, conn: AsyncConnection, rows: Sequence[Any], now: datetime, *, emit: Emitter, reason: str
    ) -> list[Outgoing]:
        """Re-route open cases whose assignment now conflicts, and retry escalated ones."""
        out: list[Outgoing] = []
        for row in rows:
            try:
                facts = await case_facts(self.cipher, row)
            except KeyErased:
                continue
            if row.status == "assigned" and row.current_advisor_id:
                valid, _codes = is_assignment_still_valid(
                    facts, self.cache.directory, now, row.current_advisor_id, self.settings
                )
                if valid:
                    continue
                out += await self.route(conn, row, now, emit=emit, reason=reason)
            elif row.status == "escalated":
                out += await self.route(conn, row, now, emit=emit, reason="escalation_retry")
        return out


# What one decision may emit, in the order `_record` emits it (the index is in the event id).
DECISION_EVENTS = (AdvisorAssigned, CaseReassigned, RoutingEscalated, ReferralSuggested)
MAX_EVENTS_PER_DECISION = 3


async def published_decisions(
    conn: AsyncConnection, asks: Sequence[tuple[Emitter, str, str]]
) -> dict[str, list[Envelope[Any]]]:
    """The events routing already holds for a decision it is about to take, per case: (the
    emitter of the input, the case, the reason). Event ids derive from the cause, the case and
    the reason (`_record`), so a decision taken before has ids known in advance. Live, this finds
    nothing (the inbox skips an input already decided); after a restore it finds the decisions
    folded back from the log (shared/restore_fold.py). One statement for a whole run of cases."""
    wanted: dict[str, str] = {}
    for emit, case_id, reason in asks:
        for cls in DECISION_EVENTS:
            for i in range(MAX_EVENTS_PER_DECISION):
                wanted[derive_event_id(emit.causation_id, cls.EVENT_TYPE, case_id, f"{reason}:{i}")] = case_id
    found: dict[str, list[tuple[int, Envelope[Any]]]] = {}
    ids = list(wanted)
    for start in range(0, len(ids), 500):
        rows = await conn.execute(
            select(messaging.events.c.event_id, messaging.events.c.position, messaging.events.c.body).where(
                messaging.events.c.event_id.in_(ids[start : start + 500])
            )
        )
        for r in rows:
            found.setdefault(wanted[r.event_id], []).append(
                (int(r.position), decode_envelope(r.body.encode()))
            )
    return {
        case_id: [env for _pos, env in sorted(events, key=lambda t: t[0])]
        for case_id, events in found.items()
    }


def dumps(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True)

"""Routing's consumers: the directory, opened cases, and the advisors' conflict declarations.

Each handler follows the same shape: load state, decide (policy.py, pure), store state and emit
events through the outbox. Case events and advisor commands are dispatched by payload type
(shared/dispatch.py); event types routing does not act on are skipped there.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.routing.adapters.directory_projection import DIRECTORY_EVENTS
from services.routing.adapters.facts import coded_fields
from services.routing.adapters.tables import routing_cases
from services.routing.application.router import GATE, Router, emitter_of, reroute_reason
from shared.advisor_commands import rejection
from shared.auth import Refusal
from shared.contracts.advisor_actions import AmendCaseFacts, DeclareConflict
from shared.contracts.intake import CaseClosed, CaseOpened, CasePersonalDataErased
from shared.dispatch import Dispatch
from shared.emitter import Emitter
from shared.outbox import Outgoing
from shared.pipeline import IGNORED, Decoded, Route, tolerant_envelope_decoder
from shared.topics import ADVISOR_ACTIONS, DIRECTORY, INTAKE_CASES


def _type(message: Decoded) -> str:
    return "" if message.body == IGNORED else str(message.body.event_type)


class RoutingHandlers:
    def __init__(self, router: Router) -> None:
        self.router = router

    async def _prepare(self, conn: AsyncConnection) -> None:
        await self.router.cache.refresh_if_stale(await self.router.loads(conn))

    # -- directory.v1 --------------------------------------------------------------------------

    async def on_directory(
        self, conn: AsyncConnection, messages: Sequence[Decoded], now: datetime
    ) -> list[Sequence[Outgoing]]:
        await self._prepare(conn)
        reasons: list[str] = []
        for m in messages:
            if _type(m) == "AdvisorKeyRegistered":
                await GATE.record_key(conn, m.body.payload)
            elif _type(m) in DIRECTORY_EVENTS:
                body = m.body.payload.model_dump(mode="json")
                if await self.router.cache.apply(conn, _type(m), body, now) is not None:
                    reasons.append(reroute_reason(_type(m), body))
        results: list[Sequence[Outgoing]] = [[] for _ in messages]
        if reasons:
            # One re-check of the open cases per batch of directory changes, not one per change:
            # an HR bulk feed may carry thousands of changes at once.
            rows = (
                await conn.execute(
                    select(routing_cases).where(routing_cases.c.status.in_(("assigned", "escalated")))
                )
            ).all()
            reason = reasons[0] if len(set(reasons)) == 1 else "org_change"
            results[-1] = await self.router.recheck(
                conn, rows, now, emit=emitter_of(messages[-1], now), reason=reason
            )
        return results

    # -- intake.cases.v1 -----------------------------------------------------------------------

    def case_events(self) -> Dispatch:
        return Dispatch(
            {
                CaseOpened: self.case_opened,
                CaseClosed: self.case_ended,
                CasePersonalDataErased: self.case_ended,
            },
            before=self._prepare,
        )

    async def case_opened(
        self, conn: AsyncConnection, opened: CaseOpened, message: Decoded, now: datetime
    ) -> Sequence[Outgoing]:
        if await self._row(conn, opened.case_id) is not None:
            return []
        await conn.execute(
            routing_cases.insert().values(
                case_id=opened.case_id,
                organisation_id=opened.organisation_id,
                unit_id=opened.unit_id,
                opened_at=opened.opened_at,
                coded=coded_fields(opened),
                routing_facts=opened.routing_facts.model_dump_json(),
                amendments=[],
                status="new",
                current_advisor_id=None,
                conflicted_advisor_ids=[],
                updated_at=now,
            )
        )
        row = await self._row(conn, opened.case_id)
        return await self.router.route(
            conn, row, now, emit=emitter_of(message, now), reason="initial", opened_at=opened.opened_at
        )

    async def case_ended(
        self,
        conn: AsyncConnection,
        ended: CaseClosed | CasePersonalDataErased,
        message: Decoded,
        now: datetime,
    ) -> Sequence[Outgoing]:
        row = await self._row(conn, ended.case_id)
        if row is None or row.status not in ("assigned", "escalated"):
            return []
        if row.status == "assigned":
            self.router.cache.change_load(row.current_advisor_id, -1)
        status = "closed" if isinstance(ended, CaseClosed) else "erased"
        await conn.execute(
            routing_cases.update()
            .where(routing_cases.c.case_id == row.case_id)
            .values(status=status, updated_at=now)
        )
        return []

    async def _row(self, conn: AsyncConnection, case_id: str) -> Any:
        return (await conn.execute(select(routing_cases).where(routing_cases.c.case_id == case_id))).first()

    # -- advisor.actions.v1 --------------------------------------------------------------------

    def actions(self) -> Dispatch:
        return Dispatch(
            {DeclareConflict: self.declare_conflict, AmendCaseFacts: self.amend_facts}, before=self._prepare
        )

    async def _refused(
        self,
        conn: AsyncConnection,
        command: DeclareConflict | AmendCaseFacts,
        message: Decoded,
        now: datetime,
    ) -> Outgoing | None:
        """The answer to a command the gate refuses (token, assignee, claim once), else None."""
        refusal = await self.router.verify_actor(conn, command, now, message.inbound.published_at)
        return None if refusal is None else _rejected(command, refusal, emitter_of(message, now))

    async def declare_conflict(
        self, conn: AsyncConnection, command: DeclareConflict, message: Decoded, now: datetime
    ) -> Sequence[Outgoing]:
        if command.reason is None:
            return [
                _rejected(command, Refusal("unknown_conflict_reason", proven=False), emitter_of(message, now))
            ]
        refused = await self._refused(conn, command, message, now)
        if refused is not None:
            return [refused]
        row = await self._row(conn, command.case_id)
        conflicted = sorted({*(row.conflicted_advisor_ids or []), command.advisor_id})
        await conn.execute(
            routing_cases.update()
            .where(routing_cases.c.case_id == row.case_id)
            .values(conflicted_advisor_ids=conflicted)
        )
        row = await self._row(conn, command.case_id)
        return await self.router.route(
            conn, row, now, emit=emitter_of(message, now), reason="conflict_declared"
        )

    async def amend_facts(
        self, conn: AsyncConnection, command: AmendCaseFacts, message: Decoded, now: datetime
    ) -> Sequence[Outgoing]:
        refused = await self._refused(conn, command, message, now)
        if refused is not None:
            return [refused]
        row = await self._row(conn, command.case_id)
        amendments = [*(row.amendments or []), command.added_facts.model_dump_json()]
        await conn.execute(
            routing_cases.update().where(routing_cases.c.case_id == row.case_id).values(amendments=amendments)
        )
        row = await self._row(conn, command.case_id)
        return await self.router.recheck(
            conn, [row], now, emit=emitter_of(message, now), reason="persons_added"
        )


def _rejected(command: DeclareConflict | AmendCaseFacts, refusal: Refusal, emit: Emitter) -> Outgoing:
    return rejection(emit, command.EVENT_TYPE, refusal, command.case_id, command.advisor_id)


def routes(handlers: RoutingHandlers) -> dict[str, Route]:
    return {
        DIRECTORY.name: Route(decode=tolerant_envelope_decoder, handle_batch=handlers.on_directory),
        INTAKE_CASES.name: Route(decode=tolerant_envelope_decoder, handle=handlers.case_events()),
        ADVISOR_ACTIONS.name: Route(decode=tolerant_envelope_decoder, handle=handlers.actions()),
    }


__all__ = ["RoutingHandlers", "routes"]

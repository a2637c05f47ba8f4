"""Routing's consumers: the directory, opened cases, the advisors' conflict declarations and added
facts, and the coordinators' assignments of escalated cases and reflection talks.

Each handler hands its input to a use case (application/: directory_changes.py, case_changes.py),
which loads state, decides (domain/policy.py, pure), stores state and returns the events for the
outbox. Advisor commands pass the gate here first (a coordinator's command with its own answer to
"who may act", application/coordinator_choice.py). Case events and advisor commands are dispatched
by payload type (shared/dispatch.py); event types routing does not act on are skipped there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from services.routing.application import reflection_talks
from services.routing.application.case_changes import CaseChanges
from services.routing.application.coordinator_choice import CoordinatorChoices
from services.routing.application.directory_changes import DirectoryChanges
from services.routing.application.router import Router, emitter_of
from shared.advisor_commands import ActorCheck, rejection
from shared.auth import Refusal
from shared.contracts.advisor_actions import (
    AmendCaseFacts,
    AssignEscalatedCase,
    DeclareConflict,
    RegisterReflectionTalk,
)
from shared.contracts.intake import CaseClosed, CaseFactsAmended, CaseOpened, CasePersonalDataErased
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
        self.directory = DirectoryChanges(router)
        self.cases = CaseChanges(router)
        self.coordinators = CoordinatorChoices(router)

    async def _prepare(self, conn: AsyncConnection) -> None:
        await self.router.cache.refresh_if_stale(lambda: self.router.loads(conn))

    # -- directory.v1 --------------------------------------------------------------------------

    async def on_directory(
        self, conn: AsyncConnection, messages: Sequence[Decoded], now: datetime
    ) -> list[Sequence[Outgoing]]:
        await self._prepare(conn)
        reasons: list[str] = []
        for m in messages:
            if _type(m) and (reason := await self.directory.apply(conn, _type(m), m.body.payload, now)):
                reasons.append(reason)
        results: list[Sequence[Outgoing]] = [[] for _ in messages]
        if reasons:  # one re-check per batch, its events answering the batch's last message
            emit = emitter_of(messages[-1], now)
            results[-1] = await self.directory.recheck_open_cases(conn, reasons, now, emit)
        return results

    # -- intake.cases.v1 -----------------------------------------------------------------------

    def case_events(self) -> Dispatch:
        return Dispatch(
            {
                CaseFactsAmended: self.case_facts_amended,
                CaseClosed: self.case_ended,
                CasePersonalDataErased: self.case_ended,
            },
            before=self._prepare,
        )

    async def on_cases(
        self, conn: AsyncConnection, messages: Sequence[Decoded], now: datetime
    ) -> list[Sequence[Outgoing]]:
        """intake.cases.v1 in the log's order; every CaseOpened comes in a run, routed together
        (`_route_opened`), the other events through `case_events`."""
        return await self.case_events().in_runs(conn, messages, now, CaseOpened, self._route_opened)

    async def _route_opened(
        self, conn: AsyncConnection, run: list[Decoded], now: datetime
    ) -> list[Sequence[Outgoing]]:
        await self._prepare(conn)
        return list(await self.cases.opened(conn, [(m.body.payload, emitter_of(m, now)) for m in run], now))

    async def case_facts_amended(
        self, conn: AsyncConnection, amended: CaseFactsAmended, message: Decoded, now: datetime
    ) -> Sequence[Outgoing]:
        """Persons the assignee added through intake's case file (intake checked who asked): folded
        like AmendCaseFacts, through the same use case."""
        added = amended.added_facts.model_dump_json()
        return await self.cases.facts_amended(conn, amended.case_id, added, now, emitter_of(message, now))

    async def case_ended(
        self,
        conn: AsyncConnection,
        ended: CaseClosed | CasePersonalDataErased,
        message: Decoded,
        now: datetime,
    ) -> Sequence[Outgoing]:
        await self.cases.ended(conn, ended, now)
        return []

    # -- advisor.actions.v1 --------------------------------------------------------------------

    def actions(self) -> Dispatch:
        return Dispatch(
            {
                DeclareConflict: self.declare_conflict,
                AmendCaseFacts: self.amend_facts,
                AssignEscalatedCase: self.assign_escalated,
                RegisterReflectionTalk: self.register_reflection_talk,
            },
            before=self._prepare,
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
        emit = emitter_of(message, now)
        if command.reason is None:
            return [_rejected(command, Refusal("unknown_conflict_reason", proven=False), emit)]
        if (refused := await self._refused(conn, command, message, now)) is not None:
            return [refused]
        return await self.cases.conflict_declared(conn, command.case_id, command.advisor_id, now, emit)

    async def amend_facts(
        self, conn: AsyncConnection, command: AmendCaseFacts, message: Decoded, now: datetime
    ) -> Sequence[Outgoing]:
        if (refused := await self._refused(conn, command, message, now)) is not None:
            return [refused]
        added = command.added_facts.model_dump_json()
        return await self.cases.facts_amended(conn, command.case_id, added, now, emitter_of(message, now))

    async def assign_escalated(
        self, conn: AsyncConnection, command: AssignEscalatedCase, message: Decoded, now: datetime
    ) -> Sequence[Outgoing]:
        async def assign(emit: Emitter) -> list[Outgoing] | Refusal:
            return await self.coordinators.assign(conn, command, now, emit)

        return await self._coordinators_command(
            conn, command, message, now, assign, self.coordinators.may_act
        )

    async def register_reflection_talk(
        self, conn: AsyncConnection, command: RegisterReflectionTalk, message: Decoded, now: datetime
    ) -> Sequence[Outgoing]:
        async def register(emit: Emitter) -> list[Outgoing] | Refusal:
            return reflection_talks.register(self.router.cache.directory, command, now, emit)

        return await self._coordinators_command(conn, command, message, now, register)

    async def _coordinators_command(
        self,
        conn: AsyncConnection,
        command: AssignEscalatedCase | RegisterReflectionTalk,
        message: Decoded,
        now: datetime,
        carry_out: Callable[[Emitter], Awaitable[list[Outgoing] | Refusal]],
        may_act: ActorCheck | None = None,
    ) -> Sequence[Outgoing]:
        """A coordinator's command: the gate (with `may_act` for step 2, if any), then `carry_out`;
        the gate's or the use case's refusal is answered as any other."""
        emit, published_at = emitter_of(message, now), message.inbound.published_at
        refusal = await self.router.verify_actor(conn, command, now, published_at, may_act)
        if refusal is None:
            outcome = await carry_out(emit)
            if not isinstance(outcome, Refusal):
                return outcome
            refusal = outcome
        return [_rejected(command, refusal, emit)]


def _rejected(
    command: DeclareConflict | AmendCaseFacts | AssignEscalatedCase | RegisterReflectionTalk,
    refusal: Refusal,
    emit: Emitter,
) -> Outgoing:
    """A proven refusal names the case and the acting advisor (for a coordinator's command: the
    coordinator; RegisterReflectionTalk has no case)."""
    case_id = getattr(command, "case_id", None)
    return rejection(emit, command.EVENT_TYPE, refusal, case_id, command.advisor_id)


def routes(handlers: RoutingHandlers) -> dict[str, Route]:
    return {
        DIRECTORY.name: Route(decode=tolerant_envelope_decoder, handle_batch=handlers.on_directory),
        INTAKE_CASES.name: Route(decode=tolerant_envelope_decoder, handle_batch=handlers.on_cases),
        ADVISOR_ACTIONS.name: Route(decode=tolerant_envelope_decoder, handle=handlers.actions()),
    }


__all__ = ["RoutingHandlers", "routes"]

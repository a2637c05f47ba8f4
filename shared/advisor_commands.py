"""The advisor-command gate: the one check every advisor command passes before it has any effect.

Intake (advisor.actions.v1 and the case-file HTTP requests), routing and scheduling all ask the
same four questions, in this order, inside the transaction that will carry the command out:

1. Does the signed token prove its advisor signed exactly this command? The keys are those of
   the advisor the token names (each service's own copy of `AdvisorKeyRegistered`, kept by
   `record_key` in the service's `advisor_keys` table), judged
   at `TOKEN_POLICY.judged_at(now, published_at)`: a command on Kafka at its record's broker
   timestamp, an HTTP request at `now`. A failure is *unproven* (`Refusal.proven` False): the
   answer must name nothing the sender supplied.
2. Is the proven advisor the case's current assignee, by the service's own projection
   (`AssigneeLookup`)? If not, `not_assignee` (proven), the same for an unknown, erased or
   someone else's case. A command without a case (`case_id` None) skips this question.
   A command that is not the assignee's (a coordinator assigning an escalated case) asks its own
   question instead, through `admit_if` and an `ActorCheck`: who may act on this command now.
3. Has the token been used before? Its jti is claimed here, once, in the caller's transaction;
   a second use is `token_replayed` (unproven: a replayer proves nothing). A command refused at
   step 2 does not spend its token.
4. Anything else (case closed, meeting in the past, ...) is the service's own rule, after the gate.

Example::

    gate = AdvisorCommandGate(advisor_keys, used_tokens)
    admitted = await gate.admit(conn, SignedCommand.of(command), assignee_of, now=now,
                                published_at=message.inbound.published_at)
    if isinstance(admitted, Refusal):
        return [rejection(emit, command.EVENT_TYPE, admitted, command.case_id, command.advisor_id)]

Every refusal, the gate's or the service's own, is answered with one `AdvisorCommandRejected`
(`rejection`): a proven one names the case and the advisor and continues the command's correlation
chain; an unproven one names neither, goes to the `unproven-commands` stream and starts a chain of
its own, caused by `unproven_cause(event id)` (shared/auth.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pydantic import BaseModel
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.auth import (
    NOT_ASSIGNEE,
    TOKEN_POLICY,
    UNPROVEN_STREAM,
    AuthError,
    Refusal,
    TokenPolicy,
    VerifiedToken,
    advisor_keys_of,
    claim_token_once,
    digest_of,
    peek_claims,
    record_advisor_key,
    unproven_cause,
    verify_token,
)
from shared.contracts.advisor_commands import AdvisorCommandRejected
from shared.contracts.directory import AdvisorKeyRegistered
from shared.emitter import Emitter
from shared.outbox import Outgoing


class AssigneeLookup(Protocol):
    """A service's projection of who may act on a case now: the advisor id, or None when nobody
    may (unknown, unassigned, erased, or not yet known well enough to act on)."""

    async def __call__(self, conn: AsyncConnection, case_id: str) -> str | None: ...


class ActorCheck(Protocol):
    """Whether the proven signer may act on the case now: None if so, else the (proven) reason code,
    e.g. `not_assignee`. Like `AssigneeLookup`, it must answer an unknown case as one it may not act on."""

    async def __call__(self, conn: AsyncConnection, case_id: str, actor_id: str) -> str | None: ...


@dataclass(frozen=True, slots=True)
class SignedCommand:
    """What the gate checks: the token and what it must be bound to.

    `advisor_id` is the advisor the command names (None for an HTTP request, where the token alone
    names the advisor); `case_id` None means the command concerns no case."""

    token: str
    action: str
    case_id: str | None
    digest: str
    advisor_id: str | None

    @classmethod
    def of(cls, command: BaseModel) -> SignedCommand:
        """An advisor-action payload: its type, case, advisor, and digest of every field but `auth`."""
        fields = command.model_dump(mode="json")
        return cls(
            token=str(fields.get("auth", "")),
            action=str(getattr(command, "EVENT_TYPE", "")),
            case_id=fields.get("case_id"),
            digest=digest_of(command),
            advisor_id=fields.get("advisor_id"),
        )


@dataclass(frozen=True, slots=True)
class AdvisorCommandGate:
    """Token, assignee, claim once (see the module docstring); one per service, over its tables."""

    advisor_keys: Table
    used_tokens: Table
    policy: TokenPolicy = TOKEN_POLICY

    async def admit(
        self,
        conn: AsyncConnection,
        command: SignedCommand,
        assignee_of: AssigneeLookup,
        *,
        now: datetime,
        published_at: datetime | None = None,
    ) -> VerifiedToken | Refusal:
        """The verified token (its jti now claimed in `conn`'s transaction), or why not."""

        async def is_assignee(conn: AsyncConnection, case_id: str, actor_id: str) -> str | None:
            return None if await assignee_of(conn, case_id) == actor_id else NOT_ASSIGNEE

        return await self.admit_if(conn, command, is_assignee, now=now, published_at=published_at)

    async def admit_if(
        self,
        conn: AsyncConnection,
        command: SignedCommand,
        may_act: ActorCheck,
        *,
        now: datetime,
        published_at: datetime | None = None,
    ) -> VerifiedToken | Refusal:
        """`admit` with the service's own answer to step 2 (`may_act`) instead of the assignee's."""
        try:
            verified = await self._verify(conn, command, now, published_at)
        except AuthError as exc:
            return Refusal(exc.reason, proven=False)
        if command.case_id is not None:
            reason = await may_act(conn, command.case_id, verified.advisor_id)
            if reason is not None:
                return Refusal(reason, proven=True)
        try:
            await claim_token_once(conn, self.used_tokens, verified, now)
        except AuthError as exc:
            return Refusal(exc.reason, proven=False)
        return verified

    async def record_key(self, conn: AsyncConnection, registered: AdvisorKeyRegistered) -> None:
        """The key projection the gate verifies with: one AdvisorKeyRegistered (directory.v1)."""
        await record_advisor_key(
            conn,
            self.advisor_keys,
            advisor_id=registered.advisor_id,
            public_key_b64=registered.public_key_b64,
            valid_from=registered.valid_from,
            valid_until=registered.valid_until,
        )

    async def _verify(
        self, conn: AsyncConnection, command: SignedCommand, now: datetime, published_at: datetime | None
    ) -> VerifiedToken:
        keys = await advisor_keys_of(conn, self.advisor_keys, peek_claims(command.token).advisor_id)
        return verify_token(
            command.token,
            lambda _advisor: keys,
            expected_action=command.action,
            expected_case_id=command.case_id,
            command_digest=command.digest,
            now=now,
            expected_advisor_id=command.advisor_id,
            published_at=published_at,
            policy=self.policy,
        )


def rejection(
    emit: Emitter,
    command: str,
    refusal: Refusal,
    case_id: str | None = None,
    advisor_id: str | None = None,
) -> Outgoing:
    """The answer to a refused command; `case_id` and `advisor_id` are kept only if proven."""
    if not refusal.proven:
        unproven = AdvisorCommandRejected(
            command=command, reason_code=refusal.reason, case_id=None, advisor_id=None, rejected_at=emit.now
        )
        return emit.anew(unproven_cause(emit.causation_id))(unproven, UNPROVEN_STREAM)
    event = AdvisorCommandRejected(
        command=command,
        reason_code=refusal.reason,
        case_id=case_id,
        advisor_id=advisor_id,
        rejected_at=emit.now,
    )
    return emit(event, case_id or advisor_id or "unknown")


__all__ = ["ActorCheck", "AdvisorCommandGate", "AssigneeLookup", "SignedCommand", "rejection"]

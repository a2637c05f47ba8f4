"""The advisor-command gate: the one check every advisor command passes before it has any effect.

Intake (advisor.actions.v1 and the case-file HTTP requests), routing and scheduling all ask the
same four questions, in this order, inside the transaction that will carry the command out:

1. Does the signed token prove its advisor signed exactly this command? The keys are those of
   the advisor the token names (each service's own copy of `AdvisorKeyRegistered`, kept by
   `record_key` in the service's `advisor_keys` table), or, for a token a command signer (the
   workbench) signed for the advisor, that signer's (`CommandSignerRegistered`, kept by
   `record_signer` in `command_signers`), judged
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

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

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
    claim_token_once,
    command_digest,
    command_signers_table,
    digest_fields,
    peek_claims,
    record_advisor_key,
    record_signer_key,
    stored_keys_for,
    unproven_cause,
    verify_token,
)
from shared.contracts.advisor_commands import AdvisorCommandRejected
from shared.contracts.directory import AdvisorKeyRegistered, CommandSignerRegistered
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

    `signed_fields` is what the token's digest covers (the command's fields but `auth`, JSON-ready,
    or an HTTP request's body); the digest is computed in the token's own format (v1 or v2).
    `advisor_id` is the advisor the command names (None for an HTTP request, where the token alone
    names the advisor); `case_id` None means the command concerns no case."""

    token: str
    action: str
    case_id: str | None
    signed_fields: Mapping[str, Any]
    advisor_id: str | None

    @property
    def digest(self) -> str:
        """The v2 digest of `signed_fields` (what a token issued now carries)."""
        return command_digest(self.signed_fields)

    @classmethod
    def of(cls, command: BaseModel) -> SignedCommand:
        """An advisor-action payload: its type, case, advisor, and digest of every field but `auth`."""
        fields = command.model_dump(mode="json")
        return cls(
            token=str(fields.get("auth", "")),
            action=str(getattr(command, "EVENT_TYPE", "")),
            case_id=fields.get("case_id"),
            signed_fields=digest_fields(command),
            advisor_id=fields.get("advisor_id"),
        )


@dataclass(frozen=True, slots=True)
class AdvisorCommandGate:
    """Token, assignee, claim once (see the module docstring); one per service, over its tables."""

    advisor_keys: Table
    used_tokens: Table
    policy: TokenPolicy = TOKEN_POLICY

    @property
    def command_signers(self) -> Table:
        """The signers' keys, in the metadata of `advisor_keys` (shared.auth.define_auth_tables)."""
        return command_signers_table(self.advisor_keys.metadata)

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

    async def record_signer(self, conn: AsyncConnection, registered: CommandSignerRegistered) -> None:
        """The signer projection: one CommandSignerRegistered (directory.v1, directory.advisors.v1)."""
        await record_signer_key(
            conn,
            self.command_signers,
            signer_id=registered.signer_id,
            public_key_b64=registered.public_key_b64,
            valid_from=registered.valid_from,
            valid_until=registered.valid_until,
        )

    async def _verify(
        self, conn: AsyncConnection, command: SignedCommand, now: datetime, published_at: datetime | None
    ) -> VerifiedToken:
        claims = peek_claims(command.token)
        keys, signers = await stored_keys_for(conn, self.advisor_keys, self.command_signers, claims)
        return verify_token(
            command.token,
            lambda _advisor: keys,
            signer_keys=lambda _signer: signers,
            expected_action=command.action,
            expected_case_id=command.case_id,
            command_fields=command.signed_fields,
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

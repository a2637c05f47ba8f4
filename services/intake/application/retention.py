"""Erasure of a case's personal data: at the end of retention, or on the client's request.

Crypto-shredding (ARCHITECTURE.md, "Personal data"): the case key is deleted, so every sealed
field in the append-only log, the outbox and the topics becomes unreadable at once. Intake also
drops what it holds beside the log: the dialogue's sealed rows, the client-safe copy of the case's
planned meetings (the follow-up page that showed them is closed to the code now), and the receipt
code's hash and sealed copy (so the code no longer links anyone to the case). A meeting scheduled
after the erasure is not kept (adapters/client_meetings.py). Coded fields stay, and so the case
still counts in the statistics. `CasePersonalDataErased` records it, with coded fields only.

Order: the key is deleted inside the database transaction that marks the case erased. If the key
store fails, nothing changed; if the commit fails after the key is gone, the case's personal data
is already unreadable, and a retry (the job, the CLI, the client) finishes the marking.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.intake.adapters.client_meetings import forget_case as forget_meetings
from services.intake.adapters.tables import cases, messages, used_tokens
from services.intake.application.emit import emitter_for
from shared.auth import TOKEN_POLICY, forget_expired_tokens
from shared.contracts.intake import CasePersonalDataErased
from shared.crypto import KeyStore
from shared.db import is_postgres
from shared.outbox import Outgoing
from shared.periodic import every
from shared.unit_of_work import UnitOfWork

ErasureReason = Literal["retention_expired", "client_request", "operator_request"]


@dataclass(frozen=True, slots=True)
class Erasure:
    case_id: str
    outcome: Literal["erased", "already_erased", "unknown_case"]
    key_deleted_now: bool = False
    messages_deleted: int = 0


async def erase_case(
    conn: AsyncConnection, keystore: KeyStore, case_id: str, reason: ErasureReason, now: datetime
) -> tuple[Erasure, list[Outgoing]]:
    """Erase inside the caller's transaction; returns what happened and the event to emit."""
    query = select(cases.c.case_id, cases.c.erased_at).where(cases.c.case_id == case_id)
    if is_postgres(conn):
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    if row is None:
        return Erasure(case_id, "unknown_case"), []
    key_deleted = await keystore.erase(case_id, reason, now)
    if row.erased_at is not None:
        return Erasure(case_id, "already_erased", key_deleted), []
    removed = await conn.execute(messages.delete().where(messages.c.case_id == case_id))
    await forget_meetings(conn, case_id)  # no longer reachable by the client, and says when they meet
    await conn.execute(
        cases.update()
        .where(cases.c.case_id == case_id)
        .values(
            erased_at=now,
            receipt_hash=f"erased:{case_id}",
            receipt_sealed="",
        )
    )
    event = CasePersonalDataErased(case_id=case_id, reason=reason, erased_at=now)
    outgoing = [emitter_for(f"erase:{case_id}", now)(event, case_id)]
    return Erasure(case_id, "erased", key_deleted, int(removed.rowcount or 0)), outgoing


class RetentionJob:
    """Erases cases closed longer than the retention period ago."""

    def __init__(
        self,
        uow: UnitOfWork,
        keystore: KeyStore,
        clock: Callable[[], datetime],
        *,
        retention_days: int,
        interval: float,
        batch: int = 200,
    ) -> None:
        self._uow = uow
        self._keystore = keystore
        self._clock = clock
        self._retention = timedelta(days=retention_days)
        self._interval = interval
        self._batch = batch

    async def tick(self) -> int:
        """Erase every expired case; returns how many were erased now. Also forgets used token ids
        once no command carrying them could still be judged valid (TOKEN_POLICY.replay_window after
        expiry: a command is judged at its publication, up to max_queue_delay earlier)."""
        now = self._clock()
        async with self._uow.engine.begin() as conn:
            await forget_expired_tokens(conn, used_tokens, now, keep=TOKEN_POLICY.replay_window)
        erased = 0
        while True:
            async with self._uow.engine.connect() as conn:
                due = (
                    (
                        await conn.execute(
                            select(cases.c.case_id)
                            .where(
                                cases.c.status == "closed",
                                cases.c.erased_at.is_(None),
                                cases.c.closed_at < now - self._retention,
                            )
                            .limit(self._batch)
                        )
                    )
                    .scalars()
                    .all()
                )
            for case_id in due:

                async def work(
                    conn: AsyncConnection, case_id: str = case_id
                ) -> tuple[Erasure, list[Outgoing]]:
                    return await erase_case(conn, self._keystore, case_id, "retention_expired", now)

                result = await self._uow.run(work)
                erased += result.outcome == "erased"
            if len(due) < self._batch:
                return erased

    async def run(self, stop: asyncio.Event) -> None:
        await every(self._interval, self.tick, name="retention")(stop)

"""The case file as its assignee sees it, read from intake's tables and opened with the case key;
and the access log every read of it is recorded in."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.intake.adapters.dialogue_messages import read_thread
from services.intake.adapters.tables import assignments, case_access
from services.intake.adapters.tables import legal_deadlines as deadlines_table
from shared.contracts.intake import CaseFactsAmended, CaseOpened
from shared.crypto import CaseCipher, KeyStore
from shared.envelope import decode_envelope


async def _case_opened(conn: AsyncConnection, case_id: str, events: Table) -> CaseOpened:
    body = (
        await conn.execute(
            select(events.c.body)
            .where(events.c.stream_id == case_id, events.c.event_type == "CaseOpened")
            .order_by(events.c.position)
            .limit(1)
        )
    ).scalar_one()
    payload = decode_envelope(body.encode()).payload
    assert isinstance(payload, CaseOpened)
    return payload


async def _added_persons(
    conn: AsyncConnection, key: bytes, case_id: str, events: Table
) -> list[dict[str, Any]]:
    """The persons involved the assignees added (CaseFactsAmended), oldest first."""
    bodies = await conn.execute(
        select(events.c.body)
        .where(events.c.stream_id == case_id, events.c.event_type == "CaseFactsAmended")
        .order_by(events.c.position)
    )
    persons: list[dict[str, Any]] = []
    for body in bodies.scalars():
        amended = decode_envelope(body.encode()).payload
        assert isinstance(amended, CaseFactsAmended)
        added = CaseCipher.open_with_key(key, case_id, "amended_facts", amended.added_facts)
        for person in added.get("persons_involved", []):
            persons.append({**person, "added_at": amended.amended_at.isoformat()})
    return persons


async def _thread(conn: AsyncConnection, key: bytes, case_id: str) -> list[dict[str, Any]]:
    return [
        {
            "message_id": m.message_id,
            "author": m.author,
            "advisor_id": m.advisor_id,
            "posted_at": m.posted_at.isoformat(),
            "counts_as_feedback": m.counts_as_feedback,
            "text": m.text,
        }
        for m in await read_thread(conn, key, case_id)
    ]


async def _assignment(conn: AsyncConnection, case_id: str) -> dict[str, Any]:
    row = (await conn.execute(select(assignments).where(assignments.c.case_id == case_id))).first()
    return {
        "advisor_id": row.advisor_id if row else None,
        "accepted_at": row.accepted_at.isoformat() if row and row.accepted_at else None,
    }


async def _access_log(conn: AsyncConnection, case_id: str) -> list[dict[str, Any]]:
    access = await conn.execute(
        select(case_access.c.advisor_id, case_access.c.read_at)
        .where(case_access.c.case_id == case_id)
        .order_by(case_access.c.id)
    )
    return [{"advisor_id": a.advisor_id, "read_at": a.read_at.isoformat()} for a in access]


async def _deadlines(conn: AsyncConnection, case_id: str) -> list[dict[str, Any]]:
    rows = await conn.execute(select(deadlines_table).where(deadlines_table.c.case_id == case_id))
    return [{"deadline": d.deadline, "due_on": d.due_on.isoformat(), "state": d.state} for d in rows]


async def assemble_case_file(
    conn: AsyncConnection, keystore: KeyStore, events: Table, case_id: str
) -> dict[str, Any]:
    """Everything the assignee may see. Raises KeyErased/KeyNotFound when the key is gone."""
    key = await keystore.get_key(case_id, use_cache=False)
    opened = await _case_opened(conn, case_id, events)
    personal = CaseCipher.open_with_key(key, case_id, "personal", opened.personal)
    added = await _added_persons(conn, key, case_id, events)
    if added:  # shown with the client's own, each marked with when it was added
        personal = {**personal, "persons_involved": [*(personal.get("persons_involved") or []), *added]}
    return {
        "case_id": case_id,
        "coded": opened.model_dump(mode="json", exclude={"personal", "routing_facts", "receipt"}),
        "personal": personal,
        "routing_facts": CaseCipher.open_with_key(key, case_id, "routing_facts", opened.routing_facts),
        "assignment": await _assignment(conn, case_id),
        "messages": await _thread(conn, key, case_id),
        "access_log": await _access_log(conn, case_id),
        "legal_deadlines": await _deadlines(conn, case_id),
    }


async def record_read(
    conn: AsyncConnection, case_id: str, advisor_id: str, read_at: datetime
) -> dict[str, Any]:
    """Record a read in the access log; returns its entry as the case file lists it."""
    await conn.execute(case_access.insert().values(case_id=case_id, advisor_id=advisor_id, read_at=read_at))
    return {"advisor_id": advisor_id, "read_at": read_at.isoformat()}

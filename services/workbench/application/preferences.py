"""An advisor's choice of notification e-mails: on (to the address of their sign-in) or off."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.workbench.adapters import notification_store
from services.workbench.adapters.tables import notification_addresses


@dataclass(frozen=True, slots=True)
class NotificationChoice:
    on: bool
    address_known: bool


async def choice_of(engine: AsyncEngine, advisor_id: str) -> NotificationChoice:
    a = notification_addresses
    async with engine.connect() as conn:
        row = (
            await conn.execute(select(a.c.email, a.c.opted_out).where(a.c.advisor_id == advisor_id))
        ).first()
    if row is None:
        return NotificationChoice(on=True, address_known=False)
    return NotificationChoice(on=not row.opted_out, address_known=row.email is not None)


async def choose(engine: AsyncEngine, advisor_id: str, on: bool, now: datetime) -> None:
    """Off forgets the address at once; on keeps it, or waits for the next sign-in's."""
    async with engine.begin() as conn:
        await notification_store.set_opted_out(conn, advisor_id, not on, now)

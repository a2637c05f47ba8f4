"""Who may ask scheduling to act: the check every advisor command passes before it has any effect.

The gate itself (token, current assignee, the token's one use) is shared/advisor_commands.py, one
for every service; scheduling supplies its projection of the current assignee: the advisor routing
last announced for the case, once intake's CaseOpened has reached scheduling (before that there is
no location to meet at). An unknown case, someone else's case and a case scheduling does not know
yet all answer `not_assignee`: no answer tells a caller whether a case exists.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from services.scheduling.adapters import projection
from services.scheduling.adapters.projection import CaseFacts
from services.scheduling.adapters.tables import advisor_keys, used_tokens
from shared.advisor_commands import AdvisorCommandGate, SignedCommand
from shared.auth import Refusal
from shared.contracts.advisor_actions import BookQuietRoom, CancelMeeting, RequestMeeting

MeetingCommand = RequestMeeting | CancelMeeting | BookQuietRoom

GATE = AdvisorCommandGate(advisor_keys, used_tokens)


def acting_advisor(case: CaseFacts | None) -> str | None:
    """The advisor who may act on `case` now, or None (unknown, unassigned, not opened yet) (pure)."""
    if case is None or not case.opened:
        return None
    return case.advisor_id


async def current_assignee(conn: AsyncConnection, case_id: str) -> str | None:
    return acting_advisor(await projection.load_case(conn, case_id))


async def verify_actor(
    conn: AsyncConnection, command: MeetingCommand, now: datetime, published_at: datetime | None
) -> Refusal | None:
    """None when the gate admits the command (its token now spent in the caller's transaction)."""
    admitted = await GATE.admit(
        conn, SignedCommand.of(command), current_assignee, now=now, published_at=published_at
    )
    return admitted if isinstance(admitted, Refusal) else None

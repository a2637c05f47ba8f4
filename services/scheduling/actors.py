"""Who may ask scheduling to act: the check every advisor command passes before it has any effect.

First the signed token (shared/auth.py): it must be the acting advisor's, for this very command,
not expired when the command was published (the record's broker timestamp, one token policy for
every service), not seen before. Then the assignment: a meeting command about a case must come
from the case's current assignee as routing last announced it. Reason codes are those of
shared/auth.py plus `not_assignee`, which is also the answer for a case that does not exist or that
scheduling does not know yet: no answer tells a caller whether a case exists.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from services.scheduling.projection import CaseFacts
from services.scheduling.store import advisor_keys, used_tokens
from shared.auth import NOT_ASSIGNEE, AuthError, Refusal, advisor_keys_of, claim_token_once, verify_command
from shared.contracts.advisor_actions import BookQuietRoom, CancelMeeting, RequestMeeting

MeetingCommand = RequestMeeting | CancelMeeting | BookQuietRoom


def assignment_problem(command: MeetingCommand, case: CaseFacts | None) -> str | None:
    """A rejection reason code, or None when the acting advisor holds the case (pure)."""
    if isinstance(command, BookQuietRoom):
        return None  # an advisor books a quiet room for their own work; no case is involved
    if case is None or case.advisor_id != command.advisor_id or not case.opened:
        # Unknown, someone else's, or assigned but intake's CaseOpened has not reached scheduling
        # yet (no location to meet at): one answer for all.
        return NOT_ASSIGNEE
    return None


async def verify_actor(
    conn: AsyncConnection,
    command: MeetingCommand,
    case: CaseFacts | None,
    now: datetime,
    published_at: datetime | None,
) -> Refusal | None:
    """Token, then assignment, then the token's one use (recorded in the caller's transaction)."""
    keys = await advisor_keys_of(conn, advisor_keys, command.advisor_id)
    try:
        verified = verify_command(command, lambda _advisor: keys, now=now, published_at=published_at)
    except AuthError as exc:
        return Refusal(exc.reason, proven=False)
    if (problem := assignment_problem(command, case)) is not None:
        return Refusal(problem, proven=True)
    try:
        await claim_token_once(conn, used_tokens, verified, now)
    except AuthError as exc:
        return Refusal(exc.reason, proven=False)
    return None

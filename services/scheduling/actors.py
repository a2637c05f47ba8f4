"""Who may ask scheduling to act: the check every advisor command passes before it has any effect.

First the signed token (shared/auth.py): it must be the acting advisor's, for this very command,
not expired, not seen before. Then the assignment: a meeting command about a case must come from
the case's current assignee as routing last announced it. Reason codes are those of shared/auth.py
plus `not_assignee` and `case_unknown`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from services.scheduling.projection import CaseFacts
from services.scheduling.store import advisor_keys, used_tokens
from shared.auth import AuthError, advisor_keys_of, claim_token_once, verify_command
from shared.contracts.advisor_actions import BookQuietRoom, CancelMeeting, RequestMeeting

MeetingCommand = RequestMeeting | CancelMeeting | BookQuietRoom

NOT_ASSIGNEE = "not_assignee"
CASE_UNKNOWN = "case_unknown"
# A command may wait in the topic while scheduling catches up: accept a token this long after expiry.
QUEUE_LEEWAY = timedelta(minutes=2)


def assignment_problem(command: MeetingCommand, case: CaseFacts | None) -> str | None:
    """A rejection reason code, or None when the acting advisor holds the case (pure)."""
    if isinstance(command, BookQuietRoom):
        return None  # an advisor books a quiet room for their own work; no case is involved
    if case is None or case.advisor_id is None:
        return CASE_UNKNOWN
    if case.advisor_id != command.advisor_id:
        return NOT_ASSIGNEE
    if not case.opened:
        # Assigned, but intake's CaseOpened has not reached scheduling yet: no location to meet at.
        return CASE_UNKNOWN
    return None


async def verify_actor(
    conn: AsyncConnection, command: MeetingCommand, case: CaseFacts | None, now: datetime
) -> str | None:
    """Token, then assignment, then the token's one use (recorded in the caller's transaction)."""
    keys = await advisor_keys_of(conn, advisor_keys, command.advisor_id)
    try:
        verified = verify_command(command, lambda _advisor: keys, now=now, leeway=QUEUE_LEEWAY)
    except AuthError as exc:
        return exc.reason
    if (problem := assignment_problem(command, case)) is not None:
        return problem
    try:
        await claim_token_once(conn, used_tokens, verified, now)
    except AuthError as exc:
        return exc.reason
    return None

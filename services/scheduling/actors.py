"""Who may ask scheduling to act: the hook every advisor command passes before it has any effect.

Today it checks assignment only: a meeting command about a case must come from the case's current
assignee as routing last announced it. Signed advisor tokens (shared/auth.py, `verify_command`
with the keys from `AdvisorKeyRegistered`) belong here too: verify the token first and return its
reason code (token_expired, signature_invalid, ...) when it fails, then the assignment.
"""

from __future__ import annotations

from services.scheduling.projection import CaseFacts
from shared.contracts.advisor_actions import BookQuietRoom, CancelMeeting, RequestMeeting

MeetingCommand = RequestMeeting | CancelMeeting | BookQuietRoom

NOT_ASSIGNEE = "not_assignee"
CASE_UNKNOWN = "case_unknown"


def verify_actor(command: MeetingCommand, case: CaseFacts | None) -> str | None:
    """A rejection reason code, or None when the acting advisor may do this.

    `case` is what scheduling knows of the command's case (None: nothing, or no case involved).
    """
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

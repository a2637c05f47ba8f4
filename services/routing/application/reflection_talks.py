"""Use case: a coordinator registers the yearly reflection talk with one of their advisors
(`RegisterReflectionTalk`, shared/contracts/advisor_actions.py).

The talk is about the advisor's functioning, never about cases (the study, §2.6), and only its date
is kept. Routing admits it because routing is the service that knows the coordinators
(CoordinatorAppointed on directory.v1) and every advisor's organisation: the command carries no
case, so the gate proves the signer and spends the token (shared/advisor_commands.py, no step 2),
and the rules here decide. The answer is a `ReflectionTalkRegistered` on routing.alerts.v1, beside
the other signals for the coordinator, or a proven `AdvisorCommandRejected`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from services.routing.domain.directory import Directory
from shared.auth import Refusal
from shared.contracts.advisor_actions import CoordinatorRefusal, RegisterReflectionTalk
from shared.contracts.routing import ReflectionTalkRegistered
from shared.emitter import Emitter
from shared.legal_deadlines import local_date
from shared.outbox import Outgoing
from shared.topics import ROUTING_ALERTS

# A talk registered late is fine; one more than a year old belongs to an earlier cycle.
LONGEST_LOOK_BACK = timedelta(days=366)


def refusal_for(directory: Directory, command: RegisterReflectionTalk, now: datetime) -> str | None:
    """None if the coordinator may register this talk, else the CoordinatorRefusal code.

    An unknown advisor answers as one of another organisation: no answer tells who exists."""
    advisor = directory.advisor(command.talk_with_advisor_id)
    organisation = advisor.organisation_id if advisor is not None else None
    if organisation is None or not directory.coordinates(command.advisor_id, organisation):
        return CoordinatorRefusal.NOT_COORDINATOR.value
    today = local_date(now)
    if command.held_on > today:
        return CoordinatorRefusal.TALK_DATE_IN_FUTURE.value
    if today - command.held_on > LONGEST_LOOK_BACK:
        return CoordinatorRefusal.TALK_DATE_TOO_LONG_AGO.value
    return None


def register(
    directory: Directory, command: RegisterReflectionTalk, now: datetime, emit: Emitter
) -> list[Outgoing] | Refusal:
    """The admitted command carried out, or the (proven) refusal."""
    reason = refusal_for(directory, command, now)
    if reason is not None:
        return Refusal(reason, proven=True)
    registered = ReflectionTalkRegistered(
        advisor_id=command.talk_with_advisor_id,
        coordinator_id=command.advisor_id,
        held_on=command.held_on,
        registered_at=now,
    )
    return [emit.to(ROUTING_ALERTS.name)(registered, command.talk_with_advisor_id)]

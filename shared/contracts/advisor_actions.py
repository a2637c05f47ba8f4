"""Commands from the advisors' workbench on `advisor.actions.v1`.

Each command is validated by the service that owns its effect (intake: case lifecycle; routing:
conflicts and amended facts; scheduling: meetings; reporting counts what the owners emit). Every
command carries `auth`, a signed advisor token (shared/auth.py: a JWS signed by the advisor's key or by
a registered command signer such as the workbench; `authorize_command` signs, `verify_command` checks); a command whose token does not prove the acting advisor is the case's current assignee is
rejected with a reason code. For a whistleblower report, AcceptCase is also the acknowledgement of
receipt; ProvideFeedback records that the legal feedback was given (docs/case-file.md).
Personal content (names of persons added, free text) travels only sealed under the case key; the
clear fields are ids, numbers, times and codes (`DeclareConflict.reason`, `RegisterTraining.kind`,
`BookQuietRoom.location`). A value that is not one of a coded field's codes (an older record's free
text, a misbehaving sender) is read as `None` and never kept: the owning service refuses the
command with a reason code (`unknown_conflict_reason`, `unknown_training_kind`,
`unknown_location_code`) before anything else,
and the refusal carries no id the sender supplied.

`AssignEscalatedCase` is a coordinator's command, signed like any other: its `advisor_id` is the
coordinator who signs it (the id the token names), `chosen_advisor_id` the advisor they assign.
Routing admits it only from a coordinator of the case's organisation while the case is escalated,
and only to an advisor the routing policy finds eligible; its refusals are `CoordinatorRefusal`.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from pydantic import BeforeValidator, Field

from shared.codes import ConflictReason, MeetingMode, Outcome, TimeActivity, TrainingKind
from shared.crypto import Sealed
from shared.envelope import EventPayload, event_type
from shared.locations import is_known, location_code
from shared.validation import ContractInstant

E = TypeVar("E", bound=StrEnum)


def _code_or_none(codes: type[E]) -> BeforeValidator:
    """Read a coded field: one of `codes`, or None for anything else (the value is dropped)."""

    def read(value: Any) -> Any:
        return value if isinstance(value, str) and value in codes._value2member_map_ else None

    return BeforeValidator(read)


def _read_location_code(value: Any) -> Any:
    """A location code of the configured catalogue (shared/locations.py), exactly; None otherwise.

    A town name ("Den Haag") is not a code either: the workbench offers the codes, and a name would
    be caller-chosen text in a topic kept forever."""
    if isinstance(value, str) and is_known(value) and location_code(value) == value:
        return value
    return None


# `None`: the sender's value was not a code (see the module docstring); refused, never kept.
ConflictReasonCode = Annotated[ConflictReason | None, _code_or_none(ConflictReason)]
TrainingKindCode = Annotated[TrainingKind | None, _code_or_none(TrainingKind)]
LocationCode = Annotated[str | None, BeforeValidator(_read_location_code)]


class CoordinatorRefusal(StrEnum):
    """Why routing refused an `AssignEscalatedCase` (its `AdvisorCommandRejected.reason_code`).

    The policy's rules about persons (R1-R6, R23: who manages whom, who is involved, whom the client
    excluded, that top management is involved) are sealed in routing's decisions, so in clear they
    are one code, `chosen_advisor_conflict_of_interest`; the rest name what the coordinator can
    change by choosing someone else."""

    NOT_COORDINATOR = "not_coordinator"  # not a coordinator of the case's organisation; also: unknown case
    CASE_NOT_ESCALATED = "case_not_escalated"  # an advisor holds it, or it was closed or erased
    CHOSEN_ADVISOR_UNKNOWN = "chosen_advisor_unknown"  # not in the directory
    CHOSEN_ADVISOR_UNAVAILABLE = "chosen_advisor_unavailable"  # R8: on leave, departed, outside the term
    CHOSEN_ADVISOR_KIND_MISMATCH = "chosen_advisor_kind_mismatch"  # R7: VPI/VPO/VPIO does not cover it
    CHOSEN_ADVISOR_LANGUAGE_MISMATCH = "chosen_advisor_language_mismatch"  # R9: not the client's language
    CHOSEN_ADVISOR_CONFLICT_OF_INTEREST = "chosen_advisor_conflict_of_interest"  # R1-R6, R23
    # RegisterReflectionTalk: the talk is dated after today, or more than a year before it.
    TALK_DATE_IN_FUTURE = "talk_date_in_future"
    TALK_DATE_TOO_LONG_AGO = "talk_date_too_long_ago"


class _Command(EventPayload):
    advisor_id: str
    auth: str  # signed token proving advisor_id; verified offline with the advisor's public key
    issued_at: ContractInstant


# Any command of this topic, for code that signs or sends them without caring which one.
AdvisorCommand = _Command


@event_type("AcceptCase")
class AcceptCase(_Command):
    case_id: str


@event_type("DeclareConflict")
class DeclareConflict(_Command):
    case_id: str
    reason: ConflictReasonCode


@event_type("LogTime")
class LogTime(_Command):
    case_id: str | None  # None: time not tied to a case (publicity, training)
    minutes: int = Field(gt=0, le=24 * 60)
    activity: TimeActivity


@event_type("AmendCaseFacts")
class AmendCaseFacts(_Command):
    case_id: str
    # {"persons_involved": [{"person_id"?, "role"?, "description"?}]} sealed under the case key.
    added_facts: Sealed


@event_type("RequestMeeting")
class RequestMeeting(_Command):
    case_id: str
    mode: MeetingMode | None = None
    earliest: ContractInstant | None = None


@event_type("CancelMeeting")
class CancelMeeting(_Command):
    case_id: str
    meeting_id: str
    reschedule: bool = False


@event_type("BookQuietRoom")
class BookQuietRoom(_Command):
    """A quiet room for the advisor alone: a confidential phone call or writing up a talk (§2.2)."""

    location: LocationCode  # a code of shared/locations.py's catalogue, e.g. "den_haag"
    minutes: int = Field(gt=0, le=8 * 60)


@event_type("RecordOutcome")
class RecordOutcome(_Command):
    case_id: str
    outcome: Outcome


@event_type("CloseCase")
class CloseCase(_Command):
    case_id: str
    outcomes: tuple[Outcome, ...] = Field(min_length=1)


@event_type("ProvideFeedback")
class ProvideFeedback(_Command):
    """Whistleblower report: the advisor gave the reporter feedback on the follow-up (in a talk, by
    phone; feedback given through the anonymous dialogue is marked on the message instead)."""

    case_id: str


@event_type("RegisterTraining")
class RegisterTraining(_Command):
    hours: float = Field(gt=0, le=200)
    kind: TrainingKindCode
    completed_on: ContractInstant


@event_type("RegisterSupervision")
class RegisterSupervision(_Command):
    hours: float = Field(gt=0, le=50)
    session_on: ContractInstant


@event_type("AssignEscalatedCase")
class AssignEscalatedCase(_Command):
    """A coordinator assigns an escalated case to an advisor of their choice, typically an external
    or cross-unit advisor outside the case's own scope (§2.6). `advisor_id` is the coordinator."""

    case_id: str
    chosen_advisor_id: str


@event_type("RegisterReflectionTalk")
class RegisterReflectionTalk(_Command):
    """A coordinator registers that they held the yearly reflection talk with an advisor: a talk
    about the advisor's functioning, never about cases (the study, §2.6). Only the date is kept, no
    notes. `advisor_id` is the coordinator (the signer), `talk_with_advisor_id` the advisor; routing
    admits it only from a coordinator of that advisor's organisation (`not_coordinator` otherwise,
    also for an unknown advisor), for a day from a year before today up to today."""

    talk_with_advisor_id: str
    held_on: date

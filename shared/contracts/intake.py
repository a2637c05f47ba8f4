"""Contracts owned by intake: the frontend submission, CaseOpened, SubmissionRejected, and the
case lifecycle after routing (accept, time, outcome, closure, dialogue, legal deadlines, erasure).

Coded fields travel in clear (DOMAIN.md, "Coded fields"); personal fields only as `Sealed`
ciphertext under the case key. Lifecycle events go to `intake.cases.v1`, keyed by case id (or by
advisor id for events that belong to no case: time without a case, training, supervision).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field, model_validator

from shared.codes import Category, Channel, ClientRole, MeetingMode, Outcome, TimeActivity
from shared.crypto import Sealed
from shared.envelope import EventPayload, JsonDict, event_type, upcaster
from shared.locations import location_code
from shared.validation import MAX_AVAILABILITY_WINDOW, ContractInstant, bounded_window


class AvailabilityWindow(EventPayload):
    """A window every service can plan with: zoned, in the contract range, at most 14 days long
    (shared/validation.py; intake's edge also requires it near the time of the submission)."""

    start: ContractInstant
    end: ContractInstant

    @model_validator(mode="after")
    def _bounded(self) -> AvailabilityWindow:
        bounded_window(self.start, self.end, longest=MAX_AVAILABILITY_WINDOW)
        return self


@event_type("CaseOpened", version=3)
class CaseOpened(EventPayload):
    case_id: str
    submission_id: str
    opened_at: ContractInstant
    channel: Channel
    organisation_id: str
    unit_id: str
    client_role: ClientRole
    anonymous: bool
    categories: tuple[Category, ...] = Field(min_length=1)
    wants_external_advisor: bool = False
    language: str | None = None
    # The client's town as a code of the configured catalogue (shared/locations.py): None when not
    # given, "unknown" when not in the catalogue. The town as typed is in `personal`, sealed.
    location_code: str | None = None
    meeting_mode: MeetingMode | None = None
    away_from_own_unit: bool = False
    availability: tuple[AvailabilityWindow, ...] = ()
    is_whistleblower_report: bool = False
    # Contact details, narrative, the description of persons involved and the town as typed
    # (`location`): for the assigned advisor.
    personal: Sealed
    # Who is involved (pseudonymous ids and roles), the client's own id, preferred and excluded
    # advisors: for routing, which holds key access, and for the advisor.
    routing_facts: Sealed
    # The receipt code given to the client (their only key to the follow-up page), sealed under the
    # case key with purpose "receipt" as intake's own row holds it: a restored intake database
    # rebuilds its case from this event (D55), and erasing the key erases the code. Nobody else
    # opens it. None on records from before it was published.
    receipt: Sealed | None = None


@upcaster("CaseOpened", from_version=1)
def _case_opened_v1_to_v2(payload: JsonDict) -> JsonDict:
    """v1 had one `category` and no `language`; v2 has `categories` (a contact may carry several)."""
    payload["categories"] = [payload.pop("category")]
    payload.setdefault("language", None)
    return payload


@upcaster("CaseOpened", from_version=2)
def _case_opened_v2_to_v3(payload: JsonDict) -> JsonDict:
    """v2 carried the client's town as clear free text (`location`); v3 carries only its code.

    The old text is matched to the catalogue like a new submission's and then dropped: no reader
    of an old record stores or re-publishes the town as typed. It cannot be added to the sealed
    `personal` part (the upcaster has no key), so the case file of an old case shows no town.
    """
    payload["location_code"] = location_code(payload.pop("location", None))
    return payload


@event_type("SubmissionRejected", version=1)
class SubmissionRejected(EventPayload):
    """A submission that parsed but broke a rule. Reason code and field path only: no values."""

    submission_id: str | None
    source: str  # "kafka" or "http"
    source_position: str | None  # topic:partition:offset for Kafka
    reason: str
    field: str | None = None
    rejected_at: datetime


@event_type("ClientFeedbackGiven", version=1)
class ClientFeedbackGiven(EventPayload):
    """Anonymous short client feedback after contact, given through the receipt-code channel."""

    case_id: str
    rating: int = Field(ge=1, le=5)  # 1 very dissatisfied .. 5 very satisfied
    given_at: datetime


# -- lifecycle: advisor actions applied by intake --------------------------------------------------


@event_type("CaseAccepted", version=1)
class CaseAccepted(EventPayload):
    """The assigned advisor took the case on. For a whistleblower report this is the
    acknowledgement of receipt (`acknowledges_report`), which starts the feedback deadline."""

    case_id: str
    advisor_id: str
    accepted_at: datetime
    acknowledges_report: bool = False
    # The event id of routing's decision that made `advisor_id` the assignee (the acceptance is of
    # that decision): a restored intake, which consumes the decisions before it again, keeps the
    # acceptance when it comes to that decision (D55). None on records from before it was published.
    decision_id: str | None = None


@event_type("TimeLogged", version=1)
class TimeLogged(EventPayload):
    advisor_id: str
    case_id: str | None  # None: time not tied to a case (publicity, training)
    minutes: int = Field(gt=0, le=24 * 60)
    activity: TimeActivity
    logged_at: datetime


@event_type("OutcomeRecorded", version=1)
class OutcomeRecorded(EventPayload):
    case_id: str
    advisor_id: str
    outcome: Outcome
    recorded_at: datetime


@event_type("CaseClosed", version=1)
class CaseClosed(EventPayload):
    case_id: str
    advisor_id: str
    outcomes: tuple[Outcome, ...] = Field(min_length=1)
    closed_at: datetime


@event_type("TrainingRegistered", version=1)
class TrainingRegistered(EventPayload):
    advisor_id: str
    hours: float = Field(gt=0, le=200)
    kind: str  # basic_course | refresher | specialist
    completed_on: datetime
    registered_at: datetime


@event_type("SupervisionRegistered", version=1)
class SupervisionRegistered(EventPayload):
    """A supervision session (intervisie) the advisor took part in."""

    advisor_id: str
    hours: float = Field(gt=0, le=50)
    session_on: datetime
    registered_at: datetime


@event_type("CaseFileRead", version=1)
class CaseFileRead(EventPayload):
    """An access event: the assigned advisor opened the case file. Shown to the advisor."""

    case_id: str
    advisor_id: str
    read_at: datetime


# -- the anonymous dialogue (receipt code) ----------------------------------------------------------


@event_type("ClientMessagePosted", version=1)
class ClientMessagePosted(EventPayload):
    case_id: str
    message_id: str
    posted_at: datetime
    content: Sealed  # {"text": ...} under the case key, purpose "dialogue"


@event_type("AdvisorMessagePosted", version=1)
class AdvisorMessagePosted(EventPayload):
    case_id: str
    message_id: str
    advisor_id: str
    posted_at: datetime
    content: Sealed  # {"text": ...} under the case key, purpose "dialogue"
    counts_as_feedback: bool = False  # the legal feedback to a whistleblower, given in the dialogue


@event_type("CaseFactsAmended", version=1)
class CaseFactsAmended(EventPayload):
    """The assignee added facts to the case (persons involved), through intake's case-file API.
    Routing folds them like an AmendCaseFacts command (and re-checks the assignment); intake's case
    file shows them. Ids and a time in clear; the persons only sealed."""

    case_id: str
    amendment_id: str
    advisor_id: str
    amended_at: datetime
    # {"persons_involved": [{"role"?, "person_id"?, "description"?}]} under the case key, purpose
    # "amended_facts" (the purpose routing opens amendments with).
    added_facts: Sealed


# -- legal deadlines for formal whistleblower reports (Wet bescherming klokkenluiders, 2019/1937) --

LegalDeadline = Literal["acknowledgement", "feedback"]


@event_type("LegalDeadlineSet", version=1)
class LegalDeadlineSet(EventPayload):
    """Acknowledgement: 7 days after receipt. Feedback: 3 calendar months after the
    acknowledgement (or after the 7 days, if no acknowledgement was given). Dates are
    Europe/Amsterdam calendar dates; the deadline ends at the end of `due_on`."""

    case_id: str
    deadline: LegalDeadline
    basis_on: date  # the day the period started from
    due_on: date
    set_at: datetime


@event_type("LegalDeadlineDue", version=1)
class LegalDeadlineDue(EventPayload):
    """At risk: the deadline ends within the warning period and is not met yet."""

    case_id: str
    deadline: LegalDeadline
    due_on: date
    days_left: int
    noticed_at: datetime


@event_type("LegalDeadlineMet", version=1)
class LegalDeadlineMet(EventPayload):
    case_id: str
    deadline: LegalDeadline
    due_on: date
    met_at: datetime
    on_time: bool = True  # False: met after LegalDeadlineMissed


@event_type("LegalDeadlineMissed", version=1)
class LegalDeadlineMissed(EventPayload):
    case_id: str
    deadline: LegalDeadline
    due_on: date
    noticed_at: datetime


# -- retention ---------------------------------------------------------------------------------------


@event_type("CasePersonalDataErased", version=1)
class CasePersonalDataErased(EventPayload):
    """The case key is deleted: every sealed field of the case is unreadable from now on.
    Coded fields (and so the statistics) stay."""

    case_id: str
    reason: Literal["retention_expired", "client_request", "operator_request"]
    erased_at: datetime


def sealed_fields() -> dict[str, Any]:
    """For tests and docs: which CaseOpened fields are ciphertext."""
    return {"personal": Sealed, "routing_facts": Sealed, "receipt": Sealed}

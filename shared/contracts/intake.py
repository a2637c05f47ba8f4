"""Contracts owned by intake: the frontend submission, CaseOpened, SubmissionRejected.

Coded fields travel in clear (DOMAIN.md, "Coded fields"); personal fields only as `Sealed`
ciphertext under the case key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from shared.codes import Category, Channel, ClientRole, MeetingMode
from shared.crypto import Sealed
from shared.envelope import EventPayload, JsonDict, event_type, upcaster


class AvailabilityWindow(EventPayload):
    start: datetime
    end: datetime


@event_type("CaseOpened", version=2)
class CaseOpened(EventPayload):
    case_id: str
    submission_id: str
    opened_at: datetime
    channel: Channel
    organisation_id: str
    unit_id: str
    client_role: ClientRole
    anonymous: bool
    categories: tuple[Category, ...] = Field(min_length=1)
    wants_external_advisor: bool = False
    language: str | None = None
    location: str | None = None
    meeting_mode: MeetingMode | None = None
    away_from_own_unit: bool = False
    availability: tuple[AvailabilityWindow, ...] = ()
    is_whistleblower_report: bool = False
    # Contact details, narrative and the description of persons involved: for the assigned advisor.
    personal: Sealed
    # Who is involved (pseudonymous ids and roles), the client's own id, preferred and excluded
    # advisors: for routing, which holds key access, and for the advisor.
    routing_facts: Sealed


@upcaster("CaseOpened", from_version=1)
def _case_opened_v1_to_v2(payload: JsonDict) -> JsonDict:
    """v1 had one `category` and no `language`; v2 has `categories` (a contact may carry several)."""
    payload["categories"] = [payload.pop("category")]
    payload.setdefault("language", None)
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


def sealed_fields() -> dict[str, Any]:
    """For tests and docs: which CaseOpened fields are ciphertext."""
    return {"personal": Sealed, "routing_facts": Sealed}

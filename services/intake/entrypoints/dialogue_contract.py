"""The dialogue API's contract: its bodies as pydantic models and its operations as one table.

The handlers (dialogue.py) read requests and write answers through these models, and its routes
are made from `OPERATIONS`; the OpenAPI document (openapi.py, docs/openapi/intake.json)
is generated from the same two, so the document cannot say what the code does not do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.intake.application.dialogue_wait import MAX_WAIT_SECONDS
from services.intake.domain.messages import MAX_MESSAGE_CHARS


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class MessageIn(_Body):
    """A message from the client to the advisor."""

    text: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)


class FeedbackIn(_Body):
    """The client's one anonymous rating of the help: 1 (poor) to 5 (very good)."""

    rating: int = Field(ge=1, le=5)


class ThreadMessage(_Body):
    """One message of the dialogue. The advisor is not named: the client learns no identity."""

    message_id: str
    author: Literal["client", "advisor"]
    posted_at: str = Field(json_schema_extra={"format": "date-time"})
    text: str


class NextMeeting(_Body):
    """The next meeting scheduling planned for the case (not cancelled, not over), in neutral facts:
    when, and how. No advisor, room, venue or title. A moved meeting shows its new time."""

    start: str = Field(json_schema_extra={"format": "date-time"})
    end: str = Field(json_schema_extra={"format": "date-time"})
    mode: Literal["on_site_discreet_room", "off_site_venue", "phone", "video"]


class Thread(_Body):
    """Where the case stands and its messages, oldest first (with `after`: only the newer ones);
    `next_meeting` is null when no meeting is planned (or the case is closed)."""

    case_ref: str
    status: Literal["received", "accepted", "closed"]
    messages: list[ThreadMessage]
    feedback_given: bool
    next_meeting: NextMeeting | None = None


class Posted(_Body):
    status: Literal["posted"]
    message_id: str


class Recorded(_Body):
    status: Literal["recorded"]


class Erased(_Body):
    """`erased` also when the data was erased before; `unknown` when nothing could be erased."""

    status: Literal["erased", "unknown"]


class Refusal(_Body):
    """Why a request was refused: `unknown_receipt_code` (404), `too_many_attempts` (429, with
    Retry-After), `invalid_body` or `invalid_query` (400), `case_closed` or `feedback_already_given` (409)."""

    status: Literal["refused"]
    reason: str


@dataclass(frozen=True)
class Parameter:
    name: str
    description: str
    schema: dict[str, object]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    handler: str  # the DialogueApi method that answers it
    summary: str
    answers: dict[int, tuple[type[BaseModel], str]]
    body: type[BaseModel] | None = None
    query: tuple[Parameter, ...] = field(default=())
    headers: tuple[Parameter, ...] = field(default=())
    secured: bool = True  # needs the receipt code (X-Receipt-Code); False: opening a case
    operation_id: str = ""  # the document's operationId when not the handler's name


REFUSED_CODE = {
    404: "No live case for this receipt code (wrong, missing or erased).",
    429: "Too many wrong codes; see Retry-After.",
}
AFTER = Parameter(
    "after",
    "Only the messages after this message id (all of them when the id is not in the thread).",
    {"type": "string", "maxLength": 64},
)
WAIT = Parameter(
    "wait",
    "Long-poll: wait up to this many seconds for a message after `after`; answers at once when "
    "there is one, with an empty list when the time is up.",
    {"type": "integer", "minimum": 0, "maximum": MAX_WAIT_SECONDS},
)

RESEND_KEY = Parameter(
    "Idempotency-Key",
    "Optional: a message sent again with the same key (8-64 of A-Z a-z 0-9 _ -) is posted once and "
    "answered with the same message id, so a chat widget may retry after a timeout.",
    {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$"},
)

OPERATIONS = (
    Operation(
        "GET",
        "/v1/dialogue/messages",
        "read",
        "Read the dialogue; with `wait`, wait for new messages (long-poll)",
        {200: (Thread, "The thread."), 400: (Refusal, "`after` or `wait` is not valid.")},
        query=(AFTER, WAIT),
    ),
    Operation(
        "POST",
        "/v1/dialogue/messages",
        "post",
        "Send a message to the advisor",
        {
            201: (Posted, "Stored, sealed (or sent before with this Idempotency-Key)."),
            400: (Refusal, "Not a valid message, or not a valid Idempotency-Key."),
            409: (Refusal, "The case is closed."),
        },
        body=MessageIn,
        headers=(RESEND_KEY,),
    ),
    Operation(
        "POST",
        "/v1/dialogue/feedback",
        "rate",
        "Give the one anonymous rating of the help",
        {201: (Recorded, "Recorded."), 400: (Refusal, "Not a rating."), 409: (Refusal, "Already rated.")},
        body=FeedbackIn,
    ),
    Operation(
        "DELETE",
        "/v1/dialogue",
        "erase",
        "Erase the case's personal data (the code stops working)",
        {200: (Erased, "Erased.")},
    ),
)

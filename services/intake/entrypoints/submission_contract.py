"""POST /v1/submissions as a contract: its answers as pydantic models and its operation in the
table the OpenAPI document is generated from (openapi.py), like the dialogue's (dialogue_contract.py).

A chat or web frontend opens a case here and keeps the receipt code it gets back; everything after
that goes through the dialogue API with the code. The body is the Submission contract
(services/intake/domain/submission.py, also docs/schemas/Submission.v1.json).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from services.intake.domain.submission import Submission
from services.intake.entrypoints.dialogue_contract import Operation, Parameter


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Received(_Answer):
    """Taken in: the case's reference and the receipt code the client keeps. `passed_on` false:
    stored safely, not yet on the broker; it is passed on as soon as it can be, nothing to resend (D42).
    `receipt_code` is null for a submission sent again after its case was erased: the code went
    with the case's key."""

    status: Literal["received"]
    case_ref: str | None
    receipt_code: str | None
    passed_on: bool


class SubmissionRefusal(_Answer):
    """Not taken in, and why: a reason code (docs/topics.md, intake.rejections.v1), the field it is
    about, and `retryable` when nothing was kept and the same submission may be sent again later."""

    status: Literal["rejected"]
    reason: str
    field: str | None = None
    submission_id: str | None = None
    retryable: bool | None = None


IDEMPOTENCY_KEY = Parameter(
    "Idempotency-Key",
    "Optional: the same key sent again answers with the same case and receipt code (8-64 of "
    "A-Z a-z 0-9 _ -). Without it, the submission's own `submission_id` keys retries.",
    {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$"},
)

SUBMISSION_OPERATIONS = (
    Operation(
        "POST",
        "/v1/submissions",
        "post",
        "Open a case: a web, chat, phone or walk-in submission",
        {
            201: (Received, "Opened; keep the receipt code."),
            200: (Received, "The same submission again: the case it opened before."),
            400: (SubmissionRefusal, "Not a JSON object, or an invalid Idempotency-Key."),
            413: (SubmissionRefusal, "Too large."),
            422: (
                SubmissionRefusal,
                "A rule of the Submission contract was broken; see `reason` and `field`.",
            ),
            503: (SubmissionRefusal, "Not taken in for now (`retryable`); send it again after Retry-After."),
        },
        body=Submission,
        headers=(IDEMPOTENCY_KEY,),
        secured=False,
        operation_id="openCase",
    ),
)

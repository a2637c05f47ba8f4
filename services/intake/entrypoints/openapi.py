"""What intake's HTTP routes mean, for its OpenAPI document (shared/openapi.py builds it from the
route table; docs/openapi/intake.json is the committed copy, GET /openapi.json the served one).

Opening a case (submission_contract.py) and the dialogue (dialogue_contract.py) come from the
contracts their handlers parse and answer through, so those parts cannot say what the code does
not do. The case file, the follow-up page, the web form, the directory status and the submission
key are described here. Regenerate docs/openapi/ with `caseflow contracts generate`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from services.intake.entrypoints.dialogue_contract import OPERATIONS, REFUSED_CODE, Refusal
from services.intake.entrypoints.dialogue_contract import Operation as ContractOperation
from services.intake.entrypoints.submission_contract import SUBMISSION_OPERATIONS
from shared.openapi import HTML, Answer, Operation, Parameter, ServiceApi, form_body
from shared.submission_sealing import KEY_ENDPOINT

RECEIPT_CODE = "receiptCode"
ADVISOR_TOKEN = "advisorToken"
SECURITY = {
    RECEIPT_CODE: {"type": "apiKey", "in": "header", "name": "X-Receipt-Code"},
    ADVISOR_TOKEN: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A token the case's assignee signs for exactly this request (shared/auth.py).",
    },
}
RETRY_AFTER = Parameter("Retry-After", "Seconds.", {"type": "integer"}, where="header")
LANG = Parameter("lang", "The page's language (default nl).", {"type": "string", "enum": ["nl", "en"]})


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CaseFileRefusal(_Doc):
    """A reason code and nothing about the case: `not_assignee` (403) for an unknown, someone
    else's or an erased case, a token problem (401), `case_closed` or `not_accepted` (409),
    `invalid_body` (400)."""

    status: Literal["refused"]
    reason: str


class AdvisorMessagePosted(_Doc):
    status: Literal["posted"]
    message_id: str
    counts_as_feedback: bool


class FactsAmended(_Doc):
    status: Literal["amended"]
    amendment_id: str


class AdvisorMessageIn(_Doc):
    """The assignee's message to the client."""

    text: str
    counts_as_feedback: bool = False


class AddedPerson(_Doc):
    role: str
    description: str | None = None
    person_id: str | None = None


class FactsIn(_Doc):
    """Persons involved, added by the assignee."""

    persons_involved: list[AddedPerson]


class DirectoryStatus(_Doc):
    """How much of the directory intake knows: counts only."""

    loaded: bool
    organisations: int
    units: int


class SubmissionKey(_Doc):
    """The public key frontends seal submissions to (docs/sealed-submissions.md)."""

    alg: Literal["crypto_box_seal"]
    key_id: str
    public_key: str
    use_until: str
    accept_until: str


class Starting(_Doc):
    status: Literal["starting"]


def _contract_answers(op: ContractOperation) -> dict[int, Answer]:
    """The operation's answers; a secured one also answers the receipt code's refusals."""
    refused: dict[int, tuple[type[BaseModel], str]] = {c: (Refusal, why) for c, why in REFUSED_CODE.items()}
    answers = {**op.answers, **(refused if op.secured else {})}
    retry = {429: (RETRY_AFTER,), 503: (RETRY_AFTER,)}
    return {code: Answer(why, model, headers=retry.get(code, ())) for code, (model, why) in answers.items()}


def _from_contract(op: ContractOperation) -> Operation:
    """A contract's operation (the table its handlers are routed from) as a document operation."""
    query = tuple(Parameter(p.name, p.description, p.schema) for p in op.query)
    headers = tuple(Parameter(p.name, p.description, p.schema, where="header") for p in op.headers)
    return Operation(
        *(op.method, op.path, op.summary, _contract_answers(op)),
        operation_id=op.operation_id or op.handler,
        parameters=(*query, *headers),
        body=op.body,
        security=(RECEIPT_CODE,) if op.secured else (),
        tags=("dialogue",) if op.secured else ("submissions",),
    )


def _page(description: str) -> Answer:
    return Answer(description, media_type=HTML)


_CASE_REFUSALS = {
    401: Answer("No usable token.", CaseFileRefusal),
    403: Answer("Not this advisor's case (or no such case).", CaseFileRefusal),
    409: Answer("The case is closed or not accepted.", CaseFileRefusal),
}
CASE_FILE = (
    Operation(
        "GET",
        "/v1/cases/{case_id}",
        "Read the case file (the assignee only); the read is recorded in the access log",
        {200: Answer("The case file.", schema={"type": "object"}), **_CASE_REFUSALS},
        operation_id="readCaseFile",
        security=(ADVISOR_TOKEN,),
        tags=("case file",),
    ),
    Operation(
        "POST",
        "/v1/cases/{case_id}/messages",
        "Send the client a message (the assignee only)",
        {
            201: Answer("Posted.", AdvisorMessagePosted),
            400: Answer("Not a valid message.", CaseFileRefusal),
            **_CASE_REFUSALS,
        },
        operation_id="postAdvisorMessage",
        body=AdvisorMessageIn,
        security=(ADVISOR_TOKEN,),
        tags=("case file",),
    ),
    Operation(
        "POST",
        "/v1/cases/{case_id}/facts",
        "Add persons involved to the case's facts (the assignee only)",
        {
            201: Answer("Amended.", FactsAmended),
            400: Answer("Not valid facts.", CaseFileRefusal),
            **_CASE_REFUSALS,
        },
        operation_id="amendFacts",
        body=FactsIn,
        security=(ADVISOR_TOKEN,),
        tags=("case file",),
    ),
)

_CODE = "The receipt code (a hidden field after the first step; never in a URL)."
_WRONG = {
    400: _page("No code: the entry page."),
    404: _page("Wrong code: the entry page."),
    429: Answer("Too many wrong codes: the entry page.", media_type=HTML, headers=(RETRY_AFTER,)),
}
FOLLOW_UP = (
    Operation(
        "GET",
        "/vervolg",
        "The follow-up page: enter the receipt code",
        {200: _page("The entry page.")},
        operation_id="followUpEntry",
        parameters=(LANG,),
        tags=("follow-up page",),
    ),
    Operation(
        "POST",
        "/vervolg",
        "Open the case's follow-up with its receipt code",
        {200: _page("The dialogue and the next meeting."), **_WRONG},
        operation_id="followUpOpen",
        parameters=(LANG,),
        body_media_type="application/x-www-form-urlencoded",
        body_schema=form_body({"code": _CODE}, ["code"]),
        tags=("follow-up page",),
    ),
    Operation(
        "POST",
        "/vervolg/bericht",
        "Reply to the advisor",
        {200: _page("The dialogue, with the message sent or why not."), **_WRONG},
        operation_id="followUpReply",
        parameters=(LANG,),
        body_media_type="application/x-www-form-urlencoded",
        body_schema=form_body(
            {
                "code": _CODE,
                "text": "The message.",
                "resend_key": "The same form sent twice posts one message.",
            },
            ["code", "text"],
        ),
        tags=("follow-up page",),
    ),
    Operation(
        "POST",
        "/vervolg/beoordeling",
        "Give the one anonymous rating (1-5)",
        {200: _page("The dialogue, with thanks or why not."), **_WRONG},
        operation_id="followUpRate",
        parameters=(LANG,),
        body_media_type="application/x-www-form-urlencoded",
        body_schema=form_body({"code": _CODE, "rating": "1 (poor) to 5 (very good)."}, ["code", "rating"]),
        tags=("follow-up page",),
    ),
    Operation(
        "POST",
        "/vervolg/wissen",
        "Ask to erase the case's personal data: the confirmation page",
        {200: _page("Are you sure?"), **_WRONG},
        operation_id="followUpAskErase",
        parameters=(LANG,),
        body_media_type="application/x-www-form-urlencoded",
        body_schema=form_body({"code": _CODE}, ["code"]),
        tags=("follow-up page",),
    ),
    Operation(
        "POST",
        "/vervolg/wissen/bevestigd",
        "Erase the case's personal data (the code stops working)",
        {200: _page("Erased."), **_WRONG},
        operation_id="followUpErase",
        parameters=(LANG,),
        body_media_type="application/x-www-form-urlencoded",
        body_schema=form_body({"code": _CODE}, ["code"]),
        tags=("follow-up page",),
    ),
)

_FORM_FIELDS = {
    "submission_id": "The form's own submission id (a fresh one on every page).",
    "organisation_id": "Chosen from the list.",
    "unit_id": "Chosen from the list.",
    "client_role": "employee, manager, ...",
    "categories": "Repeated, one per category.",
    "narrative": "What happened.",
    "anonymous": "`yes`: no contact details.",
    "name": "Contact (not anonymous).",
    "email": "Contact (not anonymous).",
    "phone": "Contact (not anonymous).",
    "mode": "How to meet.",
    "location": "Where to meet.",
    "wants_external_advisor": "`yes`.",
    "is_whistleblower_report": "`yes`.",
    "advisor": "An advisor from the list (optional).",
    "avoid_advisor": "An advisor to avoid (optional).",
}
WEB_FORM = (
    Operation(
        "GET",
        "/",
        "To the web form",
        {
            307: Answer(
                "To /formulier.",
                media_type=None,
                headers=(Parameter("Location", "/formulier", where="header"),),
            )
        },
        operation_id="root",
        tags=("web form",),
    ),
    Operation(
        "GET",
        "/formulier",
        "The web intake form",
        {200: _page("The form.")},
        operation_id="webForm",
        parameters=(LANG,),
        tags=("web form",),
    ),
    Operation(
        "POST",
        "/formulier",
        "Send the web form: opens a case like POST /v1/submissions",
        {
            200: _page("Received: the receipt code to keep."),
            422: _page("Refused: the form again, with why and what was entered."),
            503: _page("Not taken in for now: the form again; send it later."),
        },
        operation_id="sendWebForm",
        parameters=(LANG,),
        body_media_type="application/x-www-form-urlencoded",
        body_schema=form_body(_FORM_FIELDS, ["submission_id", "organisation_id", "unit_id", "narrative"]),
        tags=("web form",),
    ),
)

PLATFORM = (
    Operation(
        "GET",
        "/v1/directory",
        "How much of the directory intake knows (counts only)",
        {200: Answer("Counts.", DirectoryStatus)},
        operation_id="directoryStatus",
        tags=("platform",),
    ),
    Operation(
        "GET",
        KEY_ENDPOINT,
        "The current public key to seal submissions to",
        {
            200: Answer("The key; cache it until `use_until`.", SubmissionKey),
            503: Answer("Starting.", Starting),
        },
        operation_id="submissionKey",
        tags=("submissions",),
    ),
)

INFO = (
    "A frontend opens a case with POST /v1/submissions and gets a receipt code; the anonymous "
    "client then follows up with nothing but that code, sent in the X-Receipt-Code header (never in "
    "a URL): the dialogue API (docs/follow-up.md) or the follow-up page /vervolg. The case's "
    "assignee reads and amends the case file with a token signed for each request "
    "(docs/case-file.md). The web form /formulier is a reference frontend."
)
INTAKE_API = ServiceApi(
    "intake",
    "caseflow intake: opening a case, the client's dialogue, the case file",
    INFO,
    (
        *(_from_contract(op) for op in (*SUBMISSION_OPERATIONS, *OPERATIONS)),
        *CASE_FILE,
        *FOLLOW_UP,
        *WEB_FORM,
        *PLATFORM,
    ),
    SECURITY,
)

"""The submission a frontend sends, and its strict validation into a reason-coded verdict.

Validation never echoes input back: a rejection names a reason code and a schema path (a name
the caller made up shows as a placeholder: shared/validation_errors.py), because
the rejected input may be full of personal data (ARCHITECTURE.md, "Personal data").

Limits are deliberately generous for a person writing their story and strict for machines.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from shared.codes import Category, Channel, ClientRole, InvolvedRole, MeetingMode
from shared.validation import (
    AVAILABILITY_AHEAD,
    AVAILABILITY_PAST,
    MAX_AVAILABILITY_WINDOW,
    SUBMITTED_PAST,
    bounded_window,
    edge_clock,
    in_contract_range,
    near_now,
)
from shared.validation_errors import safe_errors

SUPPORTED_SCHEMA_VERSIONS = frozenset({1})
MAX_SUBMISSION_BYTES = 256 * 1024
MAX_NARRATIVE_CHARS = 20_000
SUBMISSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
PSEUDONYM = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
LANGUAGE = re.compile(r"^[a-z]{2}$")
# The domain is dot-separated labels, none empty ("x@..org" reaches nobody).
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)*\.[^@\s.]{2,}$")
# At least six digits among the separators ("((--))" reaches nobody).
PHONE = re.compile(r"^(?=(?:[^0-9]*[0-9]){6})\+?[0-9 ()-]{6,20}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, str_strip_whitespace=True)


class ContactDetails(_Strict):
    name: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=30)

    @field_validator("email")
    @classmethod
    def _email(cls, v: str | None) -> str | None:
        if v is not None and not EMAIL.match(v):
            raise ValueError("invalid_email")
        return v

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str | None) -> str | None:
        if v is not None and not PHONE.match(v):
            raise ValueError("invalid_phone")
        return v

    @model_validator(mode="after")
    def _some_way_to_reach(self) -> ContactDetails:
        if not (self.email or self.phone):
            raise ValueError("contact_unreachable")
        return self


class PersonInvolved(_Strict):
    person_id: str | None = Field(None, max_length=64)
    role: InvolvedRole | None = None
    description: str | None = Field(None, max_length=1000)

    @field_validator("person_id")
    @classmethod
    def _pseudonym(cls, v: str | None) -> str | None:
        if v is not None and not PSEUDONYM.match(v):
            raise ValueError("invalid_person_id")
        return v

    @model_validator(mode="after")
    def _identified_somehow(self) -> PersonInvolved:
        if self.person_id is None and self.role is None:
            raise ValueError("person_involved_unidentified")
        return self


class Window(_Strict):
    start: datetime
    end: datetime

    @field_validator("start", "end", mode="before")
    @classmethod
    def _parse_aware(cls, v: Any) -> Any:
        if isinstance(v, str):
            try:
                parsed = datetime.fromisoformat(v)
            except ValueError:
                raise ValueError("invalid_timestamp") from None
            if parsed.tzinfo is None:
                raise ValueError("timestamp_without_zone")
            return parsed
        return v

    @model_validator(mode="after")
    def _ordered_and_near(self, info: ValidationInfo) -> Window:
        """Bounded so that every service can plan with it (shared/validation.py)."""
        now = edge_clock(info)
        for moment in (self.start, self.end):
            if now is None:
                in_contract_range(moment)
            else:
                near_now(moment, now, past=AVAILABILITY_PAST, ahead=AVAILABILITY_AHEAD)
        bounded_window(self.start, self.end, longest=MAX_AVAILABILITY_WINDOW)
        return self


class MeetingPreference(_Strict):
    mode: MeetingMode = MeetingMode.ON_SITE_DISCREET_ROOM
    location: str | None = Field(None, max_length=100)
    away_from_own_unit: bool = False
    availability: list[Window] = Field(default_factory=list, max_length=20)


class Submission(_Strict):
    schema_version: Literal[1]
    submission_id: str
    submitted_at: datetime
    channel: Channel
    organisation_id: str = Field(max_length=64)
    unit_id: str = Field(max_length=64)
    client_role: ClientRole
    anonymous: bool
    contact: ContactDetails | None = None
    client_person_id: str | None = Field(None, max_length=64)
    categories: list[Category] = Field(min_length=1, max_length=5)
    narrative: str = Field("", max_length=MAX_NARRATIVE_CHARS)
    persons_involved: list[PersonInvolved] = Field(default_factory=list, max_length=20)
    preferred_advisor_id: str | None = Field(None, max_length=64)
    excluded_advisor_ids: list[str] = Field(default_factory=list, max_length=10)
    wants_external_advisor: bool = False
    meeting: MeetingPreference | None = None
    language: str | None = None
    is_whistleblower_report: bool = False

    @field_validator("submission_id")
    @classmethod
    def _submission_id(cls, v: str) -> str:
        if not SUBMISSION_ID.match(v):
            raise ValueError("invalid_submission_id")
        return v

    @field_validator("submitted_at", mode="before")
    @classmethod
    def _aware(cls, v: Any) -> Any:
        return Window._parse_aware(v)

    @field_validator("submitted_at")
    @classmethod
    def _not_long_ago(cls, v: datetime, info: ValidationInfo) -> datetime:
        """Not too far in the past (a later check says `submitted_in_future` for the other side)."""
        in_contract_range(v)
        now = edge_clock(info)
        if now is not None and v < now - SUBMITTED_PAST:
            raise ValueError("timestamp_out_of_range")
        return v

    @field_validator("organisation_id", "unit_id", "client_person_id", "preferred_advisor_id")
    @classmethod
    def _ids(cls, v: str | None) -> str | None:
        if v is not None and not PSEUDONYM.match(v):
            raise ValueError("invalid_identifier")
        return v

    @field_validator("excluded_advisor_ids")
    @classmethod
    def _excluded(cls, v: list[str]) -> list[str]:
        if any(not PSEUDONYM.match(x) for x in v):
            raise ValueError("invalid_identifier")
        return v

    @field_validator("categories")
    @classmethod
    def _unique_categories(cls, v: list[Category]) -> list[Category]:
        if len(set(v)) != len(v):
            raise ValueError("duplicate_category")
        return v

    @field_validator("language")
    @classmethod
    def _language(cls, v: str | None) -> str | None:
        if v is not None and not LANGUAGE.match(v):
            raise ValueError("invalid_language")
        return v

    @model_validator(mode="after")
    def _anonymity_is_consistent(self) -> Submission:
        if self.anonymous and (self.contact is not None or self.client_person_id is not None):
            raise ValueError("contact_given_while_anonymous")
        if not self.anonymous and self.contact is None:
            raise ValueError("contact_required")
        return self


@dataclass(frozen=True, slots=True)
class Rejection:
    reason: str
    field: str | None
    submission_id: str | None


# pydantic error types -> our reason codes (stable, documented in docs/intake.md)
_PYDANTIC_REASONS = {
    "missing": "missing_field",
    "extra_forbidden": "unexpected_field",
    "enum": "invalid_enum",
    "literal_error": "invalid_value",
    "string_type": "wrong_type",
    "int_type": "wrong_type",
    "bool_type": "wrong_type",
    "list_type": "wrong_type",
    "model_type": "wrong_type",
    "dict_type": "wrong_type",
    "datetime_type": "wrong_type",
    "model_attributes_type": "wrong_type",
    "string_too_long": "field_too_long",
    "too_long": "too_many_items",
    "too_short": "too_few_items",
    "timezone_aware": "timestamp_without_zone",
    "datetime_from_date_parsing": "invalid_timestamp",
    "datetime_parsing": "invalid_timestamp",
    # JSON that json.loads takes and pydantic's parser refuses (a lone surrogate, nesting too deep)
    "json_invalid": "not_json",
}


def _reason_of(exc: ValidationError) -> tuple[str, str | None]:
    """The first error as (reason code, schema path); names the schema does not declare are replaced."""
    error = safe_errors(exc, Submission)[0]
    loc, kind = error.path, error.kind
    if kind == "value_error":
        return (error.code or "invalid_value", loc)
    if kind == "string_too_long" and loc == "narrative":
        return ("narrative_too_long", loc)
    if kind == "too_short" and loc == "categories":
        return ("no_category", loc)
    if kind == "too_long" and loc == "categories":
        return ("too_many_categories", loc)
    return (_PYDANTIC_REASONS.get(kind, f"invalid_{kind}" if kind else "invalid"), loc)


def peek_submission_id(doc: Any) -> str | None:
    """The submission id if it is well-formed (rejections carry it so the frontend can match)."""
    sid = doc.get("submission_id") if isinstance(doc, dict) else None
    return sid if isinstance(sid, str) and SUBMISSION_ID.match(sid) else None


def validate_submission(raw: bytes, doc: Any, *, now: datetime) -> Submission | Rejection:
    """The verdict on a submission (its bytes and their parsed JSON): valid, or a reason-coded Rejection.

    Validation runs in pydantic's strict JSON mode: "1" is not 1, "true" is not true, but enum
    codes and ISO timestamps arrive as JSON strings as they should.
    """
    raw_size = len(raw)
    sid = peek_submission_id(doc)
    if raw_size > MAX_SUBMISSION_BYTES:
        return Rejection("message_too_large", None, sid)
    if not isinstance(doc, dict):
        return Rejection("not_an_object", None, None)
    version = doc.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        return Rejection("schema_version_missing" if version is None else "wrong_type", "schema_version", sid)
    if version not in SUPPORTED_SCHEMA_VERSIONS:
        return Rejection("schema_version_unsupported", "schema_version", sid)
    try:
        submission = Submission.model_validate_json(raw, context={"now": now})
    except ValidationError as exc:
        reason, loc = _reason_of(exc)
        return Rejection(reason, loc, sid)
    if submission.submitted_at > now + timedelta(minutes=10):
        return Rejection("submitted_in_future", "submitted_at", sid)
    return submission


def parse_json_object(raw: bytes) -> tuple[Any, str | None]:
    """(document, None) or (None, reason) for bytes that are not a JSON document at all."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, "invalid_utf8"
    try:
        return json.loads(text), None
    except (json.JSONDecodeError, RecursionError):
        return None, "not_json"

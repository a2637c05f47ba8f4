"""Every rule of intake's submission validation, one table row each, broker-free.

The verdict is judged the way intake judges a message (services/intake/entrypoints/submission_consumer.py, http_api.py):
`parse_json_object` on the bytes (a failure there is a dead letter), then `validate_submission`
with a fixed `now`. Each row makes one small change to a valid baseline document and names the
reason code, and the schema path where the rejection carries one. Every rejecting row also
proves that nothing of the injected value, and nothing personal of the baseline, comes back.

The last tests tie the table to the code: the reason codes are read out of the source (with `ast`,
so docstrings and comments do not count), and the table must cover each one that can be reached.
A new rule without a row fails `test_the_table_covers_every_reason_code_in_the_source`.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import json
import re
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import annotated_types
import pytest
from pydantic import BaseModel

from services.intake.domain.submission import (
    MAX_NARRATIVE_CHARS,
    MAX_SUBMISSION_BYTES,
    Rejection,
    Submission,
    parse_json_object,
    validate_submission,
)
from shared.validation import (
    AVAILABILITY_AHEAD,
    AVAILABILITY_PAST,
    MAX_AVAILABILITY_WINDOW,
    SUBMITTED_PAST,
)

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
FUTURE_SLACK = timedelta(minutes=10)  # validate_submission: `now + timedelta(minutes=10)`
TICK = timedelta(microseconds=1)

MARKER = "MARKER-9f3a"  # what a row injects wherever the field takes free text or a name
BASE_MARK = "BASEMARK-41c7"  # the baseline's own personal data
# Lower-cased fragments that must never appear in a rejection (the marker in pieces, too).
NEEDLES = ("marker", "9f3a", "basemark", "41c7")

BASE_SID = "sub-rules-baseline-0001"
WINDOW_START = NOW + timedelta(days=1)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def baseline() -> dict[str, Any]:
    """A valid submission that uses every optional part, so each row can break one of them."""
    return {
        "schema_version": 1,
        "submission_id": BASE_SID,
        "submitted_at": iso(NOW - timedelta(minutes=5)),
        "channel": "web",
        "organisation_id": "min-bzk",
        "unit_id": "bzk-dgob-ict",
        "client_role": "employee",
        "anonymous": False,
        "contact": {
            "name": f"Client {BASE_MARK}",
            "email": f"{BASE_MARK.lower()}@example.org",
            "phone": "+31 70 1234567",
        },
        "client_person_id": "p-client-1",
        "categories": ["labour.conflict_with_manager"],
        "narrative": f"My manager keeps shouting at me. {BASE_MARK}",
        "persons_involved": [
            {"person_id": "p-boss-1", "role": "direct_manager", "description": f"boss {BASE_MARK}"}
        ],
        "preferred_advisor_id": "adv-anna",
        "excluded_advisor_ids": ["adv-bert"],
        "wants_external_advisor": False,
        "meeting": {
            "mode": "on_site_discreet_room",
            "location": f"Den Haag {BASE_MARK}",
            "away_from_own_unit": False,
            "availability": [{"start": iso(WINDOW_START), "end": iso(WINDOW_START + timedelta(hours=8))}],
        },
        "language": "nl",
        "is_whistleblower_report": False,
    }


def encode(doc: Any) -> bytes:
    return json.dumps(doc).encode()


# --- how a row changes the baseline: a function from the baseline document to the bytes sent ---

Build = Callable[[dict[str, Any]], bytes]
_DROP = object()


def _parts(path: str) -> list[str | int]:
    return [int(p) if p.isdigit() else p for p in path.split(".")]


def setting(path: str, value: Any) -> Build:
    """`path` (dotted, list indices as numbers) set to `value`; `_DROP` removes it."""

    def build(doc: dict[str, Any]) -> bytes:
        *parents, last = _parts(path)
        node: Any = doc
        for part in parents:
            node = node[part]
        if value is _DROP:
            del node[last]
        else:
            node[last] = copy.deepcopy(value)
        return encode(doc)

    return build


def dropping(path: str) -> Build:
    return setting(path, _DROP)


def editing(edit: Callable[[dict[str, Any]], None]) -> Build:
    def build(doc: dict[str, Any]) -> bytes:
        edit(doc)
        return encode(doc)

    return build


def raw(transform: Callable[[bytes], bytes]) -> Build:
    """A change to the bytes of the baseline rather than to the document."""
    return lambda doc: transform(encode(doc))


def window(start: datetime, end: datetime) -> Build:
    return setting("meeting.availability", [{"start": iso(start), "end": iso(end)}])


def padded_to(size: int) -> Build:
    """The baseline (its narrative full of the marker) followed by whitespace, `size` bytes in all."""

    def build(doc: dict[str, Any]) -> bytes:
        doc["narrative"] = (MARKER + " ") * 100
        body = encode(doc)
        return body + b" " * (size - len(body))

    return build


def nested_narrative(depth: int) -> Build:
    """The narrative as arrays nested `depth` deep around the marker."""
    value: Any = MARKER
    for _ in range(depth):
        value = [value]
    return setting("narrative", value)


def not_anonymous_without_contact(doc: dict[str, Any]) -> None:
    del doc["contact"]


def anonymous_with_client_id_only(doc: dict[str, Any]) -> None:
    doc["anonymous"] = True
    del doc["contact"]


def anonymous_and_nothing_personal(doc: dict[str, Any]) -> None:
    doc["anonymous"] = True
    del doc["contact"]
    del doc["client_person_id"]


def anonymous_with_contact_null(doc: dict[str, Any]) -> None:
    anonymous_and_nothing_personal(doc)
    doc["contact"] = None


CATEGORIES = [
    "workload",
    "other",
    "labour.legal_position",
    "integrity.gifts",
    "unwanted_behaviour.bullying",
    "integrity.fraud_theft",
]
LONG_EMAIL = "a" * 64 + "@" + "b" * 185 + ".org"  # 254 characters, the local part at its 64


@dataclass(frozen=True)
class Row:
    id: str
    build: Build
    reason: str | None  # None: the submission must be accepted
    field: str | None = None  # the schema path the rejection names
    carries_id: bool = True  # the rejection carries the baseline's submission id
    defect: str | None = None  # a known wrong behaviour: the row states what is right (strict xfail)


def ok(id: str, build: Build) -> Row:
    return Row(id, build, None)


ROWS: list[Row] = [
    # --- parse_json_object: bytes that are no JSON document at all (dead letters) ---
    Row(
        "invalid_utf8",
        raw(lambda b: b.replace(BASE_MARK.encode(), MARKER.encode() + b" \xff\xfe")),
        "invalid_utf8",
    ),
    Row("not_json/empty", raw(lambda b: b""), "not_json"),
    Row("not_json/truncated", raw(lambda b: b[: b.index(BASE_MARK.encode())] + MARKER.encode()), "not_json"),
    Row("not_json/bare-word", raw(lambda b: MARKER.encode()), "not_json"),
    Row("not_json/utf8-bom", raw(lambda b: b"\xef\xbb\xbf" + b), "not_json"),
    Row("not_json/trailing-garbage", raw(lambda b: b + b" " + MARKER.encode()), "not_json"),
    Row(
        "not_json/raw-control-char",
        raw(lambda b: b.replace(BASE_MARK.encode(), MARKER.encode() + b"\t")),
        "not_json",
    ),
    Row("not_json/nested-100000-deep", raw(lambda b: b"[" * 100_000 + b"]" * 100_000), "not_json"),
    # --- validate_submission, before the model: size, shape, schema version ---
    Row("message_too_large", padded_to(MAX_SUBMISSION_BYTES + 1), "message_too_large"),
    ok("accepted/message-exactly-at-the-limit", padded_to(MAX_SUBMISSION_BYTES)),
    Row("not_an_object/array", raw(lambda b: encode([MARKER])), "not_an_object", carries_id=False),
    Row("not_an_object/string", raw(lambda b: encode(MARKER)), "not_an_object", carries_id=False),
    Row("not_an_object/null", raw(lambda b: b"null"), "not_an_object", carries_id=False),
    Row("schema_version_missing", dropping("schema_version"), "schema_version_missing", "schema_version"),
    Row(
        "schema_version_missing/null",
        setting("schema_version", None),
        "schema_version_missing",
        "schema_version",
    ),
    Row(
        "wrong_type/schema_version-string", setting("schema_version", MARKER), "wrong_type", "schema_version"
    ),
    Row("wrong_type/schema_version-true", setting("schema_version", True), "wrong_type", "schema_version"),
    Row("wrong_type/schema_version-float", setting("schema_version", 1.0), "wrong_type", "schema_version"),
    Row(
        "schema_version_unsupported",
        setting("schema_version", 2),
        "schema_version_unsupported",
        "schema_version",
    ),
    Row(
        "schema_version_unsupported/zero",
        setting("schema_version", 0),
        "schema_version_unsupported",
        "schema_version",
    ),
    # --- pydantic's own errors, mapped by _reason_of / _PYDANTIC_REASONS ---
    Row("missing_field", dropping("channel"), "missing_field", "channel"),
    Row(
        "missing_field/nested",
        dropping("meeting.availability.0.end"),
        "missing_field",
        "meeting.availability.0.end",
    ),
    Row("unexpected_field", setting(MARKER, MARKER), "unexpected_field", "<unknown field>"),
    Row(
        "unexpected_field/in-contact",
        setting(f"contact.{MARKER}", MARKER),
        "unexpected_field",
        "contact.<unknown field>",
    ),
    Row(
        "unexpected_field/in-person",
        setting(f"persons_involved.0.{MARKER}", MARKER),
        "unexpected_field",
        "persons_involved.0.<unknown field>",
    ),
    Row(
        "unexpected_field/named-like-a-loc-marker",
        setting("[key]", MARKER),
        "unexpected_field",
        "<unknown field>",
    ),
    Row(
        "unexpected_field/named-like-the-model",
        setting("Submission", MARKER),
        "unexpected_field",
        "<unknown field>",
    ),
    Row("invalid_enum/channel", setting("channel", MARKER), "invalid_enum", "channel"),
    Row("invalid_enum/channel-null", setting("channel", None), "invalid_enum", "channel"),
    Row("invalid_enum/client_role", setting("client_role", MARKER), "invalid_enum", "client_role"),
    Row("invalid_enum/category", setting("categories", [MARKER]), "invalid_enum", "categories.0"),
    Row(
        "invalid_enum/person-role",
        setting("persons_involved.0.role", MARKER),
        "invalid_enum",
        "persons_involved.0.role",
    ),
    Row("invalid_enum/meeting-mode", setting("meeting.mode", MARKER), "invalid_enum", "meeting.mode"),
    Row("invalid_enum/padded-code", setting("channel", " web "), "invalid_enum", "channel"),
    Row("wrong_type/bool-as-string", setting("anonymous", MARKER), "wrong_type", "anonymous"),
    Row(
        "wrong_type/bool-as-number",
        setting("wants_external_advisor", 1),
        "wrong_type",
        "wants_external_advisor",
    ),
    Row("wrong_type/narrative-number", setting("narrative", 5), "wrong_type", "narrative"),
    Row(
        "wrong_type/narrative-nan",
        raw(lambda b: b.replace(encode(baseline()["narrative"]), b"NaN")),
        "wrong_type",
        "narrative",
    ),
    Row("wrong_type/categories-string", setting("categories", MARKER), "wrong_type", "categories"),
    Row("wrong_type/contact-string", setting("contact", MARKER), "wrong_type", "contact"),
    Row(
        "wrong_type/persons-object",
        setting("persons_involved", {MARKER: MARKER}),
        "wrong_type",
        "persons_involved",
    ),
    Row(
        "wrong_type/submitted_at-number", setting("submitted_at", 1_764_000_000), "wrong_type", "submitted_at"
    ),
    Row(
        "wrong_type/window-start-number",
        setting("meeting.availability.0.start", 5),
        "wrong_type",
        "meeting.availability.0.start",
    ),
    Row("wrong_type/narrative-arrays-199-deep", nested_narrative(199), "wrong_type", "narrative"),
    Row(
        "field_too_long/contact-name",
        setting("contact.name", (MARKER + " ") * 17),
        "field_too_long",
        "contact.name",
    ),
    ok("accepted/contact-name-200", setting("contact.name", MARKER + "x" * (200 - len(MARKER)))),
    Row(
        "field_too_long/contact-email",
        setting("contact.email", MARKER + LONG_EMAIL[len(MARKER) - 1 :]),
        "field_too_long",
        "contact.email",
    ),
    ok("accepted/contact-email-254", setting("contact.email", LONG_EMAIL)),
    Row(
        "field_too_long/contact-phone", setting("contact.phone", "1" * 31), "field_too_long", "contact.phone"
    ),
    Row(
        "field_too_long/organisation_id",
        setting("organisation_id", MARKER * 6),
        "field_too_long",
        "organisation_id",
    ),
    ok("accepted/organisation_id-64", setting("organisation_id", "a" * 64)),
    Row(
        "field_too_long/person_id",
        setting("persons_involved.0.person_id", MARKER * 6),
        "field_too_long",
        "persons_involved.0.person_id",
    ),
    Row(
        "field_too_long/person-description",
        setting("persons_involved.0.description", MARKER * 91),
        "field_too_long",
        "persons_involved.0.description",
    ),
    Row(
        "field_too_long/meeting-location",
        setting("meeting.location", MARKER * 10),
        "field_too_long",
        "meeting.location",
    ),
    Row(
        "narrative_too_long",
        setting("narrative", MARKER + "x" * MAX_NARRATIVE_CHARS),
        "narrative_too_long",
        "narrative",
    ),
    ok("accepted/narrative-at-the-limit", setting("narrative", "x" * MAX_NARRATIVE_CHARS)),
    ok(
        "accepted/narrative-at-the-limit-plus-whitespace",
        setting("narrative", "  " + "x" * MAX_NARRATIVE_CHARS + "\n"),
    ),
    ok("accepted/narrative-astral", setting("narrative", "\U0001f600" * MAX_NARRATIVE_CHARS)),
    Row(
        "too_many_items/persons_involved",
        setting("persons_involved", [{"role": "colleague", "description": MARKER}] * 21),
        "too_many_items",
        "persons_involved",
    ),
    ok("accepted/persons_involved-20", setting("persons_involved", [{"role": "colleague"}] * 20)),
    Row(
        "too_many_items/excluded_advisor_ids",
        setting("excluded_advisor_ids", [f"{MARKER}-{i}" for i in range(11)]),
        "too_many_items",
        "excluded_advisor_ids",
    ),
    ok("accepted/excluded_advisor_ids-10", setting("excluded_advisor_ids", [f"adv-{i}" for i in range(10)])),
    Row(
        "too_many_items/availability",
        setting("meeting.availability", baseline()["meeting"]["availability"] * 21),
        "too_many_items",
        "meeting.availability",
    ),
    ok(
        "accepted/availability-20",
        setting("meeting.availability", baseline()["meeting"]["availability"] * 20),
    ),
    Row("no_category", setting("categories", []), "no_category", "categories"),
    Row("too_many_categories", setting("categories", CATEGORIES), "too_many_categories", "categories"),
    ok("accepted/five-categories", setting("categories", CATEGORIES[:5])),
    Row(
        "duplicate_category",
        setting("categories", ["workload", "workload"]),
        "duplicate_category",
        "categories",
    ),
    # --- our own field and model validators (services/intake/domain/submission.py) ---
    Row(
        "invalid_submission_id/spaces",
        setting("submission_id", f"{MARKER} x"),
        "invalid_submission_id",
        "submission_id",
        carries_id=False,
    ),
    Row(
        "invalid_submission_id/7-chars",
        setting("submission_id", "abc-123"),
        "invalid_submission_id",
        "submission_id",
        carries_id=False,
    ),
    Row(
        "invalid_submission_id/66-chars",
        setting("submission_id", MARKER * 6),
        "invalid_submission_id",
        "submission_id",
        carries_id=False,
    ),
    ok("accepted/submission_id-8-chars", setting("submission_id", "abc-1234")),
    ok("accepted/submission_id-64-chars", setting("submission_id", "a" * 64)),
    Row(
        "invalid_identifier/organisation_id",
        setting("organisation_id", f"{MARKER} x"),
        "invalid_identifier",
        "organisation_id",
    ),
    Row("invalid_identifier/unit_id", setting("unit_id", f"{MARKER}/x"), "invalid_identifier", "unit_id"),
    Row(
        "invalid_identifier/client_person_id",
        setting("client_person_id", f"{MARKER} x"),
        "invalid_identifier",
        "client_person_id",
    ),
    Row(
        "invalid_identifier/empty-client_person_id",
        setting("client_person_id", "  "),
        "invalid_identifier",
        "client_person_id",
    ),
    Row(
        "invalid_identifier/preferred_advisor_id",
        setting("preferred_advisor_id", f"{MARKER}!"),
        "invalid_identifier",
        "preferred_advisor_id",
    ),
    Row(
        "invalid_identifier/excluded_advisor_id",
        setting("excluded_advisor_ids", ["adv-bert", f"{MARKER} x"]),
        "invalid_identifier",
        "excluded_advisor_ids",
    ),
    Row(
        "invalid_person_id",
        setting("persons_involved.0.person_id", f"{MARKER} x"),
        "invalid_person_id",
        "persons_involved.0.person_id",
    ),
    Row(
        "person_involved_unidentified",
        setting("persons_involved", [{"description": MARKER}]),
        "person_involved_unidentified",
        "persons_involved.0",
    ),
    ok("accepted/person-with-role-only", setting("persons_involved", [{"role": "hr"}])),
    ok("accepted/person-with-id-only", setting("persons_involved", [{"person_id": "p-x.1:2"}])),
    Row("invalid_email/no-at", setting("contact.email", MARKER), "invalid_email", "contact.email"),
    Row(
        "invalid_email/local-part-66",
        setting("contact.email", MARKER * 6 + "@example.org"),
        "invalid_email",
        "contact.email",
    ),
    Row("invalid_email/empty", setting("contact.email", " "), "invalid_email", "contact.email"),
    Row(
        "invalid_email/empty-domain-labels",
        setting("contact.email", f"{MARKER}@..org"),
        "invalid_email",
        "contact.email",
    ),
    Row("invalid_phone", setting("contact.phone", MARKER), "invalid_phone", "contact.phone"),
    Row("invalid_phone/too-short", setting("contact.phone", "12345"), "invalid_phone", "contact.phone"),
    ok("accepted/phone-plus-20-digits", setting("contact.phone", "+" + "1" * 20)),
    Row(
        "invalid_phone/no-digits",
        editing(lambda d: d.update(contact={"name": MARKER, "phone": "((--))"})),
        "invalid_phone",
        "contact.phone",
    ),
    Row("contact_unreachable", setting("contact", {"name": MARKER}), "contact_unreachable", "contact"),
    Row("contact_unreachable/empty", setting("contact", {}), "contact_unreachable", "contact"),
    ok("accepted/contact-email-only", setting("contact", {"email": "x@example.org"})),
    ok("accepted/contact-phone-only", setting("contact", {"phone": "070 123 4567"})),
    Row("contact_given_while_anonymous", setting("anonymous", True), "contact_given_while_anonymous"),
    Row(
        "contact_given_while_anonymous/client-id",
        editing(anonymous_with_client_id_only),
        "contact_given_while_anonymous",
    ),
    ok("accepted/anonymous", editing(anonymous_and_nothing_personal)),
    ok("accepted/anonymous-contact-null", editing(anonymous_with_contact_null)),
    Row("contact_required", editing(not_anonymous_without_contact), "contact_required"),
    Row("contact_required/null", setting("contact", None), "contact_required"),
    Row("invalid_language", setting("language", MARKER), "invalid_language", "language"),
    Row("invalid_language/upper-case", setting("language", "NL"), "invalid_language", "language"),
    ok("accepted/no-language", setting("language", None)),
    ok("accepted/no-meeting", setting("meeting", None)),
    # --- times: submitted_at ---
    Row("invalid_timestamp", setting("submitted_at", MARKER), "invalid_timestamp", "submitted_at"),
    Row(
        "invalid_timestamp/padded",
        setting("submitted_at", f" {iso(NOW)} "),
        "invalid_timestamp",
        "submitted_at",
    ),
    Row(
        "timestamp_without_zone",
        setting("submitted_at", "2026-12-02T09:30:00"),
        "timestamp_without_zone",
        "submitted_at",
    ),
    Row(
        "timestamp_without_zone/date-only",
        setting("submitted_at", "2026-12-02"),
        "timestamp_without_zone",
        "submitted_at",
    ),
    Row(
        "timezone_invalid",
        setting("submitted_at", "2026-12-02T09:30:00+23:59"),
        "timezone_invalid",
        "submitted_at",
    ),
    Row(
        "timestamp_out_of_range/long-ago",
        setting("submitted_at", iso(NOW - SUBMITTED_PAST - TICK)),
        "timestamp_out_of_range",
        "submitted_at",
    ),
    Row(
        "timestamp_out_of_range/year-9999",
        setting("submitted_at", "9999-12-31T23:59:59-14:00"),
        "timestamp_out_of_range",
        "submitted_at",
    ),
    ok("accepted/submitted-at-the-oldest", setting("submitted_at", iso(NOW - SUBMITTED_PAST))),
    ok("accepted/submitted-with-Z", setting("submitted_at", "2026-12-02T09:30:00Z")),
    Row(
        "submitted_in_future",
        setting("submitted_at", iso(NOW + FUTURE_SLACK + TICK)),
        "submitted_in_future",
        "submitted_at",
    ),
    ok("accepted/submitted-at-the-latest", setting("submitted_at", iso(NOW + FUTURE_SLACK))),
    # --- times: availability windows (shared/validation.py) ---
    Row(
        "invalid_timestamp/window",
        setting("meeting.availability.0.start", MARKER),
        "invalid_timestamp",
        "meeting.availability.0.start",
    ),
    Row(
        "timestamp_without_zone/window",
        setting("meeting.availability.0.start", "2026-12-03T09:00:00"),
        "timestamp_without_zone",
        "meeting.availability.0.start",
    ),
    Row(
        "timezone_invalid/window",
        setting(
            "meeting.availability",
            [{"start": "2026-12-03T09:00:00+00:07", "end": "2026-12-03T17:00:00+00:07"}],
        ),
        "timezone_invalid",
        "meeting.availability.0",
    ),
    Row(
        "timestamp_out_of_range/window-too-old",
        window(NOW - AVAILABILITY_PAST - TICK, NOW - AVAILABILITY_PAST + timedelta(hours=1)),
        "timestamp_out_of_range",
        "meeting.availability.0",
    ),
    Row(
        "timestamp_out_of_range/window-too-far-ahead",
        window(NOW + AVAILABILITY_AHEAD - timedelta(hours=1), NOW + AVAILABILITY_AHEAD + TICK),
        "timestamp_out_of_range",
        "meeting.availability.0",
    ),
    Row(
        "timestamp_out_of_range/window-year-1",
        setting(
            "meeting.availability",
            [{"start": "0001-01-01T00:00:00+14:00", "end": "0001-01-01T08:00:00+14:00"}],
        ),
        "timestamp_out_of_range",
        "meeting.availability.0",
    ),
    ok(
        "accepted/window-at-the-oldest",
        window(NOW - AVAILABILITY_PAST, NOW - AVAILABILITY_PAST + timedelta(hours=1)),
    ),
    ok(
        "accepted/window-at-the-latest",
        window(NOW + AVAILABILITY_AHEAD - timedelta(hours=1), NOW + AVAILABILITY_AHEAD),
    ),
    ok(
        "accepted/window-quarter-hour-zone",
        setting(
            "meeting.availability",
            [{"start": "2026-12-03T09:00:00+05:45", "end": "2026-12-03T17:00:00+05:45"}],
        ),
    ),
    ok(
        "accepted/window-offset-minus-14",
        setting(
            "meeting.availability",
            [{"start": "2026-12-03T09:00:00-14:00", "end": "2026-12-03T17:00:00-14:00"}],
        ),
    ),
    Row(
        "availability_window_invalid/empty",
        window(WINDOW_START, WINDOW_START),
        "availability_window_invalid",
        "meeting.availability.0",
    ),
    Row(
        "availability_window_invalid/reversed",
        window(WINDOW_START, WINDOW_START - timedelta(hours=1)),
        "availability_window_invalid",
        "meeting.availability.0",
    ),
    Row(
        "availability_window_too_long",
        window(WINDOW_START, WINDOW_START + MAX_AVAILABILITY_WINDOW + TICK),
        "availability_window_too_long",
        "meeting.availability.0",
    ),
    ok("accepted/window-longest", window(WINDOW_START, WINDOW_START + MAX_AVAILABILITY_WINDOW)),
    # --- JSON that json.loads takes and pydantic's parser refuses: the same words as bytes that are no JSON ---
    Row("not_json/lone-surrogate", setting("narrative", f"{MARKER} \ud800"), "not_json"),
    Row("not_json/narrative-arrays-200-deep", nested_narrative(200), "not_json"),
    ok("accepted/surrogate-pair", setting("narrative", f"x \U0001f600 {BASE_MARK}")),
]


# --- the reason codes, as read from the code ---

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    ROOT / "services/intake/domain/submission.py",
    ROOT / "shared/validation.py",
    ROOT / "shared/validation_errors.py",
]

# Every reason code the sources spell out, and where (the test below checks this list against the source).
REASON_CODES: dict[str, str] = {
    "invalid_utf8": "parse_json_object",
    "not_json": "parse_json_object",
    "message_too_large": "validate_submission, MAX_SUBMISSION_BYTES",
    "not_an_object": "validate_submission",
    "schema_version_missing": "validate_submission",
    "wrong_type": "validate_submission (schema_version) and _PYDANTIC_REASONS (*_type)",
    "schema_version_unsupported": "validate_submission, SUPPORTED_SCHEMA_VERSIONS",
    "submitted_in_future": "validate_submission, now + 10 minutes",
    "missing_field": "_PYDANTIC_REASONS['missing']",
    "unexpected_field": "_PYDANTIC_REASONS['extra_forbidden'] (extra='forbid')",
    "invalid_enum": "_PYDANTIC_REASONS['enum'] (shared/codes.py enums)",
    "invalid_value": "_reason_of (value_error without a code) and _PYDANTIC_REASONS['literal_error']",
    "field_too_long": "_PYDANTIC_REASONS['string_too_long'] (Field max_length)",
    "too_many_items": "_PYDANTIC_REASONS['too_long'] (list max_length)",
    "too_few_items": "_PYDANTIC_REASONS['too_short'] (list min_length)",
    "narrative_too_long": "_reason_of, MAX_NARRATIVE_CHARS",
    "no_category": "_reason_of, categories min_length=1",
    "too_many_categories": "_reason_of, categories max_length=5",
    "invalid": "_reason_of, for an error without a type",
    "invalid_email": "ContactDetails._email",
    "invalid_phone": "ContactDetails._phone",
    "contact_unreachable": "ContactDetails._some_way_to_reach",
    "invalid_person_id": "PersonInvolved._pseudonym",
    "person_involved_unidentified": "PersonInvolved._identified_somehow",
    "invalid_timestamp": "Window._parse_aware, and _PYDANTIC_REASONS['datetime_parsing']",
    "timestamp_without_zone": "Window._parse_aware, checked_zone, and _PYDANTIC_REASONS['timezone_aware']",
    "timezone_invalid": "shared/validation.py checked_zone",
    "timestamp_out_of_range": "Submission._not_long_ago, in_contract_range, near_now",
    "availability_window_invalid": "shared/validation.py bounded_window",
    "availability_window_too_long": "shared/validation.py bounded_window, MAX_AVAILABILITY_WINDOW",
    "invalid_submission_id": "Submission._submission_id",
    "invalid_identifier": "Submission._ids, Submission._excluded",
    "duplicate_category": "Submission._unique_categories",
    "invalid_language": "Submission._language",
    "contact_given_while_anonymous": "Submission._anonymity_is_consistent",
    "contact_required": "Submission._anonymity_is_consistent",
}

# Spelled out in the source but out of reach of any input (see test_the_unreachable_codes_are_unreachable).
UNREACHABLE = {
    "invalid_value": "the only Literal field is schema_version, answered before pydantic; every "
    "ValueError our validators raise carries a code",
    "too_few_items": "the only list with a min_length is categories, which says no_category",
    "invalid": "pydantic gives every error a type",
}

# Not spelled out: made by the fallback `f"invalid_{kind}"` of _reason_of for a pydantic error type
# that _PYDANTIC_REASONS does not map.
DYNAMIC: dict[str, str] = {}

_CODE_CALLS = {"ValueError", "OutOfBounds", "Rejection"}
_CODE_RETURNS = {"_reason_of", "parse_json_object"}


def _literals(node: ast.expr | None) -> Iterator[str]:
    """The string constants an expression can evaluate to (through `a if c else b`, `a or b`,
    tuples and call arguments; never the text of an f-string)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.IfExp):
        yield from _literals(node.body)
        yield from _literals(node.orelse)
    elif isinstance(node, ast.BoolOp):
        for value in node.values:
            yield from _literals(value)
    elif isinstance(node, ast.Tuple):
        for element in node.elts:
            yield from _literals(element)
    elif isinstance(node, ast.Call):
        for arg in node.args:
            yield from _literals(arg)


def reason_codes_in_source() -> set[str]:
    """The first argument of every ValueError/OutOfBounds/Rejection, the values of _PYDANTIC_REASONS,
    and what _reason_of and parse_json_object return."""
    codes: set[str] = set()
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and node.args:
                name = node.func.id if isinstance(node.func, ast.Name) else None
                if name in _CODE_CALLS:
                    codes.update(_literals(node.args[0]))
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
                if any(isinstance(t, ast.Name) and t.id == "_PYDANTIC_REASONS" for t in node.targets):
                    for value in node.value.values:
                        codes.update(_literals(value))
            elif isinstance(node, ast.FunctionDef) and node.name in _CODE_RETURNS:
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Return):
                        codes.update(_literals(inner.value))
    return codes


# --- judging ---

PARSE_REASONS = {"invalid_utf8", "not_json"}


def judge(body: bytes) -> Submission | Rejection | str:
    """Intake's verdict on `body`: a submission, a rejection, or the reason it is a dead letter."""
    doc, problem = parse_json_object(body)
    if problem is not None:
        return problem
    return validate_submission(body, doc, now=NOW)


def assert_echoes_nothing(verdict: Rejection | str) -> None:
    texts = [verdict] if isinstance(verdict, str) else [repr(verdict), str(verdict)]
    if isinstance(verdict, Rejection):
        texts += [str(getattr(verdict, f.name)) for f in dataclasses.fields(verdict)]
    for text in texts:
        for needle in NEEDLES:
            assert needle not in text.lower(), f"the rejection echoes input: {needle!r}"


def _param(row: Row) -> Any:
    marks = [pytest.mark.xfail(strict=True, reason=row.defect)] if row.defect else []
    return pytest.param(row, id=row.id, marks=marks)


def test_the_baseline_is_a_valid_submission() -> None:
    verdict = judge(encode(baseline()))
    assert isinstance(verdict, Submission), verdict
    assert verdict.submission_id == BASE_SID and verdict.meeting is not None and verdict.contact is not None


def test_the_row_ids_are_unique() -> None:
    ids = [row.id for row in ROWS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("row", [_param(r) for r in ROWS])
def test_rule(row: Row) -> None:
    verdict = judge(row.build(baseline()))
    if row.reason is None:
        assert isinstance(verdict, Submission), verdict
        return
    if isinstance(verdict, str):  # refused by parse_json_object, before validation
        assert row.reason in PARSE_REASONS and verdict == row.reason
    else:
        expected_id = BASE_SID if row.carries_id else None
        assert verdict == Rejection(row.reason, row.field, expected_id)
    assert not isinstance(verdict, Submission)
    assert_echoes_nothing(verdict)


def test_the_reason_code_list_matches_the_source() -> None:
    assert set(REASON_CODES) == reason_codes_in_source()


def test_the_table_covers_every_reason_code_in_the_source() -> None:
    """One passing row per reachable code: a new rule (a new code in the source) needs a row."""
    covered = {row.reason for row in ROWS if row.reason is not None and row.defect is None}
    assert UNREACHABLE.keys() <= reason_codes_in_source()
    assert covered == (reason_codes_in_source() - UNREACHABLE.keys()) | DYNAMIC.keys()


def _models(tp: Any, seen: set[type[BaseModel]]) -> set[type[BaseModel]]:
    if isinstance(tp, type) and issubclass(tp, BaseModel) and tp not in seen:
        seen.add(tp)
        for info in tp.model_fields.values():
            _models(info.annotation, seen)
    for arg in typing.get_args(tp):
        _models(arg, seen)
    return seen


def test_the_unreachable_codes_are_unreachable() -> None:
    """What UNREACHABLE relies on, checked on the models and the source."""
    fields = [(m.__name__, n, i) for m in _models(Submission, set()) for n, i in m.model_fields.items()]
    with_min_length = {
        (m, n) for m, n, i in fields if any(isinstance(c, annotated_types.MinLen) for c in i.metadata)
    }
    assert with_min_length == {("Submission", "categories")}
    literals = {(m, n) for m, n, i in fields if typing.get_origin(i.annotation) is typing.Literal}
    assert literals == {("Submission", "schema_version")}
    # Every ValueError/OutOfBounds our validators raise names a code, so `error.code` is never None.
    code = re.compile(r"[a-z][a-z0-9_]{0,63}")
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                func = node.exc.func
                if isinstance(func, ast.Name) and func.id in {"ValueError", "OutOfBounds"}:
                    arg = node.exc.args[0] if node.exc.args else None
                    assert isinstance(arg, ast.Constant) and code.fullmatch(str(arg.value)), path

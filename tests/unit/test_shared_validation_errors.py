"""No caller-supplied name leaves an entry point in clear: validation errors carry schema paths only.

The rule lives in shared/validation_errors.py; these tests hold it once (arbitrary names against
a model of every shape: nested model, list, mapping) and then per service, through the decoder of
every topic the service consumes and through intake's submission verdict.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

import shared.contracts  # noqa: F401  (registers the event types)
from services.intake.domain.submission import ContactDetails, Rejection, Submission, validate_submission
from services.intake.entrypoints.advisor_actions import actions_route
from services.intake.entrypoints.directory_feed import directory_route
from services.intake.entrypoints.routing_feed import routing_route
from services.reporting.entrypoints.kafka_handlers import projection_routes
from services.routing.entrypoints.kafka_handlers import routes as routing_routes
from services.scheduling.entrypoints.kafka_handlers import SchedulingHandlers
from shared.envelope import EnvelopeDecodeError, decode_envelope
from shared.pipeline import Decoded, Inbound, PoisonMessage, Route
from shared.validation_errors import UNKNOWN_FIELD, UNKNOWN_KEY, describe_validation_error, safe_errors
from tests.support import samples, scheduling_events

pytestmark = pytest.mark.unit

REFERENCE = "zz_reference_name"


class Label(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    label: str


class Shelf(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    title: str
    label: Label | None = None
    labels: tuple[Label, ...] = ()
    counts: dict[str, int] = {}


DECLARED = {"title", "label", "labels", "counts"}
# Any text a caller could send as a JSON object key, minus the names the schema declares.
unknown_names = st.text(min_size=1, max_size=40).filter(lambda n: n not in DECLARED)


def described(doc: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        Shelf.model_validate_json(json.dumps(doc))
    return describe_validation_error(caught.value, Shelf)


def shelves_with(name: str) -> list[dict[str, Any]]:
    """One document per place a caller can put a name of their own."""
    return [
        {"title": "t", name: 1},
        {"title": "t", "label": {"label": "l", name: 1}},
        {"title": "t", "labels": [{"label": "a"}, {"label": "b", name: 1}]},
        {"title": "t", "counts": {name: "not a number"}},
    ]


def test_declared_names_and_indices_stay_and_unknown_names_become_placeholders() -> None:
    assert [described(d) for d in shelves_with("MARKER-Jansen")] == [
        f"{UNKNOWN_FIELD}:extra_forbidden",
        f"label.{UNKNOWN_FIELD}:extra_forbidden",
        f"labels.1.{UNKNOWN_FIELD}:extra_forbidden",
        f"counts.{UNKNOWN_KEY}:int_type",
    ]


@settings(max_examples=200, deadline=None)
@given(unknown_names)
@example("[key]")  # a caller's mapping key spelled like pydantic's key marker (found by hypothesis)
def test_what_is_said_about_an_unknown_name_does_not_depend_on_the_name(name: str) -> None:
    said = [described(d) for d in shelves_with(name)]
    reference = [described(d) for d in shelves_with(REFERENCE)]
    assert said == reference
    if not any(name in text for text in reference):  # "1" is in "labels.1.", by schema, not by echo
        assert not any(name in text for text in said)


def test_without_a_model_no_name_is_trusted() -> None:
    with pytest.raises(ValidationError) as caught:
        Shelf.model_validate({"title": 1})
    assert describe_validation_error(caught.value, None) == f"{UNKNOWN_FIELD}:string_type"


class Coded(BaseModel):
    code: str
    town: str

    @field_validator("code")
    @classmethod
    def _code(cls, v: str) -> str:
        raise ValueError("invalid_code")

    @field_validator("town")
    @classmethod
    def _town(cls, v: str) -> str:
        raise ValueError(f"no such town {v}")


def test_only_our_own_reason_codes_pass_from_a_validator_message() -> None:
    with pytest.raises(ValidationError) as caught:
        Coded.model_validate({"code": "x", "town": "MARKER-Zoetermeer"})
    errors = safe_errors(caught.value, Coded)
    assert [(e.path, e.kind, e.code) for e in errors] == [
        ("code", "value_error", "invalid_code"),
        ("town", "value_error", None),
    ]


# --- intake: the submission verdict (the rejection's `field`, the HTTP 422 body, the web form) ---


def verdict(doc: dict[str, Any]) -> Submission | Rejection:
    from datetime import UTC, datetime

    return validate_submission(json.dumps(doc).encode(), doc, now=datetime.now(UTC))


def submissions_with(name: str) -> list[dict[str, Any]]:
    top = samples.submission()
    top[name] = "x"
    nested = samples.submission()
    nested["contact"] = {**nested["contact"], name: "x"}
    return [top, nested]


@settings(max_examples=100, deadline=None)
@given(
    st.text(min_size=1, max_size=40).filter(
        lambda n: n not in Submission.model_fields and n not in ContactDetails.model_fields
    )
)
def test_a_rejected_submission_never_names_the_callers_field(name: str) -> None:
    rejections = [verdict(d) for d in submissions_with(name)]
    reference = [verdict(d) for d in submissions_with(REFERENCE)]
    assert [(r.reason, r.field) for r in rejections if isinstance(r, Rejection)] == [
        (r.reason, r.field) for r in reference if isinstance(r, Rejection)
    ]
    assert [(r.reason, r.field) for r in reference if isinstance(r, Rejection)] == [
        ("unexpected_field", UNKNOWN_FIELD),
        ("unexpected_field", f"contact.{UNKNOWN_FIELD}"),
    ]


# --- every service's decoders: the dead-letter `error` ---


def _intake_routes() -> dict[str, Route]:
    return {
        "routing.assignments.v1": routing_route(),
        "directory.advisors.v1": directory_route(),
        "advisor.actions.v1": actions_route(),
    }


def _routing_routes() -> dict[str, Route]:
    nothing = SimpleNamespace(on_directory=None, on_cases=None, actions=lambda: None)
    return routing_routes(nothing)  # type: ignore[arg-type]


def _scheduling_routes() -> dict[str, Route]:
    return SchedulingHandlers.routes(SimpleNamespace(handle=None))  # type: ignore[arg-type]


SERVICES = {
    "intake": _intake_routes,
    "routing": _routing_routes,
    "scheduling": _scheduling_routes,
    "reporting": projection_routes,
}


def valid_events() -> dict[str, bytes]:
    """A valid envelope for each topic these tests feed, as a producer would write it."""
    return {
        "intake.cases.v1": scheduling_events.envelope_bytes(scheduling_events.case_opened("case-1"))[2],
        "routing.assignments.v1": scheduling_events.envelope_bytes(
            scheduling_events.assigned("case-1", "adv-1")
        )[2],
        "directory.v1": scheduling_events.envelope_bytes(scheduling_events.key_registration("adv-1"))[2],
        "directory.advisors.v1": scheduling_events.envelope_bytes(
            scheduling_events.key_registration("adv-1")
        )[2],
        "scheduling.places.v1": scheduling_events.envelope_bytes(scheduling_events.room("room-1"))[2],
    }


def with_unknown_name(value: bytes, name: str, where: str, *, drop: str | None = None) -> bytes:
    doc = json.loads(value)
    (doc if where == "envelope" else doc["payload"])[name] = "x"
    if drop:
        del doc[drop]
    return json.dumps(doc).encode()


def decoded_or_dead_letter_error(route: Route, topic: str, value: bytes) -> str | Decoded:
    """What the decoder makes of the record: the dead-letter `error`, or what the handler will get."""
    try:
        return route.decode(Inbound(topic, 0, 7, b"case-1", value))
    except PoisonMessage as exc:
        return exc.detail


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("where", ["envelope", "payload"])
def test_every_service_dead_letters_an_unknown_field_by_schema_path_only(service: str, where: str) -> None:
    routes = SERVICES[service]()
    dead_lettered = 0
    for topic, value in valid_events().items():
        if topic not in routes:
            continue
        marker = "MARKER-unknown-Bakker"
        # Without its event id every decoder refuses the record (reporting's fast path ignores
        # extra fields, and then the full decoder decides), so the dead-letter text is observable.
        broken = with_unknown_name(value, marker, where, drop="event_id")
        outcome = decoded_or_dead_letter_error(routes[topic], topic, broken)
        if isinstance(outcome, Decoded):  # a service may answer an unreadable record itself
            assert marker not in repr(outcome.body)
            continue
        unknown = UNKNOWN_FIELD if where == "envelope" else f"payload.{UNKNOWN_FIELD}"
        assert outcome == f"event_id:missing; {unknown}:extra_forbidden"
        dead_lettered += 1
    assert dead_lettered >= 2, f"{service} dead-letters at least two of the topics fed here"


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_the_envelope_decoder_never_prints_an_unknown_name(name: str) -> None:
    value = valid_events()["intake.cases.v1"]
    declared = set(json.loads(value)["payload"])
    if name in declared:
        return
    with pytest.raises(EnvelopeDecodeError) as caught:
        decode_envelope(with_unknown_name(value, name, "payload"))
    assert caught.value.detail == f"payload.{UNKNOWN_FIELD}:extra_forbidden"

"""One causation and correlation rule for every emitted event (shared/emitter.py, decisions.md D23)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from shared.contracts.routing import AdvisorTermEnding
from shared.emitter import Emitter
from shared.envelope import derive_event_id, new_envelope
from shared.pipeline import Decoded, Inbound

pytestmark = pytest.mark.unit

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def notice(advisor_id: str = "adv-ruth") -> AdvisorTermEnding:
    return AdvisorTermEnding(advisor_id=advisor_id, term_end=date(2026, 4, 1), days_left=30, noticed_at=NOW)


def submission_from_the_web() -> Emitter:
    return Emitter.of_cause("submission:web-0001", producer="intake", topic="intake.cases.v1", now=NOW)


def test_an_event_caused_by_a_consumed_envelope_names_it_and_carries_its_correlation() -> None:
    consumed = new_envelope(
        notice(),
        stream_id="case-7",
        producer="intake",
        occurred_at=NOW,
        causation_id="x",
        correlation_id="chain-7",
    )
    emit = Emitter.of_envelope(consumed, producer="routing", topic="routing.assignments.v1", now=NOW)
    out = emit(notice(), "case-7")
    assert out.topic == "routing.assignments.v1"
    assert (out.envelope.causation_id, out.envelope.correlation_id) == (consumed.event_id, "chain-7")
    assert out.envelope.producer == "routing" and out.envelope.occurred_at == NOW


def test_a_request_starts_a_chain_that_every_later_hop_carries() -> None:
    opened = submission_from_the_web()(notice(), "case-7").envelope
    assigned = Emitter.of_envelope(opened, producer="routing", topic="r", now=NOW)(
        notice(), "case-7"
    ).envelope
    booked = Emitter.of_envelope(assigned, producer="scheduling", topic="s", now=NOW)(
        notice(), "case-7"
    ).envelope
    assert opened.correlation_id == assigned.correlation_id == booked.correlation_id == "submission:web-0001"
    assert (assigned.causation_id, booked.causation_id) == (opened.event_id, assigned.event_id)


def test_every_event_of_one_request_shares_its_cause_as_correlation() -> None:
    emit = submission_from_the_web()
    first, second = emit(notice("adv-a"), "adv-a").envelope, emit(notice("adv-b"), "adv-b").envelope
    assert first.event_id != second.event_id
    assert {first.correlation_id, second.correlation_id} == {"submission:web-0001"}
    assert {first.causation_id, second.causation_id} == {"submission:web-0001"}


def test_event_ids_are_derived_as_before_from_cause_type_stream_and_discriminator() -> None:
    out = submission_from_the_web()(notice(), "case-7", "reminder")
    assert out.envelope.event_id == derive_event_id(
        "submission:web-0001", "AdvisorTermEnding", "case-7", "reminder"
    )
    assert (
        submission_from_the_web()(notice(), "case-7", "reminder").envelope.event_id == out.envelope.event_id
    )


def test_another_cause_in_the_same_chain_keeps_the_correlation() -> None:
    run = Emitter.of_cause("term-check:2026-03-02", producer="routing", topic="routing.alerts.v1", now=NOW)
    out = run.caused_by("term:adv-ruth:2026-04-01")(notice(), "adv-ruth").envelope
    assert out.correlation_id == "term-check:2026-03-02"
    assert out.event_id == derive_event_id("term:adv-ruth:2026-04-01", "AdvisorTermEnding", "adv-ruth")


def test_a_new_chain_carries_nothing_of_the_sender() -> None:
    consumed = new_envelope(
        notice(),
        stream_id="s",
        producer="workbench",
        occurred_at=NOW,
        causation_id=None,
        event_id="evt-from-sender",
        correlation_id="sender-chosen",
    )
    emit = Emitter.of_envelope(consumed, producer="routing", topic="r", now=NOW).anew("opaque-1")
    body = emit(notice(), "unproven").envelope.model_dump_json()
    assert "evt-from-sender" not in body and "sender-chosen" not in body
    assert (emit.causation_id, emit.correlation_id) == ("opaque-1", "opaque-1")


def test_a_consumed_record_that_is_no_envelope_starts_a_chain_at_its_message_id() -> None:
    inbound = Inbound("intake.submissions.v1", 0, 41, None, b"{}")
    message = Decoded("submission:web-0001", inbound, {"submission_id": "web-0001"})
    emit = Emitter.of_message(message, producer="intake", topic="intake.cases.v1", now=NOW)
    assert (emit.causation_id, emit.correlation_id) == ("submission:web-0001", "submission:web-0001")


def test_a_consumed_envelope_message_is_read_as_the_envelope() -> None:
    consumed = new_envelope(
        notice(),
        stream_id="c",
        producer="intake",
        occurred_at=NOW,
        causation_id="x",
        correlation_id="chain-9",
    )
    message = Decoded(
        consumed.event_id, Inbound("intake.cases.v1", 0, 0, None, consumed.to_bytes()), consumed
    )
    emit = Emitter.of_message(message, producer="routing", topic="r", now=NOW).to("routing.alerts.v1")
    assert (emit.causation_id, emit.correlation_id, emit.topic) == (
        consumed.event_id,
        "chain-9",
        "routing.alerts.v1",
    )

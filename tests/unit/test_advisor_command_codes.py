"""Advisor commands carry codes, not free text, and answers tell nobody whether a case exists.

Coded fields (shared/contracts/advisor_actions.py): `DeclareConflict.reason` and
`RegisterTraining.kind` are codes; anything else (an older record's free text) is read as None,
never kept, and refused by the owning service. `QuietRoomUnavailable` v2 echoes no location.
Uniform answers: intake and scheduling answer `not_assignee` for a case that does not exist exactly
as for someone else's case (routing's check is on the real broker, tests/integration).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from services.intake.domain.lifecycle import CASE_ACTIONS, CaseState, refusal
from services.scheduling.adapters.projection import CaseFacts
from services.scheduling.application.actors import acting_advisor
from shared.advisor_commands import SignedCommand
from shared.auth import NOT_ASSIGNEE
from shared.codes import ConflictReason, TrainingKind
from shared.contracts.advisor_actions import BookQuietRoom, DeclareConflict, RegisterTraining
from shared.envelope import decode_envelope, new_envelope

pytestmark = pytest.mark.unit

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
MARKER = "Jan de Vries is my brother-in-law"


def conflict(reason: object) -> DeclareConflict:
    return DeclareConflict.model_validate(
        {"advisor_id": "adv-anna", "auth": "t", "issued_at": NOW, "case_id": "case-1", "reason": reason}
    )


def training(kind: object) -> RegisterTraining:
    return RegisterTraining.model_validate(
        {
            "advisor_id": "adv-anna",
            "auth": "t",
            "issued_at": NOW,
            "hours": 8,
            "kind": kind,
            "completed_on": NOW,
        }
    )


@pytest.mark.parametrize("code", list(ConflictReason))
def test_every_conflict_reason_code_is_kept(code: ConflictReason) -> None:
    assert conflict(code.value).reason is code
    assert conflict(code.value).model_dump(mode="json")["reason"] == code.value


@pytest.mark.parametrize("text", [MARKER, "", "KNOWS_PERSON", 42, None])
def test_a_conflict_reason_that_is_not_a_code_is_dropped(text: object) -> None:
    command = conflict(text)
    assert command.reason is None
    assert MARKER not in command.model_dump_json()


def test_a_training_kind_is_a_code_or_nothing() -> None:
    assert [training(k.value).kind for k in TrainingKind] == list(TrainingKind)
    assert training("Cursus bij Jan de Vries in Zwolle").kind is None


def test_the_published_schema_lists_the_codes() -> None:
    schema = DeclareConflict.model_json_schema()
    assert schema["$defs"]["ConflictReason"]["enum"] == [c.value for c in ConflictReason]
    assert RegisterTraining.model_json_schema()["$defs"]["TrainingKind"]["enum"] == [
        k.value for k in TrainingKind
    ]


def test_an_old_record_with_free_text_decodes_without_the_text() -> None:
    """Records written before the codes: still readable (the compat path), the text never kept."""
    env = new_envelope(
        conflict("other"), stream_id="case-1", producer="workbench", occurred_at=NOW, causation_id=None
    )
    old = json.loads(env.to_bytes())
    old["payload"]["reason"] = MARKER
    decoded = decode_envelope(json.dumps(old).encode())
    assert isinstance(decoded.payload, DeclareConflict) and decoded.payload.reason is None
    assert MARKER not in decoded.model_dump_json()


def test_a_quiet_room_answer_of_version_1_reads_without_its_echoed_location() -> None:
    record = {
        "event_id": "e-1",
        "event_type": "QuietRoomUnavailable",
        "schema_version": 1,
        "occurred_at": NOW.isoformat(),
        "producer": "scheduling",
        "stream_id": "adv-anna",
        "sequence": 0,
        "correlation_id": "e-1",
        "payload": {
            "advisor_id": "adv-anna",
            "location": MARKER,
            "reason_code": "NO_QUIET_ROOM",
            "decided_at": NOW.isoformat(),
        },
    }
    decoded = decode_envelope(json.dumps(record).encode())
    assert decoded.payload.model_dump(mode="json") == {
        "advisor_id": "adv-anna",
        "reason_code": "NO_QUIET_ROOM",
        "decided_at": "2026-03-02T10:00:00Z",
    }


# -- uniform answers -------------------------------------------------------------------------------

ANNAS_CASE = CaseState(
    case_id="case-1",
    assignee="adv-anna",
    accepted_by="adv-anna",
    status="open",
    erased=False,
    is_whistleblower_report=False,
)


@pytest.mark.parametrize("action", sorted(CASE_ACTIONS))
def test_intake_answers_a_missing_case_as_it_answers_someone_elses(action: str) -> None:
    answers = {
        refusal(action, "adv-bram", None),
        refusal(action, "adv-bram", ANNAS_CASE),
        refusal(action, "adv-anna", replace(ANNAS_CASE, erased=True)),
        refusal(action, "adv-bram", replace(ANNAS_CASE, erased=True, status="closed")),
    }
    assert answers == {NOT_ASSIGNEE}


def _facts(advisor: str | None, *, opened: bool = True) -> CaseFacts:
    # Only these three fields matter to the rule; the others (location, windows, ...) are left empty.
    others: dict[str, Any] = {
        name: None
        for name in CaseFacts.__dataclass_fields__
        if name not in ("case_id", "advisor_id", "opened")
    }
    return CaseFacts(case_id="case-1", advisor_id=advisor, opened=opened, **others)


def test_scheduling_knows_no_assignee_for_a_missing_unassigned_or_unopened_case() -> None:
    # The gate (shared/advisor_commands.py) answers not_assignee to anyone but the acting advisor:
    # a missing case then answers exactly as someone else's does.
    assert {
        acting_advisor(None),
        acting_advisor(_facts(None)),
        acting_advisor(_facts("adv-anna", opened=False)),
    } == {None}
    assert acting_advisor(_facts("adv-anna")) == "adv-anna"


def test_a_quiet_room_needs_no_case() -> None:
    room = BookQuietRoom(advisor_id="adv-anna", auth="t", issued_at=NOW, location="den_haag", minutes=30)
    assert SignedCommand.of(room).case_id is None  # the gate checks no assignee for it

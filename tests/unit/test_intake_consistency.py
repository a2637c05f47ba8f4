"""Intake's case register against intake.cases.v1: a case's furthest published state."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from services.intake.domain.consistency import compare_cases, published_case_states

pytestmark = pytest.mark.unit
ERASED_AT = datetime(2026, 3, 2, tzinfo=UTC)


def event(kind: str, case_id: str = "c1") -> dict[str, Any]:
    return {"event_type": kind, "payload": {"case_id": case_id}}


def row(case_id: str, status: str = "open", erased_at: datetime | None = None) -> Any:
    return SimpleNamespace(case_id=case_id, status=status, erased_at=erased_at)


def test_the_furthest_state_counts_whatever_else_was_published_about_the_case() -> None:
    log = [event("CaseOpened"), event("CaseAccepted"), event("CasePersonalDataErased"), event("CaseClosed")]
    assert published_case_states(log) == {"c1": "erased"}
    assert compare_cases([row("c1", "closed", ERASED_AT)], published_case_states(log)) == []


def test_a_case_stored_but_never_published_and_an_unpublished_closing_are_named() -> None:
    published = published_case_states([event("CaseOpened", "c2")])
    found = compare_cases([row("c1"), row("c2", "closed")], published)
    assert [m.describe() for m in found] == [
        "case c1: intake's case register says open; intake.cases.v1 says no CaseOpened published",
        "case c2: intake's case register says closed; intake.cases.v1 says open",
    ]
    assert [m.in_register for m in compare_cases([], published)] == [None]

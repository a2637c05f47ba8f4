"""Legal deadlines of whistleblower reports and retention, driven by an injected clock.

The timer job runs on the test's clock (ServiceRuntime(clock=...)); the test calls its tick()
where the service would wake up every minute. On the real broker, SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.lifecycle import Lifecycle, start_lifecycle

pytestmark = pytest.mark.integration


@pytest.fixture
async def life(kafka_bootstrap: str, db_url: str, tmp_path: Path) -> AsyncIterator[Lifecycle]:
    async for lifecycle in start_lifecycle(kafka_bootstrap, db_url, tmp_path):
        await lifecycle.register_advisor("adv-anna")
        yield lifecycle


def amsterdam(*args: int) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(*args, tzinfo=ZoneInfo("Europe/Amsterdam")).astimezone(UTC)  # type: ignore[misc]


async def deadline_events(life: Lifecycle, case_id: str) -> list[tuple[str, str, str]]:
    found = []
    for kind in ("LegalDeadlineSet", "LegalDeadlineDue", "LegalDeadlineMet", "LegalDeadlineMissed"):
        for e in await life.events_of(kind, case_id):
            found.append((e["sequence"], kind, e["payload"]["deadline"], e["payload"]["due_on"]))
    return [(k, d, due) for _, k, d, due in sorted(found)]


async def tick(life: Lifecycle) -> int:
    assert life.service.deadline_job is not None
    return await life.service.deadline_job.tick()


def gauges(life: Lifecycle, deadline: str) -> tuple[float, float]:
    return (
        life.metric("caseflow_legal_deadlines_at_risk", deadline=deadline),
        life.metric("caseflow_legal_deadlines_overdue", deadline=deadline),
    )


class TestLegalDeadlines:
    async def test_acknowledged_on_31_january_feedback_is_due_30_april(self, life: Lifecycle) -> None:
        report = await life.open_assigned_case("adv-anna", accept=False, is_whistleblower_report=True)
        ordinary = await life.open_assigned_case("adv-anna", accept=False)
        assert await deadline_events(life, report) == [("LegalDeadlineSet", "acknowledgement", "2026-01-31")]
        assert await deadline_events(life, ordinary) == []

        life.clock.set(amsterdam(2026, 1, 28, 12, 0))
        assert await tick(life) == 0
        life.clock.set(amsterdam(2026, 1, 29, 8, 0))
        assert await tick(life) == 1
        assert await tick(life) == 0  # once only
        assert gauges(life, "acknowledgement") == (1, 0)
        due = (await life.events_of("LegalDeadlineDue", report))[0]["payload"]
        assert due["days_left"] == 2

        life.clock.set(amsterdam(2026, 1, 31, 16, 0))
        accepted = await life.act(life.command("AcceptCase", "adv-anna", case_id=report))
        assert [e["event_type"] for e in accepted] == ["CaseAccepted", "LegalDeadlineMet", "LegalDeadlineSet"]
        assert accepted[0]["payload"]["acknowledges_report"] is True
        assert accepted[1]["payload"]["on_time"] is True
        assert accepted[2]["payload"] | {"set_at": None} == {
            "case_id": report,
            "deadline": "feedback",
            "basis_on": "2026-01-31",
            "due_on": "2026-04-30",
            "set_at": None,
        }
        await tick(life)
        assert gauges(life, "acknowledgement") == (0, 0)

        life.clock.set(amsterdam(2026, 4, 28, 9, 0))
        assert await tick(life) == 1
        assert gauges(life, "feedback") == (1, 0)
        life.clock.set(amsterdam(2026, 4, 30, 23, 59))
        assert await tick(life) == 0  # the due day is not over yet
        life.clock.set(amsterdam(2026, 5, 1, 0, 0))
        assert await tick(life) == 1
        assert gauges(life, "feedback") == (0, 1)

        late = await life.act(life.command("ProvideFeedback", "adv-anna", case_id=report))
        assert [e["event_type"] for e in late] == ["LegalDeadlineMet"] and late[0]["payload"][
            "on_time"
        ] is False
        await tick(life)
        assert gauges(life, "feedback") == (0, 0)
        assert await deadline_events(life, report) == [
            ("LegalDeadlineSet", "acknowledgement", "2026-01-31"),
            ("LegalDeadlineDue", "acknowledgement", "2026-01-31"),
            ("LegalDeadlineMet", "acknowledgement", "2026-01-31"),
            ("LegalDeadlineSet", "feedback", "2026-04-30"),
            ("LegalDeadlineDue", "feedback", "2026-04-30"),
            ("LegalDeadlineMissed", "feedback", "2026-04-30"),
            ("LegalDeadlineMet", "feedback", "2026-04-30"),
        ]
        assert await deadline_events(life, ordinary) == []

    async def test_no_acknowledgement_in_7_days_starts_the_3_months_from_the_end_of_the_7_days(
        self, life: Lifecycle
    ) -> None:
        report = await life.open_assigned_case("adv-anna", accept=False, is_whistleblower_report=True)
        life.clock.set(amsterdam(2026, 2, 1, 0, 0, 30))
        assert await tick(life) == 2  # missed + the feedback deadline it starts
        assert gauges(life, "acknowledgement") == (0, 1)
        late = await life.act(life.command("AcceptCase", "adv-anna", case_id=report))
        assert [e["event_type"] for e in late] == ["CaseAccepted", "LegalDeadlineMet"]
        assert late[1]["payload"]["on_time"] is False
        assert await deadline_events(life, report) == [
            ("LegalDeadlineSet", "acknowledgement", "2026-01-31"),
            ("LegalDeadlineMissed", "acknowledgement", "2026-01-31"),
            ("LegalDeadlineSet", "feedback", "2026-04-30"),
            ("LegalDeadlineMet", "acknowledgement", "2026-01-31"),
        ]
        await tick(life)
        assert gauges(life, "acknowledgement") == (0, 0)

    async def test_acknowledged_on_30_november_feedback_is_due_at_the_end_of_february(
        self, life: Lifecycle
    ) -> None:
        life.clock.set(amsterdam(2025, 11, 27, 10, 0))
        await life.register_advisor("adv-anna")  # a key valid back then
        report = await life.open_assigned_case("adv-anna", accept=False, is_whistleblower_report=True)
        life.clock.set(amsterdam(2025, 11, 30, 10, 0))
        accepted = await life.act(life.command("AcceptCase", "adv-anna", case_id=report))
        assert accepted[-1]["payload"]["due_on"] == "2026-02-28"

    async def test_feedback_given_in_the_dialogue_meets_the_deadline(self, life: Lifecycle) -> None:
        report = await life.open_assigned_case("adv-anna", is_whistleblower_report=True)
        answer = await life.advisor_posts(
            "adv-anna",
            report,
            {"text": "We investigated; here is what happened.", "counts_as_feedback": True},
        )
        assert answer.status_code == 201 and answer.json()["counts_as_feedback"] is True
        met = await life.events_of("LegalDeadlineMet", report)
        assert [m["payload"]["deadline"] for m in met] == ["acknowledgement", "feedback"]


class TestRetention:
    async def test_a_case_closed_longer_than_the_retention_is_erased_and_still_counted(
        self, life: Lifecycle
    ) -> None:
        case_id = await life.open_assigned_case("adv-anna")
        closed_at = life.clock()
        await life.act(life.command("CloseCase", "adv-anna", case_id=case_id, outcomes=["advice_given"]))
        job = life.service.retention_job
        assert job is not None
        days = life.service.settings.retention_days_after_closure
        life.clock.set(closed_at + timedelta(days=days - 1))
        assert await job.tick() == 0
        assert (await life.read_as("adv-anna", case_id)).status_code == 200
        life.clock.advance(days=2)
        assert await job.tick() == 1
        assert await job.tick() == 0
        [erased] = await life.events_of("CasePersonalDataErased", case_id)
        assert erased["payload"]["reason"] == "retention_expired"
        refused = await life.read_as("adv-anna", case_id)
        assert (refused.status_code, refused.json()["reason"]) == (403, "not_assignee")
        assert await life.ctx.keystore.is_erased(case_id)
        # The coded facts stay: the case still counts.
        assert [e["payload"]["categories"] for e in await life.events_of("CaseOpened", case_id)] == [
            ["labour.conflict_with_manager"]
        ]
        assert life.metric("caseflow_intake_cases_erased_total", reason="retention_expired") == 1

"""Declaring a conflict of interest takes the case from the advisor on the workbench at once: the
DeclareConflict outbox row and the given-up record are one unit of work, and the list, the case page
and every command treat the case as not theirs before routing's CaseReassigned arrives."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import insert, select

from services.workbench.adapters.command_signer import CommandSigner
from services.workbench.adapters.intake_case_files import CaseFileRefused, IntakeCaseFiles
from services.workbench.adapters.rendering import pages
from services.workbench.adapters.rendering.texts import TEXT
from services.workbench.adapters.tables import current_assignees, given_up_cases
from services.workbench.app import create_runtime
from services.workbench.application import advisor_commands, case_lists
from services.workbench.application.case_files import NOT_YOURS, open_case
from services.workbench.application.conflicts import UNKNOWN_REASON
from services.workbench.domain.forms import FormRefused
from services.workbench.domain.sessions import Role, Session
from services.workbench.settings import WorkbenchSettings
from shared.auth import unproven_cause
from shared.contracts.advisor_commands import AdvisorCommandRejected
from shared.envelope import EventPayload, new_envelope
from shared.topics import ADVISOR_ACTIONS
from tests.support.in_process import Bus, InProcess
from tests.support.keycloak import client_secret
from tests.support.scheduling_events import ASSIGNMENTS, assigned, envelope_bytes, reassigned

pytestmark = pytest.mark.handlers

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
SIGNER = CommandSigner("workbench", Ed25519PrivateKey.generate())
ANNA = Session("sub-1", Role.ADVISOR, "adv-a", "csrf-token", NOW, NOW)


@pytest.fixture
async def workbench(tmp_path: Path) -> AsyncIterator[InProcess]:
    settings = WorkbenchSettings(
        kafka_bootstrap="127.0.0.1:9",
        database_url=f"sqlite+aiosqlite:///{tmp_path}/workbench.db",
        oidc_client_secret=client_secret(),
    )
    files = IntakeCaseFiles("http://127.0.0.1:9", SIGNER)  # never reached: refused before intake
    service = await InProcess(create_runtime(settings, files=files), Bus()).start()
    assert service.context is not None
    async with service.context.engine.begin() as conn:
        await conn.execute(
            insert(current_assignees).values(
                case_id="case-1", advisor_id="adv-a", state="assigned", decided_at=NOW
            )
        )
    try:
        yield service
    finally:
        await service.stop()


async def test_the_advisor_loses_the_case_at_once_and_the_command_goes_out(workbench: InProcess) -> None:
    ctx = workbench.context
    assert ctx is not None
    files = IntakeCaseFiles("http://127.0.0.1:9", SIGNER)
    assert [line.case_id for line in await case_lists.my_cases(ctx.engine, "adv-a")] == ["case-1"]

    await advisor_commands.declare_conflict(ctx, SIGNER, "adv-a", "case-1", "knows_person", True, NOW)

    assert await case_lists.my_cases(ctx.engine, "adv-a") == []
    with pytest.raises(CaseFileRefused) as page:
        await open_case(ctx.engine, files, "adv-a", "case-1", NOW)
    assert page.value.reason == NOT_YOURS
    with pytest.raises(CaseFileRefused) as again:
        await advisor_commands.accept(ctx, SIGNER, "adv-a", "case-1", NOW)
    assert again.value.reason == NOT_YOURS

    sent = [json.loads(value) for _key, value in workbench.bus.topics[ADVISOR_ACTIONS.name]]
    assert [(e["event_type"], e["payload"]["case_id"], e["payload"]["reason"]) for e in sent] == [
        ("DeclareConflict", "case-1", "knows_person")
    ]
    assert sent[0]["payload"]["auth"]  # signed for the advisor
    async with ctx.engine.connect() as conn:
        rows = [(r.advisor_id, r.case_id, r.reason) for r in await conn.execute(select(given_up_cases))]
    assert rows == [("adv-a", "case-1", "knows_person")]


@pytest.mark.parametrize(
    ("advisor", "reason", "confirmed", "refusal"),
    [
        ("adv-b", "knows_person", True, NOT_YOURS),  # not the assignee: like an unknown case
        ("adv-a", "she is my sister", True, UNKNOWN_REASON),  # free text never becomes a reason
        ("adv-a", "other", False, "conflict_not_confirmed"),
    ],
)
async def test_a_refused_declaration_changes_nothing(
    workbench: InProcess, advisor: str, reason: str, confirmed: bool, refusal: str
) -> None:
    ctx = workbench.context
    assert ctx is not None
    with pytest.raises((CaseFileRefused, FormRefused)) as refused:  # not theirs; a form to fix
        await advisor_commands.declare_conflict(ctx, SIGNER, advisor, "case-1", reason, confirmed, NOW)
    assert refused.value.reason == refusal
    assert workbench.bus.topics[ADVISOR_ACTIONS.name] == []
    assert [line.case_id for line in await case_lists.my_cases(ctx.engine, "adv-a")] == ["case-1"]


def rejection(advisor_id: str | None, case_id: str | None, command: str = "DeclareConflict") -> EventPayload:
    return AdvisorCommandRejected(
        command=command, reason_code="not_assignee", advisor_id=advisor_id, case_id=case_id, rejected_at=NOW
    )


def records(*payloads: EventPayload) -> list[tuple[bytes, bytes]]:
    return [(key, value) for _id, key, value in (envelope_bytes(p) for p in payloads)]


async def given_up_rows(workbench: InProcess) -> list[tuple[str, str]]:
    assert workbench.context is not None
    async with workbench.context.engine.connect() as conn:
        return sorted((r.advisor_id, r.case_id) for r in await conn.execute(select(given_up_cases)))


async def test_routing_refusing_the_declaration_gives_the_case_back_with_the_reason(
    workbench: InProcess,
) -> None:
    ctx = workbench.context
    assert ctx is not None
    await advisor_commands.declare_conflict(ctx, SIGNER, "adv-a", "case-1", "other", True, NOW)
    # Answers that are not about this declaration change nothing: an unproven one (it names
    # nobody), another advisor's, another command's, another case's.
    await workbench.feed(
        ASSIGNMENTS,
        records(
            rejection(None, None),
            rejection("adv-b", "case-1"),
            rejection("adv-a", "case-1", "AssignEscalatedCase"),
            rejection("adv-a", "case-2"),
        ),
    )
    assert await given_up_rows(workbench) == [("adv-a", "case-1")]
    assert await case_lists.refused_conflicts(ctx.engine, "adv-a") == {}

    await workbench.feed(ASSIGNMENTS, records(rejection("adv-a", "case-1")))
    assert await given_up_rows(workbench) == []
    assert [line.case_id for line in await case_lists.my_cases(ctx.engine, "adv-a")] == ["case-1"]
    refused = await case_lists.refused_conflicts(ctx.engine, "adv-a")
    assert refused == {"case-1": "not_assignee"}
    lines = await case_lists.my_cases(ctx.engine, "adv-a")
    for lang in ("nl", "en"):
        html = pages.case_list_page(lang, ANNA, "/zaken", lines, None, refused)
        assert TEXT[lang]["conflict_refused_why"]["not_assignee"] in html and "not_assignee" in html
    # Declaring again clears the old refusal; the case is given up again.
    await advisor_commands.declare_conflict(ctx, SIGNER, "adv-a", "case-1", "other", True, NOW)
    assert await case_lists.refused_conflicts(ctx.engine, "adv-a") == {}
    assert await case_lists.my_cases(ctx.engine, "adv-a") == []


async def test_the_given_up_record_ends_when_the_case_moves_so_a_case_routed_back_is_visible(
    workbench: InProcess,
) -> None:
    ctx = workbench.context
    assert ctx is not None
    await advisor_commands.declare_conflict(ctx, SIGNER, "adv-a", "case-1", "knows_person", True, NOW)
    await workbench.feed(ASSIGNMENTS, records(assigned("case-1", "adv-a")))  # redelivered: still given up
    assert await case_lists.my_cases(ctx.engine, "adv-a") == []
    await workbench.feed(ASSIGNMENTS, records(reassigned("case-1", "adv-b")))
    assert await given_up_rows(workbench) == []
    assert [line.case_id for line in await case_lists.my_cases(ctx.engine, "adv-b")] == ["case-1"]
    await workbench.feed(ASSIGNMENTS, records(reassigned("case-1", "adv-a")))  # later routed back
    assert [line.case_id for line in await case_lists.my_cases(ctx.engine, "adv-a")] == ["case-1"]
    assert await case_lists.my_cases(ctx.engine, "adv-b") == []
    file = await open_case_or_reason(ctx, "adv-a")
    assert file != NOT_YOURS  # past the workbench's own check (intake is not reached in this test)


async def open_case_or_reason(ctx: Any, advisor_id: str) -> str:
    files = IntakeCaseFiles("http://127.0.0.1:9", SIGNER)
    try:
        await open_case(ctx.engine, files, advisor_id, "case-1", NOW)
    except CaseFileRefused as refused:
        return refused.reason
    return "opened"


async def test_an_unproven_refusal_is_found_by_its_causation_id_and_gives_the_case_back(
    workbench: InProcess,
) -> None:
    """Routing could not prove who sent the declaration (e.g. it does not know the workbench's
    signer yet): its answer names nobody, and only the sender can tell it is about this one."""
    ctx = workbench.context
    assert ctx is not None
    await advisor_commands.declare_conflict(ctx, SIGNER, "adv-a", "case-1", "other", True, NOW)
    [(_key, sent)] = workbench.bus.topics[ADVISOR_ACTIONS.name]
    event_id = json.loads(sent)["event_id"]

    def answer(cause: str) -> list[tuple[bytes, bytes]]:
        env = new_envelope(
            rejection(None, None),
            stream_id="unproven-commands",
            producer="routing",
            occurred_at=NOW,
            causation_id=cause,
        )
        return [(env.stream_id.encode(), env.to_bytes())]

    await workbench.feed(ASSIGNMENTS, answer(unproven_cause(f"{event_id}-other")))  # someone else's
    assert await given_up_rows(workbench) == [("adv-a", "case-1")]
    await workbench.feed(ASSIGNMENTS, answer(unproven_cause(event_id)))
    assert await given_up_rows(workbench) == []
    assert await case_lists.refused_conflicts(ctx.engine, "adv-a") == {"case-1": "not_assignee"}
    assert [line.case_id for line in await case_lists.my_cases(ctx.engine, "adv-a")] == ["case-1"]

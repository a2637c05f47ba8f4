"""Declaring a conflict of interest takes the case from the advisor on the workbench at once: the
DeclareConflict outbox row and the given-up record are one unit of work, and the list, the case page
and every command treat the case as not theirs before routing's CaseReassigned arrives."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import insert, select

from services.workbench.adapters.command_signer import CommandSigner
from services.workbench.adapters.intake_case_files import CaseFileRefused, IntakeCaseFiles
from services.workbench.adapters.tables import current_assignees, given_up_cases
from services.workbench.app import create_runtime
from services.workbench.application import advisor_commands, case_lists
from services.workbench.application.case_files import NOT_YOURS, open_case
from services.workbench.application.conflicts import UNKNOWN_REASON
from services.workbench.settings import WorkbenchSettings
from shared.topics import ADVISOR_ACTIONS
from tests.support.in_process import Bus, InProcess
from tests.support.keycloak import client_secret

pytestmark = pytest.mark.handlers

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
SIGNER = CommandSigner("workbench", Ed25519PrivateKey.generate())


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
    with pytest.raises(CaseFileRefused) as refused:
        await advisor_commands.declare_conflict(ctx, SIGNER, advisor, "case-1", reason, confirmed, NOW)
    assert refused.value.reason == refusal
    assert workbench.bus.topics[ADVISOR_ACTIONS.name] == []
    assert [line.case_id for line in await case_lists.my_cases(ctx.engine, "adv-a")] == ["case-1"]

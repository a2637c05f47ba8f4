"""Intake's restore fold (D55): a backup copy of intake's SQLite database, given intake's own
events published after the backup (`apply_published` with intake's fold) and then the Kafka
inputs after the backup again, ends in the state the uninterrupted run reached, and the receipt
code a client was given after the backup still opens the follow-up.

One run of intake's composition root (tests/support/follow_up.py) takes submissions over HTTP and
from Kafka, routing's assignments, signed advisor commands, a client's messages, rating and
erasure, an advisor's reply and case-file read; the database is copied half-way
(tests/support/restore.py). Without the fold, the same restore loses what was answered over HTTP
and decides the Kafka submissions again, with receipt codes nobody was given.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.intake.app import create_service
from services.intake.application.legal_deadlines import LegalDeadlineJob
from services.intake.application.restore_fold import IntakeRestoreFold
from services.intake.settings import IntakeSettings
from shared.auth import AuthError, authorize_command, command_digest, issue_token, peek_claims
from shared.codes import TimeActivity
from shared.contracts.advisor_actions import AcceptCase, CloseCase, LogTime, ProvideFeedback
from shared.restore_fold import FoldSummary, PublishedEvent, apply_published, apply_skipped_inputs
from shared.topics import ADVISOR_ACTIONS, INTAKE_SUBMISSIONS
from shared.unit_of_work import UnitOfWork
from tests.support import samples
from tests.support.follow_up import (
    ADVISOR,
    advisor_replies,
    client_of,
    meeting_scheduled,
    open_case,
    start_intake,
)
from tests.support.in_process import Bus, InProcess
from tests.support.restore import copy_sqlite, last_position, published_after
from tests.support.scheduling_events import ASSIGNMENTS, assigned, envelope_bytes, reassigned
from tests.support.services import TEST_MASTER_KEY
from tools.demo.sample_org import advisor_private_key
from tools.demo.state_digest import Canon, table_rows

pytestmark = pytest.mark.handlers

MEETINGS = "scheduling.meetings.v1"
# Intake's own tables, compared row for row with every column.
DOMAIN_TABLES = (
    "cases",
    "rejections",
    "assignments",
    "case_access",
    "messages",
    "legal_deadlines",
    "client_feedback",
    "client_meetings",
)
# used_tokens: the jti of a command folded in is claimed from the command (SkippedInputs, checked
# apart); the jti of an HTTP request (the advisor's reply) is not: nothing consumed carries it.
# The inbox is compared by message id (inbox_ids): a case opened over HTTP was recorded under the
# topic "http", and its CaseOpened does not say which way it came (the topic is never read).
NOT_REBUILT = frozenset({"used_tokens", "inbox"})


@dataclass
class Run:
    """The uninterrupted run, with every Kafka record fed after the backup kept for the restore."""

    live: InProcess
    client: httpx.AsyncClient
    backup: Path | None = None
    position: int = 0
    offsets: dict[str, int] = field(default_factory=dict)
    after_backup: list[tuple[str, bytes, bytes]] = field(default_factory=list)
    command_ids: dict[str, str] = field(default_factory=dict)

    async def feed(self, topic: str, key: bytes, value: bytes) -> None:
        if self.backup is not None:
            self.after_backup.append((topic, key, value))
        await self.live.feed(topic, [(key, value)])

    async def command(self, name: str, payload: Any, *, sign: bool = True) -> None:
        now = datetime.now(UTC)
        if sign:
            payload = authorize_command(advisor_private_key(payload.advisor_id), payload, now=now)
        event_id, key, value = envelope_bytes(payload)
        self.command_ids[name] = event_id
        await self.feed(ADVISOR_ACTIONS.name, key, value)

    async def kafka_submission(self, doc: dict[str, Any]) -> None:
        await self.feed(INTAKE_SUBMISSIONS.name, doc["submission_id"].encode(), samples.to_bytes(doc))

    async def assign(self, case_id: str) -> None:
        _id, key, value = envelope_bytes(assigned(case_id, ADVISOR))
        await self.feed(ASSIGNMENTS, key, value)

    async def take_backup(self, tmp_path: Path) -> None:
        self.backup = tmp_path / "backup.db"
        copy_sqlite(tmp_path / "intake.db", self.backup)
        assert self.live.context is not None
        self.position = await last_position(self.live.context.engine, self.live.context.store.tables)
        self.offsets = dict(self.live.offsets)

    async def published_after_backup(self) -> list[PublishedEvent]:
        assert self.live.context is not None
        return await published_after(self.live.context.engine, self.live.context.store.tables, self.position)


@dataclass(frozen=True)
class Codes:
    before: str  # given before the backup (HTTP)
    after: str  # given after it (HTTP): only intake's published CaseOpened remembers it
    after_case: str
    kafka_after: str  # the submission id of a Kafka submission after the backup


def accept(case_id: str) -> AcceptCase:
    return AcceptCase(advisor_id=ADVISOR, auth="", issued_at=datetime.now(UTC), case_id=case_id)


def read_token(case_id: str) -> str:
    return issue_token(
        advisor_private_key(ADVISOR),
        advisor_id=ADVISOR,
        action="GET /v1/cases/{id}",
        case_id=case_id,
        digest=command_digest({}),
        now=datetime.now(UTC),
    )


async def drive(run: Run, tmp_path: Path) -> Codes:
    """Inputs of every kind intake takes, with the backup taken half-way."""
    client = run.client
    case_a, code_a = await open_case(client)
    await run.kafka_submission(samples.submission())
    await run.assign(case_a)
    await run.command("accept a", accept(case_a))

    await run.take_backup(tmp_path)

    case_c, code_c = await open_case_over_http(client, is_whistleblower_report=True)
    erased_case, code_e = await open_case(client)
    kafka_after = samples.submission()
    await run.kafka_submission(kafka_after)
    await run.kafka_submission(samples.submission(organisation_id="min-nowhere"))  # rejected
    await run.assign(case_c)
    await run.command("accept c", accept(case_c))
    log = LogTime(
        advisor_id=ADVISOR,
        auth="",
        issued_at=datetime.now(UTC),
        case_id=case_a,
        minutes=45,
        activity=TimeActivity.CONVERSATION,
    )
    await run.command("log time", log)
    await run.command("unsigned", log.model_copy(update={"minutes": 5}), sign=False)
    assert (await advisor_replies(client, case_a, "Ik bel u morgen.")).status_code == 201
    headers = {"X-Receipt-Code": code_a}
    posted = await client.post("/v1/dialogue/messages", headers=headers, json={"text": "Dank u."})
    assert posted.status_code == 201, posted.text
    rated = await client.post("/v1/dialogue/feedback", headers=headers, json={"rating": 4})
    assert rated.status_code == 201, rated.text
    read = await client.get(f"/v1/cases/{case_c}", headers={"Authorization": f"Bearer {read_token(case_c)}"})
    assert read.status_code == 200, read.text
    refused = await client.get(
        f"/v1/cases/{erased_case}", headers={"Authorization": f"Bearer {read_token(erased_case)}"}
    )
    assert refused.status_code == 403, refused.text  # not the assignee: AdvisorCommandRejected
    erased = await client.delete("/v1/dialogue", headers={"X-Receipt-Code": code_e})
    assert erased.status_code == 200, erased.text
    meeting = meeting_scheduled(case_c, datetime.now(UTC) + timedelta(days=3))
    _id, key, value = envelope_bytes(meeting, producer="scheduling")
    await run.feed(MEETINGS, key, value)
    close = CloseCase(
        advisor_id=ADVISOR, auth="", issued_at=datetime.now(UTC), case_id=case_a, outcomes=["advice_given"]
    )
    await run.command("close a", close)
    return Codes(code_a, code_c, case_c, kafka_after["submission_id"])


async def open_case_over_http(client: httpx.AsyncClient, **overrides: Any) -> tuple[str, str]:
    answer = await client.post("/v1/submissions", json=samples.submission(**overrides))
    assert answer.status_code == 201, answer.text
    return answer.json()["case_ref"], answer.json()["receipt_code"]


async def restored_intake(tmp_path: Path, database: Path, offsets: dict[str, int]) -> InProcess:
    """Intake on the restored copy, with the key store the run used (no older than the copy, D55)
    and the consumer offsets the backup recorded."""
    settings = IntakeSettings(
        kafka_bootstrap="127.0.0.1:9",
        database_url=f"sqlite+aiosqlite:///{database}",
        keystore_url=f"sqlite+aiosqlite:///{tmp_path}/keys.db",
        master_key=TEST_MASTER_KEY,
        key_cache_seconds=0,
    )
    service = await InProcess(create_service(settings).runtime, Bus()).start()
    service.offsets.update(offsets)
    return service


async def fold(service: InProcess, events: list[PublishedEvent], *, with_fold: bool = True) -> FoldSummary:
    ctx, parts = service.context, service.parts
    assert ctx is not None and parts is not None
    restore_fold = parts.restore_fold if with_fold else None
    return await apply_published(ctx.engine, ctx.store, events, restore_fold, datetime.now(UTC))


def exact_rows(database: Path, table: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(database) as db:
        return sorted(db.execute(f'SELECT * FROM "{table}"'), key=repr)  # names of DOMAIN_TABLES


def digest(database: Path) -> dict[str, list[str]]:
    """state_digest's canonical rows (instants and values random by design removed), per table."""
    return {t: rows for t, rows in table_rows(database, Canon(), "intake") if t not in NOT_REBUILT}


def jtis(database: Path) -> set[str]:
    with sqlite3.connect(database) as db:
        return {r[0] for r in db.execute("SELECT jti FROM used_tokens")}


def command_jtis(records: list[tuple[str, bytes, bytes]]) -> set[str]:
    """The token ids of the advisor commands among `records`."""
    found = set()
    for topic, _key, value in records:
        if topic == "advisor.actions.v1":
            with contextlib.suppress(AuthError):
                found.add(peek_claims(json.loads(value)["payload"].get("auth", "")).jti)
    return found


def inbox_ids(database: Path) -> set[str]:
    with sqlite3.connect(database) as db:
        return {r[0] for r in db.execute("SELECT message_id FROM inbox")}


@pytest.fixture
async def run(tmp_path: Path) -> AsyncIterator[Run]:
    live = await start_intake(tmp_path)
    async with client_of(live) as client:
        try:
            yield Run(live, client)
        finally:
            await live.stop()


async def test_the_restored_copy_with_the_fold_equals_the_uninterrupted_run(run: Run, tmp_path: Path) -> None:
    codes = await drive(run, tmp_path)
    assert run.backup is not None
    events = await run.published_after_backup()
    restored = await restored_intake(tmp_path, run.backup, run.offsets)
    try:
        assert isinstance(restored.parts and restored.parts.restore_fold, IntakeRestoreFold)
        summary = await fold(restored, events)
        assert summary.folded == len(events) and summary.already_held == 0
        held = inbox_ids(run.backup)
        # Decided inputs are not decided again; an unproven command is (its answer hides its id).
        assert {
            f"submission:{codes.kafka_after}",
            run.command_ids["accept c"],
            run.command_ids["log time"],
            run.command_ids["close a"],
        } <= held
        assert run.command_ids["unsigned"] not in held
        # The skipped commands' token ids, claimed from the commands themselves (SkippedInputs).
        claimed_live = jtis(tmp_path / "intake.db") & command_jtis(run.after_backup)
        assert claimed_live and not claimed_live <= jtis(run.backup), "not in the copy before"
        assert restored.parts is not None and restored.parts.restore_skipped is not None
        commands = [v for topic, _k, v in run.after_backup if topic == "advisor.actions.v1"]
        ctx = restored.context
        taken = await apply_skipped_inputs(
            ctx.engine, ctx.store, restored.parts.restore_skipped, commands, datetime.now(UTC)
        )
        assert taken == 3 and claimed_live <= jtis(run.backup)
        await restored.feed_batch(run.after_backup)  # the Kafka inputs after the backup, again

        live_db = tmp_path / "intake.db"
        for table in DOMAIN_TABLES:
            assert exact_rows(run.backup, table) == exact_rows(live_db, table), table
        assert digest(run.backup) == digest(live_db)
        assert inbox_ids(run.backup) == inbox_ids(live_db)

        async with client_of(restored) as client:
            for code in (codes.before, codes.after):
                answer = await client.get("/v1/dialogue/messages", headers={"X-Receipt-Code": code})
                assert answer.status_code == 200, answer.text
            thread = (
                await client.get("/v1/dialogue/messages", headers={"X-Receipt-Code": codes.before})
            ).json()
            assert [m["text"] for m in thread["messages"]] == ["Ik bel u morgen.", "Dank u."]
            assert thread["status"] == "closed" and thread["feedback_given"]

        again = await fold(restored, events)  # a second restore's fold of the same events
        assert (again.folded, again.already_held) == (0, len(events))
        assert digest(run.backup) == digest(live_db)
    finally:
        await restored.stop()


async def test_without_the_fold_the_code_given_after_the_backup_opens_nothing(
    run: Run, tmp_path: Path
) -> None:
    codes = await drive(run, tmp_path)
    assert run.backup is not None
    restored = await restored_intake(tmp_path, run.backup, run.offsets)
    try:
        await fold(restored, await run.published_after_backup(), with_fold=False)
        await restored.feed_batch(run.after_backup)
        async with client_of(restored) as client:
            lost = await client.get("/v1/dialogue/messages", headers={"X-Receipt-Code": codes.after})
            kept = await client.get("/v1/dialogue/messages", headers={"X-Receipt-Code": codes.before})
        assert lost.status_code == 404 and kept.status_code == 200
        assert codes.after_case not in {r[0] for r in exact_rows(run.backup, "cases")}
        # The Kafka submission after the backup was decided again: a receipt code nobody was given.
        [(again,)] = _receipt_hash_of(run.backup, codes.kafka_after)
        [(given,)] = _receipt_hash_of(tmp_path / "intake.db", codes.kafka_after)
        assert again != given
    finally:
        await restored.stop()


def _receipt_hash_of(database: Path, submission_id: str) -> list[tuple[str]]:
    with sqlite3.connect(database) as db:
        return list(db.execute("SELECT receipt_hash FROM cases WHERE submission_id = ?", (submission_id,)))


async def deadline_tick(live: InProcess, days: float) -> None:
    """The legal-deadline job's look `days` from now (warned 2 days before a deadline ends)."""
    assert live.context is not None
    later = datetime.now(UTC) + timedelta(days=days)
    await LegalDeadlineJob(UnitOfWork.of(live.context), lambda: later, warning_days=2, interval=60).tick()


async def test_legal_deadlines_noticed_missed_and_met_after_the_backup_are_folded_in(
    run: Run, tmp_path: Path
) -> None:
    """A whistleblower report whose acknowledgement is noticed due, then missed, then met late by
    accepting it, and whose feedback is met by a ProvideFeedback command."""
    case_id, _code = await open_case_over_http(run.client, is_whistleblower_report=True)
    await run.assign(case_id)
    await deadline_tick(run.live, 5.5)  # LegalDeadlineDue
    await run.take_backup(tmp_path)
    await deadline_tick(run.live, 9)  # LegalDeadlineMissed, and the feedback deadline set
    await run.command("accept", accept(case_id))  # the acknowledgement, late
    feedback = ProvideFeedback(advisor_id=ADVISOR, auth="", issued_at=datetime.now(UTC), case_id=case_id)
    await run.command("feedback", feedback)
    assert run.backup is not None
    restored = await restored_intake(tmp_path, run.backup, run.offsets)
    try:
        await fold(restored, await run.published_after_backup())
        assert {run.command_ids["accept"], run.command_ids["feedback"]} <= inbox_ids(run.backup)
        await restored.feed_batch(run.after_backup)
        live_db = tmp_path / "intake.db"
        deadlines = exact_rows(run.backup, "legal_deadlines")
        assert [(r[1], r[4]) for r in deadlines] == [("acknowledgement", "met"), ("feedback", "met")]
        for table in DOMAIN_TABLES:
            assert exact_rows(run.backup, table) == exact_rows(live_db, table), table
        assert digest(run.backup) == digest(live_db)
    finally:
        await restored.stop()


async def test_a_case_opened_without_its_receipt_comes_back_with_no_code_that_opens_it(
    run: Run, tmp_path: Path
) -> None:
    """A CaseOpened from before `receipt` was published: the case comes back, but nothing can
    rebuild the code, so the row is left as an erasure leaves it (no hash any code could match)."""
    await run.take_backup(tmp_path)
    case_id, code = await open_case(run.client)
    [opened] = [e for e in await run.published_after_backup() if e.envelope.event_type == "CaseOpened"]
    payload = opened.envelope.payload.model_copy(update={"receipt": None})
    old = PublishedEvent(
        opened.topic, 0, 0, opened.envelope.model_copy(update={"payload": payload}), opened.body
    )
    assert run.backup is not None
    restored = await restored_intake(tmp_path, run.backup, run.offsets)
    try:
        await fold(restored, [old])
        [row] = [r for r in exact_rows(run.backup, "cases") if r[0] == case_id]
        assert (row[2], row[3]) == (f"erased:{case_id}", "")
        async with client_of(restored) as client:
            answer = await client.get("/v1/dialogue/messages", headers={"X-Receipt-Code": code})
        assert answer.status_code == 404
    finally:
        await restored.stop()


async def test_an_acceptance_after_a_reassignment_away_and_back_survives_the_restore(
    run: Run, tmp_path: Path
) -> None:
    async with client_of(run.live) as client:
        case_id, _code = await open_case(client)
    await run.assign(case_id)
    await run.take_backup(tmp_path)
    for to_advisor in ("adv-someone-else", ADVISOR):
        _id, key, value = envelope_bytes(reassigned(case_id, to_advisor))
        await run.feed(ASSIGNMENTS, key, value)
    await run.command("accept", accept(case_id))
    assert run.backup is not None
    restored = await restored_intake(tmp_path, run.backup, run.offsets)
    try:
        await fold(restored, await run.published_after_backup())
        await restored.feed_batch(run.after_backup)
        assert exact_rows(run.backup, "assignments") == exact_rows(tmp_path / "intake.db", "assignments")
    finally:
        await restored.stop()

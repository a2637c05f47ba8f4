"""End-to-end erasure on the real broker: after erasure nothing yields the personal data, and the
case still counts.

Intake runs as a real process (PostgreSQL, SQLite key store). Two cases carry unique markers in
narrative, contact details, persons involved and dialogue messages. The advisor reads and answers,
closes one case; then one case is erased by the client (DELETE /v1/dialogue with the receipt code)
and one by an operator (`caseflow erase`). Afterwards no endpoint, topic (other than the raw
input topic, kept 7 days, docs/case-file.md), log line, metric, database row or key store row
yields a marker, and no sealed field on intake.cases.v1 can be opened any more; the coded events
the statistics count from are all still there, and reporting, replaying the log after the erasure,
still counts both cases in the annual report (`check_statistics_still_count`).
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import shared.contracts  # noqa: F401
from shared.auth import authorize_command, command_digest, issue_token, public_key_to_b64
from shared.contracts.advisor_actions import AcceptCase, CloseCase
from shared.contracts.directory import AdvisorKeyRegistered
from shared.contracts.routing import AdvisorAssigned
from shared.crypto import CaseCipher, KeyErased, KeyStore, Sealed, parse_master_key
from shared.db import make_engine
from shared.envelope import EventPayload, new_envelope
from tests.support import samples
from tests.support.directory import load_units_into_process
from tests.support.kafka_io import create_topics, produce, read_all, read_json
from tests.support.lifecycle import TOPICS, routing_extras
from tests.support.processes import CASEFLOW, ServiceProcess
from tests.support.services import TEST_MASTER_KEY, wait_until

pytestmark = pytest.mark.e2e

ADVISOR = "adv-anna"
READ = "GET /v1/cases/{id}"


@dataclass
class ErasedCaseScenario:
    """What an erasure check needs: where the events are, which cases, and their coded facts."""

    kafka: str
    prefix: str
    case_ids: list[str]
    categories: dict[str, list[str]]  # case id -> coded categories it was opened with
    closed_outcomes: dict[str, list[str]] = field(default_factory=dict)


async def check_statistics_still_count(scenario: ErasedCaseScenario, workdir: Path) -> None:
    """The erased cases still count: their coded events are on intake.cases.v1, readable in clear,
    and reporting's annual report, rebuilt from the log after the erasure, counts every one of them.
    """
    events = read_json(
        await read_all(scenario.kafka, scenario.prefix + "intake.cases.v1", timeout=15, idle=2)
    )
    for case_id in scenario.case_ids:
        on_case = [e for e in events if e["stream_id"] == case_id]
        opened = [e["payload"] for e in on_case if e["event_type"] == "CaseOpened"]
        assert [o["categories"] for o in opened] == [scenario.categories[case_id]]
        assert opened[0]["organisation_id"] == "min-bzk" and opened[0]["channel"] == "web"
        assert [e["event_type"] for e in on_case if e["event_type"] == "CasePersonalDataErased"] == [
            "CasePersonalDataErased"
        ]
        if case_id in scenario.closed_outcomes:
            closed = [e["payload"]["outcomes"] for e in on_case if e["event_type"] == "CaseClosed"]
            assert closed == [scenario.closed_outcomes[case_id]]
    await _annual_report_counts_them(scenario, workdir)


async def _annual_report_counts_them(scenario: ErasedCaseScenario, workdir: Path) -> None:
    """Reporting (never a key holder) replays the log after the erasure into a fresh projection.

    The published report suppresses counts below k=5 and this test has fewer cases, so the count
    is read from the same report built without suppression (k=1): the projection still holds every
    erased case. The published (k=5) report is rendered too and must carry no personal data.
    """
    from services.reporting.adapters.organisation import load_organisation
    from services.reporting.application.report_use_cases import Reports
    from services.reporting.domain.annual_report_data import DisclosurePolicy, SectionId, TrainingBaseline
    from services.reporting.entrypoints.replay import replay
    from shared.db import make_engine

    engine = make_engine(f"sqlite+aiosqlite:///{workdir}/reporting-after-erasure.db")
    try:
        await replay(engine, scenario.kafka, scenario.prefix, topics=("intake.cases.v1",))
        year = datetime.now(UTC).year
        # Read as after the year has closed (only closed quarters are released).
        closed = datetime(year + 1, 1, 20, tzinfo=UTC)
        exact = Reports(
            engine, load_organisation(None), DisclosurePolicy(k=1), TrainingBaseline(), clock=lambda: closed
        )
        report = await exact.annual_report("min-bzk", year)
        by_category = dict(report.section(SectionId.CONTACTS_BY_CATEGORY).table.items())  # type: ignore[union-attr]
        assert by_category["labour.conflict_with_manager"] == len(scenario.case_ids)
        published = await Reports(
            engine, load_organisation(None), DisclosurePolicy(), TrainingBaseline(), clock=lambda: closed
        ).render("min-bzk", year, "json")
        assert "MARK" not in published and "@example.org" not in published
    finally:
        await engine.dispose()


async def _pg_database(pg_url_base: str) -> tuple[str, str]:
    name = f"erase_{uuid.uuid4().hex[:10]}"
    raw_base = pg_url_base.replace("postgresql+asyncpg://", "postgresql://")
    admin = await asyncpg.connect(raw_base + "/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    return f"{pg_url_base}/{name}", f"{raw_base}/{name}"


async def _all_rows(dsn: str) -> dict[str, list[dict[str, Any]]]:
    conn = await asyncpg.connect(dsn)
    try:
        tables = [
            r["tablename"]
            for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")
        ]
        return {t: [dict(r) for r in await conn.fetch(f'SELECT * FROM "{t}"')] for t in tables}
    finally:
        await conn.close()


def _envelope(payload: EventPayload, stream: str) -> tuple[bytes, bytes]:
    env = new_envelope(
        payload, stream_id=stream, producer="test", occurred_at=datetime.now(UTC), causation_id=None
    )
    return stream.encode(), env.to_bytes()


def _sealed_documents(value: Any) -> list[Sealed]:
    """Every Sealed object anywhere inside a decoded event."""
    found: list[Sealed] = []
    if isinstance(value, dict):
        if set(value) == {"alg", "kid", "nonce", "ct"}:
            found.append(Sealed.model_validate(value))
        else:
            for item in value.values():
                found += _sealed_documents(item)
    elif isinstance(value, list):
        for item in value:
            found += _sealed_documents(item)
    return found


async def test_after_erasure_nothing_yields_the_personal_data_and_the_case_still_counts(
    kafka_bootstrap: str, pg_url_base: str, tmp_path: Path
) -> None:
    prefix = f"t-erase-{uuid.uuid4().hex[:8]}."
    await create_topics(kafka_bootstrap, [prefix + t for t in TOPICS] + [prefix + t + ".dlq" for t in TOPICS])
    db_url, dsn = await _pg_database(pg_url_base)
    env = {
        "INTAKE_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "INTAKE_TOPIC_PREFIX": prefix,
        "INTAKE_DATABASE_URL": db_url,
        "INTAKE_KEYSTORE_URL": f"sqlite+aiosqlite:///{tmp_path}/keys.db",
        "INTAKE_MASTER_KEY": TEST_MASTER_KEY,
        "INTAKE_LOG_LEVEL": "DEBUG",
        "INTAKE_CONSUMER_GROUP": f"intake-{prefix}",
    }
    intake = ServiceProcess("intake", env, tmp_path / "intake.log")
    key = Ed25519PrivateKey.generate()
    now = datetime.now(UTC)
    public = public_key_to_b64(key.public_key())
    tags = {"by_client": f"e2c{uuid.uuid4().hex[:6]}", "by_operator": f"e2o{uuid.uuid4().hex[:6]}"}
    markers = [m for tag in tags.values() for m in samples.markers(tag)]
    markers += [f"MARK-MSG-{tag}" for tag in tags.values()] + [f"MARK-ANS-{tag}" for tag in tags.values()]

    def token(case_id: str, action: str = READ, body: dict[str, Any] | None = None) -> dict[str, str]:
        signed = issue_token(
            key,
            advisor_id=ADVISOR,
            action=action,
            case_id=case_id,
            digest=command_digest(body or {}),
            now=datetime.now(UTC),
        )
        return {"Authorization": f"Bearer {signed}"}

    async def command(payload: EventPayload, stream: str) -> None:
        signed = authorize_command(key, payload, now=datetime.now(UTC))
        await produce(kafka_bootstrap, prefix + "advisor.actions.v1", [_envelope(signed, stream)])

    intake.start()
    try:
        await load_units_into_process(kafka_bootstrap, prefix, intake.url)
        await produce(
            kafka_bootstrap,
            prefix + "directory.advisors.v1",
            [
                _envelope(
                    AdvisorKeyRegistered(
                        advisor_id=ADVISOR, public_key_b64=public, valid_from=now - timedelta(days=1)
                    ),
                    f"advisor-key:{ADVISOR}",
                )
            ],
        )
        cases: dict[str, tuple[str, str]] = {}
        submissions = {name: samples.submission(tag) for name, tag in tags.items()}
        for name in tags:
            async with httpx.AsyncClient(base_url=intake.url, timeout=10) as http:
                answer = await http.post("/v1/submissions", json=submissions[name])
            assert answer.status_code == 201
            cases[name] = (answer.json()["case_ref"], answer.json()["receipt_code"])
            await produce(
                kafka_bootstrap,
                prefix + "routing.assignments.v1",
                [
                    _envelope(
                        AdvisorAssigned(
                            case_id=cases[name][0],
                            advisor_id=ADVISOR,
                            scope="internal",
                            policy_version="test",
                            selection_reason="lowest_load",
                            decided_at=now,
                            case_opened_at=now,
                            exclusions=Sealed(kid=cases[name][0], nonce="", ct=""),
                            **routing_extras(AdvisorAssigned, cases[name][0]),
                        ),
                        cases[name][0],
                    )
                ],
            )

        async with httpx.AsyncClient(base_url=intake.url, timeout=10) as http:
            for name, (case_id, code) in cases.items():
                tag = tags[name]
                await wait_until(lambda c=case_id: _readable(http, c, token(c)), timeout=40)
                file = (await http.get(f"/v1/cases/{case_id}", headers=token(case_id))).json()
                assert f"MARK-NARR-{tag}" in file["personal"]["narrative"]  # the markers are real
                await command(
                    AcceptCase(advisor_id=ADVISOR, auth="", issued_at=now, case_id=case_id), case_id
                )
                await wait_until(lambda c=code: _dialogue_is(http, c, "accepted"), timeout=40)
                posted = await http.post(
                    "/v1/dialogue/messages",
                    json={"text": f"MARK-MSG-{tag}"},
                    headers={"X-Receipt-Code": code},
                )
                assert posted.status_code == 201
                body = {"text": f"MARK-ANS-{tag}"}
                answer = await http.post(
                    f"/v1/cases/{case_id}/messages",
                    json=body,
                    headers=token(case_id, "POST /v1/cases/{id}/messages", body),
                )
                assert answer.status_code == 201
            client_case, client_code = cases["by_client"]
            operator_case = cases["by_operator"][0]
            await command(
                CloseCase(
                    advisor_id=ADVISOR,
                    auth="",
                    issued_at=now,
                    case_id=client_case,
                    outcomes=("advice_given",),
                ),
                client_case,
            )
            await wait_until(lambda: _dialogue_is(http, client_code, "closed"), timeout=40)

            # Erase: the client with the receipt code, the operator with the CLI.
            erased = await http.request("DELETE", "/v1/dialogue", headers={"X-Receipt-Code": client_code})
            assert erased.json() == {"status": "erased"}
            cli = await asyncio.create_subprocess_exec(
                CASEFLOW,
                "erase",
                operator_case,
                "--reason",
                "client_request",
                env={**os.environ, **env},
                stdout=asyncio.subprocess.PIPE,
            )
            stdout, _ = await asyncio.wait_for(cli.communicate(), timeout=60)
            assert cli.returncode == 0 and json.loads(stdout)["outcome"] == "erased"
            await wait_until(lambda: _erased_on_topic(kafka_bootstrap, prefix, 2), timeout=40)

            # Endpoints: answers like an unknown case / a wrong code, nothing more.
            unknown_case = await http.get("/v1/cases/unknown", headers=token("unknown"))
            wrong_code = await http.get(
                "/v1/dialogue/messages", headers={"X-Receipt-Code": "WRNG-WRNG-WRNG-WRNG"}
            )
            answers: list[str] = []
            for case_id, code in cases.values():
                refused = await http.get(f"/v1/cases/{case_id}", headers=token(case_id))
                assert (refused.status_code, refused.json()) == (
                    unknown_case.status_code,
                    unknown_case.json(),
                )
                gone = await http.get("/v1/dialogue/messages", headers={"X-Receipt-Code": code})
                assert (gone.status_code, gone.json()) == (wrong_code.status_code, wrong_code.json())
                answers += [refused.text, gone.text]
            retried = await http.post("/v1/submissions", json=submissions["by_client"])  # a frontend's retry
            assert retried.json()["receipt_code"] is None  # the code went with the key
            answers.append(retried.text)
            metrics = (await http.get("/metrics")).text
    finally:
        intake.stop()

    await check_statistics_still_count(
        ErasedCaseScenario(
            kafka_bootstrap,
            prefix,
            [c for c, _ in cases.values()],
            {c: ["labour.conflict_with_manager"] for c, _ in cases.values()},
            closed_outcomes={cases["by_client"][0]: ["advice_given"]},
        ),
        tmp_path,
    )

    # Topics: no marker in clear, and no sealed field of these cases opens any more.
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    topics = [
        t for t in await admin.list_topics() if t.startswith(prefix) and t != prefix + "intake.submissions.v1"
    ]
    await admin.close()
    haystacks = {
        "answers": "\n".join(answers),
        "metrics": metrics,
        "log": (tmp_path / "intake.log").read_text(),
    }
    keystore = KeyStore(
        make_engine(env["INTAKE_KEYSTORE_URL"]), parse_master_key(TEST_MASTER_KEY), cache_seconds=0
    )
    case_ids = {c for c, _ in cases.values()}
    opened_sealed = 0
    try:
        for topic in topics:
            values = await read_all(kafka_bootstrap, topic, timeout=10, idle=1)
            haystacks[topic] = b"\n".join(values).decode("latin-1")
            for event in read_json([v for v in values if v.startswith(b"{")]):
                for sealed in _sealed_documents(event.get("payload", {})):
                    if sealed.kid in case_ids and sealed.ct:
                        opened_sealed += 1
                        with pytest.raises(KeyErased):
                            await CaseCipher(keystore).open(sealed.kid, "personal", sealed)
        for case_id in case_ids:
            assert await keystore.is_erased(case_id)
    finally:
        await keystore._engine.dispose()
    assert opened_sealed >= 8  # personal + routing facts of 2 cases, 2 messages each, and the commands' none

    # Tables: nothing personal left beside the log's ciphertext; the receipt code no longer links.
    rows = await _all_rows(dsn)
    haystacks["postgres tables"] = "\n".join(str(r) for table in rows.values() for r in table)
    assert [r for r in rows["messages"] if r["case_id"] in case_ids] == []
    for row in rows["cases"]:
        if row["case_id"] in case_ids:
            assert row["erased_at"] is not None and row["receipt_hash"].startswith("erased:")
            assert row["receipt_sealed"] == ""
    haystacks["key store bytes"] = b"".join(p.read_bytes() for p in tmp_path.glob("keys.db*")).decode(
        "latin-1"
    )
    for where, text in haystacks.items():
        for marker in markers:
            assert marker not in text, f"{marker} found in {where} after erasure"


async def _readable(http: httpx.AsyncClient, case_id: str, headers: dict[str, str]) -> bool:
    return (await http.get(f"/v1/cases/{case_id}", headers=headers)).status_code == 200


async def _dialogue_is(http: httpx.AsyncClient, code: str, status: str) -> bool:
    answer = await http.get("/v1/dialogue/messages", headers={"X-Receipt-Code": code})
    return answer.status_code == 200 and answer.json().get("status") == status


async def _erased_on_topic(kafka: str, prefix: str, expect: int) -> bool:
    events = read_json(await read_all(kafka, prefix + "intake.cases.v1", timeout=10, idle=1))
    return sum(e["event_type"] == "CasePersonalDataErased" for e in events) >= expect

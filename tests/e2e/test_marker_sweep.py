"""The outside sweep, as a test: markers in every field of every entry point, then every byte.

The whole stack runs as OS processes (`caseflow.stack.up`: intake on PostgreSQL, routing,
scheduling and reporting on SQLite, one key store) against the session's broker, with sealed
submissions required. Two markers:

- `GOOD`: everything a well-behaved client, frontend and advisor may send that is free text or a
  caller-chosen name: narrative, contact details, persons involved and their descriptions, the
  client's town, dialogue messages both ways (the follow-up page's too), the web form's fields, a
  submission a frontend sealed to intake's key and published to the raw topic. It must appear in no topic at all (the raw
  submissions topic included), no log, no database file (SQLite bytes, `pg_dump` of PostgreSQL),
  the key store, the export, the reports, the calendar files or /metrics: zero hits.
- `PROFILE` and `ADVISOR`: an advisor's public profile (display name, location, texts, photo
  reference: public by consent, shown on the web form) and the advisor's pseudonymous id. The
  employee picks that advisor on the form. The profile may be on the directory topics, in the
  directory projections of intake and routing and on the web form page, nowhere else (no other
  topic, log, export, report or /metrics); the pseudonym likewise, but never on the page the
  public sees and never in clear on a case's topic (the choice is sealed in its routing facts).
- `HOSTILE`: what an outsider pushes at the edges: unknown field names, an invented organisation,
  unsealed and garbage records with the marker in their Kafka key, receipt codes and message ids
  that are markers (on the follow-up page and the dialogue API), forged unsigned commands naming
  a marker case id, free text where commands take codes. The sender itself wrote it into the input
  topic it published to (`intake.submissions.v1`, `advisor.actions.v1`); it must appear nowhere else.

Before erasure the decrypting endpoints show `GOOD` (the markers are real); after the client erased
the case, none of them does.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sqlite3
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient

import shared.contracts  # noqa: F401
from caseflow import stack
from devinfra.postgres import find_bindir
from shared.auth import authorize_command, command_digest, issue_token
from shared.codes import AdvisorKind, AdvisorScope
from shared.contracts.advisor_actions import AcceptCase, BookQuietRoom, LogTime, RegisterTraining
from shared.contracts.directory import AdvisorProfile, AdvisorUpserted
from shared.envelope import EventPayload, new_envelope
from shared.log_reader import read_published
from shared.settings import ServiceSettings
from shared.submission_sealing import fetch_submission_key, sealed_record_bytes
from tests.support import samples
from tests.support.directory import produce_directory
from tests.support.kafka_io import produce
from tests.support.processes import CASEFLOW, audit_verify
from tests.support.services import wait_until
from tools.demo.demo import _seed
from tools.demo.sample_org import TERM, advisor_private_key

pytestmark = pytest.mark.e2e
READ = "GET /v1/cases/{id}"


def good_submission(good: str, **overrides: Any) -> dict[str, Any]:
    doc = samples.submission(good, **overrides)
    doc["meeting"]["location"] = f"Dorp{good}"  # the client's town: free text
    doc["persons_involved"][0]["description"] = f"de baas {good}"
    doc["contact"]["phone"] = "+31 70 1234567"
    return doc


def envelope_bytes(payload: EventPayload, stream: str) -> bytes:
    return new_envelope(
        payload, stream_id=stream, producer="workbench", occurred_at=datetime.now(UTC), causation_id=None
    ).to_bytes()


async def every_topic(kafka: str, prefix: str) -> dict[str, bytes]:
    """Every record's key and value on every topic of the deployment, as one byte string per topic."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:
        topics = sorted(t for t in await admin.list_topics() if t.startswith(prefix))
    finally:
        await admin.close()
    settings = ServiceSettings(kafka_bootstrap=kafka)
    out = {}
    for topic in topics:
        records = await read_published(settings, topic)
        out[topic] = b"\n".join((r.key or b"") + b"\t" + r.value for r in records)
    return out


def profiled_advisor(advisor_id: str, marker: str) -> AdvisorUpserted:
    """An external VPI who shows a profile full of the marker, and who speaks only French: routing
    excludes them from every (Dutch) case of the sweep for the language (R9), the form's bullying
    case also for the kind, so the pseudonym stays off the assignments whatever the loads are."""
    profile = AdvisorProfile(
        show=True,
        display_name=f"Profiel {marker}",
        languages=("nl",),
        location=f"Stad {marker}",
        text_nl=f"Tekst {marker}",
        text_en=f"Text {marker}",
        photo_ref=f"/foto/{marker}.jpg",
    )
    return AdvisorUpserted(
        advisor_id=advisor_id,
        person_id=None,
        kind=AdvisorKind.VPI,
        scope=AdvisorScope.EXTERNAL,
        organisation_id=None,
        languages=("fr",),
        term_start=TERM[0],
        term_end=TERM[1],
        profile=profile,
    )


def handle_on_page(page: str, marker: str) -> str:
    """The handle the form gives the card that shows `marker`."""
    card = next(c for c in page.split('<div class="card">') if marker in c)
    found = re.search(r'name="advisor" value="(vp-[0-9a-f]+)"', card)
    assert found is not None, card[:500]
    return found.group(1)


def pg_dump(dsn: str) -> bytes:
    bindir = find_bindir()
    assert bindir is not None
    return subprocess.run(
        [str(bindir / "pg_dump"), "--data-only", dsn], check=True, capture_output=True, timeout=120
    ).stdout


def hits(marker: str, haystacks: dict[str, bytes]) -> list[str]:
    needle = marker.lower().encode()
    return sorted(where for where, data in haystacks.items() if needle in data.lower())


async def test_markers_in_every_field_of_every_entry_point_appear_in_no_byte_the_system_writes(
    kafka_bootstrap: str, pg_url_base: str, tmp_path: Path
) -> None:
    good, hostile = f"goodq{uuid.uuid4().hex[:10]}", f"hostq{uuid.uuid4().hex[:10]}"
    profile, advisor_marker = f"profq{uuid.uuid4().hex[:10]}", f"advq{uuid.uuid4().hex[:10]}"
    prefix = f"t-sweep-{uuid.uuid4().hex[:8]}."
    name = f"sweep_{uuid.uuid4().hex[:10]}"
    raw = pg_url_base.replace("postgresql+asyncpg://", "postgresql://")
    admin = await asyncpg.connect(raw + "/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    home = tmp_path / "stack"
    organisation = Path(__file__).resolve().parents[2] / "deploy" / "samples" / "directory.json"
    env = {
        "INTAKE_DATABASE_URL": f"{pg_url_base}/{name}",
        "INTAKE_LOG_LEVEL": "DEBUG",
        "REPORTING_ORGANISATION_FILE": str(organisation),
        "REPORTING_RELEASE_AS_OF": f"{datetime.now(UTC).year + 1}-01-20T00:00:00+00:00",
    }
    state = await asyncio.to_thread(
        stack.up,
        home,
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=prefix,
        say=lambda _m: None,
        extra_env=env,
    )
    intake, scheduling, reporting = (state.url(s) or "" for s in ("intake", "scheduling", "reporting"))
    answers: list[bytes] = []  # every HTTP answer the edges gave
    try:
        await _seed(kafka_bootstrap, prefix, intake)
        shown = new_envelope(
            profiled_advisor(advisor_marker, profile),
            stream_id=advisor_marker,
            producer="hr-feed",
            occurred_at=datetime.now(UTC),
            causation_id=None,
        )
        await produce_directory(kafka_bootstrap, prefix, [shown])
        async with httpx.AsyncClient(base_url=intake, timeout=30) as http:

            async def profile_shown() -> bool:
                return profile in (await http.get("/formulier")).text

            await wait_until(profile_shown, timeout=90, interval=0.5)
            form_page = (await http.get("/formulier")).text
            assert f"Tekst {profile}" in form_page and f"Stad {profile}" in form_page
            # -- well-behaved entry points ---------------------------------------------------
            submitted = await http.post("/v1/submissions", json=good_submission(good))
            assert submitted.status_code == 201, submitted.text
            answers.append(submitted.content)
            case_id, code = submitted.json()["case_ref"], submitted.json()["receipt_code"]

            form = {
                "submission_id": f"sub-{uuid.uuid4().hex[:20]}",
                "organisation_id": "min-bzk",
                "unit_id": "bzk-dgob-hr",
                "client_role": "employee",
                "categories": "unwanted_behaviour.bullying",
                "narrative": f"Pesten op de afdeling {good}",
                "name": f"Naam {good}",
                "email": f"{good}@example.org",
                "phone": "+31 70 7654321",
                "location": f"Stad{good}",
                "mode": "on_site_discreet_room",
                "advisor": handle_on_page(form_page, profile),  # the employee picks them by profile
            }
            posted = await http.post("/formulier", data=form)
            assert posted.status_code == 200, posted.text
            answers.append(posted.content)

            key = await fetch_submission_key(http, intake)
            frontend = good_submission(good, channel="phone")
            await produce(
                kafka_bootstrap,
                prefix + "intake.submissions.v1",
                [(frontend["submission_id"].encode(), sealed_record_bytes(frontend, key))],
            )

            # -- hostile entry points ---------------------------------------------------------
            extra = good_submission(hostile)
            extra[f"veld{hostile}"] = "x"
            extra["meeting"][f"sub{hostile}"] = 1
            invented = good_submission(hostile, organisation_id=f"org{hostile}", unit_id=f"unit{hostile}")
            for doc in (extra, invented):
                answer = await http.post("/v1/submissions", json=doc)
                assert answer.status_code in (400, 413, 422), answer.text
                answers.append(answer.content)
            answers.append(
                (
                    await http.post(
                        "/formulier", data={**form, f"veld{hostile}": "x", "organisation_id": f"org{hostile}"}
                    )
                ).content
            )
            unsealed = samples.submission(hostile)
            await produce(
                kafka_bootstrap,
                prefix + "intake.submissions.v1",
                [
                    (f"key{hostile}".encode(), json.dumps(unsealed).encode()),
                    (f"key{hostile}".encode(), f'{{"not": "a submission {hostile}"'.encode()),
                    (f"key{hostile}".encode(), json.dumps({**unsealed, f"veld{hostile}": 1}).encode()),
                ],
            )
            forged = AcceptCase(
                advisor_id=f"adv{hostile}",
                auth="forged",
                issued_at=datetime.now(UTC),
                case_id=f"case{hostile}",
            )
            await produce(
                kafka_bootstrap,
                prefix + "advisor.actions.v1",
                [
                    (f"case{hostile}".encode(), envelope_bytes(forged, f"case{hostile}")),
                    (
                        f"key{hostile}".encode(),
                        json.dumps(
                            {
                                "event_type": "DeclareConflict",
                                "schema_version": 1,
                                "payload": {"reason": hostile},
                            }
                        ).encode(),
                    ),
                ],
            )

            # -- the advisor routing chose works the case ------------------------------------
            advisor = await assignee(kafka_bootstrap, prefix, case_id)
            private = advisor_private_key(advisor)

            def token(action: str = READ, body: dict[str, Any] | None = None) -> dict[str, str]:
                signed = issue_token(
                    private,
                    advisor_id=advisor,
                    action=action,
                    case_id=case_id,
                    digest=command_digest(body or {}),
                    now=datetime.now(UTC),
                )
                return {"Authorization": f"Bearer {signed}"}

            async def command(payload: EventPayload, stream: str) -> None:
                signed = authorize_command(private, payload, now=datetime.now(UTC))
                await produce(
                    kafka_bootstrap,
                    prefix + "advisor.actions.v1",
                    [(stream.encode(), envelope_bytes(signed, stream))],
                )

            async def readable() -> bool:
                return (await http.get(f"/v1/cases/{case_id}", headers=token())).status_code == 200

            await wait_until(readable, timeout=60)
            before = await http.get(f"/v1/cases/{case_id}", headers=token())
            assert good in before.text  # the markers are real: the advisor reads them
            now = datetime.now(UTC)
            await command(AcceptCase(advisor_id=advisor, auth="", issued_at=now, case_id=case_id), case_id)
            await command(
                LogTime(
                    advisor_id=advisor,
                    auth="",
                    issued_at=now,
                    case_id=case_id,
                    minutes=45,
                    activity="conversation",
                ),
                case_id,
            )
            await command(
                RegisterTraining(
                    advisor_id=advisor,
                    auth="",
                    issued_at=now,
                    hours=4,
                    kind="basic_course",
                    completed_on=now - timedelta(days=3),
                ),
                f"training:{advisor}",
            )
            await command(
                BookQuietRoom(advisor_id=advisor, auth="", issued_at=now, location="den_haag", minutes=30),
                f"quiet:{advisor}",
            )
            # An advisor's frontend that sends a place name instead of a location code (as raw
            # JSON: the contract itself drops a value that is not a code).
            quiet = json.loads(
                envelope_bytes(
                    authorize_command(
                        private,
                        BookQuietRoom(
                            advisor_id=advisor, auth="", issued_at=now, location="den_haag", minutes=30
                        ),
                        now=now,
                    ),
                    f"quiet:{advisor}",
                )
            )
            quiet["payload"]["location"] = f"Plaats{hostile}"
            await produce(
                kafka_bootstrap, prefix + "advisor.actions.v1", [(b"quiet", json.dumps(quiet).encode())]
            )

            async def accepted() -> bool:
                # The advisor may answer only once intake has taken in the AcceptCase command; the
                # client's follow-up page is where that shows (status "accepted").
                answer = await http.get("/v1/dialogue/messages", headers={"X-Receipt-Code": code})
                return answer.status_code == 200 and answer.json()["status"] == "accepted"

            await wait_until(accepted, timeout=60)
            client_says = await http.post(
                "/v1/dialogue/messages", json={"text": f"Bericht {good}"}, headers={"X-Receipt-Code": code}
            )
            assert client_says.status_code == 201, client_says.text
            body = {"text": f"Antwoord {good}"}
            advisor_says = await http.post(
                f"/v1/cases/{case_id}/messages",
                json=body,
                headers=token("POST /v1/cases/{id}/messages", body),
            )
            assert advisor_says.status_code == 201, advisor_says.text
            answers += [client_says.content, advisor_says.content]

            # The follow-up page: a reply and a rating in POST bodies; the page shows the thread.
            page = await http.post("/vervolg/bericht", data={"code": code, "text": f"Via de pagina {good}"})
            assert page.status_code == 200 and f"Via de pagina {good}" in page.text, page.text[:2000]
            rated = await http.post(
                "/vervolg/beoordeling", data={"code": code, "rating": "5", f"veld{hostile}": "x"}
            )
            assert rated.status_code == 200 and f"Antwoord {good}" in rated.text
            # ... and what an outsider pushes at it: codes and message ids that are markers.
            for probe in (
                await http.post("/vervolg", data={"code": f"code{hostile}"}),
                await http.post(
                    "/vervolg/bericht", data={"code": f"code{hostile}", "text": f"Tekst {hostile}"}
                ),
                await http.get("/v1/dialogue/messages", headers={"X-Receipt-Code": f"code{hostile}"}),
            ):
                assert probe.status_code == 404, probe.text[:500]
                answers.append(probe.content)
            waited = await http.get(
                "/v1/dialogue/messages",
                params={"after": f"id{hostile}", "wait": 1},
                headers={"X-Receipt-Code": code},
            )
            assert waited.status_code == 200 and hostile not in waited.text

            meetings = await meeting_ids(kafka_bootstrap, prefix)
            async with httpx.AsyncClient(base_url=scheduling, timeout=30) as cal:
                calendars = [
                    (await cal.get(f"/v1/meetings/{m}.ics", params={"for": who})).content
                    for m in meetings
                    for who in ("client", "advisor")
                ]
            metrics = [(await http.get(f"{state.url(s)}/metrics")).content for s in stack.SERVICES]

            # -- the client erases the case; the decrypting endpoints yield nothing -----------
            erased = await http.request("DELETE", "/v1/dialogue", headers={"X-Receipt-Code": code})
            assert erased.status_code == 200 and erased.json() == {"status": "erased"}, erased.text

            async def erased_for_the_advisor() -> bool:
                return (await http.get(f"/v1/cases/{case_id}", headers=token())).status_code != 200

            await wait_until(erased_for_the_advisor, timeout=60)
            after = [
                (await http.get(f"/v1/cases/{case_id}", headers=token())).content,
                (await http.get("/v1/dialogue/messages", headers={"X-Receipt-Code": code})).content,
                (await http.post("/vervolg", data={"code": code})).content,
            ]
        async with httpx.AsyncClient(base_url=reporting, timeout=60) as rep:
            reports = [
                (
                    await rep.get(
                        "/v1/reports/annual",
                        params={"org": org, "year": datetime.now(UTC).year, "format": fmt},
                    )
                ).content
                for org in ("all", "min-bzk")
                for fmt in ("html", "csv", "json")
            ]
        export_dir = tmp_path / "export"
        exported = await asyncio.to_thread(
            subprocess.run,
            [
                CASEFLOW,
                "export",
                "--kafka",
                kafka_bootstrap,
                "--topic-prefix",
                prefix,
                "--out",
                str(export_dir),
                "--format",
                "csv",
            ],
            env={**os.environ, "REPORTING_ORGANISATION_FILE": str(organisation)},
            capture_output=True,
            timeout=300,
            check=False,
        )
        assert exported.returncode == 0, exported.stdout + exported.stderr
    finally:
        await asyncio.to_thread(stack.down, home, lambda _m: None)

    haystacks: dict[str, bytes] = {
        f"topic {t}": data for t, data in (await every_topic(kafka_bootstrap, prefix)).items()
    }
    for path in home.iterdir():
        if path.is_file():  # service logs, SQLite databases (and their -wal), the key store
            haystacks[f"file {path.name}"] = path.read_bytes()
    haystacks["pg_dump intake"] = pg_dump(f"{raw}/{name}")
    for path in export_dir.rglob("*"):
        if path.is_file():
            haystacks[f"export {path.name}"] = path.read_bytes()
    haystacks["reports"] = b"\n".join(reports)
    haystacks["calendar files"] = b"\n".join(calendars)
    haystacks["metrics"] = b"\n".join(metrics)
    haystacks["HTTP answers at the edges"] = b"\n".join(answers)
    haystacks["decrypting endpoints after erasure"] = b"\n".join(after)
    haystacks["the web form page"] = form_page.encode()

    # The haystacks are the real thing: the three good submissions became cases, the files and
    # dumps hold this run's data, every kind of output was written.
    opened = [
        json.loads(line.split(b"\t", 1)[1])
        for line in haystacks[f"topic {prefix}intake.cases.v1"].splitlines()
        if b'"CaseOpened"' in line
    ]
    assert sorted(e["payload"]["channel"] for e in opened) == ["phone", "web", "web"], haystacks[
        f"topic {prefix}intake.cases.v1"
    ][:3000]
    assert (
        case_id.encode() in haystacks["pg_dump intake"] and case_id.encode() in haystacks["file routing.db"]
    )
    assert all(f"file {s}.log" in haystacks for s in stack.SERVICES)
    assert calendars and all(c.startswith(b"BEGIN:VCALENDAR") for c in calendars), calendars[:1]
    assert any(p.startswith("export ") for p in haystacks) and b"min-bzk" in haystacks["reports"]
    assert len([t for t in haystacks if t.startswith("topic ")]) >= 10
    print({where: len(data) for where, data in haystacks.items()})
    assert hits(good, haystacks) == []
    # The public profile: on the directory topics, in the directory projections and on the form only.
    directory = {f"topic {prefix}directory.v1", f"topic {prefix}directory.advisors.v1"}
    projections = {"pg_dump intake", "file routing.db", "file routing.db-wal"}
    print("profile", hits(profile, haystacks), "advisor", hits(advisor_marker, haystacks))
    assert directory <= set(hits(profile, haystacks)) <= directory | projections | {"the web form page"}
    # The pseudonym of the chosen advisor: never on the page, never in clear on a case's topic.
    # Reporting keeps advisors' home organisations from directory.advisors.v1 by advisor id (D45).
    homes = {"file reporting.db", "file reporting.db-wal"}
    assert directory <= set(hits(advisor_marker, haystacks)) <= directory | projections | homes
    inputs = {f"topic {prefix}intake.submissions.v1", f"topic {prefix}advisor.actions.v1"}
    assert set(hits(hostile, haystacks)) <= inputs, "a hostile marker left the input topic it was sent to"
    assert set(hits(hostile, haystacks)) == inputs, (  # they were sent, and are where the sender put them
        hits(hostile, haystacks),
        haystacks[f"topic {prefix}advisor.actions.v1"][:2000],
    )

    # The state each service holds agrees with what it published (and a hand-made difference in
    # scheduling's ledger is named): routing's cases, intake's access, scheduling's meetings.
    audit_env = {
        **os.environ,
        "ROUTING_DATABASE_URL": f"sqlite+aiosqlite:///{home}/routing.db",
        "ROUTING_KEYSTORE_URL": f"sqlite+aiosqlite:///{home}/keystore.db",
        "ROUTING_MASTER_KEY": (home / "master.key").read_text().strip(),
        "ROUTING_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "ROUTING_TOPIC_PREFIX": prefix,
        "INTAKE_DATABASE_URL": f"{pg_url_base}/{name}",
        "SCHEDULING_DATABASE_URL": f"sqlite+aiosqlite:///{home}/scheduling.db",
    }
    verdict = await asyncio.to_thread(audit_verify, audit_env)
    assert verdict.returncode == 0, verdict.stdout + verdict.stderr
    assert verdict.stdout.count("all agree") == 4, verdict.stdout  # routing, intake twice, scheduling
    with sqlite3.connect(home / "scheduling.db") as db:
        flip = "CASE status WHEN 'active' THEN 'cancelled' ELSE 'active' END"
        db.execute(f"UPDATE bookings SET status = {flip} WHERE meeting_id = ?", (meetings[0],))
    verdict = await asyncio.to_thread(audit_verify, audit_env)
    assert verdict.returncode == 1, verdict.stdout + verdict.stderr
    assert f"STATE DIFFERS FROM LOG meeting {meetings[0]}: scheduling's ledger says" in verdict.stdout
    # An erasure intake holds but never published: the erased case is still open everywhere else.
    pg = await asyncpg.connect(f"{raw}/{name}")
    try:
        await pg.execute("UPDATE cases SET erased_at = NULL, status = 'open' WHERE case_id = $1", case_id)
    finally:
        await pg.close()
    verdict = await asyncio.to_thread(audit_verify, audit_env)
    assert verdict.returncode == 1, verdict.stdout + verdict.stderr
    assert f"case {case_id}: intake's case register says open; intake.cases.v1 says erased" in verdict.stdout


async def assignee(kafka: str, prefix: str, case_id: str) -> str:
    found: dict[str, str] = {}

    async def assigned() -> bool:
        for r in await read_published(
            ServiceSettings(kafka_bootstrap=kafka), prefix + "routing.assignments.v1"
        ):
            doc = json.loads(r.value)
            if doc["event_type"] == "AdvisorAssigned" and doc["payload"]["case_id"] == case_id:
                found["advisor"] = doc["payload"]["advisor_id"]
        return "advisor" in found

    await wait_until(assigned, timeout=90, interval=1)
    return found["advisor"]


async def meeting_ids(kafka: str, prefix: str) -> list[str]:
    ids: list[str] = []

    async def some() -> bool:
        ids.clear()
        for r in await read_published(
            ServiceSettings(kafka_bootstrap=kafka), prefix + "scheduling.meetings.v1"
        ):
            doc = json.loads(r.value)
            if (
                doc["event_type"] in ("MeetingScheduled", "QuietRoomBooked")
                and "meeting_id" in doc["payload"]
            ):
                ids.append(doc["payload"]["meeting_id"])
        return bool(ids)

    await wait_until(some, timeout=90, interval=1)
    return sorted(set(ids))

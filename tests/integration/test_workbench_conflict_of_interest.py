"""An advisor declares a conflict of interest on the case page; routing, on the real broker, moves
the case to a colleague. Intake, routing and the workbench run in process on one loop (tests/
support/kafka_workbench.py), sign-in is the real Keycloak's, the e-mails go to a real SMTP server.

- The case is gone from the declaring advisor at once (list and page), before routing answers.
- Routing reassigns it (CaseReassigned); the colleague's list shows it, and they get exactly one
  e-mail, which says nothing about the case (no id, no category, no marker).
- The given-up record ends with the move.
- A declaration routing refuses (AdvisorCommandRejected on routing.assignments.v1, naming this
  advisor and case) gives the case back, with the refusal in words and its code.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from devinfra.keycloak import KeycloakNode
from services.workbench.adapters.rendering.texts import TEXT
from services.workbench.adapters.tables import current_assignees, given_up_cases, notifications
from shared.codes import CATEGORY_LABELS, Category
from tests.support import samples
from tests.support.kafka_io import produce
from tests.support.kafka_workbench import KafkaWorkbench, realm_emails, username_of
from tests.support.scheduling_events import assigned, envelope_bytes
from tests.support.smtp import Inbox, smtp_server
from tests.support.workbench import signed_in

pytestmark = pytest.mark.integration

ASSIGNMENTS = "routing.assignments.v1"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def stack(
    kafka_bootstrap: str, tmp_path: Path, keycloak_node: KeycloakNode, smtp: tuple[Inbox, int]
) -> Iterator[KafkaWorkbench]:
    stack = KafkaWorkbench(kafka_bootstrap, tmp_path, keycloak_node, smtp[1])
    try:
        yield stack
    finally:
        stack.stop()


def csrf_of(html: str) -> str:
    return html.split('name="csrf" value="', 1)[1].split('"', 1)[0]


def decisions(stack: KafkaWorkbench, case_id: str, kind: str) -> list[dict[str, Any]]:
    return [
        e["payload"]
        for e in stack.topic(ASSIGNMENTS)
        if e["event_type"] == kind and e["payload"].get("case_id") == case_id
    ]


def workbench_holder(stack: KafkaWorkbench, case_id: str) -> str | None:
    async def read(conn: Any) -> str | None:
        query = select(current_assignees.c.advisor_id).where(current_assignees.c.case_id == case_id)
        return (await conn.execute(query)).scalar()

    return stack.query(stack.workbench, read)


def open_case(stack: KafkaWorkbench, marker: str) -> tuple[str, str]:
    """A submission intake opens and routing assigns: (case id, advisor), once the workbench knows."""
    doc = samples.submission(marker)
    stack.run(produce(stack.kafka, stack.prefix + "intake.submissions.v1", [(None, samples.to_bytes(doc))]))
    found: list[dict[str, Any]] = []

    def assigned_once() -> bool:
        found[:] = [e["payload"] for e in stack.topic(ASSIGNMENTS) if e["event_type"] == "AdvisorAssigned"]
        return len(found) == 1

    stack.until(assigned_once)
    case_id, advisor = found[0]["case_id"], found[0]["advisor_id"]
    stack.until(lambda: workbench_holder(stack, case_id) == advisor)
    return case_id, advisor


def sent_to(inbox: Inbox, address: str) -> list[bytes]:
    return [raw for raw, rcpts in zip(inbox.raw, inbox.recipients, strict=True) if address in rcpts]


def test_a_declared_conflict_moves_the_case_to_a_colleague_who_is_told_once(
    stack: KafkaWorkbench, keycloak_node: KeycloakNode, smtp: tuple[Inbox, int]
) -> None:
    inbox, _port = smtp
    marker = f"MARK{uuid.uuid4().hex[:10]}"
    case_id, first = open_case(stack, marker)
    url = stack.url
    with signed_in(stack, keycloak_node, username_of(first)) as a:  # type: ignore[arg-type]
        stack.until(lambda: a.http.get(f"{url}/zaken/{case_id}").status_code == 200)  # intake knows too
        page = a.http.get(f"{url}/zaken/{case_id}").text
        assert f"/zaken/{case_id}/belangenconflict" in page
        declared = a.http.post(
            f"{url}/zaken/{case_id}/belangenconflict",
            data={"csrf": csrf_of(page), "reason": "knows_person", "confirm": "yes"},
        )
        assert declared.status_code == 303 and declared.headers["location"].endswith("klaar=conflict")
        # At once, before routing has answered: not in the list, the page answers as unknown.
        listed = a.http.get(f"{url}/zaken?klaar=conflict")
        assert case_id not in listed.text and TEXT["nl"]["list_done"]["conflict"] in listed.text
        gone = a.http.get(f"{url}/zaken/{case_id}")
        assert gone.status_code == 404 and marker not in gone.text

        moved: list[dict[str, Any]] = []

        def reassigned() -> bool:
            moved[:] = decisions(stack, case_id, "CaseReassigned")
            return bool(moved)

        stack.until(reassigned)
        [reassignment] = moved
        second = reassignment["to_advisor_id"]
        assert second is not None and second != first
        stack.until(lambda: workbench_holder(stack, case_id) == second)

        async def rows(conn: Any) -> list[Any]:
            return list((await conn.execute(select(given_up_cases))).all())

        assert stack.query(stack.workbench, rows) == []  # the given-up record ended with the move
        assert case_id not in a.http.get(f"{url}/zaken").text

    address = realm_emails()[second]
    with signed_in(stack, keycloak_node, username_of(second)) as b:  # type: ignore[arg-type]
        assert f'href="/zaken/{case_id}?lang=nl"' in b.http.get(f"{url}/zaken").text

        async def notices_of_second(conn: Any) -> list[Any]:
            query = select(notifications).where(notifications.c.advisor_id == second)
            return list((await conn.execute(query)).all())

        def all_handled() -> bool:
            found = stack.query(stack.workbench, notices_of_second)
            return bool(found) and all(n.sent_at is not None for n in found)

        stack.until(all_handled, timeout=60, interval=0.2)
        assert len(stack.query(stack.workbench, notices_of_second)) == 1
        [mail] = sent_to(inbox, address)
    text = mail.decode("utf-8", errors="replace").lower()
    labels = [label.lower() for c in Category for label in CATEGORY_LABELS[c]]
    for secret in (case_id, marker, *[c.value for c in Category], *labels, "knows_person"):
        assert secret.lower() not in text, secret


def test_a_declaration_routing_refuses_gives_the_case_back_with_the_reason(
    stack: KafkaWorkbench, keycloak_node: KeycloakNode
) -> None:
    """The workbench believes A holds a case routing never assigned to A (here: a decision only the
    workbench's topic carries), so routing answers A's DeclareConflict with not_assignee."""
    _real, first = open_case(
        stack, f"MARK{uuid.uuid4().hex[:10]}"
    )  # routing is up: directory, signer, a case
    ghost = f"case-{uuid.uuid4()}"
    decision = assigned(ghost, first).model_copy(update={"decided_at": datetime.now(UTC)})
    _id, key, value = envelope_bytes(decision)
    stack.run(produce(stack.kafka, stack.prefix + ASSIGNMENTS, [(key, value)]))
    stack.until(lambda: workbench_holder(stack, ghost) == first)
    url = stack.url
    with signed_in(stack, keycloak_node, username_of(first)) as a:  # type: ignore[arg-type]
        assert ghost in a.http.get(f"{url}/zaken").text
        csrf = csrf_of(a.http.get(f"{url}/meldingen").text)
        declared = a.http.post(
            f"{url}/zaken/{ghost}/belangenconflict",
            data={"csrf": csrf, "reason": "other", "confirm": "yes"},
        )
        assert declared.status_code == 303
        refused: list[dict[str, Any]] = []

        def answered() -> bool:
            refused[:] = [
                e["payload"]
                for e in stack.topic(ASSIGNMENTS)
                if e["event_type"] == "AdvisorCommandRejected" and e["payload"]["case_id"] == ghost
            ]
            return bool(refused)

        stack.until(answered)
        assert [(r["command"], r["advisor_id"], r["reason_code"]) for r in refused] == [
            ("DeclareConflict", first, "not_assignee")
        ]
        words = TEXT["nl"]["conflict_refused_why"]["not_assignee"]
        stack.until(lambda: words in a.http.get(f"{url}/zaken").text)
        listed = a.http.get(f"{url}/zaken").text
        assert f'href="/zaken/{ghost}?lang=nl"' in listed and "<code>not_assignee</code>" in listed

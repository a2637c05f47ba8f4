"""The client's follow-up, with the test playing routing and the advisor.

Intake runs in process on an in-memory bus (no broker) with the sample organisation fed to it; its
own composition root builds the HTTP routes, so the message bell of the long-poll is wired as in the
process. `FollowUpServer` serves them on 127.0.0.1 under uvicorn in a thread of its own, for
Chromium; handler tests use `start_intake` and an ASGI client.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import uvicorn
from starlette.applications import Starlette

from devinfra.ports import free_port
from services.intake.app import create_service
from services.intake.settings import IntakeSettings
from shared.auth import authorize_command, command_digest, issue_token
from shared.codes import MeetingMode
from shared.contracts.advisor_actions import AcceptCase, CloseCase
from shared.contracts.scheduling import MeetingCancelled, MeetingScheduled
from shared.directory_copies import directory_records
from tests.support import samples
from tests.support.in_process import Bus, InProcess
from tests.support.scheduling_events import ASSIGNMENTS, assigned, envelope_bytes
from tests.support.services import TEST_MASTER_KEY
from tools.demo.sample_org import advisor_private_key, directory_events

T = TypeVar("T")
ADVISOR = "adv-anna"  # of the sample organisation (min-bzk), with the demo's key pair
MESSAGES_ACTION = "POST /v1/cases/{id}/messages"


async def start_intake(tmp_path: Path, database_url: str | None = None, **overrides: Any) -> InProcess:
    settings = IntakeSettings(
        kafka_bootstrap="127.0.0.1:9",
        database_url=database_url or f"sqlite+aiosqlite:///{tmp_path}/intake.db",
        keystore_url=f"sqlite+aiosqlite:///{tmp_path}/keys.db",
        master_key=TEST_MASTER_KEY,
        key_cache_seconds=0,
        **overrides,
    )
    service = await InProcess(create_service(settings).runtime, Bus()).start()
    directory = [
        (topic, key, value)
        for e in directory_events(datetime.now(UTC))
        for topic, key, value in directory_records(e)
        if topic in service.consumes
    ]
    await service.feed_batch(directory)
    return service


def app_of(service: InProcess) -> Starlette:
    """The routes the runtime serves (its own, /openapi.json among them, and intake's), no middleware."""
    context = service.context
    assert context is not None
    return Starlette(routes=service.runtime.http_routes(lambda: context))


def client_of(service: InProcess) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app_of(service)), base_url="http://intake")


async def open_case(client: httpx.AsyncClient, marker: str | None = None) -> tuple[str, str]:
    """A submission taken in over HTTP: (case id, receipt code)."""
    answer = await client.post("/v1/submissions", json=samples.submission(marker))
    assert answer.status_code == 201, answer.text
    return answer.json()["case_ref"], answer.json()["receipt_code"]


async def assign_and_accept(service: InProcess, case_id: str, advisor_id: str = ADVISOR) -> None:
    """Routing assigns the case to `advisor_id`, who accepts it (a signed AcceptCase)."""
    await service.feed(ASSIGNMENTS, [envelope_bytes(assigned(case_id, advisor_id))[1:]])
    now = datetime.now(UTC)
    accept = AcceptCase(advisor_id=advisor_id, auth="", issued_at=now, case_id=case_id)
    signed = authorize_command(advisor_private_key(advisor_id), accept, now=now)
    await service.feed("advisor.actions.v1", [envelope_bytes(signed)[1:]])


async def close_case(service: InProcess, case_id: str, advisor_id: str = ADVISOR) -> None:
    now = datetime.now(UTC)
    close = CloseCase(
        advisor_id=advisor_id, auth="", issued_at=now, case_id=case_id, outcomes=["advice_given"]
    )
    signed = authorize_command(advisor_private_key(advisor_id), close, now=now)
    await service.feed("advisor.actions.v1", [envelope_bytes(signed)[1:]])


async def advisor_replies(
    client: httpx.AsyncClient, case_id: str, text: str, advisor_id: str = ADVISOR
) -> httpx.Response:
    """The assigned advisor's message to the client, as the workbench sends it (a signed token)."""
    body = {"text": text}
    token = issue_token(
        advisor_private_key(advisor_id),
        advisor_id=advisor_id,
        action=MESSAGES_ACTION,
        case_id=case_id,
        digest=command_digest(body),
        now=datetime.now(UTC),
    )
    return await client.post(
        f"/v1/cases/{case_id}/messages", json=body, headers={"Authorization": f"Bearer {token}"}
    )


MEETINGS = "scheduling.meetings.v1"


def meeting_scheduled(
    case_id: str,
    start: datetime,
    mode: MeetingMode = MeetingMode.ON_SITE_DISCREET_ROOM,
    *,
    meeting_id: str = "meeting-1",
    sequence: int = 0,
    minutes: int = 60,
) -> MeetingScheduled:
    """What scheduling emits for a (re)scheduled meeting, room and advisor included."""
    return MeetingScheduled(
        meeting_id=meeting_id,
        case_id=case_id,
        advisor_id=ADVISOR,
        start=start,
        end=start + timedelta(minutes=minutes),
        mode=mode,
        room_id="room-den-haag-3" if mode is MeetingMode.ON_SITE_DISCREET_ROOM else None,
        neutral_title="Afspraak",
        reason_code="scheduled",
        scheduled_at=datetime.now(UTC),
        calendar_sequence=sequence,
    )


def meeting_cancelled(
    case_id: str, meeting_id: str = "meeting-1", reason: str = "cancelled_by_advisor"
) -> MeetingCancelled:
    return MeetingCancelled(
        meeting_id=meeting_id,
        case_id=case_id,
        advisor_id=ADVISOR,
        reason=reason,
        cancelled_at=datetime.now(UTC),
    )


async def scheduling_says(service: InProcess, *events: MeetingScheduled | MeetingCancelled) -> None:
    """Scheduling's events on scheduling.meetings.v1, consumed by intake in one batch."""
    await service.feed(MEETINGS, [envelope_bytes(e, producer="scheduling")[1:] for e in events])


class FollowUpServer:
    """Intake's pages and API on a real port, for a browser; `run` does async work on its loop."""

    def __init__(self, tmp_path: Path) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self._loop = asyncio.new_event_loop()
        self.service = self._loop.run_until_complete(start_intake(tmp_path))
        self._assigned: set[str] = set()
        config = uvicorn.Config(
            app_of(self.service), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._serve, name="intake-http", daemon=True)
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("intake's HTTP server did not start")
            threading.Event().wait(0.02)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._server.serve())

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(30)

    async def _with_client(self, work: Any) -> Any:
        async with client_of(self.service) as client:
            return await work(client)

    def open_case(self, marker: str | None = None) -> tuple[str, str]:
        return self.run(self._with_client(lambda c: open_case(c, marker)))  # type: ignore[no-any-return]

    def advisor_replies(self, case_id: str, text: str) -> None:
        if case_id not in self._assigned:
            self.run(assign_and_accept(self.service, case_id))
            self._assigned.add(case_id)
        answer = self.run(self._with_client(lambda c: advisor_replies(c, case_id, text)))
        assert answer.status_code == 201, answer.text

    def meeting_scheduled(self, case_id: str, start: datetime, mode: MeetingMode) -> None:
        self.run(scheduling_says(self.service, meeting_scheduled(case_id, start, mode)))

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(15)
        self._loop.run_until_complete(self.service.stop())
        self._loop.close()

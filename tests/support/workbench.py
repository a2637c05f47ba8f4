"""The workbench served over real HTTP on 127.0.0.1, its consumers fed in process (no broker), and
beside it, on the same event loop, intake (`TwoServices`) for the case file.

`WorkbenchServer(tmp_path, keycloak)` builds the workbench by its composition root on SQLite, runs
its pages under uvicorn in a thread of its own (so a sync test, or Chromium, can talk to it), and
`feed(topic, *payloads)` hands events to its consume pipeline as the broker would. The clock is a
`MovableClock`, so a test can let a session go idle without waiting.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.applications import Starlette

from devinfra.keycloak import KeycloakNode
from devinfra.ports import free_port
from services.intake.app import create_runtime as intake_runtime
from services.intake.entrypoints.http_api import intake_routes
from services.intake.settings import IntakeSettings
from services.workbench.adapters.command_signer import CommandSigner
from services.workbench.adapters.intake_case_files import IntakeCaseFiles
from services.workbench.adapters.reporting_views import ReportingViews
from services.workbench.app import create_runtime
from services.workbench.settings import WorkbenchSettings
from shared.auth import public_key_to_b64
from shared.contracts.directory import CommandSignerRegistered
from shared.directory_copies import directory_records
from shared.envelope import EventPayload, new_envelope
from tests.support import samples
from tests.support.in_process import Bus, InProcess
from tests.support.keycloak import Browser, client_secret, realm_users
from tests.support.scheduling_events import ASSIGNMENTS, CASES, assigned, envelope_bytes
from tests.support.services import TEST_MASTER_KEY
from tools.demo.sample_org import directory_events

T = TypeVar("T")


@dataclass
class MovableClock:
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


class WorkbenchServer:
    def __init__(
        self,
        tmp_path: Path,
        keycloak: KeycloakNode,
        *,
        views: ReportingViews | None = None,
        files: IntakeCaseFiles | None = None,
        **overrides: Any,
    ) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.clock = MovableClock()
        self.settings = WorkbenchSettings(
            kafka_bootstrap="127.0.0.1:9",
            database_url=f"sqlite+aiosqlite:///{tmp_path}/workbench.db",
            oidc_issuer=keycloak.issuer,
            oidc_client_secret=client_secret(),
            public_url=self.url,
            **overrides,
        )
        runtime = create_runtime(self.settings, clock=self.clock, views=views, files=files)
        self.service = InProcess(runtime, Bus())
        self._loop = asyncio.new_event_loop()
        self._loop.run_until_complete(self.service.start())
        assert runtime._http_routes is not None
        app = Starlette(routes=runtime._http_routes(lambda: self._context()))
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._serve, name="workbench-http", daemon=True)
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the workbench's HTTP server did not start")
            threading.Event().wait(0.02)

    def _context(self) -> Any:
        assert self.service.context is not None
        return self.service.context

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._server.serve())

    def feed(self, topic: str, *payloads: EventPayload) -> None:
        records = [(key, value) for _id, key, value in (envelope_bytes(p) for p in payloads)]
        self.run(self.service.feed(topic, records))

    def feed_records(self, topic: str, records: list[tuple[bytes, bytes]]) -> None:
        """Hand records (key, value) another service published to the workbench's consumers."""
        self.run(self.service.feed(topic, records))

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run `work` on the server's event loop (its database engine lives there)."""
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(30)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(15)
        self._loop.run_until_complete(self.service.stop())
        self._loop.close()


def signed_in(workbench: WorkbenchServer, node: KeycloakNode, username: str, lang: str = "nl") -> Browser:
    """A browser that went through the workbench's sign-in at Keycloak's real login page."""
    browser = Browser(node)
    start = browser.http.get(f"{workbench.url}/inloggen?lang={lang}")
    assert start.status_code == 303
    user = realm_users()[username]
    result = browser.login(start.headers["location"], user.username, user.password)
    assert result.location is not None and result.location.startswith(f"{workbench.url}/auth/callback?")
    back = browser.http.get(result.location)
    assert back.status_code == 303, back.text[:300]
    browser.landing = back  # type: ignore[attr-defined]
    return browser


# -- the workbench beside intake, for the case file ------------------------------------------------

SIGNER = Ed25519PrivateKey.generate()
MARKER = "MARK-WB-7"


def signer_registration(key: Ed25519PrivateKey, signer_id: str = "workbench") -> tuple[bytes, bytes]:
    public = public_key_to_b64(key.public_key())
    event = CommandSignerRegistered(
        signer_id=signer_id, public_key_b64=public, valid_from=datetime(2020, 1, 1, tzinfo=UTC)
    )
    env = new_envelope(
        event, stream_id=event.stream_id, producer="test", occurred_at=datetime.now(UTC), causation_id=None
    )
    return event.stream_id.encode(), env.to_bytes()


class TwoServices:
    """Intake in process on the workbench server's loop; the workbench fetches case files from it."""

    def __init__(self, tmp_path: Path, keycloak: KeycloakNode) -> None:
        self.apps: dict[str, Any] = {}
        files = IntakeCaseFiles(
            "http://intake",
            CommandSigner("workbench", SIGNER),
            client=lambda: httpx.AsyncClient(
                transport=httpx.ASGITransport(app=self.apps["intake"]), timeout=10
            ),
        )
        self.workbench = WorkbenchServer(tmp_path, keycloak, files=files)
        settings = IntakeSettings(
            kafka_bootstrap="127.0.0.1:9",
            database_url=f"sqlite+aiosqlite:///{tmp_path}/intake.db",
            keystore_url=f"sqlite+aiosqlite:///{tmp_path}/keys.db",
            master_key=TEST_MASTER_KEY,
            key_cache_seconds=0,
        )
        self.intake = InProcess(intake_runtime(settings), Bus())
        self.workbench.run(self.intake.start())
        context = self.intake.context
        self.apps["intake"] = Starlette(routes=intake_routes(lambda: context))  # type: ignore[arg-type]
        directory = [
            (topic, key, value)
            for e in directory_events(datetime.now(UTC))
            for topic, key, value in directory_records(e)
            if topic in self.intake.consumes
        ]
        self.workbench.run(self.intake.feed_batch(directory))
        self.workbench.run(self.intake.feed("directory.advisors.v1", [signer_registration(SIGNER)]))

    def open_case(self, advisor_id: str, **overrides: Any) -> str:
        """A submission intake opens as a case, assigned by 'routing' to `advisor_id`; its id.
        `overrides` replace fields of the sample submission."""
        before = len(self.intake.bus.topics[CASES])
        doc = samples.submission(MARKER, **overrides)
        self.workbench.run(
            self.intake.feed(
                "intake.submissions.v1", [(doc["submission_id"].encode(), samples.to_bytes(doc))]
            )
        )
        opened = [json.loads(v) for _k, v in self.intake.bus.topics[CASES][before:]]
        (case,) = [e for e in opened if e["event_type"] == "CaseOpened"]
        case_id: str = case["payload"]["case_id"]
        self.workbench.service.bus.topics.clear()
        self.workbench.run(
            self.workbench.service.feed(CASES, [(case_id.encode(), self.intake.bus.topics[CASES][-1][1])])
        )
        decision = [(k, v) for _id, k, v in [envelope_bytes(assigned(case_id, advisor_id))]]
        self.workbench.run(self.intake.feed(ASSIGNMENTS, decision))
        self.workbench.run(self.workbench.service.feed(ASSIGNMENTS, decision))
        return case_id

    def stop(self) -> None:
        self.workbench.run(self.intake.stop())
        self.workbench.stop()

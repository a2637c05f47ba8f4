"""The workbench served over real HTTP on 127.0.0.1, its consumers fed in process (no broker).

`WorkbenchServer(tmp_path, keycloak)` builds the workbench by its composition root on SQLite, runs
its pages under uvicorn in a thread of its own (so a sync test, or Chromium, can talk to it), and
`feed(topic, *payloads)` hands events to its consume pipeline as the broker would. The clock is a
`MovableClock`, so a test can let a session go idle without waiting.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import uvicorn
from starlette.applications import Starlette

from devinfra.keycloak import KeycloakNode
from devinfra.ports import free_port
from services.workbench.adapters.intake_case_files import IntakeCaseFiles
from services.workbench.adapters.reporting_views import ReportingViews
from services.workbench.app import create_runtime
from services.workbench.settings import WorkbenchSettings
from shared.envelope import EventPayload
from tests.support.in_process import Bus, InProcess
from tests.support.keycloak import Browser, client_secret, realm_users
from tests.support.scheduling_events import envelope_bytes

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

"""Intake, routing and the workbench on the real broker, for the workbench's end-to-end flows.

All three run in process on one event loop in a thread of its own (the test stays synchronous, so
it can sign in through Keycloak with `tests.support.workbench.signed_in`): topics under a fresh
prefix, the sample organisation (without advisors Keycloak does not know, so whoever routing
picks can sign in) and the workbench's command signer on the directory topics, SQLite databases in
the test's directory. The workbench serves its pages on 127.0.0.1 (uvicorn, on the same loop),
fetches case files from intake's real routes in process, and sends its e-mails to `smtp_port`.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.applications import Starlette

from devinfra.keycloak import KeycloakNode
from devinfra.ports import free_port
from services.intake.app import create_runtime as intake_runtime
from services.intake.entrypoints.http_api import intake_routes
from services.intake.settings import IntakeSettings
from services.routing.app import create_runtime as routing_runtime
from services.routing.settings import RoutingSettings
from services.workbench.adapters.command_signer import CommandSigner
from services.workbench.adapters.intake_case_files import IntakeCaseFiles
from services.workbench.app import create_runtime as workbench_runtime
from services.workbench.settings import WorkbenchSettings
from shared.auth import public_key_to_b64
from shared.contracts.directory import CommandSignerRegistered
from shared.envelope import new_envelope
from shared.topics_config import apply_topics
from tests.support.directory import produce_directory
from tests.support.kafka_io import read_all, read_json
from tests.support.keycloak import client_secret, realm, realm_users
from tests.support.services import TEST_MASTER_KEY, wait_until
from tools.demo.sample_org import ADVISORS, directory_events

T = TypeVar("T")


def realm_emails() -> dict[str, str]:
    """advisor id -> the e-mail address Keycloak gives the workbench at their sign-in."""
    users = realm_users()
    return {
        users[u["username"]].advisor_id or "": u["email"]
        for u in realm()["users"]
        if users[u["username"]].advisor_id
    }


def username_of(advisor_id: str) -> str:
    (name,) = [u.username for u in realm_users().values() if u.advisor_id == advisor_id]
    return name


class KafkaWorkbench:
    def __init__(self, kafka: str, tmp: Path, keycloak: KeycloakNode, smtp_port: int) -> None:
        self.kafka, self.tmp = kafka, tmp
        self.prefix = f"t-wb-{uuid.uuid4().hex[:8]}."
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="kafka-workbench", daemon=True)
        self._thread.start()
        self._stop = asyncio.Event()
        self._tasks: list[tuple[Any, list[asyncio.Task[None]]]] = []
        self.signer = CommandSigner("workbench", Ed25519PrivateKey.generate())
        common: dict[str, Any] = {"kafka_bootstrap": kafka, "topic_prefix": self.prefix}
        keys: dict[str, Any] = {
            "keystore_url": f"sqlite+aiosqlite:///{tmp}/keys.db",
            "master_key": TEST_MASTER_KEY,
            "key_cache_seconds": 0,
        }
        self.intake = intake_runtime(IntakeSettings(database_url=self.db("intake"), **common, **keys))
        self.routing = routing_runtime(RoutingSettings(database_url=self.db("routing"), **common, **keys))
        intake_app: dict[str, Starlette] = {}
        files = IntakeCaseFiles(
            "http://intake",
            self.signer,
            client=lambda: httpx.AsyncClient(
                transport=httpx.ASGITransport(app=intake_app["app"]), timeout=10
            ),
        )
        self.workbench = workbench_runtime(
            WorkbenchSettings(
                database_url=self.db("workbench"),
                oidc_issuer=keycloak.issuer,
                oidc_client_secret=client_secret(),
                public_url=self.url,
                smtp_host="127.0.0.1",
                smtp_port=smtp_port,
                notify_every_seconds=0.2,
                **common,
            ),
            files=files,
        )
        self.run(self._start(intake_app, port))

    def db(self, service: str) -> str:
        return f"sqlite+aiosqlite:///{self.tmp}/{service}.db"

    async def _start(self, intake_app: dict[str, Starlette], port: int) -> None:
        await apply_topics(self.kafka, self.prefix, replication_factor=1)
        known = [a for a in ADVISORS if a["advisor_id"] in realm_emails()]
        registration = CommandSignerRegistered(
            signer_id=self.signer.signer_id,
            public_key_b64=public_key_to_b64(self.signer.key.public_key()),
            valid_from=datetime(2020, 1, 1, tzinfo=UTC),
        )
        signer_env = new_envelope(
            registration,
            stream_id=registration.stream_id,
            producer="test",
            occurred_at=datetime.now(UTC),
            causation_id=None,
        )
        await produce_directory(self.kafka, self.prefix, [*directory_events(advisors=known), signer_env])
        for runtime in (self.intake, self.routing, self.workbench):
            self._tasks.append((runtime, await runtime.start(self._stop)))
        intake_app["app"] = Starlette(routes=intake_routes(lambda: self.intake.context))
        assert self.workbench._http_routes is not None
        app = Starlette(routes=self.workbench._http_routes(lambda: self.workbench.context))
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._serving = asyncio.create_task(self._server.serve())
        await wait_until(lambda: self._server.started, timeout=15, interval=0.02)

    def run(self, work: Coroutine[Any, Any, T], timeout: float = 180) -> T:
        """Run `work` on the services' event loop (their engines live there)."""
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout)

    def topic(self, name: str) -> list[dict[str, Any]]:
        async def read() -> list[dict[str, Any]]:
            return read_json(await read_all(self.kafka, self.prefix + name, timeout=5, idle=0.5))

        return self.run(read())

    def until(self, check: Callable[[], Any], timeout: float = 120, interval: float = 0.5) -> None:
        """Poll a synchronous `check` (HTTP, topics) from the test's thread until it holds."""
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError("condition not met in time")
            time.sleep(interval)

    def query(self, runtime: Any, read: Callable[[AsyncConnection], Coroutine[Any, Any, T]]) -> T:
        async def go() -> T:
            async with runtime.context.engine.connect() as conn:
                return await read(conn)

        return self.run(go())

    def stop(self) -> None:
        async def stop() -> None:
            self._server.should_exit = True
            await self._serving
            self._stop.set()
            for runtime, tasks in reversed(self._tasks):
                await runtime.stop(tasks)

        try:
            self.run(stop(), timeout=60)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

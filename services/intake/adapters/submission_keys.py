"""Intake's key ring for sealed submissions: one X25519 key pair per rotation period.

Kept like the case keys (shared/crypto.py): in the key store's database, the private key wrapped
under the master key (AES-256-GCM, bound to its key id). A period's key id is derived from the
period's start, so two intake instances that rotate at the same moment insert the same id and the
first insert wins. A key is handed out until its period ends (`use_until`) and opened for a grace
period after that (`accept_until`, at least the raw topic's 7-day retention), so records sealed to
it that still wait in the topic stay readable; then its private key is deleted (a tombstone keeps
the id, so a late record is told `submission_key_retired`, not `submission_key_unknown`).

GET /v1/submission-key serves the current public key (docs/sealed-submissions.md).
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from nacl.public import PrivateKey
from sqlalchemy import Column, DateTime, LargeBinary, MetaData, String, Table, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from shared import migrations
from shared.db import insert_ignoring_duplicates
from shared.key_rotation import WrappedColumn
from shared.key_wrapping import KeyWrapper, MasterKeys, as_master_keys
from shared.periodic import every
from shared.pipeline import Clock
from shared.submission_sealing import ALGORITHM, KEY_ENDPOINT, KEY_RETIRED, KEY_UNKNOWN, SubmissionKey

log = structlog.get_logger(__name__)

ROTATION_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)

submission_keys_metadata = MetaData()
submission_keys = Table(
    "submission_keys",
    submission_keys_metadata,
    Column("key_id", String(40), primary_key=True),
    Column("public_key", LargeBinary, nullable=False),
    Column("wrapped_private_key", LargeBinary, nullable=True),  # NULL once the grace period ended
    Column("valid_from", DateTime(timezone=True), nullable=False),
    Column("use_until", DateTime(timezone=True), nullable=False),
    Column("accept_until", DateTime(timezone=True), nullable=False),
    Column("retired_at", DateTime(timezone=True), nullable=True),
    # The master key that wrapped the private key (its key id, shared/key_wrapping.py); NULL for a
    # key wrapped before key ids were kept (submission_keys revision 0002).
    Column("master_key_id", String(40), nullable=True),
)


@dataclass(frozen=True, slots=True)
class IssuedKey:
    public: SubmissionKey
    accept_until: datetime


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)  # SQLite drops the zone


def submission_wrap_context(key_id: str) -> bytes:
    """The associated data a private key is wrapped with, binding it to its key id."""
    return f"submission-key|{key_id}".encode()


# What `caseflow keys rotate` re-wraps here (shared/key_rotation.py).
SUBMISSION_KEYS_WRAPPED = WrappedColumn(
    "submission_keys",
    submission_keys,
    "key_id",
    "wrapped_private_key",
    "master_key_id",
    submission_wrap_context,
)


def key_id_for(valid_from: datetime) -> str:
    return "sk-" + valid_from.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


class SubmissionKeyRing:
    def __init__(
        self,
        engine: AsyncEngine,
        master_key: bytes | KeyWrapper | MasterKeys,
        *,
        rotation: timedelta,
        grace: timedelta,
    ) -> None:
        if rotation <= timedelta(0) or grace < timedelta(0):
            raise ValueError("rotation must be positive and grace not negative")
        self._engine = engine
        self._keys = as_master_keys(master_key)
        self._rotation, self._grace = rotation, grace
        self._private: dict[str, tuple[bytes, datetime]] = {}  # key id -> (private key, accept_until)

    async def create_schema(self) -> None:
        # Imported here: the schema's module imports this one for its metadata.
        from services.intake.adapters.submission_key_migrations import SUBMISSION_KEYS_SCHEMA

        await migrations.prepare(self._engine, SUBMISSION_KEYS_SCHEMA)

    def _period(self, now: datetime) -> tuple[datetime, datetime]:
        n = (now - ROTATION_EPOCH) // self._rotation
        start = ROTATION_EPOCH + n * self._rotation
        return start, start + self._rotation

    async def current(self, now: datetime) -> IssuedKey:
        """The key of the period `now` falls in, made on first use."""
        valid_from, use_until = self._period(now)
        key_id = key_id_for(valid_from)
        pair = PrivateKey.generate()
        master_key_id, wrapped = await self._keys.wrap(bytes(pair), submission_wrap_context(key_id))
        row = {
            "key_id": key_id,
            "public_key": bytes(pair.public_key),
            "wrapped_private_key": wrapped,
            "master_key_id": master_key_id,
            "valid_from": valid_from,
            "use_until": use_until,
            "accept_until": use_until + self._grace,
        }
        async with self._engine.begin() as conn:
            await conn.execute(insert_ignoring_duplicates(conn, submission_keys, ["key_id"]), [row])
            stored = (
                await conn.execute(select(submission_keys).where(submission_keys.c.key_id == key_id))
            ).one()
        public = SubmissionKey(key_id, stored.public_key, _aware(stored.use_until))
        return IssuedKey(public, _aware(stored.accept_until))

    async def private_key(self, key_id: str, now: datetime) -> bytes | str:
        """The private key for `key_id`, or the reason code why there is none."""
        cached = self._private.get(key_id)
        if cached is not None and now <= cached[1]:
            return cached[0]
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(
                        submission_keys.c.wrapped_private_key,
                        submission_keys.c.master_key_id,
                        submission_keys.c.accept_until,
                    ).where(submission_keys.c.key_id == key_id)
                )
            ).first()
        if row is None:
            return KEY_UNKNOWN
        accept_until = _aware(row.accept_until)
        if row.wrapped_private_key is None or now > accept_until:
            self._private.pop(key_id, None)
            return KEY_RETIRED
        _, private = await self._keys.unwrap(
            row.master_key_id, row.wrapped_private_key, submission_wrap_context(key_id)
        )
        self._private[key_id] = (private, accept_until)
        return private

    async def retire_expired(self, now: datetime) -> int:
        """Delete the private keys whose grace period ended (their ids stay, as tombstones)."""
        for key_id, (_, accept_until) in list(self._private.items()):
            if now > accept_until:
                del self._private[key_id]
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(submission_keys)
                .where(
                    submission_keys.c.accept_until < now,
                    submission_keys.c.wrapped_private_key.is_not(None),
                )
                .values(wrapped_private_key=None, master_key_id=None, retired_at=now)
            )
        return int(result.rowcount or 0)

    async def run(self, stop: asyncio.Event, clock: Clock, interval: float) -> None:
        """Background job: make each period's key on time and retire the expired ones. A failed
        round is retried (the endpoint makes keys on demand too)."""

        async def rotate() -> None:
            now = clock()
            await self.current(now)
            retired = await self.retire_expired(now)
            if retired:
                log.info("submission_keys_retired", count=retired)

        await every(interval, rotate, name="submission_key_rotation")(stop)


def submission_key_routes(ring: Callable[[], SubmissionKeyRing | None], clock: Clock) -> list[BaseRoute]:
    async def current_key(_request: Request) -> JSONResponse:
        keys = ring()
        if keys is None:
            return JSONResponse({"status": "starting"}, status_code=503)
        now = clock()
        issued = await keys.current(now)
        key = issued.public
        assert key.use_until is not None
        body = {
            "alg": ALGORITHM,
            "key_id": key.key_id,
            "public_key": base64.b64encode(key.public_key).decode(),
            "use_until": key.use_until.isoformat(),
            "accept_until": issued.accept_until.isoformat(),
        }
        max_age = max(0, min(3600, int((key.use_until - now).total_seconds())))
        return JSONResponse(body, headers={"Cache-Control": f"public, max-age={max_age}"})

    return [Route(KEY_ENDPOINT, current_key, methods=["GET"])]

"""The advisor-command gate on SQLite, no broker: every refusal reason and the claim-once rule."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import MetaData, Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from shared.advisor_commands import AdvisorCommandGate, SignedCommand
from shared.auth import (
    NOT_ASSIGNEE,
    Refusal,
    authorize_command,
    define_auth_tables,
    issue_token,
    public_key_to_b64,
    record_advisor_key,
)
from shared.codes import TimeActivity
from shared.contracts.advisor_actions import AcceptCase, LogTime
from shared.contracts.directory import AdvisorKeyRegistered

pytestmark = pytest.mark.unit

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
ANNA = Ed25519PrivateKey.generate()
BRAM = Ed25519PrivateKey.generate()
ASSIGNEES = {"case-annas": "adv-anna", "case-brams": "adv-bram"}  # "case-nobodys" is unknown


async def assignee_of(conn: AsyncConnection, case_id: str) -> str | None:
    return ASSIGNEES.get(case_id)


class Tables:
    def __init__(self) -> None:
        self.metadata = MetaData()
        self.advisor_keys, self.used_tokens = define_auth_tables(self.metadata)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[tuple[AsyncEngine, Tables]]:
    tables = Tables()
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/gate.db")
    async with engine.begin() as conn:
        await conn.run_sync(tables.metadata.create_all)
        for advisor_id, key in (("adv-anna", ANNA), ("adv-bram", BRAM)):
            await record_advisor_key(
                conn,
                tables.advisor_keys,
                advisor_id=advisor_id,
                public_key_b64=public_key_to_b64(key.public_key()),
                valid_from=NOW - timedelta(days=30),
                valid_until=None,
            )
    yield engine, tables
    await engine.dispose()


def accept(
    case_id: str, advisor_id: str = "adv-anna", *, key: Ed25519PrivateKey = ANNA, at: datetime = NOW
) -> AcceptCase:
    command = AcceptCase(advisor_id=advisor_id, auth="", issued_at=at, case_id=case_id)
    return authorize_command(key, command, now=at)


async def admit(
    db: tuple[AsyncEngine, Tables],
    command: SignedCommand,
    *,
    now: datetime = NOW,
    published_at: datetime | None = None,
) -> str:
    engine, tables = db
    async with engine.begin() as conn:
        result = await AdvisorCommandGate(tables.advisor_keys, tables.used_tokens).admit(
            conn, command, assignee_of, now=now, published_at=published_at
        )
    if isinstance(result, Refusal):
        return f"{result.reason}:{'proven' if result.proven else 'unproven'}"
    return f"proven:{result.advisor_id}"


async def claimed_tokens(db: tuple[AsyncEngine, Tables]) -> int:
    engine, tables = db
    used: Table = tables.used_tokens
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(used))).scalar_one())


async def test_annas_own_command_on_annas_case_is_proven_and_spends_its_token(
    db: tuple[AsyncEngine, Tables],
) -> None:
    assert await admit(db, SignedCommand.of(accept("case-annas"))) == "proven:adv-anna"
    assert await claimed_tokens(db) == 1


async def test_the_same_signed_command_twice_is_a_replay_the_second_time(
    db: tuple[AsyncEngine, Tables],
) -> None:
    command = SignedCommand.of(accept("case-annas"))
    assert await admit(db, command) == "proven:adv-anna"
    assert await admit(db, command) == "token_replayed:unproven"
    assert await claimed_tokens(db) == 1


async def test_a_refused_transaction_leaves_the_token_unspent(db: tuple[AsyncEngine, Tables]) -> None:
    engine, tables = db
    command = SignedCommand.of(accept("case-annas"))
    async with engine.connect() as conn, conn.begin() as tx:
        await AdvisorCommandGate(tables.advisor_keys, tables.used_tokens).admit(
            conn, command, assignee_of, now=NOW
        )
        await tx.rollback()  # the service's own rule refused later in the same transaction
    assert await admit(db, command) == "proven:adv-anna"


@pytest.mark.parametrize("case_id", ["case-brams", "case-nobodys"])
async def test_anna_on_a_case_not_hers_hears_not_assignee_whether_or_not_it_exists(
    db: tuple[AsyncEngine, Tables], case_id: str
) -> None:
    assert await admit(db, SignedCommand.of(accept(case_id))) == f"{NOT_ASSIGNEE}:proven"
    assert await claimed_tokens(db) == 0  # a refused command does not spend its token


async def test_a_command_about_no_case_skips_the_assignee_check(db: tuple[AsyncEngine, Tables]) -> None:
    command = LogTime(
        advisor_id="adv-anna",
        auth="",
        issued_at=NOW,
        case_id=None,
        minutes=5,
        activity=TimeActivity("administration"),
    )
    assert await admit(db, SignedCommand.of(authorize_command(ANNA, command, now=NOW))) == "proven:adv-anna"


def with_token(command: AcceptCase, token: str) -> SignedCommand:
    return SignedCommand.of(command.model_copy(update={"auth": token}))


def token_for(command: AcceptCase, **overrides: object) -> str:
    fields: dict[str, object] = {
        "advisor_id": command.advisor_id,
        "action": "AcceptCase",
        "case_id": command.case_id,
        "digest": SignedCommand.of(command).digest,
        "now": NOW,
    }
    fields.update(overrides)
    key = fields.pop("key", ANNA)
    assert isinstance(key, Ed25519PrivateKey)
    return issue_token(key, **fields)  # type: ignore[arg-type]


async def test_every_token_refusal_is_unproven(db: tuple[AsyncEngine, Tables]) -> None:
    command = accept("case-annas")
    cases = {
        "token_malformed": with_token(command, "not-a-token"),
        "signature_invalid": with_token(command, token_for(command, key=Ed25519PrivateKey.generate())),
        "unknown_advisor": with_token(command, token_for(command, advisor_id="adv-carl")),
        "advisor_mismatch": with_token(command, token_for(command, advisor_id="adv-bram", key=BRAM)),
        "wrong_action": with_token(command, token_for(command, action="CloseCase")),
        "wrong_case": with_token(command, token_for(command, case_id="case-brams")),
        "command_mismatch": with_token(command, token_for(command, digest="x" * 43)),
        "token_expired": with_token(command, token_for(command, now=NOW - timedelta(hours=1))),
        "token_not_yet_valid": with_token(command, token_for(command, now=NOW + timedelta(hours=1))),
    }
    answers = {reason: await admit(db, signed) for reason, signed in cases.items()}
    assert answers == {reason: f"{reason}:unproven" for reason in cases}
    assert await claimed_tokens(db) == 0


async def test_a_command_is_judged_at_its_publication_not_at_its_processing(
    db: tuple[AsyncEngine, Tables],
) -> None:
    published = NOW - timedelta(days=2)
    late = SignedCommand.of(accept("case-annas", at=published))
    assert await admit(db, late, published_at=None) == "token_expired:unproven"
    assert await admit(db, late, published_at=published) == "proven:adv-anna"


async def test_a_foreign_key_does_not_prove_anna(db: tuple[AsyncEngine, Tables]) -> None:
    assert await admit(db, SignedCommand.of(accept("case-annas", key=BRAM))) == "signature_invalid:unproven"


async def test_a_key_registered_again_with_an_end_stops_proving_its_advisor(
    db: tuple[AsyncEngine, Tables],
) -> None:
    engine, tables = db
    revoked = AdvisorKeyRegistered(
        advisor_id="adv-anna",
        public_key_b64=public_key_to_b64(ANNA.public_key()),
        valid_from=NOW - timedelta(days=30),
        valid_until=NOW - timedelta(minutes=1),
    )
    async with engine.begin() as conn:
        await AdvisorCommandGate(tables.advisor_keys, tables.used_tokens).record_key(conn, revoked)
    assert await admit(db, SignedCommand.of(accept("case-annas"))) == "unknown_advisor:unproven"


async def test_a_command_that_is_not_the_assignees_asks_its_own_question_with_admit_if(
    db: tuple[AsyncEngine, Tables],
) -> None:
    """Bram acts on Anna's case where the service says he may (a coordinator on an escalated case):
    the token is still verified and claimed once; the service's own refusal is proven and spends nothing."""
    engine, tables = db
    gate = AdvisorCommandGate(tables.advisor_keys, tables.used_tokens)
    asked: list[tuple[str, str]] = []

    async def bram_may(conn: AsyncConnection, case_id: str, actor_id: str) -> str | None:
        asked.append((case_id, actor_id))
        return None if actor_id == "adv-bram" else "not_coordinator"

    brams = SignedCommand.of(accept("case-annas", "adv-bram", key=BRAM))
    annas = SignedCommand.of(accept("case-annas"))
    async with engine.begin() as conn:
        admitted = await gate.admit_if(conn, brams, bram_may, now=NOW)
        refused = await gate.admit_if(conn, annas, bram_may, now=NOW)
        replayed = await gate.admit_if(conn, brams, bram_may, now=NOW)
    assert not isinstance(admitted, Refusal) and admitted.advisor_id == "adv-bram"
    assert refused == Refusal("not_coordinator", proven=True)
    assert replayed == Refusal("token_replayed", proven=False)
    assert asked == [("case-annas", "adv-bram"), ("case-annas", "adv-anna"), ("case-annas", "adv-bram")]
    assert await claimed_tokens(db) == 1

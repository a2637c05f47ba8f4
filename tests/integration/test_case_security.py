"""Who may act: another advisor's, forged, expired and replayed tokens are refused for reading and
for every action; reassignment revokes access at once; a wrong receipt code reveals nothing and is
rate-limited (test_receipt_code_limits.py). On the real broker, SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.auth import digest_of, issue_token
from shared.envelope import EventPayload
from tests.support.lifecycle import Lifecycle, start_lifecycle

pytestmark = pytest.mark.integration

READ = "GET /v1/cases/{id}"
POST = "POST /v1/cases/{id}/messages"


@pytest.fixture
async def life(kafka_bootstrap: str, db_url: str, tmp_path: Path) -> AsyncIterator[Lifecycle]:
    async for lifecycle in start_lifecycle(kafka_bootstrap, db_url, tmp_path):
        await lifecycle.register_advisor("adv-anna")
        await lifecycle.register_advisor("adv-bram")
        yield lifecycle


def reason_of(events: list[dict[str, Any]]) -> str | None:
    kinds = [e["event_type"] for e in events]
    return events[0]["payload"]["reason_code"] if kinds == ["AdvisorCommandRejected"] else None


async def commands_for_every_action(life: Lifecycle) -> dict[str, dict[str, Any]]:
    """Per action: the fields of a command anna may give (each on a case set up for it)."""
    fresh = await life.open_assigned_case("adv-anna", accept=False)
    accepted = await life.open_assigned_case("adv-anna")
    closing = await life.open_assigned_case("adv-anna")
    report = await life.open_assigned_case("adv-anna", is_whistleblower_report=True)
    now = life.clock()
    return {
        "AcceptCase": {"case_id": fresh},
        "LogTime": {"case_id": accepted, "minutes": 30, "activity": "conversation"},
        "RecordOutcome": {"case_id": accepted, "outcome": "advice_given"},
        "CloseCase": {"case_id": closing, "outcomes": ["no_follow_up"]},
        "ProvideFeedback": {"case_id": report},
        "RegisterTraining": {"hours": 8, "kind": "refresher", "completed_on": now},
        "RegisterSupervision": {"hours": 2, "session_on": now},
    }


def with_auth(command: EventPayload, token: str) -> EventPayload:
    return command.model_copy(update={"auth": token})


class TestTokensOnEveryAction:
    async def test_foreign_forged_expired_and_replayed_tokens_are_refused_for_every_action(
        self, life: Lifecycle
    ) -> None:
        actions = await commands_for_every_action(life)
        bad: dict[tuple[str, str], str] = {}
        valid: dict[str, str] = {}
        for action, fields in actions.items():
            good = life.command(action, "adv-anna", **fields)
            bram_signed = issue_token(
                life.keys["adv-bram"],
                advisor_id="adv-bram",
                action=action,
                case_id=fields.get("case_id"),
                digest=digest_of(good),
                now=life.clock(),
            )
            variants = {
                "another_advisors_token": with_auth(good, bram_signed),
                "forged": life.command(action, "adv-anna", key=Ed25519PrivateKey.generate(), **fields),
                "expired": life.command(
                    action, "adv-anna", issued_at=life.clock() - timedelta(hours=1), **fields
                ),
            }
            ids = await life.send(*variants.values())
            bad.update({(action, kind): event_id for kind, event_id in zip(variants, ids, strict=True)})
            [valid[action]] = await life.send(good)
        out = await life.results([*bad.values(), *valid.values()], timeout=60)
        expected = {
            "another_advisors_token": "advisor_mismatch",
            "forged": "signature_invalid",
            "expired": "token_expired",
        }
        for (action, kind), event_id in bad.items():
            assert reason_of(out[event_id]) == expected[kind], (action, kind, out[event_id])
        for action, event_id in valid.items():
            assert reason_of(out[event_id]) is None, (action, out[event_id])
        # The same signed commands again, each in a new envelope: replays.
        replay_ids = {action: (await life.send(life.sent[event_id]))[0] for action, event_id in valid.items()}
        replayed = await life.results(list(replay_ids.values()), timeout=60)
        for action, event_id in replay_ids.items():
            assert reason_of(replayed[event_id]) == "token_replayed", (action, replayed[event_id])
        assert life.metric("caseflow_access_denied_total", reason="token_replayed") == len(actions)
        assert life.metric("caseflow_access_denied_total", reason="signature_invalid") == len(actions)

    async def test_a_bram_acting_on_annas_case_is_not_the_assignee(self, life: Lifecycle) -> None:
        case_id = await life.open_assigned_case("adv-anna")
        for action, fields in {
            "AcceptCase": {},
            "LogTime": {"minutes": 5, "activity": "administration"},
            "RecordOutcome": {"outcome": "advice_given"},
            "CloseCase": {"outcomes": ["advice_given"]},
            "ProvideFeedback": {},
        }.items():
            out = await life.act(life.command(action, "adv-bram", case_id=case_id, **fields))
            assert reason_of(out) == "not_assignee", action


class TestCaseFileTokens:
    async def test_reading_refuses_foreign_forged_expired_replayed_and_misbound_tokens(
        self, life: Lifecycle
    ) -> None:
        case_id = await life.open_assigned_case("adv-anna")
        other_case = await life.open_assigned_case("adv-anna")
        token = life.token("adv-anna", READ, case_id)
        assert (await life.read_file(case_id, token)).status_code == 200
        attempts = {
            "replayed": (await life.read_file(case_id, token), 401, "token_replayed"),
            "another advisor": (await life.read_as("adv-bram", case_id), 403, "not_assignee"),
            "forged": (
                await life.read_file(
                    case_id, life.token("adv-anna", READ, case_id, key=Ed25519PrivateKey.generate())
                ),
                401,
                "signature_invalid",
            ),
            "expired": (
                await life.read_file(
                    case_id, life.token("adv-anna", READ, case_id, now=life.clock() - timedelta(minutes=6))
                ),
                401,
                "token_expired",
            ),
            "other case": (
                await life.read_file(case_id, life.token("adv-anna", READ, other_case)),
                403,
                "wrong_case",
            ),
            "other action": (
                await life.read_file(case_id, life.token("adv-anna", "AcceptCase", case_id)),
                403,
                "wrong_action",
            ),
            "no token": (await life.client.get(f"/v1/cases/{case_id}"), 401, "token_missing"),
            "garbage": (await life.read_file(case_id, "not.a-token"), 401, "token_malformed"),
        }
        for name, (answer, status, reason) in attempts.items():
            assert (answer.status_code, answer.json()) == (status, {"status": "refused", "reason": reason}), (
                name
            )
        assert life.metric("caseflow_access_denied_total", reason="not_assignee") == 1

    async def test_posting_to_the_dialogue_refuses_the_same_tokens(self, life: Lifecycle) -> None:
        case_id = await life.open_assigned_case("adv-anna")
        body = {"text": "Shall we meet on Thursday?"}
        token = life.token("adv-anna", POST, case_id, body)
        assert (await life.advisor_posts("adv-anna", case_id, body, token)).status_code == 201
        attempts = {
            "replayed": (await life.advisor_posts("adv-anna", case_id, body, token), "token_replayed"),
            "another advisor": (await life.advisor_posts("adv-bram", case_id, body), "not_assignee"),
            "forged": (
                await life.advisor_posts(
                    "adv-anna",
                    case_id,
                    body,
                    life.token("adv-anna", POST, case_id, body, key=Ed25519PrivateKey.generate()),
                ),
                "signature_invalid",
            ),
            "expired": (
                await life.advisor_posts(
                    "adv-anna",
                    case_id,
                    body,
                    life.token("adv-anna", POST, case_id, body, now=life.clock() - timedelta(hours=1)),
                ),
                "token_expired",
            ),
            "other text": (
                await life.advisor_posts(
                    "adv-anna",
                    case_id,
                    {"text": "Something else"},
                    life.token("adv-anna", POST, case_id, body),
                ),
                "command_mismatch",
            ),
        }
        for name, (answer, reason) in attempts.items():
            assert answer.json() == {"status": "refused", "reason": reason}, name
            assert answer.status_code in (401, 403), name
        thread = (await life.read_as("adv-anna", case_id)).json()["messages"]
        assert [m["text"] for m in thread] == ["Shall we meet on Thursday?"]

    async def test_an_unknown_case_and_someone_elses_case_get_the_same_answer(self, life: Lifecycle) -> None:
        case_id = await life.open_assigned_case("adv-anna")
        not_mine = await life.read_as("adv-bram", case_id)
        unknown = await life.read_as("adv-bram", "00000000-0000-4000-8000-000000000000")
        assert (not_mine.status_code, not_mine.json()) == (unknown.status_code, unknown.json())
        assert not_mine.status_code == 403 and case_id not in not_mine.text


class TestReassignment:
    async def test_the_former_advisor_is_refused_from_the_very_next_request(self, life: Lifecycle) -> None:
        case_id = await life.open_assigned_case("adv-anna")
        assert (await life.read_as("adv-anna", case_id)).status_code == 200
        await life.reassign(case_id, "adv-bram")
        assert (await life.read_as("adv-anna", case_id)).json()["reason"] == "not_assignee"
        late = await life.act(
            life.command("LogTime", "adv-anna", case_id=case_id, minutes=5, activity="conversation")
        )
        assert reason_of(late) == "not_assignee"
        file = await life.read_as("adv-bram", case_id)
        assert file.status_code == 200 and file.json()["assignment"] == {
            "advisor_id": "adv-bram",
            "accepted_at": None,
        }
        before_accepting = await life.act(
            life.command("LogTime", "adv-bram", case_id=case_id, minutes=5, activity="conversation")
        )
        assert reason_of(before_accepting) == "not_accepted"
        readers = [a["advisor_id"] for a in file.json()["access_log"]]
        assert readers == ["adv-anna", "adv-bram"]  # the new advisor sees who read the file before

    async def test_escalation_leaves_nobody_with_access(self, life: Lifecycle) -> None:
        case_id = await life.open_assigned_case("adv-anna")
        await life.reassign(case_id, None)
        assert (await life.read_as("adv-anna", case_id)).status_code == 403


class TestReceiptCodes:
    async def test_a_wrong_code_reveals_nothing_and_answers_like_an_erased_case(
        self, life: Lifecycle
    ) -> None:
        _, code = await life.open_case()
        _, erased_code = await life.open_case()
        assert (
            await life.client.delete("/v1/dialogue", headers={"X-Receipt-Code": erased_code})
        ).status_code == 200
        right = await life.client.get("/v1/dialogue/messages", headers={"X-Receipt-Code": code})
        wrong = await life.client.get(
            "/v1/dialogue/messages", headers={"X-Receipt-Code": "AAAA-BBBB-CCCC-DDDD"}
        )
        gone = await life.client.get("/v1/dialogue/messages", headers={"X-Receipt-Code": erased_code})
        missing = await life.client.get("/v1/dialogue/messages")
        assert right.status_code == 200 and right.json()["status"] == "received"
        for answer in (wrong, gone, missing):
            assert (answer.status_code, answer.json()) == (
                404,
                {"status": "refused", "reason": "unknown_receipt_code"},
            )

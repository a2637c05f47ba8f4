"""The anonymous dialogue and the case file: a client with only a receipt code and the assigned
advisor talk; messages rest sealed; every read of the file is in its access log."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from services.intake.adapters.tables import messages
from tests.support.lifecycle import Lifecycle, start_lifecycle

pytestmark = pytest.mark.integration


@pytest.fixture
async def life(kafka_bootstrap: str, db_url: str, tmp_path: Path) -> AsyncIterator[Lifecycle]:
    async for lifecycle in start_lifecycle(kafka_bootstrap, db_url, tmp_path):
        await lifecycle.register_advisor("adv-anna")
        yield lifecycle


def receipt(code: str) -> dict[str, str]:
    return {"X-Receipt-Code": code}


async def test_client_and_advisor_talk_through_the_receipt_code(life: Lifecycle) -> None:
    case_id, code = await life.open_case("dlg1", anonymous=True)
    await life.assign(case_id, "adv-anna")
    posted = await life.client.post(
        "/v1/dialogue/messages",
        json={"text": "Is anyone reading this? MARK-MSG-dlg1"},
        headers=receipt(code.lower().replace("-", "")),
    )  # typed sloppily: still the code
    assert posted.status_code == 201
    file = (await life.read_as("adv-anna", case_id)).json()
    assert [m["text"] for m in file["messages"]] == ["Is anyone reading this? MARK-MSG-dlg1"]
    assert file["personal"]["narrative"].endswith("MARK-NARR-dlg1") and file["personal"]["contact"] is None
    assert file["coded"]["categories"] == ["labour.conflict_with_manager"] and "personal" not in file["coded"]
    await life.act(life.command("AcceptCase", "adv-anna", case_id=case_id))
    assert (
        await life.advisor_posts("adv-anna", case_id, {"text": "Yes. Shall we call? MARK-ANS-dlg1"})
    ).status_code == 201
    seen = (await life.client.get("/v1/dialogue/messages", headers=receipt(code))).json()
    assert seen["status"] == "accepted" and seen["case_ref"] == case_id
    assert [(m["author"], m["text"]) for m in seen["messages"]] == [
        ("client", "Is anyone reading this? MARK-MSG-dlg1"),
        ("advisor", "Yes. Shall we call? MARK-ANS-dlg1"),
    ]
    assert "adv-anna" not in json.dumps(seen)  # the client learns nothing about the advisor's identity

    # At rest and on the wire the messages are ciphertext under the case key.
    async with life.ctx.engine.connect() as conn:
        stored = [r.content_sealed for r in await conn.execute(select(messages))]
    events = await life.events_of("ClientMessagePosted", case_id) + await life.events_of(
        "AdvisorMessagePosted", case_id
    )
    assert len(stored) == 2 and len(events) == 2
    assert not any("MARK-" in text for text in stored + [json.dumps(e) for e in events])
    assert set(events[0]["payload"]["content"]) == {"alg", "kid", "nonce", "ct"}


async def test_every_read_is_an_access_event_the_advisor_sees(life: Lifecycle) -> None:
    case_id = await life.open_assigned_case("adv-anna")
    for _ in range(3):
        file = (await life.read_as("adv-anna", case_id)).json()
    assert [a["advisor_id"] for a in file["access_log"]] == ["adv-anna"] * 3
    reads = await life.events_of("CaseFileRead", case_id)
    assert [r["payload"]["advisor_id"] for r in reads] == ["adv-anna"] * 3


async def test_a_client_rates_the_contact_once_from_1_to_5(life: Lifecycle) -> None:
    case_id, code = await life.open_case()
    for bad in ({"rating": 6}, {"rating": 0}, {"rating": "5"}, {"rating": 4, "name": "x"}, {}):
        assert (
            await life.client.post("/v1/dialogue/feedback", json=bad, headers=receipt(code))
        ).status_code == 400
    assert (
        await life.client.post("/v1/dialogue/feedback", json={"rating": 4}, headers=receipt(code))
    ).status_code == 201
    again = await life.client.post("/v1/dialogue/feedback", json={"rating": 1}, headers=receipt(code))
    assert (again.status_code, again.json()["reason"]) == (409, "feedback_already_given")
    [given] = await life.events_of("ClientFeedbackGiven", case_id)
    assert given["payload"]["rating"] == 4


async def test_a_closed_case_takes_no_more_client_messages(life: Lifecycle) -> None:
    case_id, code = await life.open_case()
    await life.assign(case_id, "adv-anna")
    await life.act(life.command("AcceptCase", "adv-anna", case_id=case_id))
    await life.act(life.command("CloseCase", "adv-anna", case_id=case_id, outcomes=["advice_given"]))
    late = await life.client.post(
        "/v1/dialogue/messages", json={"text": "one more thing"}, headers=receipt(code)
    )
    assert (late.status_code, late.json()["reason"]) == (409, "case_closed")
    assert (await life.client.get("/v1/dialogue/messages", headers=receipt(code))).json()[
        "status"
    ] == "closed"


async def test_the_client_erases_their_personal_data_with_the_receipt_code(life: Lifecycle) -> None:
    case_id, code = await life.open_case("dlg2")
    await life.assign(case_id, "adv-anna")
    await life.client.post("/v1/dialogue/messages", json={"text": "MARK-MSG-dlg2"}, headers=receipt(code))
    erased = await life.client.delete("/v1/dialogue", headers=receipt(code))
    assert erased.json() == {"status": "erased"}
    [event] = await life.events_of("CasePersonalDataErased", case_id)
    assert event["payload"] | {"erased_at": None} == {
        "case_id": case_id,
        "reason": "client_request",
        "erased_at": None,
    }
    after = await life.client.get("/v1/dialogue/messages", headers=receipt(code))
    assert (after.status_code, after.json()["reason"]) == (404, "unknown_receipt_code")
    assert (await life.read_as("adv-anna", case_id)).json() == {"status": "refused", "reason": "not_assignee"}
    async with life.ctx.engine.connect() as conn:
        assert (await conn.execute(select(messages).where(messages.c.case_id == case_id))).first() is None
    assert life.metric("caseflow_intake_cases_erased_total", reason="client_request") == 1


async def test_messages_are_checked_before_anything_is_stored(life: Lifecycle) -> None:
    _, code = await life.open_case()
    for bad in ({"text": ""}, {"text": "x" * 5001}, {"text": 5}, {"text": "hi", "from": "me"}):
        assert (
            await life.client.post("/v1/dialogue/messages", json=bad, headers=receipt(code))
        ).status_code == 400
    not_json = await life.client.post("/v1/dialogue/messages", content=b"{nope", headers=receipt(code))
    assert not_json.status_code == 400

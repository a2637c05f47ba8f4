"""A chat widget waits for the advisor's answer: the long-poll of GET /v1/dialogue/messages.

A waiting read answers as soon as a message is committed (the in-process bell wakes it), with only
the messages after the one the widget already has; with nothing new it answers with none once its
wait is over; a message another instance stored is seen at the bounded re-check.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from services.intake.adapters.message_bell import MessageBell
from services.intake.application.dialogue_wait import wait_for_messages
from tests.support.follow_up import advisor_replies, assign_and_accept, client_of, open_case
from tests.support.in_process import InProcess

pytestmark = pytest.mark.handlers


def receipt(code: str) -> dict[str, str]:
    return {"X-Receipt-Code": code}


async def test_a_waiting_read_returns_soon_after_the_advisor_answers(intake: InProcess) -> None:
    async with client_of(intake) as client:
        case_id, code = await open_case(client)
        await assign_and_accept(intake, case_id)
        first = await client.post("/v1/dialogue/messages", json={"text": "Hallo?"}, headers=receipt(code))
        mine = first.json()["message_id"]
        started = time.monotonic()
        waiting = asyncio.create_task(
            client.get("/v1/dialogue/messages", params={"after": mine, "wait": 25}, headers=receipt(code))
        )
        await asyncio.sleep(0.5)
        assert not waiting.done()  # nothing new yet: it waits
        assert (await advisor_replies(client, case_id, "Ik lees mee. Bellen we?")).status_code == 201
        answer = await asyncio.wait_for(waiting, timeout=5)
    assert time.monotonic() - started < 5
    assert answer.status_code == 200
    assert [(m["author"], m["text"]) for m in answer.json()["messages"]] == [
        ("advisor", "Ik lees mee. Bellen we?")
    ]
    assert answer.json()["status"] == "accepted"


async def test_a_waiting_read_answers_with_no_messages_when_its_wait_is_over(intake: InProcess) -> None:
    async with client_of(intake) as client:
        _case_id, code = await open_case(client)
        mine = (
            await client.post("/v1/dialogue/messages", json={"text": "Hallo?"}, headers=receipt(code))
        ).json()["message_id"]
        started = time.monotonic()
        answer = await client.get(
            "/v1/dialogue/messages", params={"after": mine, "wait": 1}, headers=receipt(code)
        )
    assert 0.9 < time.monotonic() - started < 4
    assert answer.status_code == 200 and answer.json()["messages"] == []


async def test_without_after_or_wait_the_read_answers_at_once_with_the_whole_thread(
    intake: InProcess,
) -> None:
    async with client_of(intake) as client:
        _case_id, code = await open_case(client)
        for text in ("een", "twee"):
            await client.post("/v1/dialogue/messages", json={"text": text}, headers=receipt(code))
        whole = (await client.get("/v1/dialogue/messages", headers=receipt(code))).json()
        first = whole["messages"][0]["message_id"]
        newer = await client.get("/v1/dialogue/messages", params={"after": first}, headers=receipt(code))
    assert [m["text"] for m in whole["messages"]] == ["een", "twee"]
    assert [m["text"] for m in newer.json()["messages"]] == ["twee"]


@pytest.mark.parametrize("query", [{"wait": "31"}, {"wait": "-1"}, {"wait": "soon"}, {"after": "x" * 65}])
async def test_a_wait_out_of_bounds_is_refused(intake: InProcess, query: dict[str, str]) -> None:
    async with client_of(intake) as client:
        _case_id, code = await open_case(client)
        answer = await client.get("/v1/dialogue/messages", params=query, headers=receipt(code))
    assert answer.status_code == 400 and answer.json()["reason"] == "invalid_query"


async def test_a_wrong_code_is_answered_at_once_even_when_asked_to_wait(intake: InProcess) -> None:
    async with client_of(intake) as client:
        started = time.monotonic()
        answer = await client.get(
            "/v1/dialogue/messages", params={"wait": 25}, headers=receipt("AAAA-BBBB-CCCC-DDDD")
        )
    assert answer.status_code == 404 and time.monotonic() - started < 2


async def test_a_message_no_bell_rang_for_is_seen_at_the_recheck() -> None:
    # Another instance stored it: nothing rings here, the bounded re-check finds it.
    reads = 0

    async def read() -> dict[str, object]:
        nonlocal reads
        reads += 1
        messages = [{"message_id": "m2", "author": "advisor", "text": "x"}] if reads >= 4 else []
        return {"case_ref": "case-1", "messages": messages}

    started = time.monotonic()
    found = await wait_for_messages(read, MessageBell(), None, wait=10, recheck=0.2)  # type: ignore[arg-type]
    assert isinstance(found, dict) and found["messages"][0]["message_id"] == "m2"
    assert time.monotonic() - started < 2 and reads == 4


async def test_the_openapi_document_is_served(intake: InProcess) -> None:
    async with client_of(intake) as client:
        answer = await client.get("/openapi.json")
    assert answer.status_code == 200 and answer.json()["openapi"] == "3.1.0"

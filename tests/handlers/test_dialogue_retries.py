"""A chat widget retries a message it is not sure arrived: POST /v1/dialogue/messages with the same
Idempotency-Key posts it once and answers with the same message id; without a key, two POSTs are
two messages; a key of the wrong shape is refused in words, and nothing is posted."""

from __future__ import annotations

import pytest

from tests.support.follow_up import client_of, open_case
from tests.support.in_process import InProcess

pytestmark = pytest.mark.handlers


async def test_the_same_key_posts_one_message_and_no_key_posts_each_time(intake: InProcess) -> None:
    async with client_of(intake) as client:
        _case_id, code = await open_case(client)

        async def post(text: str, key: str | None) -> dict[str, str]:
            headers = {"X-Receipt-Code": code} | ({"Idempotency-Key": key} if key else {})
            answer = await client.post("/v1/dialogue/messages", headers=headers, json={"text": text})
            assert answer.status_code == 201, answer.text
            return dict(answer.json())

        first = await post("Kunt u mij terugbellen?", "widget-7f3a9c21")
        again = await post("Kunt u mij terugbellen?", "widget-7f3a9c21")
        assert again["message_id"] == first["message_id"]
        await post("Nog een vraag", None)
        await post("Nog een vraag", None)
        thread = (await client.get("/v1/dialogue/messages", headers={"X-Receipt-Code": code})).json()
        texts = [m["text"] for m in thread["messages"] if m["author"] == "client"]
        assert sorted(texts) == ["Kunt u mij terugbellen?", "Nog een vraag", "Nog een vraag"]


async def test_a_key_of_the_wrong_shape_is_refused_and_posts_nothing(intake: InProcess) -> None:
    async with client_of(intake) as client:
        _case_id, code = await open_case(client)
        answer = await client.post(
            "/v1/dialogue/messages",
            headers={"X-Receipt-Code": code, "Idempotency-Key": "jan de vries"},
            json={"text": "hallo"},
        )
        assert answer.status_code == 400
        assert answer.json() == {"status": "refused", "reason": "idempotency_key_invalid"}
        thread = (await client.get("/v1/dialogue/messages", headers={"X-Receipt-Code": code})).json()
        assert thread["messages"] == []

"""A meeting scheduling planned, as the client sees it on the follow-up page and in the dialogue API:
intake's own composition root in process consumes scheduling.meetings.v1 and shows the next
planned meeting in neutral words (no advisor, room, venue or title)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from services.intake.adapters.tables import client_meetings
from shared.codes import MeetingMode
from tests.support.follow_up import (
    ADVISOR,
    MEETINGS,
    assign_and_accept,
    client_of,
    close_case,
    meeting_cancelled,
    meeting_scheduled,
    open_case,
    scheduling_says,
)
from tests.support.in_process import InProcess

pytestmark = pytest.mark.handlers

THURSDAY_10 = datetime(2030, 12, 5, 9, 0, tzinfo=UTC)  # 10.00 in Amsterdam
NEXT_FRIDAY_14 = datetime(2030, 12, 13, 13, 0, tzinfo=UTC)


@pytest.fixture
async def client(intake: InProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(intake) as client:
        yield client


async def page_of(client: httpx.AsyncClient, code: str, lang: str = "nl") -> str:
    answer = await client.post(f"/vervolg?lang={lang}", data={"code": code})
    assert answer.status_code == 200
    return answer.text


async def thread_of(client: httpx.AsyncClient, code: str) -> dict[str, object]:
    answer = await client.get("/v1/dialogue/messages", headers={"X-Receipt-Code": code})
    assert answer.status_code == 200
    return answer.json()  # type: ignore[no-any-return]


def test_intake_consumes_the_meetings_topic(intake: InProcess) -> None:
    assert MEETINGS in intake.consumes


async def test_a_planned_meeting_shows_in_neutral_words(intake: InProcess, client: httpx.AsyncClient) -> None:
    case_id, code = await open_case(client)
    await assign_and_accept(intake, case_id)
    assert 'id="meeting"' not in await page_of(client, code)
    await scheduling_says(intake, meeting_scheduled(case_id, THURSDAY_10))
    page = await page_of(client, code)
    assert "Voorstel voor een gesprek" in page
    assert "De vertrouwenspersoon stelt voor: een gesprek op kantoor, in een rustige kamer." in page
    assert (
        "Donderdag 5 december om 10.00\u00a0uur" in page and "Het gesprek duurt tot 11.00\u00a0uur." in page
    )
    assert "Stuur dan hieronder een bericht" in page
    for identifying in (ADVISOR, "room-den-haag-3", "Afspraak", "meeting-1", case_id):
        assert identifying not in page
    english = await page_of(client, code, "en")
    assert "The confidential advisor proposes a meeting at the office, in a quiet room." in english
    assert "Thursday 5 December at 10:00" in english
    assert (await thread_of(client, code))["next_meeting"] == {
        "start": THURSDAY_10.isoformat(),
        "end": (THURSDAY_10 + timedelta(hours=1)).isoformat(),
        "mode": "on_site_discreet_room",
    }


async def test_a_moved_meeting_shows_the_new_time_and_a_late_old_copy_does_not_undo_it(
    intake: InProcess, client: httpx.AsyncClient
) -> None:
    case_id, code = await open_case(client)
    first = meeting_scheduled(case_id, THURSDAY_10)
    moved = meeting_scheduled(case_id, NEXT_FRIDAY_14, MeetingMode.PHONE, sequence=1)
    await scheduling_says(intake, first, meeting_cancelled(case_id, reason="rescheduled"), moved)
    await scheduling_says(intake, first)  # an old copy, republished
    page = await page_of(client, code)
    assert "Vrijdag 13 december om 14.00\u00a0uur" in page and "een telefoongesprek" in page
    assert "5 december" not in page


async def test_a_cancelled_meeting_disappears(intake: InProcess, client: httpx.AsyncClient) -> None:
    case_id, code = await open_case(client)
    await scheduling_says(intake, meeting_scheduled(case_id, THURSDAY_10))
    assert 'id="meeting"' in await page_of(client, code)
    await scheduling_says(intake, meeting_cancelled(case_id))
    assert 'id="meeting"' not in await page_of(client, code)
    assert (await thread_of(client, code))["next_meeting"] is None


async def test_a_past_meeting_gives_way_to_the_next_one(intake: InProcess, client: httpx.AsyncClient) -> None:
    case_id, code = await open_case(client)
    yesterday = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    await scheduling_says(
        intake,
        meeting_scheduled(case_id, yesterday, meeting_id="old"),
        meeting_scheduled(case_id, NEXT_FRIDAY_14, MeetingMode.VIDEO, meeting_id="new"),
    )
    page = await page_of(client, code)
    assert "een videogesprek" in page and "Vrijdag 13 december om 14.00\u00a0uur" in page


async def test_a_closed_case_shows_no_meeting(intake: InProcess, client: httpx.AsyncClient) -> None:
    case_id, code = await open_case(client)
    await assign_and_accept(intake, case_id)
    await scheduling_says(intake, meeting_scheduled(case_id, THURSDAY_10))
    await close_case(intake, case_id)
    assert 'id="meeting"' not in await page_of(client, code)


async def test_erasure_deletes_the_cases_meetings_and_keeps_none_that_come_later(
    intake: InProcess, client: httpx.AsyncClient
) -> None:
    case_id, code = await open_case(client)
    await scheduling_says(intake, meeting_scheduled(case_id, THURSDAY_10))
    erased = await client.post("/vervolg/wissen/bevestigd", data={"code": code})
    assert erased.status_code == 200
    await scheduling_says(intake, meeting_scheduled(case_id, NEXT_FRIDAY_14, meeting_id="late"))
    assert intake.context is not None
    async with intake.context.engine.connect() as conn:
        rows = (await conn.execute(select(client_meetings).where(client_meetings.c.case_id == case_id))).all()
    assert rows == []


async def test_a_meeting_event_with_an_overlong_id_goes_to_the_dead_letter_topic(intake: InProcess) -> None:
    await scheduling_says(intake, meeting_scheduled("c" * 65, THURSDAY_10))
    assert intake.bus.dead_letters() == {f"{MEETINGS}.dlq": 1}

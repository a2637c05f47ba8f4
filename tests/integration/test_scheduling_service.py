"""The scheduling service against the real broker, on SQLite and PostgreSQL (one contract class).

Every rule of the scheduling issue end to end through events: input envelopes are produced to the
real topics, the service runs in-process with an injected clock, and its answers are read from
its outbox (and, in the first test, from the topic itself).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from services.scheduling.adapters import tables
from services.scheduling.app import create_runtime
from services.scheduling.domain.calendar_ics import REVEALING_FRAGMENTS, reveals_purpose
from services.scheduling.settings import SchedulingSettings
from shared.codes import CATEGORY_LABELS, Category, MeetingMode
from shared.envelope import new_envelope
from tests.support import scheduling_events as ev
from tests.support.kafka_io import create_topics, produce, read_all, read_json
from tests.support.services import running, wait_until

pytestmark = pytest.mark.integration

AMS = ZoneInfo("Europe/Amsterdam")
MON, TUE, WED, THU, FRI = range(5)


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=AMS)


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# Monday 2 June 2025, 07:00 in Amsterdam; with the 2 h lead time the earliest start is 09:00.
MONDAY_MORNING = local(2025, 6, 2, 7)


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


class Scheduling:
    """The running service plus what a test needs to talk to it."""

    def __init__(self, runtime: Any, kafka: str, prefix: str, clock: Clock) -> None:
        self.runtime, self.kafka, self.prefix, self.clock = runtime, kafka, prefix, clock
        self.sent = 0

    @property
    def engine(self) -> Any:
        return self.runtime.context.engine

    async def send(self, topic: str, *payloads: Any) -> list[str]:
        ids = await ev.send(self.kafka, self.prefix, topic, *payloads, now=self.clock())
        self.sent += len(payloads) + sum(type(p).__name__ == "AdvisorAvailabilitySet" for p in payloads)
        return ids

    async def settled(self, timeout: float = 30) -> None:
        """Every message sent so far has been processed (each leaves one inbox row)."""

        async def caught_up() -> bool:
            async with self.engine.connect() as conn:
                count = (
                    await conn.execute(select(func.count()).select_from(tables.messaging.inbox))
                ).scalar()
            return int(count or 0) >= self.sent

        await wait_until(caught_up, timeout=timeout)

    async def facts(self, *payloads: Any) -> None:
        for payload in payloads:
            topic = ev.ADVISORS if type(payload).__name__ == "AdvisorAvailabilitySet" else ev.PLACES
            await self.send(topic, payload)
        await self.settled()

    async def case(self, case_id: str, advisor_id: str, **opened: Any) -> None:
        """A case opened at intake and assigned by routing; waits until both are processed."""
        await self.send(ev.CASES, ev.case_opened(case_id, **opened))
        await self.send(ev.ASSIGNMENTS, ev.assigned(case_id, advisor_id))
        await self.settled()

    async def command(self, topic: str, *payloads: Any) -> list[str]:
        ids = await self.send(topic, *payloads)
        await self.settled()
        return ids

    async def answers(self, *types: str) -> list[dict[str, Any]]:
        return await ev.emitted(self.engine, types or ev.ANSWER_TYPES)

    async def payloads(self, *types: str) -> list[dict[str, Any]]:
        return [e["payload"] for e in await self.answers(*types)]

    async def active_bookings(self, case_id: str) -> list[dict[str, Any]]:
        b = tables.bookings
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(b).where(b.c.case_id == case_id, b.c.status == "active"))
            return [dict(r._mapping) for r in rows]

    def metric(self, name: str, **labels: str) -> float:
        value = self.runtime.registry.get_sample_value(name, labels)
        return float(value or 0.0)


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY_MORNING)


@pytest.fixture
async def scheduling(
    kafka_bootstrap: str, unique_topic: str, db_url: str, clock: Clock
) -> AsyncIterator[Scheduling]:
    await create_topics(kafka_bootstrap, [unique_topic + t for t in ev.ALL_TOPICS])
    settings = SchedulingSettings(
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=unique_topic,
        database_url=db_url,
        consumer_group=f"{unique_topic}scheduling",
        max_batch=50,
    )
    runtime = create_runtime(settings, clock=clock)
    async with running(runtime):
        yield Scheduling(runtime, kafka_bootstrap, unique_topic, clock)


class TestSchedulingContract:
    """Runs once on SQLite and once on PostgreSQL (the db_url fixture is parametrized)."""

    async def test_after_assignment_the_client_gets_the_earliest_discreet_room(
        self, scheduling: Scheduling
    ) -> None:
        await scheduling.facts(
            ev.room("glazen-kubus", discreet=False),
            ev.room("kamer-met-bordje", labelled_as_advisor_room=True),
            ev.room("stilteruimte", quiet_room=True),
            ev.room("kamer-utrecht", location="Utrecht"),
            ev.room("kamer-3"),
            ev.availability("adv-1"),
        )
        await scheduling.case("case-1", "adv-1")

        on_topic = read_json(await read_all(scheduling.kafka, scheduling.prefix + ev.MEETINGS, expect=1))
        assert [e["event_type"] for e in on_topic] == ["MeetingScheduled"]
        meeting = on_topic[0]["payload"]
        assert meeting["room_id"] == "kamer-3" and meeting["mode"] == "on_site_discreet_room"
        assert meeting["start"] == "2025-06-02T07:00:00Z" and meeting["end"] == "2025-06-02T08:00:00Z"
        assert meeting["neutral_title"] == "Afspraak" and meeting["reason_code"] == "EARLIEST_DISCREET_ROOM"
        assert on_topic[0]["stream_id"] == "case-1"
        assert scheduling.metric("caseflow_scheduling_outcomes_total", kind="room") == 1

    async def test_the_privacy_buffer_keeps_clients_of_consecutive_meetings_apart(
        self, scheduling: Scheduling
    ) -> None:
        await scheduling.facts(ev.room("kamer-3"), ev.availability("adv-1"), ev.availability("adv-2"))
        await scheduling.case("case-1", "adv-1")
        await scheduling.case("case-2", "adv-2")

        first, second = await scheduling.payloads("MeetingScheduled")
        assert (first["start"], first["end"]) == (
            utc_iso(local(2025, 6, 2, 9)),
            utc_iso(local(2025, 6, 2, 10)),
        )
        # Not 10:00: the first client walks out at 10:00; the next may arrive 15 minutes later.
        assert second["start"] == utc_iso(local(2025, 6, 2, 10, 15)) and second["room_id"] == "kamer-3"

    async def test_no_fixed_pattern_the_same_room_weekday_and_hour_is_not_repeated(
        self, scheduling: Scheduling
    ) -> None:
        # The advisor is only free on Tuesdays 10:00-11:00: a weekly consultation hour would form.
        await scheduling.facts(
            ev.room("kamer-a"), ev.room("kamer-b"), ev.availability("adv-1", [TUE], "10:00", "11:00")
        )
        await scheduling.case("case-1", "adv-1")
        await scheduling.case("case-2", "adv-1")

        first, second = await scheduling.payloads("MeetingScheduled")
        assert (first["room_id"], first["start"]) == ("kamer-a", utc_iso(local(2025, 6, 3, 10)))
        assert (second["room_id"], second["start"]) == ("kamer-b", utc_iso(local(2025, 6, 10, 10)))

    async def test_off_site_venues_until_the_budget_runs_out_then_the_phone(
        self, scheduling: Scheduling
    ) -> None:
        await scheduling.facts(
            ev.venue("lunchroom-plein", "Zwolle", 4_000),
            ev.venue("hotel-lobby", "Zwolle", 6_000),
            ev.budget("org-bzk", 2025, 10_000),
            ev.availability("adv-1"),
        )
        for number in (1, 2, 3):
            await scheduling.case(f"case-{number}", "adv-1", location="Zwolle")

        meetings = await scheduling.payloads("MeetingScheduled")
        assert [(m["mode"], m["venue_id"], m["reason_code"]) for m in meetings] == [
            ("off_site_venue", "lunchroom-plein", "NO_ROOM_VENUE_RESERVED"),
            ("off_site_venue", "lunchroom-plein", "NO_ROOM_VENUE_RESERVED"),
            ("phone", None, "NO_ROOM_BUDGET_EXHAUSTED"),
        ]
        reserved = await scheduling.payloads("VenueBudgetReserved")
        assert [r["remaining_after_cents"] for r in reserved] == [6_000, 2_000]
        assert [r["meeting_id"] for r in reserved] == [m["meeting_id"] for m in meetings[:2]]
        async with scheduling.engine.connect() as conn:
            spent = (await conn.execute(select(tables.offsite_budgets.c.spent_cents))).scalar()
        assert spent == 8_000
        assert scheduling.metric("caseflow_scheduling_outcomes_total", kind="venue") == 2
        assert scheduling.metric("caseflow_scheduling_outcomes_total", kind="remote") == 1

    async def test_remote_when_the_client_prefers_it_and_no_slot_when_the_advisor_has_no_time(
        self, scheduling: Scheduling
    ) -> None:
        await scheduling.facts(
            ev.room("kamer-3"), ev.availability("adv-1"), ev.availability("adv-away", leave=[])
        )
        await scheduling.case("case-video", "adv-1", meeting_mode=MeetingMode.VIDEO)
        await scheduling.case("case-stuck", "adv-never-available")
        await scheduling.case(
            "case-weekend", "adv-1", client_windows=[(local(2025, 6, 7, 10), local(2025, 6, 7, 12))]
        )

        answers = await scheduling.answers()
        by_case = {a["payload"]["case_id"]: a for a in answers}
        video = by_case["case-video"]["payload"]
        assert by_case["case-video"]["event_type"] == "MeetingScheduled"
        assert (video["mode"], video["room_id"], video["reason_code"]) == (
            "video",
            None,
            "CLIENT_PREFERS_REMOTE",
        )
        assert by_case["case-stuck"]["event_type"] == "NoSlotFound"
        assert by_case["case-stuck"]["payload"]["reason_code"] == "ADVISOR_UNAVAILABLE"
        assert by_case["case-weekend"]["payload"]["reason_code"] == "NO_COMMON_TIME"
        assert scheduling.metric("caseflow_scheduling_outcomes_total", kind="no_slot") == 2

    async def test_a_client_who_asked_to_meet_away_from_their_unit_meets_in_another_building(
        self, scheduling: Scheduling
    ) -> None:
        await scheduling.facts(
            ev.room("own-building", building="Turfmarkt 147", unit_ids=("bzk-dgob",)),
            ev.room("across-town", building="Rijnstraat 50"),
            ev.availability("adv-1"),
        )
        await scheduling.case("case-away", "adv-1", away=True, unit_id="bzk-dgob")
        await scheduling.case("case-near", "adv-1", unit_id="bzk-dgob")

        away, near = await scheduling.payloads("MeetingScheduled")
        assert away["room_id"] == "across-town"
        assert near["room_id"] == "own-building"

    async def test_cancelling_frees_the_slot_for_the_next_client(self, scheduling: Scheduling) -> None:
        await scheduling.facts(
            ev.room("kamer-3"),
            ev.availability("adv-1", [MON], "09:00", "10:00"),
            ev.availability("adv-2", [MON], "09:00", "10:00"),
        )
        await scheduling.case("case-1", "adv-1")
        (first,) = await scheduling.payloads("MeetingScheduled")
        await scheduling.command(ev.ACTIONS, ev.cancel_meeting("case-1", "adv-1", first["meeting_id"]))
        await scheduling.case("case-2", "adv-2")

        cancelled = await scheduling.payloads("MeetingCancelled")
        assert [(c["meeting_id"], c["reason"]) for c in cancelled] == [
            (first["meeting_id"], "cancelled_by_advisor")
        ]
        _, second = await scheduling.payloads("MeetingScheduled")
        assert (second["room_id"], second["start"]) == ("kamer-3", first["start"])
        assert await scheduling.active_bookings("case-1") == []

    async def test_rescheduling_keeps_the_meeting_and_moves_it_to_another_time(
        self, scheduling: Scheduling
    ) -> None:
        await scheduling.facts(ev.room("kamer-3"), ev.availability("adv-1"))
        await scheduling.case("case-1", "adv-1")
        (first,) = await scheduling.payloads("MeetingScheduled")
        await scheduling.command(
            ev.ACTIONS, ev.cancel_meeting("case-1", "adv-1", first["meeting_id"], reschedule=True)
        )

        cancelled = await scheduling.payloads("MeetingCancelled")
        moved = (await scheduling.payloads("MeetingScheduled"))[1]
        assert [c["reason"] for c in cancelled] == ["rescheduled"]
        assert moved["meeting_id"] == first["meeting_id"] and moved["calendar_sequence"] == 1
        assert moved["start"] != first["start"]
        (active,) = await scheduling.active_bookings("case-1")
        assert active["starts_at"] == datetime.fromisoformat(moved["start"])

    async def test_reassignment_moves_upcoming_meetings_to_the_new_advisor_or_cancels_them(
        self, scheduling: Scheduling
    ) -> None:
        await scheduling.facts(
            ev.room("kamer-3"),
            ev.availability("adv-old"),
            ev.availability("adv-new", [WED], "13:00", "17:00"),
        )
        await scheduling.case("case-1", "adv-old")
        (original,) = await scheduling.payloads("MeetingScheduled")
        await scheduling.command(ev.ASSIGNMENTS, ev.reassigned("case-1", "adv-new"))

        moved = (await scheduling.payloads("MeetingScheduled"))[1]
        (cancelled,) = await scheduling.payloads("MeetingCancelled")
        assert (cancelled["advisor_id"], cancelled["reason"]) == ("adv-old", "case_reassigned")
        assert moved["meeting_id"] == original["meeting_id"] and moved["advisor_id"] == "adv-new"
        assert moved["start"] == utc_iso(local(2025, 6, 4, 13))  # the new advisor's Wednesday afternoon
        assert [b["advisor_id"] for b in await scheduling.active_bookings("case-1")] == ["adv-new"]

        await scheduling.command(ev.ASSIGNMENTS, ev.reassigned("case-1", None))
        assert [c["reason"] for c in await scheduling.payloads("MeetingCancelled")] == ["case_reassigned"] * 2
        assert await scheduling.active_bookings("case-1") == []

    async def test_closing_or_erasing_a_case_cancels_its_upcoming_meetings(
        self, scheduling: Scheduling
    ) -> None:
        from shared.codes import Outcome
        from shared.contracts.intake import CaseClosed, CasePersonalDataErased

        await scheduling.facts(ev.room("kamer-3"), ev.room("kamer-4"), ev.availability("adv-1"))
        await scheduling.case("case-1", "adv-1")
        await scheduling.case("case-2", "adv-1")
        assert len(await scheduling.payloads("MeetingScheduled")) == 2
        now = scheduling.clock()
        await scheduling.command(
            ev.CASES,
            CaseClosed(case_id="case-1", advisor_id="adv-1", outcomes=(Outcome.ADVICE_GIVEN,), closed_at=now),
        )
        await scheduling.command(
            ev.CASES, CasePersonalDataErased(case_id="case-2", reason="client_request", erased_at=now)
        )
        reasons = sorted(c["reason"] for c in await scheduling.payloads("MeetingCancelled"))
        assert reasons == ["case_closed", "case_erased"]
        assert (
            await scheduling.active_bookings("case-1") == []
            and await scheduling.active_bookings("case-2") == []
        )

    async def test_only_the_assigned_advisor_may_request_or_cancel_a_meeting(
        self, scheduling: Scheduling
    ) -> None:
        # The intruder is a real advisor with a registered key: the token is valid, the case is not theirs.
        await scheduling.facts(ev.room("kamer-3"), ev.availability("adv-1"), ev.availability("adv-intruder"))
        await scheduling.case("case-1", "adv-1", meeting_mode=None)
        await scheduling.command(
            ev.ACTIONS, ev.request_meeting("case-1", "adv-1", MeetingMode.ON_SITE_DISCREET_ROOM)
        )
        (meeting,) = await scheduling.payloads("MeetingScheduled")
        await scheduling.command(
            ev.ACTIONS,
            ev.request_meeting("case-1", "adv-intruder"),
            ev.request_meeting("case-unknown", "adv-1"),
            ev.cancel_meeting("case-1", "adv-intruder", meeting["meeting_id"]),
            ev.cancel_meeting("case-1", "adv-1", "no-such-meeting"),
        )

        rejected = await scheduling.payloads("AdvisorCommandRejected")
        assert sorted((r["command"], r["reason_code"]) for r in rejected) == [
            ("CancelMeeting", "meeting_unknown"),
            ("CancelMeeting", "not_assignee"),
            ("RequestMeeting", "not_assignee"),
            ("RequestMeeting", "not_assignee"),
        ]
        assert len(await scheduling.active_bookings("case-1")) == 1
        # A case that does not exist and someone else's case get one answer (no existence oracle).
        assert scheduling.metric("caseflow_scheduling_rejections_total", reason="not_assignee") == 3

    async def test_forged_expired_and_replayed_tokens_are_refused(self, scheduling: Scheduling) -> None:
        from datetime import timedelta

        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        from shared.auth import authorize_command

        await scheduling.facts(ev.room("kamer-3"), ev.availability("adv-1"))
        await scheduling.case("case-1", "adv-1", meeting_mode=None)
        now = scheduling.clock()
        forged = authorize_command(
            Ed25519PrivateKey.generate(), ev.request_meeting("case-1", "adv-1"), now=now
        )
        expired = authorize_command(
            ev.advisor_private_key("adv-1"),
            ev.request_meeting("case-1", "adv-1"),
            now=now - timedelta(hours=1),
        )
        good = authorize_command(
            ev.advisor_private_key("adv-1"), ev.request_meeting("case-1", "adv-1"), now=now
        )
        await scheduling.command(ev.ACTIONS, forged, expired, good)
        await scheduling.command(ev.ACTIONS, good)  # the same signed command, sent again: a replay
        rejected = sorted(r["reason_code"] for r in await scheduling.payloads("AdvisorCommandRejected"))
        assert rejected == ["signature_invalid", "token_expired", "token_replayed"]
        assert len(await scheduling.payloads("MeetingScheduled")) == 1

    async def test_a_quiet_room_is_booked_for_the_advisor_alone_and_never_offered_to_a_client(
        self, scheduling: Scheduling
    ) -> None:
        await scheduling.facts(ev.room("stilteruimte", quiet_room=True, capacity=1), ev.availability("adv-1"))
        await scheduling.command(ev.ACTIONS, ev.book_quiet_room("adv-1", "den_haag", minutes=45))
        await scheduling.case("case-1", "adv-1")

        (quiet,) = await scheduling.payloads("QuietRoomBooked")
        assert quiet["room_id"] == "stilteruimte" and quiet["start"] == utc_iso(local(2025, 6, 2, 9))
        (meeting,) = await scheduling.payloads("MeetingScheduled")
        assert (meeting["mode"], meeting["room_id"], meeting["reason_code"]) == (
            "phone",
            None,
            "NO_ROOM_NO_VENUE",
        )
        # The advisor is in the quiet room until 09:45: the call is set after it.
        assert meeting["start"] == utc_iso(local(2025, 6, 2, 9, 45))
        await scheduling.command(ev.ACTIONS, ev.book_quiet_room("adv-1", "utrecht"))
        (unavailable,) = await scheduling.payloads("QuietRoomUnavailable")
        assert unavailable["reason_code"] == "NO_QUIET_ROOM"

    async def test_unknown_event_types_of_other_services_are_ignored_not_dead_lettered(
        self, scheduling: Scheduling
    ) -> None:
        await scheduling.facts(ev.room("kamer-3"), ev.availability("adv-1"))
        future = new_envelope(
            ev.venue("x", "y", 1),
            stream_id="case-9",
            producer="intake",
            occurred_at=datetime.now(UTC),
            causation_id=None,
        ).model_dump(mode="json")
        future["event_type"] = "CaseMergedIntoAnother"  # a type intake may add one day
        await produce(
            scheduling.kafka, scheduling.prefix + ev.CASES, [(b"case-9", json.dumps(future).encode())]
        )
        await produce(scheduling.kafka, scheduling.prefix + ev.ADVISORS, [(b"junk", b"{not json")])
        scheduling.sent += 2
        await scheduling.case("case-1", "adv-1")

        assert len(await scheduling.payloads("MeetingScheduled")) == 1
        dead = read_json(await read_all(scheduling.kafka, scheduling.prefix + ev.ADVISORS + ".dlq", expect=1))
        assert [d["reason"] for d in dead] == ["not_json"]
        assert (
            read_json(await read_all(scheduling.kafka, scheduling.prefix + ev.CASES + ".dlq", timeout=3))
            == []
        )

    async def test_a_slot_taken_behind_the_services_back_is_refused_by_the_database_and_searched_again(
        self, scheduling: Scheduling
    ) -> None:
        await scheduling.facts(ev.room("kamer-3"), ev.availability("adv-1"), ev.availability("adv-2"))
        await scheduling.case("case-1", "adv-1")  # 09:00-10:00; the service now holds a cached index
        # Another writer books 10:15-11:15 without telling the service (no new clock token).
        async with scheduling.engine.begin() as conn:
            await conn.execute(
                tables.bookings.insert().values(**booking_row("other", "kamer-3", local(2025, 6, 2, 10, 15)))
            )
        await scheduling.case("case-2", "adv-2")

        _, second = await scheduling.payloads("MeetingScheduled")
        assert (
            scheduling.metric("caseflow_scheduling_booking_refusals_total") == 1
        )  # 10:15 was tried, refused
        assert second["start"] == utc_iso(local(2025, 6, 2, 11, 30))
        assert len(await scheduling.answers()) == 2

    async def test_the_calendar_files_are_neutral_and_parse(self, scheduling: Scheduling) -> None:
        await scheduling.facts(ev.room("kamer-vertrouwenspersoon"), ev.availability("adv-integrity-7"))
        await scheduling.case(
            "case-4711", "adv-integrity-7", categories=(Category.SEXUAL_HARASSMENT, Category.CORRUPTION)
        )
        (meeting,) = await scheduling.payloads("MeetingScheduled")
        transport = httpx.ASGITransport(app=scheduling.runtime.asgi_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://scheduling") as client:
            files = {
                who: await client.get(f"/v1/meetings/{meeting['meeting_id']}.ics", params={"for": who})
                for who in ("advisor", "client")
            }
            unknown = await client.get("/v1/meetings/00000000-0000-4000-8000-000000000000.ics?for=client")
            no_audience = await client.get(f"/v1/meetings/{meeting['meeting_id']}.ics")

        assert unknown.status_code == 404 and no_audience.status_code == 400
        forbidden = [
            *REVEALING_FRAGMENTS,
            "case-4711",
            "adv-integrity-7",
            "org-bzk",
            "bzk-dgob",
            "kamer-vertrouwenspersoon",
            *(c.value for c in Category),
            *(label for labels in CATEGORY_LABELS.values() for label in labels),
        ]
        for who, response in files.items():
            assert response.status_code == 200 and response.headers["content-type"].startswith(
                "text/calendar"
            )
            text = response.text
            event = Calendar.from_ical(text).walk("VEVENT")[0]
            assert str(event["SUMMARY"]) == "Afspraak"
            assert str(event["LOCATION"]) == "Turfmarkt 147"  # the room's revealing name is left out
            assert event.decoded("DTSTART") == datetime.fromisoformat(meeting["start"])
            assert str(event["UID"]) == meeting["meeting_id"]
            for word in forbidden:
                assert word.lower() not in text.lower(), (who, word)
            assert not reveals_purpose(text)
            assert "afspraak.ics" in response.headers["content-disposition"]

    async def test_the_database_refuses_overlapping_bookings_itself(self, scheduling: Scheduling) -> None:
        nine = local(2025, 6, 9, 9)
        async with scheduling.engine.begin() as conn:
            await conn.execute(tables.bookings.insert().values(**booking_row("adv-1", "kamer-3", nine)))

        refused = {
            "10 minutes after, same room": booking_row("adv-2", "kamer-3", nine + timedelta(minutes=70)),
            "10 minutes before, same room": booking_row("adv-2", "kamer-3", nine - timedelta(minutes=70)),
            "same advisor, other room": booking_row("adv-1", "kamer-4", nine + timedelta(minutes=30)),
            "same advisor, by phone": booking_row("adv-1", None, nine + timedelta(minutes=59)),
        }
        accepted = {
            "15 minutes after, same room": booking_row("adv-2", "kamer-3", nine + timedelta(minutes=75)),
            "cancelled, same time": {**booking_row("adv-3", "kamer-3", nine), "status": "cancelled"},
            "other room, other advisor": booking_row("adv-4", "kamer-4", nine),
        }
        for what, row in refused.items():
            with pytest.raises(Exception) as raised:
                async with scheduling.engine.begin() as conn:
                    await conn.execute(tables.bookings.insert().values(**row))
            assert tables.is_overlap_violation(raised.value), what
        for row in accepted.values():
            async with scheduling.engine.begin() as conn:
                await conn.execute(tables.bookings.insert().values(**row))


def booking_row(advisor_id: str, room_id: str | None, start: datetime, minutes: int = 60) -> dict[str, Any]:
    end = start + timedelta(minutes=minutes)
    half_buffer = timedelta(minutes=7, seconds=30)
    return {
        "booking_id": str(uuid.uuid4()),
        "meeting_id": str(uuid.uuid4()),
        "kind": "meeting",
        "case_id": None,
        "advisor_id": advisor_id,
        "room_id": room_id,
        "venue_id": None,
        "mode": "on_site_discreet_room",
        "starts_at": start,
        "ends_at": end,
        "guard_start": start - half_buffer,
        "guard_end": end + half_buffer,
        "status": "active",
        "reason_code": "TEST",
        "language": "nl",
        "calendar_sequence": 0,
        "cost_cents": 0,
        "request_id": "test",
        "created_at": datetime.now(UTC),
    }


class TestDaylightSaving:
    """Rules in Amsterdam time, events in UTC: the week of the spring change (Sunday 30 March 2025)."""

    @pytest.fixture
    def clock(self) -> Clock:
        return Clock(local(2025, 3, 28, 10))  # Friday, winter time (UTC+1)

    async def test_the_same_local_hour_is_a_different_utc_hour_after_the_change(
        self, scheduling: Scheduling, tmp_path: Path
    ) -> None:
        await scheduling.facts(
            ev.room("kamer-3"),
            ev.room("kamer-4"),
            ev.availability("adv-fri", [FRI], "14:00", "15:00"),
            ev.availability("adv-mon", [MON], "14:00", "15:00"),
        )
        await scheduling.case("case-before", "adv-fri")
        await scheduling.case("case-after", "adv-mon")

        before, after = await scheduling.payloads("MeetingScheduled")
        assert before["start"] == "2025-03-28T13:00:00Z"  # 14:00 CET
        assert after["start"] == "2025-03-31T12:00:00Z"  # 14:00 CEST
        assert datetime.fromisoformat(after["end"]) - datetime.fromisoformat(after["start"]) == timedelta(
            hours=1
        )

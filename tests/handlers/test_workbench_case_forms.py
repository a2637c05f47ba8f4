"""The case page's action forms and the meeting invitation, through the workbench's own routes.

The workbench is built by its composition root on SQLite and fed in process; its pages are called
over ASGI with a session stored as sign-in would store it (no provider). Intake's case file is a
stand-in that answers for the case id it is asked about. What is sent is read off the bus the
outbox relay publishes to.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from icalendar import Calendar
from starlette.applications import Starlette

from services.workbench.adapters.command_signer import CommandSigner
from services.workbench.adapters.intake_case_files import IntakeCaseFiles
from services.workbench.adapters.session_store import store_session
from services.workbench.app import create_runtime
from services.workbench.domain.sessions import Role, Session
from services.workbench.settings import WorkbenchSettings
from shared.auth import SignerKey, verify_command
from shared.codes import MeetingMode
from shared.contracts import advisor_actions
from shared.contracts.scheduling import MeetingScheduled
from shared.envelope import EventPayload
from tests.support.html_page import Page
from tests.support.in_process import Bus, InProcess
from tests.support.scheduling_events import ASSIGNMENTS, MEETINGS, assigned, envelope_bytes

pytestmark = pytest.mark.handlers

ZONE = ZoneInfo("Europe/Amsterdam")

ACTIONS = "advisor.actions.v1"
KEY = Ed25519PrivateKey.generate()
LABOUR = "labour.legal_position"
MEETING_OF = {"case-anna": "mtg-7f3a", "case-bram": "mtg-91c2"}  # ids that name no case


@dataclass(frozen=True)
class StandInFiles(IntakeCaseFiles):
    """Intake's answer for a case the projection already said is the advisor's (coded part only)."""

    async def read(self, advisor_id: str, case_id: str, now: datetime) -> dict[str, Any]:
        return {
            "case_id": case_id,
            "coded": {"opened_at": now.isoformat(), "categories": [LABOUR], "channel": "web"},
            "personal": {},
            "messages": [],
            "access_log": [],
            "assignment": {"accepted_at": now.isoformat()},
        }


@dataclass
class Bench:
    service: InProcess
    http: httpx.AsyncClient
    now: datetime

    async def as_advisor(self, advisor_id: str) -> str:
        """A stored session for `advisor_id` (as sign-in stores it); its CSRF token."""
        cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(16)
        assert self.service.context is not None
        async with self.service.context.engine.begin() as conn:
            await store_session(
                conn, cookie, Session(f"sub-{advisor_id}", Role.ADVISOR, advisor_id, csrf, self.now, self.now)
            )
        self.http.cookies.set("caseflow-session", cookie)
        return csrf

    async def feed(self, topic: str, *payloads: EventPayload) -> None:
        await self.service.feed(topic, [(k, v) for _id, k, v in (envelope_bytes(p) for p in payloads)])

    def sent(self) -> list[dict[str, Any]]:
        return [json.loads(v) for _k, v in self.service.bus.topics.get(ACTIONS, [])]


@pytest.fixture
async def bench(tmp_path: Path) -> AsyncIterator[Bench]:
    now = datetime.now(UTC).replace(microsecond=0)
    settings = WorkbenchSettings(
        kafka_bootstrap="127.0.0.1:9",
        database_url=f"sqlite+aiosqlite:///{tmp_path}/workbench.db",
        oidc_issuer="http://127.0.0.1:9/realms/none",
        public_url="http://workbench.test",
        cookie_secure=False,
    )
    files = StandInFiles("http://intake.test", CommandSigner("workbench", KEY))
    runtime = create_runtime(settings, clock=lambda: now, files=files)
    service = await InProcess(runtime, Bus()).start()
    context = service.context
    assert runtime._http_routes is not None
    app = Starlette(routes=runtime._http_routes(lambda: context))  # type: ignore[arg-type,return-value]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://workbench.test") as http:
        bench = Bench(service, http, now)
        await bench.feed(ASSIGNMENTS, assigned("case-anna", "adv-anna"), assigned("case-bram", "adv-bram"))
        yield bench
    await service.stop()


def meeting(
    case_id: str, advisor_id: str, start: datetime, sequence: int = 0, meeting_id: str | None = None
) -> MeetingScheduled:
    return MeetingScheduled(
        meeting_id=meeting_id or MEETING_OF[case_id],
        case_id=case_id,
        advisor_id=advisor_id,
        start=start,
        end=start + timedelta(hours=1),
        mode=MeetingMode.VIDEO,
        neutral_title="Afspraak",
        reason_code="slot_found",
        scheduled_at=start - timedelta(days=1),
        calendar_sequence=sequence,
    )


def verified(sent: dict[str, Any], cls: type[Any], now: datetime) -> Any:
    """The sent command, its token checked against the workbench signer's public key."""
    command = cls.model_validate(sent["payload"])
    signer = SignerKey("workbench", KEY.public_key(), now - timedelta(days=1), None)
    verify_command(command, lambda _advisor: [], now=now, signer_keys=lambda _sid: [signer])
    return command


GOOD_FORMS: list[tuple[str, dict[str, Any], str, str]] = [
    ("tijd", {"activity": "conversation", "hours": "1", "minutes": "15"}, "LogTime", "time_logged"),
    ("afspraak", {"mode": "video", "earliest": ""}, "RequestMeeting", "meeting_requested"),
    ("stilteruimte", {"location": "utrecht", "minutes": "45"}, "BookQuietRoom", "quiet_room_requested"),
    ("uitkomst", {"outcome": "referred.labour_law_desk"}, "RecordOutcome", "outcome_recorded"),
    ("sluiten", {"outcomes": ["advice_given", "referred.labour_law_desk"]}, "CloseCase", "closing"),
]


@pytest.mark.parametrize(("path", "form", "event_type", "done"), GOOD_FORMS)
async def test_a_good_form_sends_exactly_one_signed_command_and_goes_back_to_the_case(
    bench: Bench, path: str, form: dict[str, Any], event_type: str, done: str
) -> None:
    csrf = await bench.as_advisor("adv-anna")
    answer = await bench.http.post(f"/zaken/case-anna/{path}?lang=en", data={"csrf": csrf, **form})
    assert answer.status_code == 303, answer.text[:300]
    assert answer.headers["location"] == f"/zaken/case-anna?lang=en&klaar={done}"
    [sent] = bench.sent()
    assert sent["event_type"] == event_type
    command = verified(sent, getattr(advisor_actions, event_type), bench.now)
    assert command.advisor_id == "adv-anna"
    back = await bench.http.get(answer.headers["location"])
    assert back.status_code == 200 and 'role="status"' in back.text


async def test_the_logged_minutes_and_the_outcomes_are_what_the_form_said(bench: Bench) -> None:
    csrf = await bench.as_advisor("adv-anna")
    await bench.http.post(
        "/zaken/case-anna/tijd",
        data={"csrf": csrf, "activity": "administration", "hours": "2", "minutes": "5"},
    )
    await bench.http.post(
        "/zaken/case-anna/sluiten",
        data={"csrf": csrf, "outcomes": ["mediation", "no_follow_up", "mediation"]},
    )
    logged, closed = (s["payload"] for s in bench.sent())
    assert (logged["case_id"], logged["activity"], logged["minutes"]) == ("case-anna", "administration", 125)
    assert closed["outcomes"] == ["mediation", "no_follow_up"]


@pytest.mark.parametrize(("path", "form", "_type", "_done"), GOOD_FORMS)
async def test_a_form_without_the_csrf_token_is_refused_and_sends_nothing(
    bench: Bench, path: str, form: dict[str, Any], _type: str, _done: str
) -> None:
    csrf = await bench.as_advisor("adv-anna")
    for sent_csrf in ("", csrf[:-1] + ("x" if csrf[-1] != "x" else "y")):
        answer = await bench.http.post(f"/zaken/case-anna/{path}", data={"csrf": sent_csrf, **form})
        assert answer.status_code == 403
    assert bench.sent() == []


@pytest.mark.parametrize(("path", "form", "_type", "_done"), GOOD_FORMS)
async def test_only_the_current_assignee_acts_anyone_else_sees_an_unknown_case(
    bench: Bench, path: str, form: dict[str, Any], _type: str, _done: str
) -> None:
    csrf = await bench.as_advisor("adv-anna")
    for case_id in ("case-bram", "case-unknown"):
        answer = await bench.http.post(f"/zaken/{case_id}/{path}", data={"csrf": csrf, **form})
        assert answer.status_code == 404 and "not_assignee" in answer.text
    assert bench.sent() == []


@pytest.mark.parametrize(
    ("path", "form", "reason", "words"),
    [
        ("tijd", {"activity": "conversation", "minutes": "0"}, "minutes_out_of_range", "te kort of te lang"),
        (
            "tijd",
            {"activity": "conversation", "minutes": "1441"},
            "minutes_out_of_range",
            "ten hoogste 24 uur",
        ),
        ("tijd", {"activity": "conversation", "minutes": "-5"}, "minutes_not_a_number", "hele getallen"),
        ("tijd", {"activity": "gossip", "minutes": "5"}, "activity_unknown", "Kies waaraan"),
        ("afspraak", {"mode": "carrier_pigeon"}, "mode_unknown", "soort afspraak"),
        ("afspraak", {"earliest": "2001-01-01"}, "earliest_in_the_past", "verleden"),
        ("afspraak/annuleren", {"meeting_id": "mtg-91c2"}, "meeting_unknown", "niet (meer) gepland"),
        ("afspraak/verzetten", {"meeting_id": ""}, "meeting_unknown", "niet (meer) gepland"),
        (
            "stilteruimte",
            {"location": "Den Haag", "minutes": "30"},
            "location_unknown",
            "plaats uit de lijst",
        ),
        ("stilteruimte", {"location": "utrecht", "minutes": "481"}, "minutes_out_of_range", "te lang"),
        ("uitkomst", {"outcome": "solved_it"}, "outcome_unknown", "uitkomst uit de lijst"),
        ("uitkomst", {"outcome": ["mediation", "advice_given"]}, "outcome_choose_one", "Kies één"),
        ("sluiten", {}, "outcome_missing", "ten minste één"),
    ],
)
async def test_a_bad_form_is_refused_in_words_with_its_code_and_sends_nothing(
    bench: Bench, path: str, form: dict[str, Any], reason: str, words: str
) -> None:
    await bench.feed(MEETINGS, meeting("case-bram", "adv-bram", bench.now + timedelta(days=2)))
    csrf = await bench.as_advisor("adv-anna")
    answer = await bench.http.post(f"/zaken/case-anna/{path}", data={"csrf": csrf, **form})
    assert answer.status_code == 400
    assert f"<code>{reason}</code>" in answer.text and words in answer.text
    assert 'href="/zaken/case-anna?lang=nl"' in answer.text
    assert bench.sent() == []


async def test_the_current_meeting_can_be_moved_or_cancelled(bench: Bench) -> None:
    await bench.feed(MEETINGS, meeting("case-anna", "adv-anna", bench.now + timedelta(days=2)))
    csrf = await bench.as_advisor("adv-anna")
    for path, reschedule in (("verzetten", True), ("annuleren", False)):
        answer = await bench.http.post(
            f"/zaken/case-anna/afspraak/{path}", data={"csrf": csrf, "meeting_id": "mtg-7f3a"}
        )
        assert answer.status_code == 303
    moved, cancelled = bench.sent()
    for sent, reschedule in ((moved, True), (cancelled, False)):
        assert sent["event_type"] == "CancelMeeting"
        assert (sent["payload"]["meeting_id"], sent["payload"]["reschedule"]) == ("mtg-7f3a", reschedule)


async def test_the_case_page_shows_time_the_meeting_in_dutch_time_and_the_suggested_referral(
    bench: Bench,
) -> None:
    start = datetime(2027, 7, 1, 8, 30, tzinfo=UTC)  # summer: 10:30 in Amsterdam
    await bench.feed(MEETINGS, meeting("case-anna", "adv-anna", start))
    csrf = await bench.as_advisor("adv-anna")
    html = (await bench.http.get("/zaken/case-anna")).text
    page = Page(html)
    assert page.unbalanced == []
    assert "01-07-2027 10:30" in html and "Video" in html
    assert 'href="/zaken/case-anna/afspraken/mtg-7f3a.ics?lang=nl"' in html
    assert 'value="referred.labour_law_desk" checked' in html and "(voorgesteld)" in html
    assert csrf in html and "Nog geen tijd doorgegeven." in html
    english = (await bench.http.get("/zaken/case-anna?lang=en")).text
    assert "Referred to the labour-law desk" in english and "(suggested)" in english


async def test_the_invitation_is_for_the_assignee_and_a_meeting_of_that_case_only(bench: Bench) -> None:
    start = bench.now + timedelta(days=3)
    await bench.feed(
        MEETINGS,
        meeting("case-anna", "adv-anna", start, sequence=2),
        meeting("case-bram", "adv-bram", start),
    )
    await bench.as_advisor("adv-anna")
    answer = await bench.http.get("/zaken/case-anna/afspraken/mtg-7f3a.ics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/calendar")
    assert answer.headers["content-disposition"].startswith("attachment")
    [event] = Calendar.from_ical(answer.content).walk("VEVENT")
    assert (str(event["uid"]), int(event["sequence"])) == ("mtg-7f3a", 2)
    assert event.decoded("dtstart") == start
    assert "case-anna" not in answer.text and LABOUR not in answer.text
    for path in (
        "/zaken/case-anna/afspraken/mtg-91c2.ics",  # a meeting of another case
        "/zaken/case-bram/afspraken/mtg-91c2.ics",  # another advisor's case
        "/zaken/case-anna/afspraken/mtg-unknown.ics",
    ):
        refused = await bench.http.get(path)
        assert refused.status_code == 404 and "not_assignee" in refused.text
    await bench.as_advisor("adv-bram")
    assert (await bench.http.get("/zaken/case-anna/afspraken/mtg-7f3a.ics")).status_code == 404
    assert (await bench.http.get("/zaken/case-bram/afspraken/mtg-91c2.ics")).status_code == 200


async def test_the_case_list_shows_each_cases_next_meeting_in_dutch_time(bench: Bench) -> None:
    await bench.feed(ASSIGNMENTS, assigned("case-anna-2", "adv-anna"), assigned("case-anna-3", "adv-anna"))
    soon = datetime(2027, 1, 15, 13, 0, tzinfo=UTC)  # winter: 14:00 in Amsterdam
    over = bench.now - timedelta(hours=3)  # ended two hours ago
    await bench.feed(
        MEETINGS,
        meeting("case-anna", "adv-anna", soon + timedelta(days=7), meeting_id="mtg-c0de"),
        meeting("case-anna", "adv-anna", soon),
        meeting("case-anna-2", "adv-anna", over, meeting_id="mtg-2a2a"),
        meeting("case-bram", "adv-bram", soon - timedelta(days=1)),
    )
    await bench.as_advisor("adv-anna")
    page = Page((await bench.http.get("/zaken")).text)
    assert page.unbalanced == []
    rows = {row.find_all("th")[0].text().strip(): row.text() for row in page.root.find_all("tr")[1:]}
    assert set(rows) == {"case-anna", "case-anna-2", "case-anna-3"}
    assert "15-01-2027 14:00" in rows["case-anna"] and "22-01-2027" not in rows["case-anna"]
    assert "geen" in rows["case-anna-2"] and "geen" in rows["case-anna-3"]
    assert "Volgende afspraak" in page.root.text()


async def test_the_earliest_day_is_sent_as_the_start_of_that_day_in_dutch_time(bench: Bench) -> None:
    csrf = await bench.as_advisor("adv-anna")
    today = bench.now.astimezone(ZONE).date()
    for day in (today, today + timedelta(days=9)):
        answer = await bench.http.post(
            "/zaken/case-anna/afspraak", data={"csrf": csrf, "earliest": day.isoformat()}
        )
        assert answer.status_code == 303
    yesterday = await bench.http.post(
        "/zaken/case-anna/afspraak", data={"csrf": csrf, "earliest": (today - timedelta(days=1)).isoformat()}
    )
    assert yesterday.status_code == 400 and "earliest_in_the_past" in yesterday.text
    sent = [datetime.fromisoformat(s["payload"]["earliest"]) for s in bench.sent()]
    expected = [datetime.combine(d, time(0, 0), tzinfo=ZONE) for d in (today, today + timedelta(days=9))]
    assert sent == expected and [s["payload"]["mode"] for s in bench.sent()] == [None, None]

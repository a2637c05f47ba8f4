"""The workbench on the whole system, as its users meet it: Kafka, the four services and the
workbench as processes (`caseflow up --workbench`), Keycloak's real login page in headless
Chromium, a real SMTP server for the notices.

An employee's sealed submission comes in over HTTP and routing gives it to Anna (her preferred
advisor). Anna signs in and sees only her own case, opens it (the narrative is there), accepts it,
answers the client, logs time, asks for a meeting and downloads its neutral .ics, and declares a
conflict of interest: the case is gone from her list at once and its URL answers like an unknown
case. Routing gives it to another advisor, who sees it and gets exactly one e-mail about it. A
coordinator assigns an escalated case to an advisor outside its scope, who then sees it. A
management user sees only the protected aggregates, never a case.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from icalendar import Calendar

from caseflow import stack
from caseflow.commands.directory_cmd import publish
from devinfra.browser import BrowserInfraError, WebDriver
from shared.contracts.directory import CoordinatorAppointed
from shared.envelope import new_envelope
from tests.integration.test_workbench_working_a_case import free_on_a_working_day
from tests.support import samples
from tests.support.axe import axe_violations
from tests.support.keycloak import Browser, Provider, realm_users
from tests.support.smtp import Inbox, smtp_server
from tools.demo.demo import _seed

pytestmark = pytest.mark.e2e

T = TypeVar("T")
ADVISORS = ("anna", "bram", "carla", "dirk")


def eventually(probe: Callable[[], T | None], what: str, timeout: float = 60.0) -> T:
    """Poll `probe` until it returns something, or fail saying what did not happen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError(f"{what}: not within {timeout:.0f} s")


@dataclass
class Stack:
    state: stack.StackState
    home: Path
    inbox: Inbox

    def url(self, service: str) -> str:
        url = self.state.url(service)
        assert url is not None
        return url

    def workbench_rows(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.home / "workbench.db") as db:
            return db.execute(sql, args).fetchall()

    def mails_to(self, user: str) -> int:
        address = realm_users()[user].email
        return sum(address in recipients for recipients in self.inbox.recipients)

    def submit(self, **overrides: Any) -> str:
        """A submission over HTTP (TLS in production), as a web frontend sends it; the case id."""
        doc = samples.submission(uuid.uuid4().hex[:10], meeting=free_on_a_working_day(), **overrides)
        answer = httpx.post(self.url("intake") + "/v1/submissions", json=doc, timeout=30)
        assert answer.status_code == 201, answer.text
        return str(answer.json()["case_ref"])


def the_sample_organisation(bootstrap: str, prefix: str, intake_url: str) -> None:
    """The demo's organisation (units, people, advisors with their weekly hours, rooms), its
    coordinator also coordinating the finance ministry, where the test makes a case nobody in scope
    may take."""
    asyncio.run(_seed(bootstrap, prefix, intake_url))
    appointed = CoordinatorAppointed(coordinator_id="coord-bzk", organisation_ids=("min-bzk", "min-fin"))
    now = datetime.now(UTC)
    envelope = new_envelope(
        appointed, stream_id="coordinator:coord-bzk", producer="test", occurred_at=now, causation_id=None
    )
    asyncio.run(publish([envelope], bootstrap, prefix))


@pytest.fixture(scope="module")
def running(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("case-flow")
    home = tmp / "stack"
    prefix = f"t-wbflow-{uuid.uuid4().hex[:8]}."
    with smtp_server() as (inbox, port):
        extra = {
            "WORKBENCH_SMTP_HOST": "127.0.0.1",
            "WORKBENCH_SMTP_PORT": str(port),
            "WORKBENCH_NOTIFY_EVERY_SECONDS": "0.5",
        }
        state = stack.up(
            home,
            kafka_bootstrap=kafka_bootstrap,
            topic_prefix=prefix,
            say=lambda _line: None,
            workbench=True,
            extra_env=extra,
        )
        try:
            running = Stack(state, home, inbox)
            the_sample_organisation(kafka_bootstrap, prefix, running.url("intake"))
            for user in ADVISORS:  # each has signed in once, so the workbench knows where to write
                sign_in_over_http(running, user)
            yield running
        finally:
            stack.down(home, say=lambda _line: None)


def sign_in_over_http(running: Stack, user: str) -> None:
    with Browser(Provider(running.state.keycloak_issuer)) as agent:
        start = agent.http.get(f"{running.url('workbench')}/inloggen")
        person = realm_users()[user]
        result = agent.login(start.headers["location"], person.username, person.password)
        assert result.location is not None
        assert agent.http.get(result.location).status_code == 303


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    driver = WebDriver()
    driver._call("POST", driver._s("/window/rect"), {"width": 1200, "height": 900})
    yield driver
    driver.quit()


def sign_in(browser: WebDriver, running: Stack, user: str) -> str:
    browser.get(running.url("workbench") + "/inloggen")
    person = realm_users()[user]
    browser.type("#username", person.username)
    browser.type("#password", person.password)
    return browser.submit("#kc-login")


def sign_out(browser: WebDriver) -> None:
    # Here and at the provider, which ends its session at once and sends the browser back.
    assert browser.submit(".signout button") == "Inloggen – Werkplek vertrouwenspersonen"


def page_shows(browser: WebDriver, url: str, text: str) -> Callable[[], bool]:
    def probe() -> bool:
        try:
            browser.get(url)
            return text in browser.source()
        except BrowserInfraError:
            return False

    return probe


def assignee_of(running: Stack, case_id: str) -> str | None:
    rows = running.workbench_rows("SELECT advisor_id FROM current_assignees WHERE case_id = ?", case_id)
    return rows[0][0] if rows and rows[0][0] else None


def user_of(advisor_id: str) -> str:
    return next(name for name, user in realm_users().items() if user.advisor_id == advisor_id)


def session_cookies(browser: WebDriver) -> dict[str, str]:
    cookies = browser._call("GET", browser._s("/cookie"))
    return {c["name"]: c["value"] for c in cookies}


def test_an_advisor_works_a_case_then_passes_it_on_for_a_conflict(
    running: Stack, browser: WebDriver, tmp_path: Path
) -> None:
    mine = running.submit(preferred_advisor_id="adv-anna", excluded_advisor_ids=["adv-eva"])
    # Bram (VPO: unwanted behaviour) works in ICT: his case is a bullying case from HR.
    other = running.submit(
        preferred_advisor_id="adv-bram",
        excluded_advisor_ids=["adv-eva"],
        unit_id="bzk-dgob-hr",
        categories=["unwanted_behaviour.bullying"],
    )
    eventually(lambda: assignee_of(running, mine) == "adv-anna", "anna holds her case")
    eventually(lambda: assignee_of(running, other) == "adv-bram", "bram holds his case")
    workbench = running.url("workbench")

    assert sign_in(browser, running, "anna") == "Mijn meldingen – Werkplek vertrouwenspersonen"
    assert mine in browser.source() and other not in browser.source()
    browser.get(f"{workbench}/zaken/{mine}")
    assert "MARK-NARR-" in browser.source(), "the narrative, fetched from intake for the assignee"
    assert axe_violations(browser) == []
    browser.submit("form[action*='/aannemen'] button")
    eventually(page_shows(browser, f"{workbench}/zaken/{mine}", 'id="reply"'), "the case is accepted")
    browser.type("#reply", "Zullen we dinsdag bellen?")
    browser.submit("form[action*='/bericht'] button")
    assert "Zullen we dinsdag bellen?" in browser.source()
    browser.screenshot(tmp_path / "case-answered.png")

    browser.type("#time-minutes", "45")  # the first activity (a conversation) is chosen
    browser.submit("form[action*='/tijd'] button")
    eventually(lambda: minutes_logged(running, mine) == 45, "intake takes the time, the page shows it")
    # Scheduling planned the talk the client asked for; she calls it off and asks for a phone call.
    eventually(page_shows(browser, f"{workbench}/zaken/{mine}", ".ics"), "the client's meeting is planned")
    browser.submit("form[action*='/afspraak/annuleren'] button")
    eventually(page_shows(browser, f"{workbench}/zaken/{mine}", 'for="mode-phone"'), "the meeting is off")
    browser.click("label[for=mode-phone]")
    browser.submit("form[action*='/afspraak?'] button")
    eventually(page_shows(browser, f"{workbench}/zaken/{mine}", ".ics"), "scheduling plans the phone call")
    calendar = download_ics(browser, workbench)
    assert calendar.walk("VEVENT"), "one meeting in the invitation"
    assert mine not in calendar.to_ical().decode() and "MARK-" not in calendar.to_ical().decode()
    assert axe_violations(browser) == []
    browser.screenshot(tmp_path / "case-with-meeting.png")

    before = {user: running.mails_to(user) for user in ADVISORS}
    browser.get(f"{workbench}/zaken/{mine}")
    browser.click("label[for=conflict-confirm]")
    title = browser.submit("form[action*='/belangenconflict'] button")
    assert title == "Mijn meldingen – Werkplek vertrouwenspersonen"
    assert mine not in browser.source(), "gone from her list at once"
    browser.get(f"{workbench}/zaken/{mine}")
    gone = browser.source()
    browser.get(f"{workbench}/zaken/case-that-never-was")
    assert _problem_text(gone) == _problem_text(browser.source()), "answers like an unknown case"
    sign_out(browser)

    new_advisor = eventually(
        lambda: (a := assignee_of(running, mine)) and a != "adv-anna" and a, "routing reassigns it"
    )
    successor = user_of(new_advisor)
    eventually(lambda: running.mails_to(successor) > before[successor], f"{successor} is told")
    assert sign_in(browser, running, successor) == "Mijn meldingen – Werkplek vertrouwenspersonen"
    assert mine in browser.source()
    notices = running.workbench_rows(
        "SELECT count(*) FROM notifications WHERE advisor_id = ? AND outcome = 'sent'", new_advisor
    )
    assert notices == [(running.mails_to(successor),)], "every notice is one e-mail, none twice"
    assert running.mails_to(successor) == before[successor] + 1, "one e-mail for the case passed on"
    assert running.mails_to("anna") == before["anna"]


def minutes_logged(running: Stack, case_id: str) -> int:
    rows = running.workbench_rows(
        "SELECT coalesce(sum(minutes), 0) FROM time_logged WHERE case_id = ?", case_id
    )
    return int(rows[0][0])


def download_ics(browser: WebDriver, workbench: str) -> Calendar:
    """The case page's invitation link, fetched with the browser's own session (as its download)."""
    import re

    (href,) = set(re.findall(r'href="([^"]+\.ics[^"]*)"', browser.source()))
    answer = httpx.get(workbench + href.replace("&amp;", "&"), cookies=session_cookies(browser), timeout=10)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/calendar")
    assert answer.headers["content-disposition"].startswith("attachment")
    return Calendar.from_ical(answer.content)


def test_a_coordinator_assigns_an_escalated_case_and_the_chosen_advisor_sees_it(
    running: Stack, browser: WebDriver, tmp_path: Path
) -> None:
    # Finance has no advisor of its own; the externals are excluded or not of the kind (VPI for
    # bullying): routing escalates. The coordinator (also of finance here) chooses Anna.
    waiting = running.submit(
        organisation_id="min-fin",
        unit_id="fin-tax",
        categories=["unwanted_behaviour.bullying"],
        persons_involved=[],
        excluded_advisor_ids=["adv-carla", "adv-dirk"],
    )
    workbench = running.url("workbench")
    assert sign_in(browser, running, "coordinator").startswith("Wachtende meldingen"), browser.title()
    eventually(page_shows(browser, f"{workbench}/wachtrij", waiting), "the escalated case waits in the queue")
    assert "MARK-" not in browser.source(), "coded fields only, never content"
    assert axe_violations(browser) == []
    form = f"form[action*='/wachtrij/{waiting}/toewijzen']"
    browser.click(f"{form} option[value=adv-anna]")
    browser.submit(f"{form} button")
    browser.screenshot(tmp_path / "queue-chosen.png")
    eventually(
        lambda: assignee_of(running, waiting) == "adv-anna", "routing assigns the coordinator's choice"
    )
    eventually(
        lambda: not page_shows(browser, f"{workbench}/wachtrij", waiting)(), "the case leaves the queue"
    )
    browser.get(f"{workbench}/zaken/{waiting}")
    assert "MARK-NARR-" not in browser.source(), "a coordinator never opens a case file"
    record_a_reflection_talk(running, browser)
    sign_out(browser)
    assert sign_in(browser, running, "anna") == "Mijn meldingen – Werkplek vertrouwenspersonen"
    assert waiting in browser.source()


def record_a_reflection_talk(running: Stack, browser: WebDriver) -> None:
    """/adviseurs with reporting's real coordinator view (figures against the baseline, asked with
    the coordinator's token), then the yearly talk with Anna through routing and back. The form is
    posted with the browser's own session: a date field's typed format depends on the browser's locale."""
    workbench = running.url("workbench")
    browser.get(f"{workbench}/adviseurs")
    page = browser.source()
    assert "<code>adv-anna</code>" in page and "adv-carla" not in page
    assert 'class="problem"' not in page, _problem_text(page)
    assert " van " in page, "reporting's figures against the baseline"
    assert axe_violations(browser) == []
    csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    held_on = datetime.now(UTC).date().replace(day=1)
    form = {"csrf": csrf, "advisor": "adv-anna", "held_on": held_on.isoformat()}
    sent = httpx.post(
        f"{workbench}/adviseurs/reflectiegesprek", data=form, cookies=session_cookies(browser), timeout=10
    )
    assert sent.status_code == 303, sent.text[:300]
    shown = f'<time datetime="{held_on.isoformat()}">'
    eventually(page_shows(browser, f"{workbench}/adviseurs", shown), "routing registers the talk")


def _problem_text(html: str) -> str:
    start = html.index('<div class="problem"')
    return html[start : html.index("</div>", start)]


def test_management_sees_only_the_protected_aggregates(running: Stack, browser: WebDriver) -> None:
    case_id = running.submit(excluded_advisor_ids=["adv-eva"])
    eventually(lambda: assignee_of(running, case_id), "the case is assigned")
    title = sign_in(browser, running, "management")
    assert title.startswith("Statistieken"), title
    page = browser.source()
    assert case_id not in page and "MARK-" not in page
    assert axe_violations(browser) == []
    browser.get(running.url("workbench") + f"/zaken/{case_id}")
    assert browser.source().count(case_id) == 0, "no case page for management"

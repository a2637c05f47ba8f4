"""The follow-up page (/vervolg) walked in a real headless Chromium, as an anonymous employee would.

Intake runs in process on 127.0.0.1 (tests/support/follow_up.py), the test playing routing and the
advisor. With the receipt code of a case the client opens the page, reads the advisor's answer,
replies, sees the advisor's next message and the meeting scheduling proposed (a MeetingScheduled the
test publishes) after "check for new messages", rates the help and finally
erases the case after confirming. The same walk in English and at a 390 px wide phone; axe-core
finds no WCAG 2.1 A/AA violation on any of its pages (none at all, not only no serious or critical
one); the walk works with the keyboard alone. Screenshots go to $FOLLOW_UP_SHOTS (default /tmp/shots-followup/).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from devinfra.browser import WebDriver
from shared.codes import MeetingMode
from tests.support.axe import axe_violations, run
from tests.support.follow_up import FollowUpServer
from tests.support.keyboard import ENTER, RIGHT, SPACE, keys, press_for_next_page, tab_to

pytestmark = pytest.mark.e2e

SHOTS = Path(os.environ.get("FOLLOW_UP_SHOTS", "/tmp/shots-followup"))
WORDS = {
    "nl": {
        "entry": "Berichten lezen en sturen",
        "thread": "Uw berichten",
        "sent": "Uw bericht is verstuurd.",
        "thanks": "Dank u wel voor uw oordeel.",
        "confirm": "Weet u het zeker?",
        "erased": "Uw gegevens zijn gewist",
        "wrong": "Deze code kennen wij niet.",
        "accepted": "Een vertrouwenspersoon heeft uw melding in behandeling.",
        "advisor": "Vertrouwenspersoon",
        "phone_call": "De vertrouwenspersoon stelt voor: een telefoongesprek.",
        "when": "Dinsdag {day} {month} om 16.30 uur",
        "months": [
            "januari",
            "februari",
            "maart",
            "april",
            "mei",
            "juni",
            "juli",
            "augustus",
            "september",
            "oktober",
            "november",
            "december",
        ],
    },
    "en": {
        "entry": "Read and send messages",
        "thread": "Your messages",
        "sent": "Your message has been sent.",
        "thanks": "Thank you for your rating.",
        "confirm": "Are you sure?",
        "erased": "Your data has been erased",
        "wrong": "We do not know this code.",
        "accepted": "A confidential advisor is handling your case.",
        "advisor": "Confidential advisor",
        "phone_call": "The confidential advisor proposes a phone call.",
        "when": "Tuesday {day} {month} at 16:30",
        "months": [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
    },
}


def next_tuesday_half_past_four() -> datetime:
    """Next week's Tuesday at 16.30 in Amsterdam, in UTC (what scheduling puts on the topic)."""
    today = datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    tuesday = today + timedelta(days=(1 - today.weekday()) % 7 or 7)
    local = datetime(tuesday.year, tuesday.month, tuesday.day, 16, 30, tzinfo=ZoneInfo("Europe/Amsterdam"))
    return local.astimezone(UTC)


@pytest.fixture(scope="module")
def intake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FollowUpServer]:
    server = FollowUpServer(tmp_path_factory.mktemp("follow-up"))
    yield server
    server.stop()


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    driver = WebDriver()
    yield driver
    driver.quit()


def at_width(browser: WebDriver, width: int, height: int = 900) -> None:
    """The viewport `width` CSS px wide (a phone below 600: Chromium's window is never under 500)."""
    metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600}
    browser._call(
        "POST",
        browser._s("/goog/cdp/execute"),
        {"cmd": "Emulation.setDeviceMetricsOverride", "params": metrics},
    )


def checked(browser: WebDriver, shot: str) -> None:
    """No axe violation, no sideways scrolling; a full-page screenshot."""
    assert axe_violations(browser) == []  # none at all, not only no serious or critical one
    width = run(browser, "return window.innerWidth")
    overflow = run(browser, "return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"{shot}: the page scrolls sideways by {overflow}px"
    SHOTS.mkdir(parents=True, exist_ok=True)
    at_width(browser, width, 600)
    at_width(browser, width, max(600, run(browser, "return document.documentElement.scrollHeight")))
    browser.screenshot(SHOTS / f"{shot}.png")
    at_width(browser, width)


@pytest.mark.parametrize(("lang", "width"), [("nl", 1200), ("en", 1200), ("nl", 390), ("en", 390)])
def test_the_client_reads_replies_rates_and_erases(
    intake: FollowUpServer, browser: WebDriver, lang: str, width: int
) -> None:
    w, name = WORDS[lang], f"{lang}-{width}"
    case_id, code = intake.open_case()
    intake.advisor_replies(case_id, "Dank voor uw bericht. Zullen we volgende week bellen?")
    at_width(browser, width)
    browser.get(f"{intake.url}/vervolg?lang={lang}")
    assert run(browser, "return window.innerWidth") == width
    assert browser.title() == w["entry"]
    assert "set-cookie" not in browser.source().lower()
    checked(browser, f"{name}-1-entry")

    browser.type("#code", "AAAA-BBBB-CCCC-DDDD")
    assert browser.submit("#open") == w["entry"]
    assert browser.text("#problem").startswith(w["wrong"])
    checked(browser, f"{name}-2-wrong-code")

    browser.type("#code", code.lower())
    assert browser.submit("#open") == w["thread"]
    assert code not in browser._call("GET", browser._s("/url"))  # never in the address
    assert browser.text("#status") == w["accepted"]
    assert "Zullen we volgende week bellen?" in browser.text("#thread")
    assert w["advisor"] in browser.text("#thread")
    checked(browser, f"{name}-3-advisor-answered")

    browser.type("#reply", "Ja, graag. Dinsdag na 16 uur kan ik.")
    assert browser.submit("#send") == w["thread"]
    assert browser.text("#notice") == w["sent"]
    assert "Dinsdag na 16 uur kan ik." in browser.text("#thread")

    intake.advisor_replies(case_id, "Prima, ik bel u dinsdag om 16.30 uur.")
    assert browser.find_all("#meeting") == []  # nothing planned yet
    start = next_tuesday_half_past_four()
    intake.meeting_scheduled(case_id, start, MeetingMode.PHONE)  # scheduling's MeetingScheduled
    assert browser.submit("#refresh") == w["thread"]
    assert "ik bel u dinsdag om 16.30 uur" in browser.text("#thread")
    local = start.astimezone(ZoneInfo("Europe/Amsterdam"))
    assert browser.text("#meeting-proposal") == w["phone_call"]
    assert browser.text("#meeting-when") == w["when"].format(
        day=local.day, month=w["months"][local.month - 1]
    )
    checked(browser, f"{name}-4-meeting-proposed")

    browser.click("label[for=rating-4]")  # the label chooses the radio button: they are wired up
    assert browser.submit("#rate") == w["thread"]
    assert browser.text("#notice") == w["thanks"]
    assert browser.find_all("input[name=rating]") == []
    checked(browser, f"{name}-5-replied-and-rated")

    assert browser.submit("#erase") == w["confirm"]
    checked(browser, f"{name}-6-confirm")
    assert browser.submit("#keep") == w["thread"]  # "no": nothing erased
    assert browser.submit("#erase") == w["confirm"]
    assert browser.submit("#confirm-erase") == w["erased"]
    checked(browser, f"{name}-7-erased")

    browser.get(f"{intake.url}/vervolg?lang={lang}")
    browser.type("#code", code)
    assert browser.submit("#open") == w["entry"]
    assert browser.text("#problem").startswith(w["wrong"])  # the code no longer opens anything


def fill_in_the_form(browser: WebDriver) -> None:
    """The web form's ministry and unit lists, a subject and a story (its own test,
    test_web_intake_page.py, walks it in full: advisor cards, refusals, the keyboard)."""
    browser.click("#org option[value='min-bzk']")
    browser.click("#unit option[value='bzk-dgob-ict']")
    browser.click("#anonymous")
    browser.click("label[for=cat-13]")
    browser.type("#narrative", "Mijn leidinggevende schreeuwt.")


def test_from_the_receipt_page_to_the_advisors_answer(intake: FollowUpServer, browser: WebDriver) -> None:
    at_width(browser, 390)
    browser.get(f"{intake.url}/formulier")
    fill_in_the_form(browser)
    assert browser.submit("#send") == "Uw melding is ontvangen"
    code = browser.text("#receipt-code")
    checked(browser, "nl-390-0-receipt")
    opened = [json.loads(v) for _k, v in intake.service.bus.topics["intake.cases.v1"]]
    case_id = [e for e in opened if e["event_type"] == "CaseOpened"][-1]["payload"]["case_id"]
    intake.advisor_replies(case_id, "Dank u. Wilt u vertellen wat er gebeurde?")
    assert browser.submit("#follow-up-link") == "Berichten lezen en sturen"  # the receipt page's link
    browser.type("#code", code)
    assert browser.submit("#open") == "Uw berichten"
    assert "Wilt u vertellen wat er gebeurde?" in browser.text("#thread")


def test_the_walk_works_with_the_keyboard_alone(intake: FollowUpServer, browser: WebDriver) -> None:
    case_id, code = intake.open_case()
    intake.advisor_replies(case_id, "Wat fijn dat u schrijft.")
    at_width(browser, 1200)
    browser.get(f"{intake.url}/vervolg")
    tab_to(browser, "input#code")
    keys(browser, code)
    assert press_for_next_page(browser, ENTER) == "Uw berichten"  # Enter in the field sends the form
    assert "Wat fijn dat u schrijft." in browser.text("#thread")

    tab_to(browser, "textarea#reply")
    keys(browser, "Dank u.")
    tab_to(browser, "button#send")
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.screenshot(SHOTS / "nl-keyboard-focus-on-send.png")  # the focus ring is visible
    assert press_for_next_page(browser, ENTER) == "Uw berichten"
    assert browser.text("#notice") == "Uw bericht is verstuurd."

    tab_to(browser, "input#rating-1")
    keys(browser, SPACE + RIGHT + RIGHT + RIGHT + RIGHT)  # choose 1, then the arrows move to 5
    tab_to(browser, "button#rate")
    assert press_for_next_page(browser, ENTER) == "Uw berichten"
    assert browser.text("#notice") == "Dank u wel voor uw oordeel."
    given = [
        json.loads(v) for _k, v in intake.service.bus.topics["intake.cases.v1"] if b"ClientFeedbackGiven" in v
    ]
    assert given[-1]["payload"]["case_id"] == case_id and given[-1]["payload"]["rating"] == 5

    tab_to(browser, "button#erase")
    assert press_for_next_page(browser, SPACE) == "Weet u het zeker?"
    tab_to(browser, "button#confirm-erase")
    assert press_for_next_page(browser, ENTER) == "Uw gegevens zijn gewist"

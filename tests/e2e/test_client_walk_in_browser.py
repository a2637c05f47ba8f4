"""The client's whole walk in one headless Chromium session, as an employee would take it: the web
form (ministry and unit from the lists, an advisor chosen by her profile card), the receipt page and
its link to the follow-up page, the advisor's answer read with the receipt code, a reply, the
feedback and finally erasure after confirming. In Dutch and English, and at a 390 px wide phone.

Intake runs in process on 127.0.0.1 with the sample directory (tests/support/follow_up.py); the test
plays routing (it assigns the case to the advisor the client chose) and the advisor. The parts are
tested in depth on their own (test_web_intake_page.py, test_follow_up_in_browser.py); this test is
the promise that they join up.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from devinfra.browser import WebDriver
from shared.crypto import KeyErased, Sealed
from tests.e2e.test_follow_up_in_browser import WORDS, at_width, checked
from tests.support.follow_up import ADVISOR, FollowUpServer

pytestmark = pytest.mark.e2e

RECEIVED = {"nl": "Uw melding is ontvangen", "en": "Your message has been received"}
ANNA = "Anna de Vries"  # ADVISOR's public profile in the sample directory


@pytest.fixture(scope="module")
def intake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FollowUpServer]:
    server = FollowUpServer(tmp_path_factory.mktemp("client-walk"))
    yield server
    server.stop()


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    driver = WebDriver()
    yield driver
    driver.quit()


def click_card(browser: WebDriver, name: str) -> None:
    """Choose an advisor by the profile card that shows `name` (cards are labels of radio buttons)."""
    cards = browser.find_all(".card label")
    texts = {card: str(browser._call("GET", browser._s(f"/element/{card}/text"))) for card in cards}
    [card] = [card for card, text in texts.items() if name in text]
    browser._call("POST", browser._s(f"/element/{card}/click"))


def opened_case(intake: FollowUpServer, marker: str) -> str:
    """The case id of the one CaseOpened whose sealed story is the marker's (found by decrypting)."""
    cipher = intake.service.context.cipher  # type: ignore[union-attr]
    for _key, value in intake.service.bus.topics["intake.cases.v1"]:
        event = json.loads(value)
        if event["event_type"] != "CaseOpened":
            continue
        p = event["payload"]
        try:
            personal = intake.run(cipher.open(p["case_id"], "personal", Sealed.model_validate(p["personal"])))
        except KeyErased:  # an earlier walk's case, erased at its end
            continue
        if marker in json.dumps(personal):
            facts = intake.run(
                cipher.open(p["case_id"], "routing_facts", Sealed.model_validate(p["routing_facts"]))
            )
            assert facts["preferred_advisor_id"] == ADVISOR, "the advisor chosen by her card"
            assert marker not in value.decode() and ADVISOR not in value.decode()  # both sealed
            return str(p["case_id"])
    raise AssertionError("no case was opened for the form")


@pytest.mark.parametrize(("lang", "width"), [("nl", 1200), ("en", 1200), ("nl", 390)])
def test_an_employee_walks_from_the_form_to_erasure(
    intake: FollowUpServer, browser: WebDriver, lang: str, width: int, tmp_path: Path
) -> None:
    w, name, marker = WORDS[lang], f"walk-{lang}-{width}", f"MARK-WALK-{uuid.uuid4().hex[:8]}"
    at_width(browser, width)
    browser.get(f"{intake.url}/formulier?lang={lang}")
    browser.click("#org option[value='min-bzk']")
    browser.click("#unit option[value='bzk-dgob-ict']")
    browser.click("#anonymous")
    browser.click("label[for=cat-2]")  # bullying, under "unwanted behaviour"
    browser.type("#narrative", f"Een collega pest mij. {marker}")
    click_card(browser, ANNA)
    checked(browser, f"{name}-1-form")
    assert browser.submit("#send") == RECEIVED[lang]
    code = browser.text("#receipt-code")
    checked(browser, f"{name}-2-receipt")

    case_id = opened_case(intake, marker)
    intake.advisor_replies(case_id, "Dank voor uw bericht. Zullen we bellen?")  # assigned to Anna, accepted
    assert browser.submit("#follow-up-link") == w["entry"]
    browser.type("#code", code)
    assert browser.submit("#open") == w["thread"]
    assert "Zullen we bellen?" in browser.text("#thread")
    browser.type("#reply", "Ja, graag.")
    assert browser.submit("#send") == w["thread"]
    assert "Ja, graag." in browser.text("#thread")
    browser.click("label[for=rating-5]")
    assert browser.submit("#rate") == w["thread"] and browser.text("#notice") == w["thanks"]
    checked(browser, f"{name}-3-answered-and-rated")
    assert browser.submit("#erase") == w["confirm"]
    assert browser.submit("#confirm-erase") == w["erased"]
    checked(browser, f"{name}-4-erased")

    browser.get(f"{intake.url}/vervolg?lang={lang}")
    browser.type("#code", code)
    assert browser.submit("#open") == w["entry"]
    assert browser.text("#problem").startswith(w["wrong"])  # the code opens nothing any more

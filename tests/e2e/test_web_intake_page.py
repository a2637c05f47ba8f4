"""The reference web intake page, walked through in a real headless Chromium as an employee would.

Intake runs as a process and gets the sample directory's narrow copies (units, advisors with the
profiles they agreed to show). The browser picks a ministry and a unit from the lists, an advisor by
profile, sends the form and reads the receipt code; the same in English and on a 390 px wide
screen; with the keyboard alone; and axe-core finds no serious or critical violation on the form,
on a refusal and on the receipt page. The case it opened is then on the topic, its story and the
chosen advisor sealed. Screenshots go to $FORM_SHOTS (default: the test's tmp_path).
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devinfra.browser import BrowserInfraError, WebDriver
from tests.support.axe import axe_violations, run
from tests.support.directory import DIRECTORY_TOPICS, produce_directory, wait_for_units_over_http
from tests.support.kafka_io import create_topics, read_all, read_json
from tests.support.processes import ServiceProcess
from tests.support.services import TEST_MASTER_KEY, wait_until
from tools.demo.sample_org import directory_events

pytestmark = pytest.mark.e2e
SERIOUS = ("serious", "critical")


@pytest.fixture
def intake(kafka_bootstrap: str, tmp_path: Path) -> Iterator[ServiceProcess]:
    prefix = f"t-web-{uuid.uuid4().hex[:8]}."
    topics = (
        "intake.submissions.v1",
        "intake.cases.v1",
        "intake.rejections.v1",
        "intake.submissions.v1.dlq",
        *DIRECTORY_TOPICS,
    )
    asyncio.run(create_topics(kafka_bootstrap, [prefix + t for t in topics]))
    service = ServiceProcess(
        "intake",
        {
            "INTAKE_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "INTAKE_TOPIC_PREFIX": prefix,
            "INTAKE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/intake.db",
            "INTAKE_KEYSTORE_URL": f"sqlite+aiosqlite:///{tmp_path}/keys.db",
            "INTAKE_MASTER_KEY": TEST_MASTER_KEY,
        },
        tmp_path / "intake.log",
    )
    service.prefix = prefix  # type: ignore[attr-defined]
    service.start()
    asyncio.run(load_sample_directory(kafka_bootstrap, prefix, service.url))
    yield service
    service.stop()


async def load_sample_directory(kafka: str, prefix: str, url: str) -> None:
    await produce_directory(kafka, prefix, directory_events())
    await wait_for_units_over_http(url)

    async def profiles_shown() -> bool:
        async with httpx.AsyncClient(base_url=url, timeout=5) as http:
            return "Eva Mulder" in (await http.get("/formulier")).text

    await wait_until(profiles_shown, timeout=90, interval=0.5)


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    driver = WebDriver()
    yield driver
    driver.quit()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("FORM_SHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def cdp(browser: WebDriver, cmd: str, params: dict[str, object]) -> None:
    browser._call("POST", browser._s("/goog/cdp/execute"), {"cmd": cmd, "params": params})


def window(browser: WebDriver, width: int, height: int = 1000) -> None:
    """The viewport as a phone or a desktop has it (a headless window is at least 500 px wide, so the
    viewport is emulated through the DevTools protocol)."""
    mobile = width < 500
    metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}
    cdp(browser, "Emulation.setDeviceMetricsOverride", metrics)
    browser.width = width  # type: ignore[attr-defined]


def full_page(browser: WebDriver, path: Path) -> None:
    """A screenshot of the whole page: the viewport is made as tall as the document first."""
    width = getattr(browser, "width", 1200)
    height = int(run(browser, "return document.documentElement.scrollHeight;"))
    window(browser, width, min(height, 12000))
    browser.screenshot(path)
    window(browser, width)
    if width < 500:  # a phone's screenfuls too, to look at as a person holding one would
        for i, top in enumerate(range(0, height, 800)):
            run(browser, f"window.scrollTo(0, {top}); return 1;")
            browser.screenshot(path.with_name(f"{path.stem}-{i + 1}.png"))
        run(browser, "window.scrollTo(0, 0); return 1;")


def choose(browser: WebDriver, select_css: str, value: str) -> None:
    browser.click(f"{select_css} option[value='{value}']")


def serious(browser: WebDriver) -> list[list[object]]:
    return [v for v in axe_violations(browser) if v[1] in SERIOUS]


def opened_cases(kafka: str, service: ServiceProcess, expect: int) -> list[dict[str, object]]:
    records = asyncio.run(read_all(kafka, service.prefix + "intake.cases.v1", expect=expect))  # type: ignore[attr-defined]
    return [e for e in read_json(records) if e["event_type"] == "CaseOpened"]


def walk(browser: WebDriver, url: str, lang: str, marker: str, shots: Path, name: str) -> str:
    """Fill in the form as an employee: ministry, unit, advisor by profile; send; the receipt code."""
    browser.get(f"{url}/formulier?lang={lang}")
    assert serious(browser) == [], name
    choose(browser, "#org", "min-bzk")
    choose(browser, "#unit", "bzk-dgob-ict")
    browser.click("#anonymous")
    browser.click("label[for=cat-2]")  # bullying, under "unwanted behaviour"; labels are wired up
    browser.type("#narrative", f"Een collega pest mij. {marker}")
    anna = next(
        card for card in browser.find_all(".card label") if "Anna de Vries" in element_text(browser, card)
    )
    browser._call("POST", browser._s(f"/element/{anna}/click"))
    choose_by_text(browser, "#avoid", "Bram Smit", absent=True)
    assert int(run(browser, "return document.documentElement.scrollWidth;")) <= browser.width  # type: ignore[attr-defined]
    full_page(browser, shots / f"{name}-form.png")
    title = browser.submit("#send")
    assert title in ("Uw melding is ontvangen", "Your message has been received"), title
    assert serious(browser) == [], name
    full_page(browser, shots / f"{name}-received.png")
    code = browser.text("#receipt-code")
    assert len(code) == 19 and code.count("-") == 3
    return code


def element_text(browser: WebDriver, element: str) -> str:
    return str(browser._call("GET", browser._s(f"/element/{element}/text")))


def choose_by_text(browser: WebDriver, select_css: str, text: str, absent: bool = False) -> None:
    """Bram agreed to show no profile: he is neither a card nor in the "rather not" list."""
    options = [element_text(browser, o) for o in browser.find_all(f"{select_css} option")]
    assert (text not in options) if absent else (text in options), options


def test_an_employee_picks_ministry_unit_and_advisor_and_keeps_the_receipt_code(
    intake: ServiceProcess, browser: WebDriver, kafka_bootstrap: str, shots: Path
) -> None:
    window(browser, 1200)
    codes = [walk(browser, intake.url, "nl", "WEB-MARKER-1", shots, "nl")]
    codes.append(walk(browser, intake.url, "en", "WEB-MARKER-2", shots, "en"))
    window(browser, 390)
    codes.append(walk(browser, intake.url, "nl", "WEB-MARKER-3", shots, "nl-390"))
    assert int(run(browser, "return window.innerWidth;")) == 390
    assert int(run(browser, "return document.documentElement.scrollWidth;")) <= 390  # no sideways scroll
    assert len(set(codes)) == 3

    opened = opened_cases(kafka_bootstrap, intake, expect=3)
    assert len(opened) == 3
    assert all(c["payload"]["unit_id"] == "bzk-dgob-ict" for c in opened)  # type: ignore[index]
    assert all(c["payload"]["categories"] == ["unwanted_behaviour.bullying"] for c in opened)  # type: ignore[index]
    # The story and the chosen advisor travel sealed: neither is on the topic in clear.
    assert "WEB-MARKER" not in str(opened) and "adv-anna" not in str(opened)


def test_a_missing_or_wrong_choice_is_explained_in_words_with_the_text_kept(
    intake: ServiceProcess, browser: WebDriver, shots: Path
) -> None:
    window(browser, 1200)
    browser.get(intake.url + "/formulier")
    browser.click("#anonymous")
    browser.click("label[for=cat-13]")
    browser.type("#narrative", "Mijn verhaal blijft staan. WEB-MARKER-4")
    # The browser itself asks for the required lists; without that check the server says it in words.
    run(browser, "document.querySelector('form').noValidate = true; return 1;")
    assert browser.submit("#send") == "Uw melding kon niet worden verwerkt"
    assert browser.text("#why") == "Kies uw organisatie uit de lijst."
    assert "WEB-MARKER-4</textarea>" in browser.source()
    assert serious(browser) == []
    full_page(browser, shots / "refused-missing.png")
    # A unit of another ministry: the use case refuses it, the form says so in words.
    choose(browser, "#org", "min-bzk")
    choose(browser, "#unit", "fin-tax")
    assert browser.submit("#send") == "Uw melding kon niet worden verwerkt"
    assert browser.text("#why").startswith("Dit onderdeel hoort niet bij de organisatie die u koos.")
    assert "WEB-MARKER-4</textarea>" in browser.source() and "contact_" not in browser.text("main")
    full_page(browser, shots / "refused-unit.png")


def test_the_english_form_explains_a_missing_subject(intake: ServiceProcess, browser: WebDriver) -> None:
    browser.get(intake.url + "/formulier?lang=en")
    assert browser.title() == "Contact a confidential advisor"
    choose(browser, "#org", "min-fin")
    choose(browser, "#unit", "fin-tax")
    browser.click("#anonymous")
    assert browser.submit("#send") == "Your message could not be processed"  # no category ticked
    assert browser.text("#why") == "Choose at least one subject."


def active(browser: WebDriver) -> str:
    return str(run(browser, "const e = document.activeElement; return e.id || e.tagName.toLowerCase();"))


def press(browser: WebDriver, *keys: str) -> None:
    steps = [s for k in keys for s in ({"type": "keyDown", "value": k}, {"type": "keyUp", "value": k})]
    browser._call(
        "POST", browser._s("/actions"), {"actions": [{"type": "key", "id": "kb", "actions": steps}]}
    )


def tab_to(browser: WebDriver, element_id: str, limit: int = 80) -> None:
    for _ in range(limit):
        if active(browser) == element_id:
            return
        press(browser, "\ue004")
    raise AssertionError(f"Tab never reached #{element_id} (stopped at {active(browser)})")


TAB, DOWN, SPACE, ENTER = "\ue004", "\ue015", "\ue00d", "\ue007"


def test_the_form_works_with_the_keyboard_alone(
    intake: ServiceProcess, browser: WebDriver, kafka_bootstrap: str
) -> None:
    window(browser, 1200)
    browser.get(intake.url + "/formulier")
    tab_to(browser, "org")
    press(browser, DOWN)  # the first ministry on the list: Binnenlandse Zaken
    assert run(browser, "return document.getElementById('org').value;") == "min-bzk"
    tab_to(browser, "unit")
    press(browser, DOWN)  # its first unit
    assert run(browser, "return document.getElementById('unit').value;") == "bzk"
    tab_to(browser, "anonymous")
    press(browser, SPACE)
    tab_to(browser, "cat-0")
    press(browser, SPACE)
    tab_to(browser, "narrative")
    press(browser, *"Met het toetsenbord. WEB-MARKER-5")
    tab_to(browser, "advisor-none")
    press(browser, DOWN)  # the radio group: the next card is the first advisor
    assert active(browser) == "advisor-1" and run(
        browser, "return document.getElementById('advisor-1').checked;"
    )
    tab_to(browser, "send")
    press(browser, ENTER)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            if browser.title() == "Uw melding is ontvangen":
                break
        except BrowserInfraError:  # between documents
            pass
        time.sleep(0.1)
    assert browser.title() == "Uw melding is ontvangen"
    assert len(browser.text("#receipt-code")) == 19
    assert len(opened_cases(kafka_bootstrap, intake, expect=1)) == 1

"""The reference web intake page, clicked through in a real headless Chromium.

Intake runs as a process; the browser fills in the form as a person would, sends it, and reads the
receipt code from the answer page. The case it opened is then on the topic, its story sealed.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from devinfra.browser import WebDriver
from tests.support.directory import UNITS_TOPIC, load_units_into_process
from tests.support.kafka_io import create_topics, read_all, read_json
from tests.support.processes import ServiceProcess
from tests.support.services import TEST_MASTER_KEY

pytestmark = pytest.mark.e2e


@pytest.fixture
def intake(kafka_bootstrap: str, tmp_path: Path) -> ServiceProcess:
    prefix = f"t-web-{uuid.uuid4().hex[:8]}."
    asyncio.run(
        create_topics(
            kafka_bootstrap,
            [
                prefix + t
                for t in (
                    "intake.submissions.v1",
                    "intake.cases.v1",
                    "intake.rejections.v1",
                    "intake.submissions.v1.dlq",
                    UNITS_TOPIC,
                )
            ],
        )
    )
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
    asyncio.run(load_units_into_process(kafka_bootstrap, prefix, service.url))
    yield service
    service.stop()


@pytest.fixture
def browser() -> WebDriver:
    driver = WebDriver()
    yield driver
    driver.quit()


def test_a_person_fills_in_the_form_and_gets_a_receipt_code(
    intake: ServiceProcess, browser: WebDriver, kafka_bootstrap: str, tmp_path: Path
) -> None:
    browser.get(intake.url + "/")
    assert browser.title() == "Contact met een vertrouwenspersoon"
    assert 'lang="nl"' in browser.source()
    browser.type("#org", "min-bzk")
    browser.type("#unit", "bzk-dgob-ict")
    browser.type("#name", "Jan")
    browser.type("#email", "jan.web@example.org")
    browser.click("label[for=cat-13]")  # clicking the label ticks the box: labels are wired up
    browser.type("#narrative", "Mijn leidinggevende schreeuwt. WEB-MARKER-1")
    browser.screenshot(tmp_path / "form.png")
    assert browser.submit("#send") == "Uw melding is ontvangen"
    code = browser.text("#receipt-code")
    assert len(code) == 19 and code.count("-") == 3

    opened = read_json(asyncio.run(read_all(kafka_bootstrap, intake.prefix + "intake.cases.v1", expect=1)))  # type: ignore[attr-defined]
    case = next(e["payload"] for e in opened if e["event_type"] == "CaseOpened")
    assert case["channel"] == "web" and case["categories"] == ["labour.conflict_with_manager"]
    assert "WEB-MARKER-1" not in str(opened) and "jan.web@example.org" not in str(opened)


def test_the_english_form_and_a_clear_rejection(intake: ServiceProcess, browser: WebDriver) -> None:
    browser.get(intake.url + "/formulier?lang=en")
    assert browser.title() == "Contact a confidential advisor"
    browser.type("#org", "min-bzk")
    browser.type("#unit", "bzk-dgob-ict")
    browser.click("#anonymous")
    assert browser.submit("#send") == "Your message could not be processed"  # no category ticked
    assert browser.text("#reason") == "no_category"


def test_an_invented_organisation_is_refused_on_the_form_with_the_text_kept(
    intake: ServiceProcess, browser: WebDriver
) -> None:
    browser.get(intake.url + "/formulier")
    browser.type("#org", "min-atlantis")
    browser.type("#unit", "bzk-dgob-ict")
    browser.click("#anonymous")
    browser.click("label[for=cat-13]")
    browser.type("#narrative", "Mijn verhaal blijft staan. WEB-MARKER-2")
    assert browser.submit("#send") == "Uw melding kon niet worden verwerkt"
    assert browser.text("#reason") == "organisation_unknown"
    assert browser.text("#why").startswith("Deze organisatiecode kennen wij niet.")
    assert "WEB-MARKER-2" in browser.source() and 'value="min-atlantis"' in browser.source()

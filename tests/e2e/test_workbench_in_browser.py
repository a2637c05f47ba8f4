"""The workbench in a real headless Chromium, signed in at Keycloak's real login page.

An advisor opens the workbench, is sent to the provider, types her user name and password there,
comes back to her own cases, switches to English and signs out. Every workbench page passes axe-core
(WCAG 2.1 A/AA) and the main flow works with the keyboard alone. Screenshots land in the test's
temporary directory (printed on failure) so a person can look at what was built.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devinfra.browser import BrowserInfraError, WebDriver
from devinfra.keycloak import KeycloakNode
from tests.support.axe import axe_violations, run
from tests.support.keycloak import realm_users
from tests.support.scheduling_events import ASSIGNMENTS, CASES, assigned, case_opened
from tests.support.workbench import MARKER, TwoServices, WorkbenchServer

pytestmark = pytest.mark.e2e


@pytest.fixture
def workbench(tmp_path: Path, keycloak_node: KeycloakNode) -> Iterator[WorkbenchServer]:
    server = WorkbenchServer(tmp_path, keycloak_node)
    try:
        server.feed(CASES, case_opened("case-a1"), case_opened("case-b1"))
        server.feed(ASSIGNMENTS, assigned("case-a1", "adv-anna"), assigned("case-b1", "adv-bram"))
        yield server
    finally:
        server.stop()


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    driver = WebDriver()
    driver._call("POST", driver._s("/window/rect"), {"width": 1200, "height": 900})
    yield driver
    driver.quit()


def sign_in_at_keycloak(browser: WebDriver, username: str) -> str:
    user = realm_users()[username]
    browser.type("#username", user.username)
    browser.type("#password", user.password)
    return browser.submit("#kc-login")


def test_an_advisor_signs_in_sees_her_cases_and_signs_out(
    workbench: WorkbenchServer, browser: WebDriver, tmp_path: Path
) -> None:
    browser.get(workbench.url + "/")
    assert browser.title() == "Inloggen – Werkplek vertrouwenspersonen"
    assert axe_violations(browser) == []
    browser.screenshot(tmp_path / "start.png")
    browser.submit("a.button")  # to Keycloak's login page
    assert browser.find("#kc-form-login")
    assert sign_in_at_keycloak(browser, "anna") == "Mijn meldingen – Werkplek vertrouwenspersonen"
    assert "case-a1" in browser.source() and "case-b1" not in browser.source()
    assert axe_violations(browser) == []
    browser.screenshot(tmp_path / "my-cases.png")
    browser.get(workbench.url + "/meldingen")
    assert browser.title() == "E-mailberichten – Werkplek vertrouwenspersonen"
    assert axe_violations(browser) == []
    browser.click("label[for=mail-off]")  # the label chooses the radio button: they are wired up
    assert browser.submit("form:not(.signout) button") == "E-mailberichten – Werkplek vertrouwenspersonen"
    assert 'id="mail-off" name="email" value="off" checked' in browser.source()
    browser.screenshot(tmp_path / "notifications.png")
    browser.get(workbench.url + "/zaken")
    assert browser.submit("a.lang") == "My cases – Confidential advisors' workbench"
    assert axe_violations(browser) == []
    browser.submit(".signout button")  # ends the session here and at Keycloak
    browser.get(workbench.url + "/zaken")
    assert browser.title() == "Inloggen – Werkplek vertrouwenspersonen"


def test_the_main_flow_works_with_the_keyboard_alone(workbench: WorkbenchServer, browser: WebDriver) -> None:
    browser.get(workbench.url + "/")
    focused = [tab(browser) for _ in range(3)]
    assert focused[0] == "a.skip"  # the first Tab shows the skip link
    assert "a.button" in focused  # the sign-in link is reachable by Tab
    while active(browser) != "a.button":
        tab(browser)
    press(browser, "\ue007")  # Enter follows the sign-in link
    wait_for_title(browser, "Sign in to Caseflow (demo)")  # Keycloak's page
    browser.type("#username", realm_users()["anna"].username)
    browser.type("#password", realm_users()["anna"].password)
    press(browser, "\ue007")  # Enter submits Keycloak's form
    wait_for_title(browser, "Mijn meldingen – Werkplek vertrouwenspersonen")
    assert "case-a1" in browser.source()


def active(browser: WebDriver) -> str:
    script = "const e = document.activeElement; return e.tagName.toLowerCase() + (e.className ? '.' + e.className.split(' ')[0] : '');"
    return str(run(browser, script))


def tab(browser: WebDriver) -> str:
    press(browser, "\ue004")
    return active(browser)


def press(browser: WebDriver, key: str) -> None:
    actions = {
        "actions": [
            {
                "type": "key",
                "id": "keyboard",
                "actions": [{"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}],
            }
        ]
    }
    browser._call("POST", browser._s("/actions"), actions)


def wait_for_title(browser: WebDriver, title: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if browser.title() == title:
                return
        except BrowserInfraError:  # between documents
            pass
        time.sleep(0.1)
    raise AssertionError(f"title stayed {browser.title()!r}, expected {title!r}")


def test_an_advisor_opens_her_case_in_the_browser_and_the_page_is_accessible(
    tmp_path: Path, keycloak_node: KeycloakNode, browser: WebDriver
) -> None:
    services = TwoServices(tmp_path, keycloak_node)
    try:
        case_id = services.open_case("adv-anna")
        browser.get(services.workbench.url + "/inloggen")
        assert sign_in_at_keycloak(browser, "anna") == "Mijn meldingen – Werkplek vertrouwenspersonen"
        assert browser.submit(f"a[href^='/zaken/{case_id}']") == "Melding – Werkplek vertrouwenspersonen"
        assert f"MARK-NARR-{MARKER}" in browser.source()
        assert axe_violations(browser) == []
        browser.screenshot(tmp_path / "case.png")
        browser.submit("form[action*='/aannemen'] button")  # accept: AcceptCase goes out
        [(key, command)] = services.workbench.service.bus.topics["advisor.actions.v1"]
        services.workbench.run(services.intake.feed("advisor.actions.v1", [(key, command)]))
        browser.get(f"{services.workbench.url}/zaken/{case_id}")
        browser.type("#reply", "Zullen we dinsdag bellen?")
        browser.submit("form[action*='/bericht'] button")
        assert (
            "Zullen we dinsdag bellen?" in browser.source() and "Uw bericht is verstuurd." in browser.source()
        )
        assert axe_violations(browser) == []
        browser.screenshot(tmp_path / "case-answered.png")
        browser.get(services.workbench.url + "/zaken/case-of-someone-else")
        assert "niet aan u toegewezen" in browser.source() and axe_violations(browser) == []
    finally:
        services.stop()

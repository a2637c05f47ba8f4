"""Driving a page with the keyboard alone, through WebDriver key actions (W3C key codes)."""

from __future__ import annotations

import time

from devinfra.browser import BrowserInfraError, WebDriver
from tests.support.axe import run

TAB, ENTER, SPACE, RIGHT = "\ue004", "\ue007", "\ue00d", "\ue014"


def keys(browser: WebDriver, text: str) -> None:
    """Press and release each key of `text` in turn (a character, or one of the codes above)."""
    sequence = [
        a for key in text for a in ({"type": "keyDown", "value": key}, {"type": "keyUp", "value": key})
    ]
    browser._call(
        "POST", browser._s("/actions"), {"actions": [{"type": "key", "id": "keyboard", "actions": sequence}]}
    )


def focused(browser: WebDriver) -> str:
    """The focused element as tag#id (or tag.class, or tag)."""
    script = (
        "const e = document.activeElement; return e.tagName.toLowerCase() + "
        "(e.id ? '#' + e.id : (e.className ? '.' + e.className.split(' ')[0] : ''));"
    )
    return str(run(browser, script))


def tab_to(browser: WebDriver, target: str, limit: int = 40) -> list[str]:
    """Tab until `target` (tag#id) has the focus; the elements passed on the way."""
    passed = []
    while focused(browser) != target:
        if len(passed) >= limit:
            raise AssertionError(f"{target} not reached by Tab; passed {passed}")
        keys(browser, TAB)
        passed.append(focused(browser))
    return passed


def press_for_next_page(browser: WebDriver, key: str = ENTER, timeout: float = 15) -> str:
    """Press `key` on the focused control and wait for the page it leads to; its title."""
    before = browser.find("html")
    keys(browser, key)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if browser.find("html") != before and run(browser, "return document.readyState") == "complete":
                return browser.title()
        except BrowserInfraError:
            pass  # between documents
        time.sleep(0.1)
    raise AssertionError(f"no new page after pressing a key on {focused(browser)}")

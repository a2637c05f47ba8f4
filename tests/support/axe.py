"""axe-core's WCAG 2.1 A/AA rules run in the real Chromium on the page it shows.

axe-core comes from npm (`make infra`, devinfra/browser.py) or from the file AXE_CORE_JS names.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from devinfra.browser import WebDriver, ensure_axe_core

AXE_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
  .then(r => done(r.violations.map(v => [v.id, v.impact, v.nodes.map(n => n.target.join(' ')).slice(0, 3)])))
  .catch(e => done([['axe-error', 'critical', [String(e)]]]));
"""


def run(browser: WebDriver, script: str, asynchronous: bool = False) -> Any:
    path = "/execute/async" if asynchronous else "/execute/sync"
    return browser._call("POST", browser._s(path), {"script": script, "args": []})


def axe_violations(browser: WebDriver) -> list[list[Any]]:
    """[rule id, impact, first targets] of every WCAG 2.1 A/AA violation on the current page."""
    axe = Path(os.environ["AXE_CORE_JS"]) if os.environ.get("AXE_CORE_JS") else ensure_axe_core()
    run(browser, axe.read_text(encoding="utf-8") + "; return 1;")
    violations: list[list[Any]] = run(browser, AXE_RUN, asynchronous=True)
    return violations

"""The annual report as headless Chromium lays it out: chart text size, overlapping labels, reflow.

The unit tests check the markup; only a browser knows how large a chart's text ends up once the SVG
is scaled into its column, and whether two labels land on top of each other. The page is loaded
from a file (it is self-contained), at a desktop, a tablet and a phone width.

Set AXE_CORE_JS to the path of axe.min.js (npm package axe-core) to run axe's WCAG 2.1 A/AA rules
on the same pages as well.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from devinfra.browser import WebDriver
from services.reporting.adapters.rendering.annual_report_formats import Lang, render_html
from services.reporting.domain.annual_report_data import (
    AnnualReport,
    Organisation,
    Publication,
    SourcePosition,
    build_annual_report,
)
from tests.support.axe import axe_violations, run
from tools.reporting.sample_counts import sample_counts, sample_report

pytestmark = pytest.mark.e2e

WIDTHS = (1200, 820, 390)

MEASURE = """
const out = {texts: [], overlaps: [], outside: [], overflow: 0};
for (const svg of document.querySelectorAll('svg.chart')) {
  const box = svg.getBoundingClientRect();
  const scale = svg.getScreenCTM().a;
  const rects = [];
  for (const t of svg.querySelectorAll('text')) {
    const size = parseFloat(getComputedStyle(t).fontSize) * scale;
    const r = t.getBoundingClientRect();
    out.texts.push([svg.id || svg.getAttribute('aria-label'), t.textContent, size]);
    if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1)
      out.outside.push([svg.getAttribute('aria-label'), t.textContent]);
    rects.push([t.textContent, r]);
  }
  for (let i = 0; i < rects.length; i++) for (let j = i + 1; j < rects.length; j++) {
    const [a, p] = rects[i], [b, q] = rects[j];
    const dx = Math.min(p.right, q.right) - Math.max(p.left, q.left);
    const dy = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
    if (dx > 1 && dy > 2) out.overlaps.push([svg.getAttribute('aria-label'), a, b]);
  }
}
out.overflow = document.documentElement.scrollWidth - document.documentElement.clientWidth;
return out;
"""


def pages() -> dict[str, tuple[AnnualReport, Lang]]:
    half = replace(
        sample_report(3),
        quarters=("2026-Q1", "2026-Q2"),
        publication=Publication(released_on=date(2026, 7, 15), release_id="r-0003"),
    )
    tiny_counts = replace(sample_counts(11, 2026, contacts=12), advisors_recording_hours=2)
    tiny = build_annual_report(Organisation("all", "Rijksoverheid"), 2026, SourcePosition(1), tiny_counts)
    return {"nl": (sample_report(3), "nl"), "half-en": (half, "en"), "tiny-en": (tiny, "en")}


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    driver = WebDriver()
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("annual-report")
    written = {}
    for name, (report, lang) in pages().items():
        written[name] = folder / f"{name}.html"
        written[name].write_text(render_html(report, lang), encoding="utf-8")
    return written


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["nl", "half-en", "tiny-en"])
def test_chart_text_is_at_least_12_px_and_labels_do_not_overlap(
    browser: WebDriver, files: dict[str, Path], name: str, width: int
) -> None:
    browser._call("POST", browser._s("/window/rect"), {"width": width, "height": 1000})
    browser.get(files[name].as_uri())
    measured = run(browser, MEASURE)
    assert measured["texts"], "no chart text measured"
    small = [(chart, text, round(size, 1)) for chart, text, size in measured["texts"] if size < 12]
    assert small == []
    assert measured["overlaps"] == []
    assert measured["outside"] == []
    assert measured["overflow"] <= 1  # the page reflows; only a chart's own box may scroll sideways


@pytest.mark.parametrize("name", ["nl", "half-en", "tiny-en"])
def test_axe_finds_no_wcag_violation(browser: WebDriver, files: dict[str, Path], name: str) -> None:
    """axe-core (fetched from npm by `make infra`, or AXE_CORE_JS) finds no WCAG 2.1 A/AA violation."""
    browser._call("POST", browser._s("/window/rect"), {"width": 1200, "height": 1000})
    browser.get(files[name].as_uri())
    assert axe_violations(browser) == []

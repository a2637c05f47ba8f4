"""The report page's templates: autoescaped, strict about names, CSS inlined, indentation free."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import Environment, UndefinedError

from services.reporting.adapters.rendering.html_page import (
    TEMPLATES,
    _CompactLoader,
    _environment,
    render_html,
    stylesheet,
)
from services.reporting.domain.annual_report_data import (
    Organisation,
    ReportCounts,
    SourcePosition,
    build_annual_report,
)

pytestmark = pytest.mark.unit


def test_a_name_with_markup_is_printed_as_text_not_markup() -> None:
    report = build_annual_report(
        Organisation("o", 'Ministerie <script>alert(1)</script> & "Zo"'),
        2026,
        SourcePosition(0),
        ReportCounts(),
    )
    html = render_html(report, "en")
    assert "<script>" not in html
    assert "Ministerie &lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;Zo&#34;" in html


def test_a_name_the_template_does_not_know_is_an_error_not_an_empty_string() -> None:
    with pytest.raises(UndefinedError):
        _environment().from_string("{{ page.no_such_field }}").render(page={})


def test_every_template_is_autoescaped() -> None:
    names = sorted(path.name for path in TEMPLATES.glob("*.j2"))
    assert "report.html.j2" in names and len(names) >= 5
    autoescape = _environment().autoescape
    assert callable(autoescape)
    assert all(autoescape(name) for name in names if name.endswith(".html.j2"))


def test_the_stylesheet_is_inlined_so_the_page_stays_one_file() -> None:
    html = render_html(build_annual_report(Organisation("o", "O"), 2026, SourcePosition(0), ReportCounts()))
    assert f"<style>\n{stylesheet()}</style>" in html
    assert "<link" not in html and "<script" not in html


def test_indentation_in_a_template_does_not_reach_the_page(tmp_path: Path) -> None:
    (tmp_path / "t.html.j2").write_text("<ol>\n  <li>\n    {{ a }} {{ b }}\n  </li>\n</ol>\n<p>{{ a }}</p>\n")
    environment = Environment(loader=_CompactLoader(tmp_path), keep_trailing_newline=True)
    assert environment.get_template("t.html.j2").render(a="x", b="y") == "<ol><li>x y</li>\n</ol>\n<p>x</p>\n"

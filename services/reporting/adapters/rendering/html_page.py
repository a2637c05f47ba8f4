"""Render the report page: the view model through the Jinja2 templates in templates/.

Autoescape is on for every template, and an unknown name in a template is an error
(StrictUndefined). report.css is inlined into the page, so the report stays one self-contained
file. Line breaks followed by indentation are dropped when a template is loaded, so a designer can
indent the markup without changing the page (write a space where one is wanted).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from services.reporting.adapters.rendering.texts import Lang
from services.reporting.adapters.rendering.view_model import page
from services.reporting.domain.annual_report_data import AnnualReport

TEMPLATES = Path(__file__).parent / "templates"
_INDENTED_LINE_BREAK = re.compile(r"\n[ \t]+")


class _CompactLoader(FileSystemLoader):
    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        return _INDENTED_LINE_BREAK.sub("", source), filename, uptodate


@cache
def _environment() -> Environment:
    return Environment(
        loader=_CompactLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "html.j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@cache
def stylesheet() -> str:
    return (TEMPLATES / "report.css").read_text(encoding="utf-8")


def render_html(report: AnnualReport, lang: Lang = "nl") -> str:
    """The complete report as one self-contained, accessible HTML5 page."""
    if lang not in ("nl", "en"):
        raise ValueError("lang must be 'nl' or 'en'")
    view = page(report, lang)
    template = _environment().get_template("report.html.j2")
    return template.render(page=view, ui=view.ui, css=Markup(stylesheet()))

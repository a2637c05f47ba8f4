"""Server-rendered pages: one way to load Jinja2 templates and inline a stylesheet.

Autoescape is on for every .html and .html.j2 template and an unknown name is an error
(StrictUndefined): what a person typed is escaped wherever a page shows it again, and a template
that names a value nobody passed fails in the tests instead of printing nothing. A stylesheet is
inlined so that a page loads nothing from elsewhere (the services' Content-Security-Policy allows
nothing else).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup


@cache
def template_environment(folder: Path) -> Environment:
    return Environment(
        loader=FileSystemLoader(folder),
        autoescape=select_autoescape(["html", "html.j2"]),
        undefined=StrictUndefined,
    )


@cache
def inline_stylesheet(path: Path) -> Markup:
    return Markup(path.read_text(encoding="utf-8"))

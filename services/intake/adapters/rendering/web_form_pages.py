"""Render the web form's pages through the Jinja2 templates in templates/.

Autoescape is on for every template and an unknown name is an error (StrictUndefined); what a person
typed is escaped wherever it is shown again. web_form.css is inlined, so a page loads nothing from
elsewhere (the Content-Security-Policy the entry point sends allows nothing else).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.intake.adapters.rendering.follow_up_texts import FOLLOW_UP_TEXT
from services.intake.adapters.rendering.web_form_texts import TEXT
from shared.codes import CATEGORY_LABELS, Category
from shared.html_templates import inline_stylesheet, template_environment

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True, slots=True)
class Problem:
    """Why the form was refused: the reason code and words a person can act on."""

    reason: str
    why: str


@dataclass(frozen=True, slots=True)
class CategoryChoice:
    value: str
    label: str
    ticked: bool


def _render(name: str, lang: str, title: str, **values: Any) -> str:
    template = template_environment(TEMPLATES).get_template(name)
    return template.render(
        lang=lang, title=title, css=inline_stylesheet(TEMPLATES / "web_form.css"), t=TEXT[lang], **values
    )


def problem_of(lang: str, reason: str) -> Problem:
    why = TEXT[lang]["why"].get(reason, TEXT[lang]["why_other"])
    return Problem(reason, str(why))


def render_form(
    lang: str, values: Mapping[str, Any], submission_id: str, problem: Problem | None, title: str
) -> str:
    """The form filled in with `values`; above it, after a refusal, the `problem`."""
    ticked = set(values.get("categories") or ())
    categories = [
        CategoryChoice(c.value, CATEGORY_LABELS[c][0 if lang == "nl" else 1], c.value in ticked)
        for c in Category
    ]
    other = "en" if lang == "nl" else "nl"
    return _render(
        "form.html.j2",
        lang,
        title,
        v=values,
        other=other,
        submission_id=submission_id,
        problem=problem,
        categories=categories,
    )


def render_received(lang: str, receipt_code: str, passed_on: bool = True) -> str:
    """The answer to a submission that was received: the receipt code for anonymous follow-up, and
    when the case is stored but not yet passed on (the broker is away), a word saying so."""
    title = str(TEXT[lang]["received"])
    # `f`: the follow-up page's texts, for the pointer to it (follow_up_texts.py).
    return _render(
        "received.html.j2",
        lang,
        title,
        receipt_code=receipt_code,
        passed_on=passed_on,
        f=FOLLOW_UP_TEXT[lang],
    )

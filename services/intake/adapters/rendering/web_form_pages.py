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

from services.intake.adapters.form_catalogue import AdvisorCard, FormCatalogue
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
    anchor: str | None = None  # the id of the question to go back to


# Which question a refusal is about, for the link from the message to it.
ANCHORS = {
    "organisation_missing": "org",
    "organisation_unknown": "org",
    "unit_missing": "unit",
    "unit_unknown_in_organisation": "unit",
    "advisor_unknown": "advisor-none",
    "advisor_chosen_and_avoided": "avoid",
    "no_category": "cat-0",
    "too_many_categories": "cat-0",
    "duplicate_category": "cat-0",
    "narrative_too_long": "narrative",
    "contact_required": "email",
    "contact_unreachable": "email",
    "contact_given_while_anonymous": "anonymous",
    "invalid_email": "email",
    "invalid_phone": "phone",
}


@dataclass(frozen=True, slots=True)
class CategoryChoice:
    value: str
    label: str
    ticked: bool
    index: int  # the box's id is cat-<index>, the category's place in the code list


@dataclass(frozen=True, slots=True)
class CategoryGroup:
    """Categories under one plain-language heading with a hint (unwanted behaviour, integrity,
    work and labour, other)."""

    key: str
    choices: tuple[CategoryChoice, ...]


def category_group(category: Category) -> str:
    if category in (Category.WORKLOAD,) or category.value.startswith("labour."):
        return "work"
    head = category.value.split(".", 1)[0]
    return head if head in ("unwanted_behaviour", "integrity") else "other"


GROUP_ORDER = ("unwanted_behaviour", "integrity", "work", "other")


def category_groups(lang: str, ticked: set[str]) -> list[CategoryGroup]:
    choices = [
        (
            category_group(c),
            CategoryChoice(c.value, CATEGORY_LABELS[c][0 if lang == "nl" else 1], c.value in ticked, i),
        )
        for i, c in enumerate(Category)
    ]
    return [CategoryGroup(key, tuple(choice for g, choice in choices if g == key)) for key in GROUP_ORDER]


def kept_for(lang: str, days: int) -> str:
    """How long personal data stays after closure, in words: "Eén jaar", "2 jaar", "90 dagen"."""
    words = TEXT[lang]["kept_for"]
    if days == 0:
        return str(words["none"])
    if days % 365:
        return str(words["days"]).format(n=days)
    return str(words["year"]) if days == 365 else str(words["years"]).format(n=days // 365)


def external_names(advisors: tuple[AdvisorCard, ...]) -> list[AdvisorCard]:
    """The external advisors, presented by name beside the choice for an advisor from outside."""
    return [a for a in advisors if a.scope == "external"]


def _render(name: str, lang: str, title: str, **values: Any) -> str:
    template = template_environment(TEMPLATES).get_template(name)
    return template.render(
        lang=lang, title=title, css=inline_stylesheet(TEMPLATES / "web_form.css"), t=TEXT[lang], **values
    )


def problem_of(lang: str, reason: str) -> Problem:
    why = TEXT[lang]["why"].get(reason, TEXT[lang]["why_other"])
    return Problem(reason, str(why), ANCHORS.get(reason))


def render_form(
    lang: str,
    values: Mapping[str, Any],
    submission_id: str,
    problem: Problem | None,
    title: str,
    catalogue: FormCatalogue | None = None,
) -> str:
    """The form filled in with `values`; above it, after a refusal, the `problem`."""
    catalogue = catalogue or FormCatalogue()
    other = "en" if lang == "nl" else "nl"
    return _render(
        "form.html.j2",
        lang,
        title,
        v=values,
        other=other,
        submission_id=submission_id,
        problem=problem,
        groups=category_groups(lang, set(values.get("categories") or ())),
        organisations=catalogue.organisations,
        advisors=catalogue.advisors,
        externals=external_names(catalogue.advisors),
        kept=kept_for(lang, catalogue.retention_days),
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

"""Render the coordinators' queue with its choice forms (and, later, the advisors' own pages).

Only coded facts and directory ids reach these pages: an advisor is shown as their id, kind and
scope in words, a refusal as its reason code in words (texts.py), never a name or case content.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.workbench.adapters.advisor_directory import AdvisorRow
from services.workbench.adapters.rendering.pages import LineView, line_views, render
from services.workbench.adapters.rendering.texts import TEXT
from services.workbench.application.coordinator_queue import Queue
from services.workbench.domain.sessions import Session


@dataclass(frozen=True, slots=True)
class AdvisorOption:
    advisor_id: str
    label: str


@dataclass(frozen=True, slots=True)
class ChoiceView:
    said: str
    reason: str | None
    why: str


@dataclass(frozen=True, slots=True)
class QueueItem:
    line: LineView
    choice: ChoiceView | None


@dataclass(frozen=True, slots=True)
class RefusalView:
    reason: str
    why: str


def advisor_label(advisor: AdvisorRow, lang: str) -> str:
    t = TEXT[lang]
    kind = t["advisor_kinds"].get(advisor.kind, advisor.kind)
    scope = t["advisor_scopes"].get(advisor.scope, advisor.scope)
    return f"{advisor.advisor_id} ({kind}; {scope})"


def why_refused(reason: str, lang: str) -> str:
    t = TEXT[lang]
    why: str = t["queue_why"].get(reason, t["queue_why_other"])
    return why


def queue_page(
    lang: str, session: Session, queue: Queue, refused: str | None = None, done: bool = False
) -> str:
    t = TEXT[lang]
    items = []
    for view, line in zip(line_views(queue.lines, lang), queue.lines, strict=True):
        choice = queue.choices.get(line.case_id)
        shown = None
        if choice is not None:
            advisor = choice.chosen_advisor_id or t["unknown"]
            if choice.reason_code is None:
                shown = ChoiceView(t["queue_sent"].format(advisor=advisor), None, "")
            else:
                said = t["queue_refused"].format(advisor=advisor)
                shown = ChoiceView(said, choice.reason_code, why_refused(choice.reason_code, lang))
        items.append(QueueItem(view, shown))
    return render(
        "queue.html.j2",
        lang,
        t["queue"],
        session,
        "/wachtrij",
        lines=items,
        advisors=[AdvisorOption(a.advisor_id, advisor_label(a, lang)) for a in queue.advisors],
        refused=RefusalView(refused, why_refused(refused, lang)) if refused else None,
        done=done,
    )

"""Render the coordinators' queue with its choice forms (and, later, the advisors' own pages).

Only coded facts and directory ids reach these pages: an advisor is shown as their id, kind and
scope in words, a refusal as its reason code in words (texts.py), never a name or case content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from services.workbench.adapters.advisor_directory import AdvisorRow
from services.workbench.adapters.people_views import Advisors, Queue
from services.workbench.adapters.rendering.pages import LineView, line_views, notice_page, render
from services.workbench.adapters.rendering.texts import TEXT
from services.workbench.domain.records import against_baseline, talk_overdue, term_ends_soon
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


@dataclass(frozen=True, slots=True)
class ActivityRow:
    label: str
    hours: str


@dataclass(frozen=True, slots=True)
class BaselineRow:
    label: str
    done: str
    baseline: str
    meets: bool
    short_by: str


@dataclass(frozen=True, slots=True)
class HoursFigures:
    year: int
    activities: list[ActivityRow]
    total: str
    baseline: list[BaselineRow]


@dataclass(frozen=True, slots=True)
class FormRefusal:
    form: str
    reason: str
    why: str


def number(value: float, lang: str) -> str:
    """Hours as a person reads them: at most two decimals, a decimal comma in Dutch."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if lang == "nl" else text


def hours_figures(view: dict[str, Any], lang: str) -> HoursFigures:
    t = TEXT[lang]
    by_activity = view.get("hours_by_activity", {})
    activities = [
        ActivityRow(label, number(float(by_activity.get(code, 0)), lang))
        for code, label in t["hours_activities"].items()
    ]
    baseline = view.get("baseline", {})
    rows = []
    for label, done, norm in (
        (
            t["hours_training_row"],
            float(view.get("training_hours", 0)),
            float(baseline.get("training_hours", 0)),
        ),
        (
            t["hours_supervision_row"],
            float(view.get("supervision_sessions", 0)),
            float(baseline.get("supervision_sessions", 0)),
        ),
    ):
        seen = against_baseline(done, norm)
        rows.append(
            BaselineRow(
                label, number(done, lang), number(norm, lang), seen.meets, number(seen.short_by, lang)
            )
        )
    return HoursFigures(
        int(view.get("year", 0)), activities, number(float(view.get("hours_total", 0)), lang), rows
    )


def hours_page(
    lang: str,
    session: Session,
    view: dict[str, Any] | None,
    reason: str | None,
    today: date,
    refused: tuple[str, str] | None = None,
    done: str | None = None,
) -> str:
    t = TEXT[lang]
    refusal = None
    if refused is not None:
        form, code = refused
        why = t["hours_why"].get(code, t["hours_why_other"])
        refusal = FormRefusal(t["hours_forms"].get(form, form), code, why)
    return render(
        "hours.html.j2",
        lang,
        t["hours_title"],
        session,
        "/uren",
        figures=hours_figures(view, lang) if view is not None else None,
        reason=reason,
        why=t["stats_why"].get(reason or "", t["stats_why"]["reporting_unavailable"]),
        refused=refusal,
        done=t["hours_done"].get(done or ""),
        activities=list(t["hours_activities"].items()),
        training_kinds=list(t["hours_training_kinds"].items()),
        today=today.isoformat(),
    )


def hours_missing_page(lang: str, session: Session) -> str:
    """A form address that does not exist (only /uren/tijd, /uren/scholing, /uren/intervisie do)."""
    return notice_page(lang, session, "/uren", "forbidden_title", "hours_no_such_form")


@dataclass(frozen=True, slots=True)
class AdvisorLine:
    advisor_id: str
    kind: str
    scope: str
    status: str
    term_end: str | None
    term_end_iso: str | None
    ends_soon: bool
    hours: str | None
    training: str | None
    supervision: str | None
    last_talk: str | None
    last_talk_iso: str | None
    talk_due: bool


def advisor_lines(advisors: Advisors, lang: str, today: date) -> list[AdvisorLine]:
    t = TEXT[lang]
    lines = []
    for row in advisors.rows:
        seen = advisors.figures.get(row.advisor_id)
        talk = advisors.talks.get(row.advisor_id)
        hours = training = supervision = None
        if seen is not None:
            hours = number(float(seen.get("hours_total", 0)), lang)
            of = t["advisors_of_baseline"]
            training = of.format(
                done=number(float(seen.get("training_hours", 0)), lang),
                baseline=number(float(advisors.baseline.get("training_hours", 0)), lang),
            )
            supervision = of.format(
                done=number(float(seen.get("supervision_sessions", 0)), lang),
                baseline=number(float(advisors.baseline.get("supervision_sessions", 0)), lang),
            )
        lines.append(
            AdvisorLine(
                advisor_id=row.advisor_id,
                kind=t["advisor_kinds"].get(row.kind, row.kind),
                scope=t["advisor_scopes"].get(row.scope, row.scope),
                status=t["advisor_statuses"].get(row.status, row.status),
                term_end=row.term_end.strftime("%d-%m-%Y") if row.term_end else None,
                term_end_iso=row.term_end.isoformat() if row.term_end else None,
                ends_soon=term_ends_soon(row.term_end, today),
                hours=hours,
                training=training,
                supervision=supervision,
                last_talk=talk.strftime("%d-%m-%Y") if talk else None,
                last_talk_iso=talk.isoformat() if talk else None,
                talk_due=talk_overdue(talk, today),
            )
        )
    return lines


def talk_refusal(advisors: Advisors, lang: str, refused: str | None) -> FormRefusal | None:
    """Why the reflection talk was not registered: the form's own refusal just now, else routing's
    refusal of the coordinator's last registration."""
    t = TEXT[lang]
    request = advisors.request
    if refused is None and request is not None and request.reason_code is not None:
        said = t["talk_refused_by_routing"].format(
            advisor=request.talk_with_advisor_id, day=request.held_on.strftime("%d-%m-%Y")
        )
        return FormRefusal(
            said, request.reason_code, t["talk_why"].get(request.reason_code, t["hours_why_other"])
        )
    if refused is None:
        return None
    return FormRefusal(t["talk_legend"], refused, t["talk_why"].get(refused, t["hours_why_other"]))


def advisors_page(
    lang: str,
    session: Session,
    advisors: Advisors,
    today: date,
    refused: str | None = None,
    done: bool = False,
) -> str:
    t = TEXT[lang]
    lines = advisor_lines(advisors, lang, today)
    reason = advisors.unavailable
    return render(
        "advisors.html.j2",
        lang,
        t["advisors_title"],
        session,
        "/adviseurs",
        rows=lines,
        ending=[line for line in lines if line.ends_soon],
        year=advisors.year,
        unavailable=reason,
        why=t["stats_why"].get(reason or "", t["stats_why"]["reporting_unavailable"]),
        refused=talk_refusal(advisors, lang, refused),
        done=t["talk_done"] if done else None,
        today=today.isoformat(),
    )

"""Render the workbench's pages through the Jinja2 templates in templates/.

Autoescape is on and an unknown name is an error (StrictUndefined). workbench.css is inlined, so a
page loads nothing from elsewhere (the entry point's Content-Security-Policy allows nothing else).
Dates are shown in the Netherlands' time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from services.workbench.adapters.case_activity import CaseActivity
from services.workbench.adapters.rendering.texts import CHANNEL_LABELS, CONFLICT_REASON_LABELS, LANGS, TEXT
from services.workbench.domain.case_actions import suggested_referrals
from services.workbench.domain.case_list import CaseLine
from services.workbench.domain.sessions import Role, Session
from shared.codes import CATEGORY_LABELS, Category, MeetingMode, Outcome, TimeActivity
from shared.html_templates import inline_stylesheet, template_environment
from shared.locations import configured_catalogue

TEMPLATES = Path(__file__).parent / "templates"
ZONE = ZoneInfo("Europe/Amsterdam")


@dataclass(frozen=True, slots=True)
class NavItem:
    href: str
    label: str
    current: bool


@dataclass(frozen=True, slots=True)
class LineView:
    reference: str
    opened: str | None
    opened_iso: str | None
    categories: str
    channel: str
    status: str
    next_meeting: str | None = None
    next_meeting_iso: str | None = None


def _nav(session: Session | None, lang: str, path: str) -> list[NavItem]:
    t = TEXT[lang]
    items = {
        Role.ADVISOR: [
            ("/zaken", t["my_cases"]),
            ("/meldingen", t["prefs_title"]),
            ("/uren", t["hours_title"]),
        ],
        Role.COORDINATOR: [("/wachtrij", t["queue"]), ("/adviseurs", t["advisors_title"])],
        Role.MANAGEMENT: [("/statistieken", t["management_title"])],
    }
    entries = items[session.role] if session is not None else []
    return [NavItem(f"{href}?lang={lang}", label, href == path) for href, label in entries]


def render(name: str, lang: str, title: str, session: Session | None, path: str, **values: Any) -> str:
    other = "en" if lang == "nl" else "nl"
    return (
        template_environment(TEMPLATES)
        .get_template(name)
        .render(
            lang=lang,
            title=title,
            css=inline_stylesheet(TEMPLATES / "workbench.css"),
            t=TEXT[lang],
            session=session,
            nav=_nav(session, lang, path),
            other_lang=other,
            other_lang_href=f"{path}?lang={other}",
            **values,
        )
    )


def line_views(lines: list[CaseLine], lang: str) -> list[LineView]:
    index = 0 if lang == "nl" else 1
    views = []
    for line in lines:
        local = line.opened_at.astimezone(ZONE) if line.opened_at is not None else None
        meets = line.next_meeting.astimezone(ZONE) if line.next_meeting is not None else None
        categories = ", ".join(
            CATEGORY_LABELS[Category(c)][index] for c in line.categories if c in Category._value2member_map_
        )
        channel = CHANNEL_LABELS.get(line.channel or "", ("", ""))[index]
        views.append(
            LineView(
                reference=line.case_id,
                opened=local.strftime("%d-%m-%Y %H:%M") if local else None,
                opened_iso=local.isoformat() if local else None,
                categories=categories,
                channel=channel,
                status=line.status,
                next_meeting=meets.strftime("%d-%m-%Y %H:%M") if meets else None,
                next_meeting_iso=meets.isoformat() if meets else None,
            )
        )
    return views


def start_page(lang: str) -> str:
    return render("start.html.j2", lang, TEXT[lang]["start_title"], None, "/")


def problem_page(lang: str, reason: str) -> str:
    t = TEXT[lang]
    why = t["why"].get(reason, t["why_other"])
    return render("problem.html.j2", lang, t["problem_title"], None, "/", why=why, reason=reason, again=True)


def case_list_page(
    lang: str,
    session: Session,
    path: str,
    lines: list[CaseLine],
    done: str | None = None,
    refused: dict[str, str] | None = None,
) -> str:
    t = TEXT[lang]
    mine = path == "/zaken"
    return render(
        "case_list.html.j2",
        lang,
        t["my_cases"] if mine else t["queue"],
        session,
        path,
        intro=t["my_cases_intro"] if mine else t["queue_intro"],
        empty=t["no_cases"] if mine else t["no_queue"],
        lines=line_views(lines, lang),
        link=mine,
        done=t["list_done"].get(done or ""),
        refused=[
            (case_id, t["conflict_refused_why"].get(code, t["conflict_refused_other"]), code)
            for case_id, code in (refused or {}).items()
        ],
    )


def notice_page(lang: str, session: Session | None, path: str, title_key: str, body_key: str) -> str:
    t = TEXT[lang]
    return render("notice.html.j2", lang, t[title_key], session, path, body=t[body_key])


def preferences_page(lang: str, session: Session, choice: Any) -> str:
    return render(
        "preferences.html.j2", lang, TEXT[lang]["prefs_title"], session, "/meldingen", choice=choice
    )


def statistics_page(lang: str, session: Session, view: dict[str, Any] | None, reason: str | None) -> str:
    t = TEXT[lang]
    why = t["stats_why"].get(reason or "", t["stats_why"]["reporting_unavailable"])
    return render(
        "statistics.html.j2",
        lang,
        t["management_title"],
        session,
        "/statistieken",
        view=view,
        reason=reason,
        why=why,
    )


@dataclass(frozen=True, slots=True)
class MeetingView:
    meeting_id: str
    start: str
    start_iso: str
    end: str
    mode: str
    ics_href: str


@dataclass(frozen=True, slots=True)
class ChoiceView:
    code: str
    label: str
    suggested: bool


def case_action_views(lang: str, file: dict[str, Any], activity: CaseActivity | None) -> dict[str, Any]:
    """What the case page's action sections show: minutes per activity, the next meeting, and the
    outcomes with the referral(s) the case's categories suggest marked (and so preselected)."""
    t = TEXT[lang]
    case_id = file["case_id"]
    minutes = activity.minutes if activity is not None else {}
    logged = [(t["case_activity"][a.value], minutes[a.value]) for a in TimeActivity if a.value in minutes]
    meeting = None
    if activity is not None and activity.meeting is not None:
        m = activity.meeting
        start, end = m.start.astimezone(ZONE), m.end.astimezone(ZONE)
        meeting = MeetingView(
            m.meeting_id,
            start.strftime("%d-%m-%Y %H:%M"),
            start.isoformat(),
            end.strftime("%H:%M"),
            t["case_mode"].get(m.mode, m.mode),
            f"/zaken/{case_id}/afspraken/{m.meeting_id}.ics?lang={lang}",
        )
    suggested = suggested_referrals((file.get("coded") or {}).get("categories", ()))
    outcomes = [ChoiceView(o.value, t["case_outcome"][o.value], o in suggested) for o in Outcome]
    locations = [
        (code, names[0] if names else code) for code, names in configured_catalogue().entries.items()
    ]
    return {
        "logged": logged,
        "logged_total": sum(minutes.values()),
        "meeting": meeting,
        "outcomes": outcomes,
        "first_suggested": suggested[0].value if suggested else None,
        "activities": [(a.value, t["case_activity"][a.value]) for a in TimeActivity],
        "modes": [(m.value, t["case_mode"][m.value]) for m in MeetingMode],
        "locations": locations,
    }


def case_page(
    lang: str,
    session: Session,
    file: dict[str, Any] | None,
    reason: str | None,
    done: str | None = None,
    activity: CaseActivity | None = None,
    back_to: str | None = None,
) -> str:
    t = TEXT[lang]
    facts = None
    if file is not None:
        coded = file.get("coded", {})
        opened = datetime.fromisoformat(coded["opened_at"]) if coded.get("opened_at") else None
        line = CaseLine(
            file["case_id"], opened, tuple(coded.get("categories", ())), coded.get("channel"), "open"
        )
        facts = line_views([line], lang)[0]
    why = (
        t["case_why"].get(reason or "")
        or t["conflict_why"].get(reason or "")
        or t["person_why"].get(reason or "")
        or t["case_action_why"].get(reason or "", t["case_why_other"])
    )
    actions = case_action_views(lang, file, activity) if file is not None else {}
    personal = (file or {}).get("personal") or {}
    return render(
        "case.html.j2",
        lang,
        t["case_title"],
        session,
        "/zaken",
        file=file,
        facts=facts,
        personal=personal,
        why=why,
        reason=reason,
        local=local_time,
        done=t["case_done"].get(done or "")
        or t["case_action_done"].get(done or "")
        or t["person_done"].get(done or ""),
        actions=actions,
        back_to=back_to,
        accepted=bool(((file or {}).get("assignment") or {}).get("accepted_at")),
        person_roles=list(t["case_role"].items()),
        conflict_reasons=[
            (code, labels[LANGS.index(lang)]) for code, labels in CONFLICT_REASON_LABELS.items()
        ],
    )


def local_time(instant: str) -> str:
    """An ISO instant from intake as a person in the Netherlands reads it."""
    return datetime.fromisoformat(instant).astimezone(ZONE).strftime("%d-%m-%Y %H:%M")


def contact_page(
    lang: str,
    session: Session,
    form_id: str,
    units: Any,
    reason: str | None = None,
    done: str | None = None,
) -> str:
    """Register a phone call or a walk-in as a case (application/contacts.py); `units` is the unit
    catalogue (its `groups` of organisation name and (unit id, name) pairs; none: ask for codes)."""
    t, index = TEXT[lang], LANGS.index(lang)
    why = t["contact_why"].get(reason or "", t["case_why"].get(reason or "", t["contact_why_other"]))
    return render(
        "contact.html.j2",
        lang,
        t["contact_title"],
        session,
        "/contact",
        form_id=form_id,
        reason=reason,
        why=why,
        done=t["contact_done"].get(done or ""),
        channels=[(c, CHANNEL_LABELS[c][index]) for c in ("phone", "walk_in")],
        client_roles=list(t["contact_client_roles"].items()),
        categories=[(c.value, CATEGORY_LABELS[c][index]) for c in Category],
        unit_groups=units.groups,
    )

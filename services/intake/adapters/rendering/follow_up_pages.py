"""Render the client's follow-up pages (/vervolg) through the Jinja2 templates in templates/.

The receipt code is a bearer secret: a page that needs it for its next step carries it in a hidden
field of each of its forms (posted, never in a URL), and the entry point sends every page with
Cache-Control: no-store. Autoescape is on: an advisor's or client's message is escaped.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup

from services.intake.adapters.rendering.follow_up_texts import FOLLOW_UP_TEXT
from shared.html_templates import inline_stylesheet, template_environment

TEMPLATES = Path(__file__).parent / "templates"
LOCAL_TIME = ZoneInfo("Europe/Amsterdam")


@dataclass(frozen=True, slots=True)
class ShownMessage:
    mine: bool
    who: str
    when: str
    text: str


def _when(lang: str, posted_at: str) -> str:
    t = FOLLOW_UP_TEXT[lang]
    moment = datetime.fromisoformat(posted_at).astimezone(LOCAL_TIME)
    return f"{moment.day} {t['months'][moment.month - 1]} {moment.year} {t['at']} {moment:%H:%M}"


@dataclass(frozen=True, slots=True)
class ShownMeeting:
    """The next planned meeting in neutral words: what kind of talk, when, and until when."""

    proposal: str
    when: str
    until: str


def _clock(lang: str, moment: datetime) -> str:
    return str(FOLLOW_UP_TEXT[lang]["meeting_time"]).format(hour=moment.hour, minute=moment.minute)


def meeting_words(lang: str, meeting: dict[str, str] | None) -> ShownMeeting | None:
    """ "een telefoongesprek", "donderdag 5 december om 10.00 uur" (Europe/Amsterdam), "tot 11.00 uur"."""
    if meeting is None:
        return None
    t = FOLLOW_UP_TEXT[lang]
    start = datetime.fromisoformat(meeting["start"]).astimezone(LOCAL_TIME)
    end = datetime.fromisoformat(meeting["end"]).astimezone(LOCAL_TIME)
    when = t["meeting_when"].format(
        weekday=t["weekdays"][start.weekday()],
        day=start.day,
        month=t["months"][start.month - 1],
        time=_clock(lang, start),
    )
    mode = t["meeting_modes"].get(meeting["mode"], t["meeting_modes"]["phone"])
    return ShownMeeting(
        t["meeting_proposal"].format(mode=mode),
        when[:1].upper() + when[1:],
        t["meeting_until"].format(end=_clock(lang, end)),
    )


def _render(name: str, lang: str, title: str, **values: Any) -> str:
    css = Markup(
        inline_stylesheet(TEMPLATES / "web_form.css") + inline_stylesheet(TEMPLATES / "follow_up.css")
    )
    template = template_environment(TEMPLATES).get_template(name)
    other = "en" if lang == "nl" else "nl"
    return template.render(lang=lang, other=other, title=title, css=css, f=FOLLOW_UP_TEXT[lang], **values)


def render_code_entry(lang: str, problem: str | None = None) -> str:
    """Where the client enters the receipt code; after a wrong one, `problem` says why in words."""
    return _render("follow_up_code.html.j2", lang, str(FOLLOW_UP_TEXT[lang]["code_title"]), problem=problem)


def render_thread(
    lang: str,
    code: str,
    view: dict[str, Any],
    *,
    notice: str | None = None,
    problem: str | None = None,
    draft: str = "",
) -> str:
    """The case's status in words, the next planned meeting, its messages, and the forms to reply,
    rate and erase."""
    t = FOLLOW_UP_TEXT[lang]
    shown = [
        ShownMessage(
            m["author"] == "client",
            t["you" if m["author"] == "client" else "advisor"],
            _when(lang, m["posted_at"]),
            m["text"],
        )
        for m in view["messages"]
    ]
    return _render(
        "follow_up.html.j2",
        lang,
        str(t["title"]),
        code=code,
        status=view["status"],
        messages=shown,
        feedback_given=view["feedback_given"],
        meeting=meeting_words(lang, view.get("next_meeting")),
        notice=notice,
        problem=problem,
        draft=draft,
        resend_key=secrets.token_urlsafe(18),  # sending this reply form twice posts one message
    )


def render_erase_confirmation(lang: str, code: str) -> str:
    return _render("follow_up_confirm.html.j2", lang, str(FOLLOW_UP_TEXT[lang]["confirm_title"]), code=code)


def render_erased(lang: str) -> str:
    return _render("follow_up_erased.html.j2", lang, str(FOLLOW_UP_TEXT[lang]["erased_title"]))

"""The client's follow-up page, served by intake next to the form: /vervolg (Dutch; `?lang=en`).

Plain HTML forms, no JavaScript: enter the receipt code, see the next planned meeting in neutral
words, read the advisor's messages, reply, give the one anonymous rating, ask for erasure and
confirm it on a second page ("Weet u het zeker?").
It is another entry point over the dialogue's use cases (application/follow_up.py) and its
receipt-code access, so the guess limits (adapters/receipt_guess_limits.py) and their metrics are
the API's.

No server session: every step is a POST whose body carries the code in a hidden field, and the
code is never in a URL, a cookie or a log. There is nothing for a cross-site request to ride on
(no cookie, no ambient authority: a forged request must bring the code itself), nothing to store,
expire or steal server-side, and nothing that differs between instances. The price: the code sits
in the page, which is sent with Cache-Control: no-store, no referrer and a Content-Security-Policy
that runs no script; and a reload re-posts the last form (the browser asks first), so the reply
form carries a resend key: the same form sent twice posts one message.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from services.intake.adapters.rendering.follow_up_pages import (
    render_code_entry,
    render_erase_confirmation,
    render_erased,
    render_thread,
)
from services.intake.adapters.rendering.follow_up_texts import FOLLOW_UP_TEXT
from services.intake.application.follow_up import Act, Refused, WrongCode
from services.intake.domain.messages import MAX_MESSAGE_CHARS, is_message_text
from services.intake.entrypoints.dialogue import DialogueApi
from services.intake.entrypoints.web_form import PAGE_HEADERS

T = TypeVar("T")
HEADERS = PAGE_HEADERS | {
    "Content-Security-Policy": PAGE_HEADERS["Content-Security-Policy"] + "; frame-ancestors 'none'"
}
RESEND_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
RATINGS = {"1": 1, "2": 2, "3": 3, "4": 4, "5": 5}


def _page(content: str, status_code: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    return HTMLResponse(content, status_code=status_code, headers=HEADERS | (headers or {}))


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang", "nl")
    return lang if lang in FOLLOW_UP_TEXT else "nl"


async def _form(request: Request) -> tuple[str, dict[str, str]]:
    """The page's language, and the posted fields (the code in capitals, without spaces)."""
    parsed = parse_qs((await request.body()).decode("utf-8", errors="replace"), keep_blank_values=True)
    fields = {k: v[0] for k, v in parsed.items()}
    fields["code"] = "".join(fields.get("code", "").split()).upper()[:64]
    return _lang(request), fields


def _replied(lang: str, code: str, text: str, posted: str | Refused, view: dict[str, Any]) -> str:
    t = FOLLOW_UP_TEXT[lang]
    if isinstance(posted, Refused):
        return render_thread(lang, code, view, problem=t["case_closed"], draft=text)
    return render_thread(lang, code, view, notice=t["sent"])


def _rated(lang: str, code: str, refused: Refused | None, view: dict[str, Any]) -> str:
    t = FOLLOW_UP_TEXT[lang]
    if refused is not None:
        return render_thread(lang, code, view, problem=t["feedback_given"])
    return render_thread(lang, code, view, notice=t["feedback_thanks"])


class FollowUpPage:
    def __init__(self, dialogue: DialogueApi) -> None:
        self._dialogue = dialogue

    async def _answer(self, lang: str, code: str, act: Act[T], render: Callable[[T], str]) -> Response:
        """`act` with the case `code` opens, rendered; a missing or wrong code back to the entry."""
        if not code:
            return _page(render_code_entry(lang, FOLLOW_UP_TEXT[lang]["no_code"]), 400)
        found = await self._dialogue.access().run(code, self._dialogue.now(), act)
        return self._wrong(lang, found) if isinstance(found, WrongCode) else _page(render(found))

    def _wrong(self, lang: str, wrong: WrongCode) -> Response:
        self._dialogue.count_wrong_code(wrong)
        t = FOLLOW_UP_TEXT[lang]
        if wrong.limited is None:
            return _page(render_code_entry(lang, t["wrong_code"]), 404)
        minutes = max(1, math.ceil(wrong.limited.retry_after / 60))
        retry = {"Retry-After": str(minutes * 60)}
        return _page(render_code_entry(lang, t["too_many"].format(minutes=minutes)), 429, retry)

    async def show(self, request: Request) -> Response:
        return _page(render_code_entry(_lang(request)))

    async def open(self, request: Request) -> Response:
        lang, fields = await _form(request)
        code = fields["code"]
        return await self._answer(
            lang, code, self._dialogue.use_cases().read, lambda v: render_thread(lang, code, v)
        )

    async def reply(self, request: Request) -> Response:
        lang, fields = await _form(request)
        code, text, cases = fields["code"], fields.get("text", ""), self._dialogue.use_cases()
        if not is_message_text(text) or not text.strip():
            problem = FOLLOW_UP_TEXT[lang]["empty_message"]
            draft = text[:MAX_MESSAGE_CHARS]
            return await self._answer(
                lang, code, cases.read, lambda v: render_thread(lang, code, v, problem=problem, draft=draft)
            )
        key = fields.get("resend_key") if RESEND_KEY.match(fields.get("resend_key", "")) else None
        act = cases.and_read(lambda conn, case, now: cases.post(conn, case, now, text, key))
        return await self._answer(lang, code, act, lambda found: _replied(lang, code, text, *found))

    async def rate(self, request: Request) -> Response:
        lang, fields = await _form(request)
        code, rating, cases = (
            fields["code"],
            RATINGS.get(fields.get("rating", "")),
            self._dialogue.use_cases(),
        )
        if rating is None:
            problem = FOLLOW_UP_TEXT[lang]["no_rating"]
            return await self._answer(
                lang, code, cases.read, lambda v: render_thread(lang, code, v, problem=problem)
            )
        act = cases.and_read(lambda conn, case, now: cases.rate(conn, case, now, rating))
        return await self._answer(lang, code, act, lambda found: _rated(lang, code, *found))

    async def ask_erase(self, request: Request) -> Response:
        lang, fields = await _form(request)
        code = fields["code"]
        return await self._answer(
            lang, code, self._dialogue.use_cases().read, lambda _v: render_erase_confirmation(lang, code)
        )

    async def erase(self, request: Request) -> Response:
        lang, fields = await _form(request)
        return await self._answer(
            lang, fields["code"], self._dialogue.use_cases().erase, lambda _e: render_erased(lang)
        )

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/vervolg", self.show, methods=["GET"]),
            Route("/vervolg", self.open, methods=["POST"]),
            Route("/vervolg/bericht", self.reply, methods=["POST"]),
            Route("/vervolg/beoordeling", self.rate, methods=["POST"]),
            Route("/vervolg/wissen", self.ask_erase, methods=["POST"]),
            Route("/vervolg/wissen/bevestigd", self.erase, methods=["POST"]),
        ]

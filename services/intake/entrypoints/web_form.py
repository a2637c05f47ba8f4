"""A reference web intake page: an accessible form, Dutch and English, served by intake.

Progressive enhancement: the form is plain HTML that posts to intake itself (`POST /formulier`),
so it works without JavaScript, with a screen reader and with the keyboard alone. The page turns
the form into a submission (the same contract frontends publish) and runs the same use case as
`POST /v1/submissions`; the answer page shows the receipt code for anonymous follow-up.
Nothing on the page is loaded from elsewhere; it sets no cookies and keeps no analytics.
"""

from __future__ import annotations

import html
import json
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from services.intake.adapters.directory import RETRYABLE_REASONS
from shared.codes import CATEGORY_LABELS, Category

Submit = Callable[[bytes, Any], Awaitable[tuple[int, dict[str, Any]]]]

TEXT = {
    "nl": {
        "title": "Contact met een vertrouwenspersoon",
        "intro": "Wat u hier schrijft, leest alleen de vertrouwenspersoon die uw melding krijgt. "
        "U mag anoniem blijven. Velden met * zijn verplicht.",
        "org": "Organisatie (code)",
        "unit": "Onderdeel (code)",
        "role": "U bent",
        "roles": {
            "employee": "medewerker",
            "manager": "leidinggevende",
            "former_employee": "oud-medewerker",
            "external_worker": "extern ingehuurd",
        },
        "anonymous": "Ik wil anoniem blijven",
        "contact": "Hoe kunnen we u bereiken?",
        "name": "Naam (mag een roepnaam zijn)",
        "email": "E-mailadres",
        "phone": "Telefoonnummer",
        "categories": "Waar gaat het over? *",
        "narrative": "Uw verhaal",
        "narrative_hint": "Schrijf zo veel of zo weinig als u wilt.",
        "external": "Ik wil liever een vertrouwenspersoon van buiten mijn organisatie",
        "meeting": "Hoe wilt u afspreken?",
        "modes": {
            "on_site_discreet_room": "in een rustige, afgesloten ruimte",
            "off_site_venue": "buiten kantoor",
            "phone": "telefonisch",
            "video": "via video",
        },
        "location": "Plaats",
        "whistleblower": "Dit is een melding van een vermoeden van een misstand (Wet bescherming klokkenluiders)",
        "submit": "Versturen",
        "language": "Taal",
        "other_language": "English",
        "received": "Uw melding is ontvangen",
        "receipt": "Uw ontvangstcode",
        "receipt_hint": "Bewaar deze code goed. Daarmee kunt u later berichten lezen en sturen, ook als u anoniem bent. "
        "Wij kunnen de code niet opnieuw voor u opvragen.",
        "rejected": "Uw melding kon niet worden verwerkt",
        "back": "Terug naar het formulier",
        "reasons": "Reden",
        "kept": "Wat u invulde staat hieronder nog in het formulier. Pas het aan en verstuur het opnieuw.",
        "why": {
            "organisation_unknown": "Deze organisatiecode kennen wij niet. Controleer de code "
            "(bijvoorbeeld op intranet) of vraag uw vertrouwenspersoon om de juiste code.",
            "unit_unknown_in_organisation": "Dit onderdeel hoort niet bij de organisatie die u invulde. "
            "Controleer de code van uw onderdeel.",
            "directory_not_loaded": "Het systeem is net gestart en kent de organisaties nog niet. "
            "Er is niets bewaard. Verstuur het formulier over een paar minuten opnieuw.",
            "no_category": "Kies ten minste één onderwerp.",
            "contact_required": "Vul een e-mailadres of telefoonnummer in, of kies voor anoniem.",
            "contact_unreachable": "Vul een e-mailadres of telefoonnummer in, of kies voor anoniem.",
            "contact_given_while_anonymous": "U koos voor anoniem: laat naam, e-mail en telefoon dan leeg.",
            "invalid_email": "Dit e-mailadres lijkt niet te kloppen.",
            "invalid_phone": "Dit telefoonnummer lijkt niet te kloppen.",
            "invalid_identifier": "Een code bevat tekens die niet mogen (alleen letters, cijfers, - _ . :).",
        },
        "why_other": "Controleer de gegevens en probeer het opnieuw.",
    },
    "en": {
        "title": "Contact a confidential advisor",
        "intro": "What you write here is read only by the confidential advisor who takes your case. "
        "You may stay anonymous. Fields marked * are required.",
        "org": "Organisation (code)",
        "unit": "Unit (code)",
        "role": "You are",
        "roles": {
            "employee": "an employee",
            "manager": "a manager",
            "former_employee": "a former employee",
            "external_worker": "an external worker",
        },
        "anonymous": "I want to stay anonymous",
        "contact": "How can we reach you?",
        "name": "Name (a first name is fine)",
        "email": "E-mail address",
        "phone": "Phone number",
        "categories": "What is it about? *",
        "narrative": "Your story",
        "narrative_hint": "Write as much or as little as you like.",
        "external": "I would rather talk to an advisor from outside my organisation",
        "meeting": "How would you like to meet?",
        "modes": {
            "on_site_discreet_room": "in a quiet, closed room",
            "off_site_venue": "away from the office",
            "phone": "by phone",
            "video": "by video",
        },
        "location": "Town",
        "whistleblower": "This is a report of suspected wrongdoing (Whistleblowers Act)",
        "submit": "Send",
        "language": "Language",
        "other_language": "Nederlands",
        "received": "Your message has been received",
        "receipt": "Your receipt code",
        "receipt_hint": "Keep this code safe. With it you can read and send messages later, even anonymously. "
        "We cannot look it up for you.",
        "rejected": "Your message could not be processed",
        "back": "Back to the form",
        "reasons": "Reason",
        "kept": "What you entered is still in the form below. Correct it and send it again.",
        "why": {
            "organisation_unknown": "We do not know this organisation code. Check the code "
            "(for example on the intranet) or ask a confidential advisor for the right one.",
            "unit_unknown_in_organisation": "This unit is not part of the organisation you entered. "
            "Check your unit's code.",
            "directory_not_loaded": "The system has just started and does not know the organisations yet. "
            "Nothing was kept. Please send the form again in a few minutes.",
            "no_category": "Choose at least one subject.",
            "contact_required": "Enter an e-mail address or phone number, or choose to stay anonymous.",
            "contact_unreachable": "Enter an e-mail address or phone number, or choose to stay anonymous.",
            "contact_given_while_anonymous": "You chose to stay anonymous: leave name, e-mail and phone empty.",
            "invalid_email": "This e-mail address does not look right.",
            "invalid_phone": "This phone number does not look right.",
            "invalid_identifier": "A code contains characters that are not allowed (letters, digits, - _ . : only).",
        },
        "why_other": "Check what you entered and try again.",
    },
}

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f3f5f8;color:#1b1b1b;line-height:1.5}
header{background:#154273;color:#fff;padding:1rem 1.5rem}header h1{margin:0;font-size:1.4rem}
main{max-width:44rem;margin:1.5rem auto;background:#fff;padding:1.5rem 2rem;border-radius:6px}
fieldset{border:1px solid #c8d1dc;border-radius:4px;margin:1rem 0;padding:.75rem 1rem}legend{font-weight:600}
label{display:block;margin:.4rem 0 .15rem}input[type=text],input[type=email],input[type=tel],select,textarea{width:100%;
box-sizing:border-box;padding:.5rem;border:1px solid #8a99ad;border-radius:4px;font:inherit}
.check label{display:inline;margin-left:.35rem}.check{margin:.3rem 0}
button{background:#154273;color:#fff;border:0;padding:.7rem 1.6rem;border-radius:4px;font:inherit;font-weight:600;cursor:pointer}
button:focus,input:focus,select:focus,textarea:focus,a:focus{outline:3px solid #ffb612;outline-offset:2px}
.hint{color:#4a5a6c;font-size:.9rem}.problem{border-left:4px solid #d52b1e;background:#fdf0ef;padding:.5rem 1rem;margin:1rem 0}.receipt{font-size:1.6rem;font-weight:700;letter-spacing:.08em;background:#eef3f8;
padding:.6rem 1rem;display:inline-block;border-radius:4px}.lang{float:right;color:#fff}
"""


def _page(lang: str, title: str, body: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(
        status_code=status_code,
        content=f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="referrer" content="no-referrer"><title>{html.escape(title)}</title>'
        f"<style>{STYLE}</style></head><body>{body}</body></html>",
        headers={
            "Cache-Control": "no-store",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
        },
    )


def form_page(
    lang: str,
    defaults: dict[str, str],
    kept: dict[str, Any] | None = None,
    problem: str = "",
    *,
    title: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The form; after a rejection, `kept` holds what the person entered and `problem` says why."""
    t = TEXT[lang]
    other = "en" if lang == "nl" else "nl"
    v: dict[str, Any] = kept if kept is not None else dict(defaults)

    def value(name: str) -> str:
        return html.escape(str(v.get(name) or ""))

    def checked(name: str) -> str:
        return " checked" if v.get(name) == "yes" else ""

    def options(field: str, labels: dict[str, str]) -> str:
        return "".join(
            f'<option value="{k}"{" selected" if v.get(field) == k else ""}>{html.escape(label)}</option>'
            for k, label in labels.items()
        )

    ticked = set(v.get("categories") or ())
    cats = "".join(
        f'<div class="check"><input type="checkbox" id="cat-{i}" name="categories" value="{c.value}"'
        f"{' checked' if c.value in ticked else ''}>"
        f'<label for="cat-{i}">{html.escape(CATEGORY_LABELS[c][0 if lang == "nl" else 1])}</label></div>'
        for i, c in enumerate(Category)
    )
    roles = options("client_role", t["roles"])  # type: ignore[arg-type]
    modes = options("mode", t["modes"])  # type: ignore[arg-type]
    body = f"""
<header><a class="lang" href="/formulier?lang={other}" lang="{other}">{t["other_language"]}</a><h1>{t["title"]}</h1></header>
<main>{problem}<p>{t["intro"]}</p>
<form method="post" action="/formulier?lang={lang}" accept-charset="utf-8">
<input type="hidden" name="submission_id" value="{secrets.token_urlsafe(18)}">
<fieldset><legend>{t["role"]}</legend>
<label for="org">{t["org"]}</label><input type="text" id="org" name="organisation_id" required value="{value("organisation_id")}">
<label for="unit">{t["unit"]}</label><input type="text" id="unit" name="unit_id" required value="{value("unit_id")}">
<label for="role">{t["role"]}</label><select id="role" name="client_role">{roles}</select></fieldset>
<fieldset><legend>{t["contact"]}</legend>
<div class="check"><input type="checkbox" id="anonymous" name="anonymous" value="yes"{checked("anonymous")}><label for="anonymous">{t["anonymous"]}</label></div>
<label for="name">{t["name"]}</label><input type="text" id="name" name="name" autocomplete="off" value="{value("name")}">
<label for="email">{t["email"]}</label><input type="email" id="email" name="email" autocomplete="off" value="{value("email")}">
<label for="phone">{t["phone"]}</label><input type="tel" id="phone" name="phone" autocomplete="off" value="{value("phone")}"></fieldset>
<fieldset><legend>{t["categories"]}</legend>{cats}</fieldset>
<label for="narrative">{t["narrative"]}</label><p class="hint" id="narrative-hint">{t["narrative_hint"]}</p>
<textarea id="narrative" name="narrative" rows="8" maxlength="20000" aria-describedby="narrative-hint">{value("narrative")}</textarea>
<fieldset><legend>{t["meeting"]}</legend>
<select id="mode" name="mode" aria-label="{t["meeting"]}">{modes}</select>
<label for="location">{t["location"]}</label><input type="text" id="location" name="location" value="{value("location")}">
<div class="check"><input type="checkbox" id="external" name="wants_external_advisor" value="yes"{checked("wants_external_advisor")}><label for="external">{t["external"]}</label></div>
<div class="check"><input type="checkbox" id="wb" name="is_whistleblower_report" value="yes"{checked("is_whistleblower_report")}><label for="wb">{t["whistleblower"]}</label></div>
</fieldset>
<button type="submit" id="send">{t["submit"]}</button></form></main>"""
    return _page(lang, title or str(t["title"]), body, status_code)


def rejection_page(lang: str, reason: str, kept: dict[str, Any], defaults: dict[str, str]) -> HTMLResponse:
    """Why the form was refused, in words a person can act on, above the form with their text kept
    (and a fresh submission id: nothing was opened for the refused one)."""
    t = TEXT[lang]
    why = t["why"].get(reason, t["why_other"])  # type: ignore[attr-defined]
    problem = (
        f'<div class="problem" role="alert"><h2>{t["rejected"]}</h2><p id="why">{html.escape(str(why))}</p>'
        f'<p class="hint">{t["reasons"]}: <code id="reason">{html.escape(reason)}</code></p>'
        f"<p>{t['kept']}</p></div>"
    )
    # The title says first that it did not go through; a retryable refusal is a 503, as over HTTP.
    status = 503 if reason in RETRYABLE_REASONS else 422
    return form_page(lang, defaults, kept, problem, title=str(t["rejected"]), status_code=status)


def submission_from_form(form: dict[str, Any], lang: str, now: datetime) -> dict[str, Any]:
    anonymous = form.get("anonymous") == "yes"
    doc: dict[str, Any] = {
        "schema_version": 1,
        "submission_id": form.get("submission_id", ""),
        "submitted_at": now.isoformat(),
        "channel": "web",
        "organisation_id": form.get("organisation_id", ""),
        "unit_id": form.get("unit_id", ""),
        "client_role": form.get("client_role", "employee"),
        "anonymous": anonymous,
        "categories": form.get("categories", []),
        "narrative": form.get("narrative", ""),
        "wants_external_advisor": form.get("wants_external_advisor") == "yes",
        "is_whistleblower_report": form.get("is_whistleblower_report") == "yes",
        "language": lang,
        "meeting": {
            "mode": form.get("mode", "on_site_discreet_room"),
            "location": form.get("location") or None,
        },
    }
    if not anonymous:
        contact = {k: form.get(k) or None for k in ("name", "email", "phone")}
        doc["contact"] = contact
    return doc


def web_form_routes(submit: Submit, defaults: Callable[[], dict[str, str]] = dict) -> list[BaseRoute]:
    async def show(request: Request) -> Response:
        lang = request.query_params.get("lang", "nl")
        return form_page(lang if lang in TEXT else "nl", defaults())

    async def post(request: Request) -> Response:
        lang = request.query_params.get("lang", "nl")
        lang = lang if lang in TEXT else "nl"
        t = TEXT[lang]
        # application/x-www-form-urlencoded, parsed with the standard library (no multipart: no uploads).
        parsed = parse_qs((await request.body()).decode("utf-8", errors="replace"), keep_blank_values=True)
        fields: dict[str, Any] = {k: v[0] for k, v in parsed.items()}
        fields["categories"] = parsed.get("categories", [])
        doc = submission_from_form(fields, lang, datetime.now(UTC))
        _status, answer = await submit(json.dumps(doc).encode(), doc)
        if answer.get("status") == "received":
            body = (
                f"<header><h1>{t['received']}</h1></header><main><p>{t['receipt']}:</p>"
                f'<p class="receipt" id="receipt-code" aria-live="polite">{html.escape(str(answer["receipt_code"]))}</p>'
                f"<p>{t['receipt_hint']}</p></main>"
            )
            return _page(lang, str(t["received"]), body)
        return rejection_page(lang, str(answer.get("reason", "")), fields, defaults())

    async def root(_request: Request) -> Response:
        return RedirectResponse("/formulier", status_code=307)

    return [
        Route("/", root),
        Route("/formulier", show, methods=["GET"]),
        Route("/formulier", post, methods=["POST"]),
    ]

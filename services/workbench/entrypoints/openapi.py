"""What the workbench's routes mean, for its OpenAPI document (shared/openapi.py builds it from the
route table; docs/openapi/workbench.json, GET /openapi.json). `caseflow contracts generate`.

Every route is a server-rendered HTML page or a form post (application/x-www-form-urlencoded) that
answers with a redirect (303 See Other) or a page. A page without a live session sends the browser
to the start page (303); a page of another role, or a form whose `csrf` field is not the session's,
answers 403. The session is a cookie set after the OpenID Connect sign-in.
"""

from __future__ import annotations

from collections.abc import Mapping

from services.workbench.entrypoints.http_api import CALLBACK_PATH
from shared.openapi import FORM, HTML, Answer, Operation, Parameter, ServiceApi, form_body

SESSION = "session"
SECURITY = {
    SESSION: {
        "type": "apiKey",
        "in": "cookie",
        "name": "__Host-caseflow-session",
        "description": "The session cookie (HttpOnly, SameSite=Lax, Secure; `caseflow-session` "
        "where cookie_secure is off), set by the sign-in's callback.",
    }
}
LANG = Parameter("lang", "The page's language (default nl).", {"type": "string", "enum": ["nl", "en"]})
DONE = Parameter("klaar", "What was just done (a notice on the page).")
LOCATION = (Parameter("Location", "Where to go next.", where="header"),)
CSRF = "The session's CSRF token (from the page's form)."


def _page(why: str) -> Answer:
    return Answer(why, media_type=HTML)


def _see_other(why: str) -> Answer:
    return Answer(why, media_type=None, headers=LOCATION)


_GUARDED = {
    303: _see_other("No live session: to the start page."),
    403: _page("A page of another role, or the form's CSRF token is not the session's."),
}


def _get(
    path: str, summary: str, operation_id: str, tag: str, more: Mapping[int, Answer] | None = None
) -> Operation:
    return Operation(
        "GET",
        path,
        summary,
        {200: _page("The page."), **_GUARDED, **(more or {})},
        operation_id=operation_id,
        parameters=(LANG, DONE),
        security=(SESSION,),
        tags=(tag,),
    )


def _post(
    path: str,
    summary: str,
    operation_id: str,
    tag: str,
    fields: Mapping[str, str],
    more: Mapping[int, Answer] | None = None,
) -> Operation:
    done = _see_other("Done: back to the page (or no live session: to the start page).")
    return Operation(
        *("POST", path, summary, {303: done, 403: _GUARDED[403], **(more or {})}),
        operation_id=operation_id,
        parameters=(LANG,),
        body_media_type=FORM,
        body_schema=form_body({"csrf": CSRF, **fields}, ["csrf"]),
        security=(SESSION,),
        tags=(tag,),
    )


_CASE_REFUSED = {
    400: _page("The form is not valid: why, on the case page."),
    404: _page("Not this advisor's case."),
    409: _page("Intake refused the command (the case is closed, say)."),
}
_CASE_FORMS = (
    (
        "tijd",
        "Log time spent on the case",
        "logTime",
        {"activity": "What kind of work.", "hours": "Hours.", "minutes": "Minutes."},
    ),
    (
        "afspraak",
        "Ask scheduling for a meeting",
        "requestMeeting",
        {"mode": "How to meet.", "earliest": "The earliest day (YYYY-MM-DD)."},
    ),
    (
        "afspraak/verzetten",
        "Move a meeting (cancel it and plan it anew)",
        "moveMeeting",
        {"meeting_id": "The meeting."},
    ),
    ("afspraak/annuleren", "Cancel a meeting", "cancelMeeting", {"meeting_id": "The meeting."}),
    (
        "stilteruimte",
        "Book a quiet room",
        "bookQuietRoom",
        {"location": "The location code.", "minutes": "How long."},
    ),
    ("uitkomst", "Record the case's outcomes", "recordOutcome", {"outcome": "An outcome code (repeated)."}),
    ("sluiten", "Close the case", "closeCase", {"outcomes": "An outcome code (repeated)."}),
)

OPERATIONS = (
    Operation(
        "GET",
        "/",
        "The start page (signed in: to the role's home page)",
        {200: _page("The start page."), 303: _see_other("Signed in: to the role's home page.")},
        operation_id="start",
        parameters=(LANG,),
        tags=("sign-in",),
    ),
    Operation(
        "GET",
        "/inloggen",
        "Sign in: to the identity provider (OpenID Connect, authorization code with PKCE)",
        {303: _see_other("To the identity provider."), 503: _page("The provider cannot be reached.")},
        operation_id="signIn",
        parameters=(LANG,),
        tags=("sign-in",),
    ),
    Operation(
        "GET",
        CALLBACK_PATH,
        "The identity provider's redirect back: starts the session",
        {
            303: _see_other("Signed in: to the role's home page, with the session cookie."),
            400: _page("Sign-in cancelled."),
            401: _page("Sign-in failed."),
        },
        operation_id="signInCallback",
        parameters=(
            Parameter("state", "The sign-in's state.", required=True),
            Parameter("code", "The authorization code.", required=True),
            Parameter("error", "Set by the provider when the sign-in did not happen."),
        ),
        tags=("sign-in",),
    ),
    _post("/uitloggen", "Sign out (here and at the provider)", "signOut", "sign-in", {}),
    _get("/zaken", "The advisor's cases", "myCases", "cases"),
    _get(
        "/zaken/{case_id}",
        "One case of the advisor's: the case file, the dialogue, the forms",
        "caseFile",
        "cases",
        {404: _page("Not this advisor's case."), 503: _page("Intake cannot be reached.")},
    ),
    _post("/zaken/{case_id}/aannemen", "Accept the case", "acceptCase", "cases", {}, _CASE_REFUSED),
    _post(
        "/zaken/{case_id}/bericht",
        "Reply to the client",
        "replyToClient",
        "cases",
        {"text": "The message."},
        _CASE_REFUSED,
    ),
    _post(
        "/zaken/{case_id}/belangenconflict",
        "Declare a conflict of interest (the case goes back to routing)",
        "declareConflict",
        "cases",
        {"reason": "Why.", "confirm": "`yes`: confirmed."},
        _CASE_REFUSED,
    ),
    _post(
        "/zaken/{case_id}/betrokkene",
        "Add a person involved to the case's facts",
        "addPerson",
        "cases",
        {"role": "Their role.", "description": "Who (optional)."},
        _CASE_REFUSED,
    ),
    *(
        _post(f"/zaken/{{case_id}}/{path}", summary, operation_id, "cases", fields, _CASE_REFUSED)
        for path, summary, operation_id, fields in _CASE_FORMS
    ),
    Operation(
        "GET",
        "/zaken/{case_id}/afspraken/{meeting_id}.ics",
        "The advisor's neutral calendar invitation of a meeting of the case",
        {
            200: Answer("The invitation.", media_type="text/calendar", schema={"type": "string"}),
            **_GUARDED,
            404: _page("No such meeting of this advisor's case."),
        },
        operation_id="meetingInvitation",
        security=(SESSION,),
        tags=("cases",),
    ),
    _get("/contact", "The form to register a contact without a case", "contactForm", "contacts"),
    _post(
        "/contact",
        "Register a contact (opens a case through intake)",
        "registerContact",
        "contacts",
        {
            "form_id": "The form's own id (a retry registers one contact).",
            "channel": "How the client came.",
            "client_role": "The client's role.",
            "category": "The category.",
            "organisation_id": "The organisation.",
            "unit_id": "The unit.",
            "narrative": "What happened.",
            "anonymous": "`yes`: no contact details.",
            "name": "Contact (not anonymous).",
            "email": "Contact (not anonymous).",
            "phone": "Contact (not anonymous).",
        },
        {422: _page("Refused: why, with the form."), 503: _page("Intake cannot be reached.")},
    ),
    _get("/meldingen", "The advisor's notification preferences", "preferences", "notifications"),
    _post(
        "/meldingen",
        "Choose whether to get notification e-mails",
        "choosePreferences",
        "notifications",
        {"email": "`off`: no e-mails."},
    ),
    _get(
        "/statistieken",
        "Management's protected figures (from reporting)",
        "statistics",
        "statistics",
        {503: _page("Reporting's view cannot be had now.")},
    ),
    _get("/wachtrij", "The coordinators' queue of escalated cases", "queue", "coordinators"),
    _post(
        "/wachtrij/{case_id}/toewijzen",
        "Give an escalated case to an advisor",
        "assignCase",
        "coordinators",
        {"advisor": "The advisor's id."},
        {409: _page("Routing refused: why, on the queue.")},
    ),
    _get(
        "/adviseurs",
        "The coordinator's advisors: figures, terms, reflection talks",
        "advisors",
        "coordinators",
    ),
    _post(
        "/adviseurs/reflectiegesprek",
        "Record a yearly reflection talk with an advisor",
        "reflectionTalk",
        "coordinators",
        {"advisor": "The advisor's id.", "held_on": "The date."},
        {422: _page("Refused: why, with the form.")},
    ),
    _get("/uren", "The advisor's hours, training and supervision against the baseline", "hours", "hours"),
    Operation(
        "POST",
        "/uren/{form}",
        "Record hours, training or supervision",
        {
            303: _see_other("Recorded: to /uren (or no live session: to the start page)."),
            403: _GUARDED[403],
            404: _page("No such form."),
            422: _page("Refused: why, with the form."),
        },
        operation_id="recordHours",
        parameters=(
            Parameter(
                "form",
                "Which record.",
                {"type": "string", "enum": ["tijd", "scholing", "intervisie"]},
                where="path",
            ),
            LANG,
        ),
        body_media_type=FORM,
        body_schema=form_body(
            {
                "csrf": CSRF,
                "activity": "tijd: what kind of work.",
                "minutes": "tijd: minutes.",
                "hours": "scholing, intervisie: hours.",
                "kind": "scholing: what kind.",
                "completed_on": "scholing: the date.",
                "session_on": "intervisie: the date.",
            },
            ["csrf"],
        ),
        security=(SESSION,),
        tags=("hours",),
    ),
)

WORKBENCH_API = ServiceApi(
    "workbench",
    "caseflow workbench: the advisors', coordinators' and management's pages",
    "Server-rendered pages that work without JavaScript. Sign-in is OpenID Connect; every form "
    "carries the session's CSRF token; a page of another role answers 403.",
    OPERATIONS,
    SECURITY,
)

"""Registering a phone call or a walk-in as a case, from the workbench (/contact): the form's fields
become a submission for intake's POST /v1/submissions, with the signed-in advisor as the preferred
advisor and the form's random id as the idempotency key (a resubmitted form is the same submission).

Only codes pass as codes: the channel, the client's role, the category, the organisation and unit
(the directory's ids) are checked here and again by intake; the narrative and the contact details
go to intake in the request body only, never stored or logged here. A refusal is a reason code."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Any

from services.workbench.adapters.intake_submissions import ContactRefused
from shared.codes import Category, Channel, ClientRole

CHANNELS = (Channel.PHONE, Channel.WALK_IN)
FORM_ID = re.compile(r"^[A-Za-z0-9_-]{16,40}$")
CODE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
MAX_NARRATIVE = 20_000


def new_form_id() -> str:
    """A random id per rendered form: the submission's id and its Idempotency-Key."""
    return secrets.token_urlsafe(18)


def _code(raw: str, kind: type[Any], reason: str) -> Any:
    try:
        return kind(raw.strip())
    except ValueError:
        raise ContactRefused(reason) from None


def contact_submission(form: dict[str, str], advisor_id: str, now: datetime) -> tuple[str, dict[str, Any]]:
    """(idempotency key, submission) for the form's fields; ContactRefused with a reason code."""
    form_id = form.get("form_id", "")
    if not FORM_ID.match(form_id):
        raise ContactRefused("contact_form_expired")
    channel = _code(form.get("channel", ""), Channel, "contact_unknown_channel")
    if channel not in CHANNELS:
        raise ContactRefused("contact_unknown_channel")
    role = _code(form.get("client_role", ""), ClientRole, "contact_unknown_client_role")
    category = _code(form.get("category", ""), Category, "contact_unknown_category")
    organisation, unit = form.get("organisation_id", "").strip(), form.get("unit_id", "").strip()
    if not (CODE.match(organisation) and CODE.match(unit)):
        raise ContactRefused("contact_unknown_unit")
    narrative = form.get("narrative", "").strip()
    if len(narrative) > MAX_NARRATIVE:
        raise ContactRefused("contact_narrative_too_long")
    anonymous = form.get("anonymous") == "yes"
    contact = {k: form.get(k, "").strip() for k in ("name", "email", "phone")}
    contact = {k: v for k, v in contact.items() if v}
    if anonymous and contact:
        raise ContactRefused("contact_given_while_anonymous")
    if not anonymous and not (contact.get("email") or contact.get("phone")):
        raise ContactRefused("contact_unreachable")
    doc: dict[str, Any] = {
        "schema_version": 1,
        "submission_id": f"wb-{form_id}",
        "submitted_at": now.isoformat(),
        "channel": channel.value,
        "organisation_id": organisation,
        "unit_id": unit,
        "client_role": role.value,
        "anonymous": anonymous,
        "categories": [category.value],
        "narrative": narrative,
        "preferred_advisor_id": advisor_id,
    }
    if contact:
        doc["contact"] = contact
    return form_id, doc

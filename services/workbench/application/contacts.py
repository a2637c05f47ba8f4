"""Registering a phone call or a walk-in as a case, from the workbench (/contact): the form's fields
become a submission for intake's POST /v1/submissions, with the signed-in advisor as the preferred
advisor and the form's random id as the idempotency key (a resubmitted form is the same submission).

Only codes pass as codes: the channel, the client's role, the category, the organisation and unit
(the directory's ids) are checked here and again by intake; the narrative and the contact details
go to intake in the request body only, never stored or logged here. A refusal is a reason code.

The unit is chosen from a list by name (directory.units.v1, grouped per organisation) and the
organisation follows from it; only while the workbench has not read any unit yet does the form ask
for the two codes instead."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from services.workbench.adapters import advisor_directory
from services.workbench.adapters.advisor_directory import UnitRow
from services.workbench.adapters.intake_submissions import ContactRefused
from shared.codes import Category, Channel, ClientRole

CHANNELS = (Channel.PHONE, Channel.WALK_IN)
FORM_ID = re.compile(r"^[A-Za-z0-9_-]{16,40}$")
CODE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
MAX_NARRATIVE = 20_000


@dataclass(frozen=True, slots=True)
class UnitGroup:
    """One organisation's units for the form's list: its name and (unit id, unit name) pairs."""

    organisation: str
    units: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class UnitCatalogue:
    groups: tuple[UnitGroup, ...]  # empty: no unit read yet, the form asks for the codes


def catalogue_of(rows: list[UnitRow]) -> tuple[UnitCatalogue, dict[str, str]]:
    """The units grouped per organisation, named by its root unit (else its id), and each unit's
    organisation id."""
    names = {r.organisation_id: r.name for r in rows if r.parent_id is None}
    by_org: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        by_org.setdefault(row.organisation_id, []).append((row.unit_id, row.name))

    def name_of(org: str) -> str:
        return names.get(org) or org

    ordered = sorted(by_org, key=lambda org: name_of(org).casefold())
    groups = tuple(UnitGroup(name_of(org), tuple(by_org[org])) for org in ordered)
    return UnitCatalogue(groups), {r.unit_id: r.organisation_id for r in rows}


async def unit_catalogue(engine: AsyncEngine) -> tuple[UnitCatalogue, dict[str, str]]:
    async with engine.connect() as conn:
        return catalogue_of(await advisor_directory.all_units(conn))


def new_form_id() -> str:
    """A random id per rendered form: the submission's id and its Idempotency-Key."""
    return secrets.token_urlsafe(18)


def _code(raw: str, kind: type[Any], reason: str) -> Any:
    try:
        return kind(raw.strip())
    except ValueError:
        raise ContactRefused(reason) from None


def _placement(form: dict[str, str], unit_organisations: Mapping[str, str]) -> tuple[str, str]:
    """(organisation, unit): the unit chosen from the list and its organisation, or, with no list
    yet, the two codes typed in."""
    unit = form.get("unit_id", "").strip()
    if unit_organisations:
        if unit not in unit_organisations:
            raise ContactRefused("contact_unknown_unit")
        return unit_organisations[unit], unit
    organisation = form.get("organisation_id", "").strip()
    if not (CODE.match(organisation) and CODE.match(unit)):
        raise ContactRefused("contact_unknown_unit")
    return organisation, unit


def contact_submission(
    form: dict[str, str], advisor_id: str, now: datetime, unit_organisations: Mapping[str, str]
) -> tuple[str, dict[str, Any]]:
    """(idempotency key, submission) for the form's fields; ContactRefused with a reason code.
    `unit_organisations`: each known unit's organisation (empty: none known yet)."""
    form_id = form.get("form_id", "")
    if not FORM_ID.match(form_id):
        raise ContactRefused("contact_form_expired")
    channel = _code(form.get("channel", ""), Channel, "contact_unknown_channel")
    if channel not in CHANNELS:
        raise ContactRefused("contact_unknown_channel")
    role = _code(form.get("client_role", ""), ClientRole, "contact_unknown_client_role")
    category = _code(form.get("category", ""), Category, "contact_unknown_category")
    organisation, unit = _placement(form, unit_organisations)
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

"""From events to the policy's CaseFacts: coded fields in clear plus the sealed routing facts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.routing.adapters.tables import routing_cases
from services.routing.domain.policy import CaseFacts, InvolvedPerson
from shared.codes import Category, ClientRole, InvolvedRole
from shared.contracts.intake import CaseOpened
from shared.crypto import CaseCipher, Sealed
from shared.locations import location_code

# The key in a row's `coded` under which routing keeps the advisor a coordinator chose for the case
# (an advisor id, in clear in the AdvisorAssigned it gave anyway); CaseOpened has no such field.
COORDINATOR_CHOICE = "coordinator_choice"


def coded_fields(opened: CaseOpened) -> dict[str, Any]:
    return {
        "client_role": opened.client_role.value,
        "categories": [c.value for c in opened.categories],
        "wants_external": opened.wants_external_advisor,
        "language": opened.language,
        "location": opened.location_code,
        "is_whistleblower_report": opened.is_whistleblower_report,
    }


async def code_stored_locations(conn: AsyncConnection) -> int:
    """Case rows written before location codes hold the client's town as typed in `coded`:
    replace it by its code (decision D20). Idempotent; run at start-up. Returns the rows changed."""
    rows = (await conn.execute(select(routing_cases.c.case_id, routing_cases.c.coded))).all()
    changed = 0
    for row in rows:
        coded = dict(row.coded or {})
        if coded.get("location") is not None and location_code(coded["location"]) != coded["location"]:
            coded["location"] = location_code(coded["location"])
            await conn.execute(
                update(routing_cases).where(routing_cases.c.case_id == row.case_id).values(coded=coded)
            )
            changed += 1
    return changed


def _persons(raw: list[dict[str, Any]]) -> list[InvolvedPerson]:
    return [
        InvolvedPerson(person_id=p.get("person_id"), role=InvolvedRole(p["role"]) if p.get("role") else None)
        for p in raw
    ]


async def case_facts(cipher: CaseCipher, row: Any) -> CaseFacts:
    """Decrypt and assemble the facts of a case row (raises KeyErased for an erased case)."""
    facts = await cipher.open(row.case_id, "routing_facts", Sealed.model_validate_json(row.routing_facts))
    persons = _persons(facts.get("persons_involved", []))
    for amendment in row.amendments or []:
        added = await cipher.open(row.case_id, "amended_facts", Sealed.model_validate_json(amendment))
        persons += _persons(added.get("persons_involved", []))
    coded = row.coded
    return CaseFacts(
        case_id=row.case_id,
        organisation_id=row.organisation_id,
        unit_id=row.unit_id,
        client_person_id=facts.get("client_person_id"),
        client_role=ClientRole(coded["client_role"]),
        categories=tuple(Category(c) for c in coded["categories"]),
        persons_involved=tuple(persons),
        preferred_advisor_id=facts.get("preferred_advisor_id"),
        excluded_advisor_ids=frozenset(facts.get("excluded_advisor_ids", [])),
        wants_external=bool(coded["wants_external"]),
        language=coded.get("language"),
        location=location_code(coded.get("location")),  # rows stored before codes hold the town
        is_whistleblower_report=bool(coded.get("is_whistleblower_report")),
        current_advisor_id=row.current_advisor_id,
        previously_conflicted_advisor_ids=frozenset(row.conflicted_advisor_ids or []),
        coordinator_choice_id=coded.get(COORDINATOR_CHOICE),
    )


def facts_document(facts: CaseFacts) -> dict[str, Any]:
    """The facts as JSON, sealed into each decision so that the audit can decide again."""
    return {
        "case_id": facts.case_id,
        "organisation_id": facts.organisation_id,
        "unit_id": facts.unit_id,
        "client_person_id": facts.client_person_id,
        "client_role": facts.client_role.value,
        "categories": [c.value for c in facts.categories],
        "persons_involved": [
            {"person_id": p.person_id, "role": p.role.value if p.role else None}
            for p in facts.persons_involved
        ],
        "preferred_advisor_id": facts.preferred_advisor_id,
        "excluded_advisor_ids": sorted(facts.excluded_advisor_ids),
        "wants_external": facts.wants_external,
        "language": facts.language,
        "location": facts.location,
        "is_whistleblower_report": facts.is_whistleblower_report,
        "current_advisor_id": facts.current_advisor_id,
        "previously_conflicted_advisor_ids": sorted(facts.previously_conflicted_advisor_ids),
        "coordinator_choice_id": facts.coordinator_choice_id,
    }


def facts_from_document(doc: dict[str, Any]) -> CaseFacts:
    return CaseFacts(
        case_id=doc["case_id"],
        organisation_id=doc["organisation_id"],
        unit_id=doc["unit_id"],
        client_person_id=doc["client_person_id"],
        client_role=ClientRole(doc["client_role"]),
        categories=tuple(Category(c) for c in doc["categories"]),
        persons_involved=tuple(_persons(doc["persons_involved"])),
        preferred_advisor_id=doc["preferred_advisor_id"],
        excluded_advisor_ids=frozenset(doc["excluded_advisor_ids"]),
        wants_external=doc["wants_external"],
        language=doc["language"],
        location=location_code(doc["location"]),  # inputs sealed before codes hold the town
        is_whistleblower_report=doc["is_whistleblower_report"],
        current_advisor_id=doc["current_advisor_id"],
        previously_conflicted_advisor_ids=frozenset(doc["previously_conflicted_advisor_ids"]),
        coordinator_choice_id=doc.get("coordinator_choice_id"),  # absent in inputs sealed before it
    )

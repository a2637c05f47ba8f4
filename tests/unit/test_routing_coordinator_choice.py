"""A coordinator's choice for an escalated case goes through the same routing policy (pure, no I/O).

The world: Eva works in the small pumping station of the Ministry of Dikes and reports bullying.
Finn (internal advisor) works in her small unit and Ella (external) is a VPI: nobody in scope is
eligible, the case is escalated. The Ministry of Tulips has cross-unit advisors who serve only its
own bulb unit, outside Eva's scope: Hugo (no conflict), Kees (knows Eva too well), Lena (on leave).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from services.routing.adapters.facts import facts_document, facts_from_document
from services.routing.application.coordinator_choice import REFUSAL_OF_RULE, refusal_of_rule
from services.routing.domain.directory import (
    AcquaintanceDeclared,
    Advisor,
    CoordinatorAppointed,
    Directory,
    OrgUnit,
    Person,
)
from services.routing.domain.policy import (
    CaseFacts,
    RuleCode,
    SelectionReason,
    coordinator_refusal,
    decide,
    explain,
    is_assignment_still_valid,
)
from services.routing.domain.reroute import reroute_reason
from shared.advisor_commands import SignedCommand
from shared.codes import AdvisorKind, AdvisorScope, AdvisorStatus, Category, ClientRole
from shared.contracts.advisor_actions import AssignEscalatedCase, CoordinatorRefusal

pytestmark = pytest.mark.unit

NOW = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)
DIKES, TULIPS = "min-dikes", "min-tulips"


def _advisor(advisor_id: str, person_id: str | None, scope: AdvisorScope, **changes: object) -> Advisor:
    advisor = Advisor(
        advisor_id=advisor_id,
        person_id=person_id,
        kind=AdvisorKind.VPIO,
        scope=scope,
        served_unit_ids=frozenset({"tulips.bulbs"}) if scope is AdvisorScope.CROSS_UNIT else frozenset(),
        organisation_id=None if scope is AdvisorScope.EXTERNAL else (TULIPS if person_id else DIKES),
        languages=frozenset({"nl"}),
        locations=frozenset(),
        weekly_hours=4.0,
        term_start=date(2024, 1, 1),
        term_end=None,
        status=AdvisorStatus.ACTIVE,
        open_cases=0,
        acquaintances=frozenset(),
    )
    return replace(advisor, **changes)  # type: ignore[arg-type]


def world() -> Directory:
    directory = Directory.build(
        units=[
            OrgUnit("dikes", None, "Dikes", 500, DIKES),
            OrgUnit("dikes.pumps", "dikes", "Pumps", 12, DIKES),
            OrgUnit("tulips", None, "Tulips", 300, TULIPS),
            OrgUnit("tulips.bulbs", "tulips", "Bulbs", 80, TULIPS),
        ],
        persons=[
            Person("p-bakker", "dikes.pumps", None),
            Person("p-eva", "dikes.pumps", "p-bakker"),
            Person("p-finn", "dikes.pumps", "p-bakker"),
            Person("p-tulp", "tulips", None, is_top_management=True),
            Person("p-hugo", "tulips.bulbs", "p-tulp"),
            Person("p-kees", "tulips.bulbs", "p-tulp"),
            Person("p-lena", "tulips.bulbs", "p-tulp"),
        ],
        advisors=[
            _advisor("adv-finn", "p-finn", AdvisorScope.INTERNAL, organisation_id=DIKES),
            _advisor("adv-ella", None, AdvisorScope.EXTERNAL, kind=AdvisorKind.VPI),
            _advisor("adv-hugo", "p-hugo", AdvisorScope.CROSS_UNIT),
            _advisor("adv-kees", "p-kees", AdvisorScope.CROSS_UNIT),
            _advisor("adv-lena", "p-lena", AdvisorScope.CROSS_UNIT, status=AdvisorStatus.ON_LEAVE),
        ],
    )
    directory.apply(AcquaintanceDeclared("adv-kees", "p-eva"))
    directory.apply(CoordinatorAppointed("coord-dikes", frozenset({DIKES})))
    return directory


EVAS_CASE = CaseFacts(
    case_id="case-eva",
    organisation_id=DIKES,
    unit_id="dikes.pumps",
    client_person_id="p-eva",
    client_role=ClientRole.EMPLOYEE,
    categories=(Category.BULLYING,),
)


def chosen(advisor_id: str) -> CaseFacts:
    return replace(EVAS_CASE, coordinator_choice_id=advisor_id)


def test_nobody_in_scope_is_eligible_so_the_case_is_escalated() -> None:
    decision = decide(EVAS_CASE, world(), NOW)
    assert (decision.outcome, decision.candidates_considered) == ("escalated", 2)


def test_the_coordinators_eligible_choice_outside_the_scope_gets_the_case() -> None:
    decision = decide(chosen("adv-hugo"), world(), NOW)
    assert (decision.outcome, decision.advisor_id, decision.selection_reason) == (
        "assigned",
        "adv-hugo",
        SelectionReason.COORDINATOR_CHOICE,
    )
    assert (decision.candidates_considered, decision.eligible_count) == (3, 1)
    assert coordinator_refusal(decision, "adv-hugo") is None
    assert "a coordinator chose for the escalated case" in " ".join(explain(decision))


@pytest.mark.parametrize(
    ("advisor_id", "rule", "answer"),
    [
        ("adv-kees", RuleCode.ACQUAINTANCE_DECLARED, CoordinatorRefusal.CHOSEN_ADVISOR_CONFLICT_OF_INTEREST),
        ("adv-finn", RuleCode.SMALL_UNIT_SHARED, CoordinatorRefusal.CHOSEN_ADVISOR_CONFLICT_OF_INTEREST),
        ("adv-lena", RuleCode.NOT_AVAILABLE, CoordinatorRefusal.CHOSEN_ADVISOR_UNAVAILABLE),
        ("adv-ella", RuleCode.KIND_MISMATCH, CoordinatorRefusal.CHOSEN_ADVISOR_KIND_MISMATCH),
        ("adv-nobody", RuleCode.UNKNOWN_ADVISOR, CoordinatorRefusal.CHOSEN_ADVISOR_UNKNOWN),
    ],
)
def test_a_conflicted_choice_is_refused_with_the_rule_that_excludes_them(
    advisor_id: str, rule: RuleCode, answer: CoordinatorRefusal
) -> None:
    decision = decide(chosen(advisor_id), world(), NOW)
    assert decision.outcome == "escalated"
    assert coordinator_refusal(decision, advisor_id) is rule
    assert refusal_of_rule(rule) is answer


def test_the_choice_keeps_the_advisor_in_scope_when_the_assignment_is_checked_again() -> None:
    holding = replace(chosen("adv-hugo"), current_advisor_id="adv-hugo")
    assert is_assignment_still_valid(holding, world(), NOW, "adv-hugo") == (True, ())
    without = replace(holding, coordinator_choice_id=None)
    assert is_assignment_still_valid(without, world(), NOW, "adv-hugo") == (False, (RuleCode.OUT_OF_SCOPE,))


def test_the_choice_does_not_outlive_a_conflict_the_advisor_declares() -> None:
    declared = replace(chosen("adv-hugo"), previously_conflicted_advisor_ids=frozenset({"adv-hugo"}))
    decision = decide(declared, world(), NOW)
    assert decision.outcome == "escalated"
    assert coordinator_refusal(decision, "adv-hugo") is RuleCode.EXCLUDED_FOR_CASE


def test_every_rule_has_a_clear_answer_and_only_the_impersonal_ones_say_which() -> None:
    assert set(REFUSAL_OF_RULE) == set(RuleCode)
    specific = {
        rule
        for rule, answer in REFUSAL_OF_RULE.items()
        if answer is not CoordinatorRefusal.CHOSEN_ADVISOR_CONFLICT_OF_INTEREST
    }
    assert specific == {
        RuleCode.UNKNOWN_ADVISOR,
        RuleCode.NOT_AVAILABLE,
        RuleCode.KIND_MISMATCH,
        RuleCode.LANGUAGE_MISMATCH,
    }


def test_the_choice_travels_in_the_sealed_inputs_the_audit_decides_again_with() -> None:
    document = facts_document(chosen("adv-hugo"))
    assert facts_from_document(document) == chosen("adv-hugo")
    older = {k: v for k, v in document.items() if k != "coordinator_choice_id"}
    assert facts_from_document(older) == EVAS_CASE  # inputs sealed before the field


def test_the_directory_knows_who_coordinates_which_organisation() -> None:
    directory = world()
    assert directory.coordinates("coord-dikes", DIKES)
    assert not directory.coordinates("coord-dikes", TULIPS)
    assert not directory.coordinates("adv-hugo", DIKES)
    before = directory.snapshot()
    directory.apply(CoordinatorAppointed("coord-dikes", frozenset()))  # the appointment ends
    assert not directory.coordinates("coord-dikes", DIKES)
    assert before.coordinates("coord-dikes", DIKES)


def test_appointing_a_coordinator_routes_nothing_again() -> None:
    assert reroute_reason("CoordinatorAppointed", {"coordinator_id": "c", "organisation_ids": []}) is None


def test_the_command_is_signed_by_the_coordinator_and_binds_the_chosen_advisor() -> None:
    command = AssignEscalatedCase(
        advisor_id="coord-dikes", auth="t", issued_at=NOW, case_id="case-eva", chosen_advisor_id="adv-hugo"
    )
    signed = SignedCommand.of(command)
    assert (signed.advisor_id, signed.action, signed.case_id) == (
        "coord-dikes",
        "AssignEscalatedCase",
        "case-eva",
    )
    other = SignedCommand.of(command.model_copy(update={"chosen_advisor_id": "adv-kees"}))
    assert other.digest != signed.digest

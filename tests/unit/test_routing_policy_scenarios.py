"""Routing scenarios in plain language, each tied to a finding of the study (DOMAIN.md, seed §).

The world: the Ministry of Dikes (a water directorate with a small pumping station and a levee
team, and a policy directorate) and the small Ministry of Tulips, plus one government-wide external
advisor, Ella. Loads are chosen so that, with nobody excluded, Bram (levees) is the least loaded.

    Ministry of Dikes                                   advisors (load = open cases / weekly hours)
      SG Stevens (top management)
        Director Jansen - Water (150)
          Manager Bakker - Pumps (12, small): Eva, Finn, Anna    adv_anna  internal VPIO  0.5
          Manager Visser - Levees (90): Gijs, Bram               adv_bram  internal VPIO  0.25
        Director Smit - Policy (60): Ivo, Carla, Daan            adv_smit  internal VPIO  1.5
                                                                 adv_carla internal VPI   0.625
                                                                 adv_daan  internal VPO   1.0
    Ministry of Tulips
      SG Tulp: Kees, Hugo, Iris, Joost                           adv_hugo  cross_unit for Water 0.75
                                                                 adv_iris, adv_joost internal 1.0
    government-wide                                              adv_ella  external VPIO  1.0
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

import pytest

from services.routing.domain.directory import (
    AcquaintanceDeclared,
    Advisor,
    AdvisorStatusChanged,
    AdvisorUpserted,
    Directory,
    DirectoryChange,
    ManagerChanged,
    OrgUnit,
    Person,
    PersonMoved,
)
from services.routing.domain.policy import (
    LABOUR_LAW_REFERRAL,
    CaseFacts,
    Decision,
    InvolvedPerson,
    RuleCode,
    SelectionReason,
    decide,
    explain,
    is_assignment_still_valid,
    term_endings_within,
)
from shared.codes import (
    AdvisorKind,
    AdvisorScope,
    AdvisorStatus,
    Category,
    ClientRole,
    InvolvedRole,
)

pytestmark = pytest.mark.unit

NOW = datetime(2025, 3, 14, 10, 0, tzinfo=UTC)
TODAY = NOW.date()
DIKES = "ministry_of_dikes"
TULIPS = "ministry_of_tulips"


# --------------------------------------------------------------------------------------------
# The small world


def _unit(unit_id: str, parent: str | None, size: int, organisation: str = DIKES) -> OrgUnit:
    return OrgUnit(unit_id, parent, unit_id.replace(".", " ").title(), size, organisation)


def _advisor(
    advisor_id: str,
    person_id: str | None,
    *,
    open_cases: int,
    weekly_hours: float = 4,
    kind: AdvisorKind = AdvisorKind.VPIO,
    scope: AdvisorScope = AdvisorScope.INTERNAL,
    organisation: str | None = DIKES,
    languages: frozenset[str] = frozenset({"nl"}),
    locations: frozenset[str] = frozenset({"den_haag"}),
    served: frozenset[str] = frozenset(),
) -> Advisor:
    return Advisor(
        advisor_id=advisor_id,
        person_id=person_id,
        kind=kind,
        scope=scope,
        served_unit_ids=served,
        organisation_id=organisation,
        languages=languages,
        locations=locations,
        weekly_hours=weekly_hours,
        term_start=date(2022, 1, 1),
        term_end=date(2027, 12, 31),
        status=AdvisorStatus.ACTIVE,
        open_cases=open_cases,
        acquaintances=frozenset(),
    )


def two_ministries(*changes: DirectoryChange) -> Directory:
    units = [
        _unit("dikes", None, 300),
        _unit("dikes.water", "dikes", 150),
        _unit("dikes.water.pumps", "dikes.water", 12),
        _unit("dikes.water.levees", "dikes.water", 90),
        _unit("dikes.policy", "dikes", 60),
        _unit("tulips", None, 40, TULIPS),
    ]
    persons = [
        Person("sg_stevens", "dikes", None, is_top_management=True),
        Person("dir_jansen", "dikes.water", "sg_stevens"),
        Person("mgr_bakker", "dikes.water.pumps", "dir_jansen"),
        Person("eva", "dikes.water.pumps", "mgr_bakker"),
        Person("finn", "dikes.water.pumps", "mgr_bakker"),
        Person("anna", "dikes.water.pumps", "mgr_bakker"),
        Person("mgr_visser", "dikes.water.levees", "dir_jansen"),
        Person("gijs", "dikes.water.levees", "mgr_visser"),
        Person("bram", "dikes.water.levees", "mgr_visser"),
        Person("dir_smit", "dikes.policy", "sg_stevens"),
        Person("ivo", "dikes.policy", "dir_smit"),
        Person("carla", "dikes.policy", "dir_smit"),
        Person("daan", "dikes.policy", "dir_smit"),
        Person("sg_tulp", "tulips", None, is_top_management=True),
        Person("kees", "tulips", "sg_tulp"),
        Person("hugo", "tulips", "sg_tulp"),
        Person("iris", "tulips", "sg_tulp"),
        Person("joost", "tulips", "sg_tulp"),
    ]
    advisors = [
        _advisor("adv_anna", "anna", open_cases=2, languages=frozenset({"nl", "en"})),
        _advisor("adv_bram", "bram", open_cases=1, locations=frozenset({"zwolle"})),
        _advisor("adv_smit", "dir_smit", open_cases=6),
        _advisor("adv_carla", "carla", open_cases=5, weekly_hours=8, kind=AdvisorKind.VPI),
        _advisor("adv_daan", "daan", open_cases=2, weekly_hours=2, kind=AdvisorKind.VPO),
        _advisor(
            "adv_hugo",
            "hugo",
            open_cases=3,
            scope=AdvisorScope.CROSS_UNIT,
            organisation=TULIPS,
            served=frozenset({"dikes.water"}),
            languages=frozenset({"nl", "de"}),
            locations=frozenset({"utrecht"}),
        ),
        _advisor("adv_iris", "iris", open_cases=4, organisation=TULIPS),
        _advisor("adv_joost", "joost", open_cases=4, organisation=TULIPS),
        _advisor(
            "adv_ella",
            None,
            open_cases=8,
            weekly_hours=8,
            scope=AdvisorScope.EXTERNAL,
            organisation=None,
            languages=frozenset({"nl", "en", "fr"}),
            locations=frozenset({"utrecht", "den_haag"}),
        ),
    ]
    directory = Directory.build(units, persons, advisors)
    for change in changes:
        directory.apply(change)
    return directory


UNIT_OF_CLIENT = {
    "dir_jansen": "dikes.water",
    "eva": "dikes.water.pumps",
    "finn": "dikes.water.pumps",
    "gijs": "dikes.water.levees",
    "bram": "dikes.water.levees",
    "ivo": "dikes.policy",
    "kees": "tulips",
}


def case_of(
    client: str | None,
    *,
    unit: str | None = None,
    categories: tuple[Category, ...] = (Category.WORKLOAD,),
    involved: tuple[InvolvedPerson, ...] = (),
    **facts: object,
) -> CaseFacts:
    unit_id = unit or UNIT_OF_CLIENT[client or ""]
    organisation = TULIPS if unit_id == "tulips" else DIKES
    base = CaseFacts(
        case_id="case-2025-0042",
        organisation_id=organisation,
        unit_id=unit_id,
        client_person_id=client,
        client_role=ClientRole.EMPLOYEE,
        categories=categories,
        persons_involved=involved,
    )
    return replace(base, **facts)  # type: ignore[arg-type]


def by_id(person_id: str, role: InvolvedRole | None = None) -> InvolvedPerson:
    return InvolvedPerson(person_id=person_id, role=role)


def by_role(role: InvolvedRole) -> InvolvedPerson:
    return InvolvedPerson(person_id=None, role=role)


def _on_leave(advisor_id: str) -> AdvisorStatusChanged:
    return AdvisorStatusChanged(advisor_id, AdvisorStatus.ON_LEAVE)


def _with_term(advisor_id: str, start: date, end: date | None) -> Directory:
    directory = two_ministries()
    advisor = directory.advisor(advisor_id)
    assert advisor is not None
    return directory.apply(AdvisorUpserted(replace(advisor, term_start=start, term_end=end)))


# --------------------------------------------------------------------------------------------
# The table


@dataclass(frozen=True)
class Scenario:
    finding: str  # where in the study (seed §) this comes from
    case: CaseFacts
    expected_advisor: str | None  # None: escalated
    directory: Directory = field(default_factory=two_ministries)
    # Exactly these rules, with these counts (the clear summary); None: not checked.
    expected_rule_counts: dict[RuleCode, int] | None = None
    expected_exclusions: dict[str, RuleCode] = field(default_factory=dict)  # at least these
    expected_selection: SelectionReason | None = None
    expected_referral: str | None = None


SCENARIOS = [
    pytest.param(
        Scenario(
            finding="§2.6 clients are served by an internal advisor when nothing stands in the way",
            case=case_of("gijs"),
            expected_advisor="adv_bram",
            expected_rule_counts={},
            expected_selection=SelectionReason.LOWEST_LOAD,
        ),
        id="without any conflict the least loaded advisor in scope takes the case",
    ),
    pytest.param(
        Scenario(
            finding="§2.6 a complaint about an advisor goes to someone outside that advisor's organisation",
            case=case_of("gijs", involved=(by_id("bram", InvolvedRole.ADVISOR),)),
            expected_advisor="adv_hugo",
            expected_rule_counts={
                RuleCode.ADVISOR_INVOLVED: 1,
                RuleCode.COMPLAINT_ABOUT_ADVISOR_SAME_ORGANISATION: 4,
            },
            expected_exclusions={
                "adv_bram": RuleCode.ADVISOR_INVOLVED,
                "adv_anna": RuleCode.COMPLAINT_ABOUT_ADVISOR_SAME_ORGANISATION,
            },
        ),
        id="a complaint about advisor Bram goes to an advisor from outside the Ministry of Dikes",
    ),
    pytest.param(
        Scenario(
            finding="§2.3 an advisor cannot be their own advisor",
            case=case_of("bram"),
            expected_advisor="adv_anna",
            expected_rule_counts={RuleCode.ADVISOR_INVOLVED: 1},
            expected_exclusions={"adv_bram": RuleCode.ADVISOR_INVOLVED},
        ),
        id="an advisor who needs help himself gets a colleague",
    ),
    pytest.param(
        Scenario(
            finding="§2.3 the case concerns the advisor's own manager, higher up the line",
            case=case_of("gijs", involved=(by_id("dir_jansen"),)),
            expected_advisor="adv_carla",
            expected_rule_counts={RuleCode.INVOLVED_IN_ADVISOR_CHAIN: 2},
            expected_exclusions={
                "adv_anna": RuleCode.INVOLVED_IN_ADVISOR_CHAIN,
                "adv_bram": RuleCode.INVOLVED_IN_ADVISOR_CHAIN,
            },
        ),
        id="a case about director Jansen skips the advisors who report to him",
    ),
    pytest.param(
        Scenario(
            finding="§2.3 hierarchical relation between advisor and client",
            case=case_of("ivo"),
            expected_advisor="adv_bram",
            expected_rule_counts={RuleCode.ADVISOR_IN_CHAIN_OF_INVOLVED: 1},
            expected_exclusions={"adv_smit": RuleCode.ADVISOR_IN_CHAIN_OF_INVOLVED},
        ),
        id="director Smit is an advisor but never for his own staff",
    ),
    pytest.param(
        Scenario(
            finding="§2.3 in a small unit the advisor knows the people involved too well",
            case=case_of("eva"),
            expected_advisor="adv_bram",
            expected_rule_counts={RuleCode.SMALL_UNIT_SHARED: 1},
            expected_exclusions={"adv_anna": RuleCode.SMALL_UNIT_SHARED},
        ),
        id="Anna does not advise Eva because they share the small pumping station",
    ),
    pytest.param(
        Scenario(
            finding="§2.3 advisors pass a case about someone they know well to a colleague",
            case=case_of("gijs"),
            directory=two_ministries(AcquaintanceDeclared("adv_bram", "gijs")),
            expected_advisor="adv_anna",
            expected_rule_counts={RuleCode.ACQUAINTANCE_DECLARED: 1},
            expected_exclusions={"adv_bram": RuleCode.ACQUAINTANCE_DECLARED},
        ),
        id="Bram declared he knows Gijs well so Anna takes the case",
    ),
    pytest.param(
        Scenario(
            finding="§2.6 a client who lost trust in the system may ask for someone from outside",
            case=case_of("gijs", wants_external=True),
            expected_advisor="adv_ella",
            expected_rule_counts={RuleCode.EXTERNAL_ONLY: 6},
        ),
        id="a client who asks for an external advisor gets Ella",
    ),
    pytest.param(
        Scenario(
            finding="§2.6 cases about persons high in the organisation go outside; external is one known person",
            case=case_of("gijs", involved=(by_role(InvolvedRole.TOP_MANAGEMENT),), language="fr"),
            expected_advisor="adv_ella",
            expected_rule_counts={RuleCode.LANGUAGE_MISMATCH: 6},
        ),
        id="top management involved and a French speaker still finds the external advisor",
    ),
    pytest.param(
        Scenario(
            finding="§2.6 top management involved: external only, and nobody external speaks German",
            case=case_of("gijs", involved=(by_id("sg_stevens"),), language="de"),
            expected_advisor=None,
            expected_rule_counts={RuleCode.LANGUAGE_MISMATCH: 6, RuleCode.EXTERNAL_ONLY: 1},
        ),
        id="top management involved and a German wish escalates because the only German speaker is internal",
    ),
    pytest.param(
        Scenario(
            finding="§2.6 clients choose an advisor on personal impression; a choice is honoured",
            case=case_of("gijs", preferred_advisor_id="adv_ella"),
            expected_advisor="adv_ella",
            expected_rule_counts={},
            expected_selection=SelectionReason.PREFERRED,
        ),
        id="the client's preferred advisor is honoured when she has no conflict",
    ),
    pytest.param(
        Scenario(
            finding="§2.6 preference honoured unless it conflicts; §2.3 the advisor's own manager",
            case=case_of("gijs", involved=(by_id("mgr_visser"),), preferred_advisor_id="adv_bram"),
            expected_advisor="adv_anna",
            expected_rule_counts={RuleCode.INVOLVED_IN_ADVISOR_CHAIN: 1},
            expected_exclusions={"adv_bram": RuleCode.INVOLVED_IN_ADVISOR_CHAIN},
            expected_selection=SelectionReason.LOWEST_LOAD,
        ),
        id="a preferred advisor whose own manager is involved is quietly passed over",
    ),
    pytest.param(
        Scenario(
            finding="§2.3 small units; §2.6 advisors of another unit act as external for this unit",
            case=case_of("eva", involved=(by_role(InvolvedRole.HIGHER_MANAGER),)),
            expected_advisor="adv_hugo",
            expected_rule_counts={RuleCode.INVOLVED_IN_ADVISOR_CHAIN: 5},
        ),
        id="when every internal advisor sits under the manager involved the cross-unit advisor steps in",
    ),
    pytest.param(
        Scenario(
            finding="§2.6 the whole palette: internal, cross-unit and external advisors",
            case=case_of("eva", involved=(by_role(InvolvedRole.HIGHER_MANAGER),)),
            directory=two_ministries(_on_leave("adv_hugo")),
            expected_advisor="adv_ella",
            expected_exclusions={"adv_hugo": RuleCode.NOT_AVAILABLE},
        ),
        id="with the cross-unit advisor on leave the external advisor takes over",
    ),
    pytest.param(
        Scenario(
            finding="§2.3 small unit, every advisor in conflict: a coordinator must step in",
            case=case_of(
                "eva",
                involved=(by_role(InvolvedRole.HIGHER_MANAGER),),
                excluded_advisor_ids=frozenset({"adv_ella"}),
            ),
            directory=two_ministries(_on_leave("adv_hugo")),
            expected_advisor=None,
            expected_rule_counts={
                RuleCode.INVOLVED_IN_ADVISOR_CHAIN: 5,
                RuleCode.NOT_AVAILABLE: 1,
                RuleCode.EXCLUDED_FOR_CASE: 1,
            },
        ),
        id="nobody eligible escalates the case with counts per rule",
    ),
    pytest.param(
        Scenario(
            finding="§2.6 in a small ministry a complaint about one of its two advisors leaves the ministry",
            case=case_of("kees", involved=(by_id("iris"),)),
            expected_advisor="adv_ella",
            expected_rule_counts={
                RuleCode.ADVISOR_INVOLVED: 1,
                RuleCode.COMPLAINT_ABOUT_ADVISOR_SAME_ORGANISATION: 1,
            },
            expected_exclusions={
                "adv_iris": RuleCode.ADVISOR_INVOLVED,
                "adv_joost": RuleCode.COMPLAINT_ABOUT_ADVISOR_SAME_ORGANISATION,
            },
        ),
        id="a complaint about Iris in the two-advisor Ministry of Tulips goes to the external advisor",
    ),
    pytest.param(
        Scenario(
            finding="§2.6 a complaint about an advisor whom the client does not name",
            case=case_of("kees", involved=(by_role(InvolvedRole.ADVISOR),)),
            expected_advisor="adv_ella",
            expected_rule_counts={RuleCode.COMPLAINT_ABOUT_ADVISOR_SAME_ORGANISATION: 2},
        ),
        id="a complaint about an unnamed advisor keeps both Tulips advisors out",
    ),
    pytest.param(
        Scenario(
            finding="§2.2 about 80% of contacts are labour conflicts with a manager; labour-law desk",
            case=case_of(
                "gijs",
                categories=(Category.LABOUR_CONFLICT_WITH_MANAGER,),
                involved=(by_role(InvolvedRole.DIRECT_MANAGER),),
            ),
            expected_advisor="adv_anna",
            expected_rule_counts={RuleCode.INVOLVED_IN_ADVISOR_CHAIN: 1},
            expected_exclusions={"adv_bram": RuleCode.INVOLVED_IN_ADVISOR_CHAIN},
            expected_referral=LABOUR_LAW_REFERRAL,
        ),
        id="a labour conflict with the direct manager suggests the labour-law desk",
    ),
    pytest.param(
        Scenario(
            finding="§2.4 the first contact may be anonymous; §2.3 the manager's line",
            case=case_of(None, unit="dikes.water.levees", involved=(by_role(InvolvedRole.DIRECT_MANAGER),)),
            expected_advisor="adv_anna",
            expected_rule_counts={RuleCode.MANAGER_LINE_UNRESOLVED: 1},
            expected_exclusions={"adv_bram": RuleCode.MANAGER_LINE_UNRESOLVED},
        ),
        id="an anonymous client's unknown manager keeps the advisors of her unit line out",
    ),
    pytest.param(
        Scenario(
            finding="§2.4 anonymous contact; §2.3 the unknown manager may lead the units below too",
            case=case_of(None, unit="dikes.water", involved=(by_role(InvolvedRole.DIRECT_MANAGER),)),
            expected_advisor="adv_carla",
            expected_rule_counts={RuleCode.MANAGER_LINE_UNRESOLVED: 2},
            expected_exclusions={
                "adv_anna": RuleCode.MANAGER_LINE_UNRESOLVED,
                "adv_bram": RuleCode.MANAGER_LINE_UNRESOLVED,
            },
        ),
        id="an anonymous client's unknown manager also keeps out the advisors in the units below",
    ),
    pytest.param(
        Scenario(
            finding="§2.6 persons high in the organisation; §2.3 the whole line counts",
            case=case_of("dir_jansen", involved=(by_role(InvolvedRole.HIGHER_MANAGER),)),
            expected_advisor="adv_hugo",
            expected_rule_counts={RuleCode.INVOLVED_IN_ADVISOR_CHAIN: 5},
        ),
        id="a director's complaint about a higher manager takes every advisor under the SG out",
    ),
    pytest.param(
        Scenario(
            finding="§2.4 anonymous contact; §2.3 small units",
            case=case_of(None, unit="dikes.water.pumps"),
            expected_advisor="adv_bram",
            expected_rule_counts={RuleCode.SMALL_UNIT_SHARED: 1},
        ),
        id="an anonymous client from the small pumping station is not sent to Anna",
    ),
    pytest.param(
        Scenario(
            finding="§1.1 VPO for undesirable behaviour, VPI for integrity, VPIO both",
            case=case_of("gijs", categories=(Category.BULLYING,)),
            expected_advisor="adv_bram",
            expected_rule_counts={RuleCode.KIND_MISMATCH: 1},
            expected_exclusions={"adv_carla": RuleCode.KIND_MISMATCH},
        ),
        id="a bullying case is not for the integrity-only advisor",
    ),
    pytest.param(
        Scenario(
            finding="§1.1 kinds; a whistleblower report is an integrity matter",
            case=case_of("gijs", categories=(Category.OTHER,), is_whistleblower_report=True),
            expected_advisor="adv_bram",
            expected_rule_counts={RuleCode.KIND_MISMATCH: 1},
            expected_exclusions={"adv_daan": RuleCode.KIND_MISMATCH},
        ),
        id="a whistleblower report is not for the undesirable-behaviour-only advisor",
    ),
    pytest.param(
        Scenario(
            finding="§1.1 most advisors are VPIO: a case touching both families needs one",
            case=case_of("ivo", categories=(Category.BULLYING, Category.ABUSE_OF_POWER)),
            expected_advisor="adv_bram",
            expected_rule_counts={RuleCode.KIND_MISMATCH: 2, RuleCode.ADVISOR_IN_CHAIN_OF_INVOLVED: 1},
        ),
        id="bullying plus abuse of power needs a VPIO",
    ),
    pytest.param(
        Scenario(
            finding="§2.1 the advisor is a side role: absent advisors take no cases",
            case=case_of("gijs"),
            directory=two_ministries(_on_leave("adv_bram")),
            expected_advisor="adv_anna",
            expected_rule_counts={RuleCode.NOT_AVAILABLE: 1},
        ),
        id="Bram on leave means Anna takes the case",
    ),
    pytest.param(
        Scenario(
            finding="§2.2 termijnen: an appointment has a term",
            case=case_of("gijs"),
            directory=_with_term("adv_bram", date(2019, 1, 1), date(2025, 3, 13)),
            expected_advisor="adv_anna",
            expected_rule_counts={RuleCode.NOT_AVAILABLE: 1},
        ),
        id="an advisor whose term ended yesterday takes no new cases",
    ),
    pytest.param(
        Scenario(
            finding="§2.2 termijnen: an appointment has a term",
            case=case_of("gijs"),
            directory=_with_term("adv_bram", date(2025, 3, 15), None),
            expected_advisor="adv_anna",
            expected_rule_counts={RuleCode.NOT_AVAILABLE: 1},
        ),
        id="an advisor whose term starts tomorrow takes no cases yet",
    ),
    pytest.param(
        Scenario(
            finding="§2.6 clients choose on personal impression, so they may also rule someone out",
            case=case_of("gijs", excluded_advisor_ids=frozenset({"adv_bram"})),
            expected_advisor="adv_anna",
            expected_rule_counts={RuleCode.EXCLUDED_FOR_CASE: 1},
        ),
        id="an advisor excluded by the client is never chosen",
    ),
    pytest.param(
        Scenario(
            finding="§2.3 an advisor who declared a conflict passes the case on for good",
            case=case_of("gijs", previously_conflicted_advisor_ids=frozenset({"adv_bram"})),
            expected_advisor="adv_anna",
            expected_rule_counts={RuleCode.EXCLUDED_FOR_CASE: 1},
        ),
        id="an advisor who declared a conflict on this case never gets it back",
    ),
    pytest.param(
        Scenario(
            finding="clients may need another language",
            case=case_of("gijs", language="de"),
            expected_advisor="adv_hugo",
            expected_rule_counts={RuleCode.LANGUAGE_MISMATCH: 6},
        ),
        id="a German speaker gets the one advisor who speaks German",
    ),
    pytest.param(
        Scenario(
            finding="§2.2 afspreeklocatie: meeting nearby without being seen",
            case=case_of("gijs", location="den_haag"),
            expected_advisor="adv_anna",
            expected_rule_counts={},
            expected_selection=SelectionReason.SAME_LOCATION,
        ),
        id="an advisor at the client's location comes before a less loaded one elsewhere",
    ),
    pytest.param(
        Scenario(
            finding="§2.6 an advisor must be one fixed, known person",
            case=case_of("gijs", current_advisor_id="adv_hugo"),
            expected_advisor="adv_hugo",
            expected_rule_counts={},
            expected_selection=SelectionReason.CURRENT,
        ),
        id="re-routing keeps the current advisor while she has no conflict",
    ),
    pytest.param(
        Scenario(
            finding="§2.6 cross-unit advisors serve only the units they are appointed for",
            case=case_of("ivo", language="de"),
            expected_advisor=None,
            expected_rule_counts={RuleCode.LANGUAGE_MISMATCH: 6},
        ),
        id="the German-speaking cross-unit advisor does not serve the policy directorate",
    ),
]


def _rule_counts(decision: Decision) -> dict[RuleCode, int]:
    return {count.rule_code: count.count for count in decision.rule_codes_applied}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_routing_scenario(scenario: Scenario) -> None:
    decision = decide(scenario.case, scenario.directory, NOW)

    assert decision.advisor_id == scenario.expected_advisor, explain(decision, include_exclusions=True)
    assert decision.outcome == ("escalated" if scenario.expected_advisor is None else "assigned")
    if scenario.expected_rule_counts is not None:
        expected = {code: n for code, n in scenario.expected_rule_counts.items() if n}
        assert _rule_counts(decision) == expected
    excluded = {e.advisor_id: e.rule_code for e in decision.exclusions}
    for advisor_id, rule_code in scenario.expected_exclusions.items():
        assert excluded.get(advisor_id) == rule_code
    if scenario.expected_selection is not None:
        assert decision.selection_reason == scenario.expected_selection
    assert decision.referral_suggested == scenario.expected_referral
    assert sum(_rule_counts(decision).values()) == decision.candidates_considered - decision.eligible_count


# --------------------------------------------------------------------------------------------
# Beyond the table


def test_the_clear_part_never_says_why_a_preferred_advisor_was_passed_over() -> None:
    case = case_of("gijs", involved=(by_id("mgr_visser"),), preferred_advisor_id="adv_bram")
    decision = decide(case, two_ministries(), NOW)

    clear = decision.clear_part()
    assert clear["preferred_honoured"] is False
    rendered = repr(clear)
    for secret in ("adv_bram", "mgr_visser", "gijs", "bram"):
        assert secret not in rendered
    assert any(e.advisor_id == "adv_bram" for e in decision.exclusions)


def test_a_preferred_advisor_out_of_scope_is_recorded_only_in_the_sensitive_part() -> None:
    decision = decide(case_of("ivo", preferred_advisor_id="adv_hugo"), two_ministries(), NOW)

    assert decision.preferred_honoured is False
    assert RuleCode.OUT_OF_SCOPE not in _rule_counts(decision)
    assert ("adv_hugo", RuleCode.OUT_OF_SCOPE) in {(e.advisor_id, e.rule_code) for e in decision.exclusions}


_ADVISOR_TWIN = _advisor("adv_twin_a", "twin_a", open_cases=3, organisation="ministry_of_mirrors")


def test_equal_loads_are_spread_over_the_tied_advisors_yet_each_case_is_stable() -> None:
    twin = replace(_ADVISOR_TWIN, advisor_id="adv_twin_b", person_id="twin_b")
    directory = Directory.build(
        [_unit("mirrors", None, 500, "ministry_of_mirrors")],
        [
            Person("twin_a", "mirrors", None),
            Person("twin_b", "mirrors", None),
            Person("client", "mirrors", None),
        ],
        [_ADVISOR_TWIN, twin],
    )
    chosen = []
    for number in range(40):
        case = replace(
            case_of("gijs"),
            case_id=f"case-{number}",
            organisation_id="ministry_of_mirrors",
            unit_id="mirrors",
            client_person_id="client",
        )
        first = decide(case, directory, NOW)
        assert decide(case, directory, NOW) == first
        chosen.append(first.advisor_id)
    assert set(chosen) == {"adv_twin_a", "adv_twin_b"}
    assert 10 <= chosen.count("adv_twin_a") <= 30


def test_explain_tells_the_story_in_plain_language() -> None:
    case = case_of(
        "gijs",
        categories=(Category.LABOUR_CONFLICT_WITH_MANAGER,),
        involved=(by_role(InvolvedRole.DIRECT_MANAGER),),
    )
    decision = decide(case, two_ministries(), NOW)

    story = explain(decision)
    assert any("1 advisor(s) excluded because the client or a person involved" in line for line in story)
    assert any("Assigned to advisor adv_anna (internal)" in line for line in story)
    assert any("labour-law desk" in line for line in story)
    assert not any("adv_bram" in line for line in story)
    assert any("adv_bram" in line for line in explain(decision, include_exclusions=True))


# ---- re-routing ----------------------------------------------------------------------------


def test_an_assignment_without_conflict_stays_valid() -> None:
    assert is_assignment_still_valid(case_of("gijs"), two_ministries(), NOW, "adv_bram") == (True, ())


def test_an_advisor_going_on_leave_invalidates_the_assignment() -> None:
    directory = two_ministries(_on_leave("adv_bram"))
    assert is_assignment_still_valid(case_of("gijs"), directory, NOW, "adv_bram") == (
        False,
        (RuleCode.NOT_AVAILABLE,),
    )


def test_new_persons_involved_invalidate_the_assignment_with_every_rule_broken() -> None:
    case = case_of("gijs", involved=(by_id("mgr_visser"),), excluded_advisor_ids=frozenset({"adv_bram"}))
    valid, codes = is_assignment_still_valid(case, two_ministries(), NOW, "adv_bram")
    assert not valid
    assert codes == (RuleCode.EXCLUDED_FOR_CASE, RuleCode.INVOLVED_IN_ADVISOR_CHAIN)


def test_a_reorganisation_that_makes_the_client_the_advisors_manager_invalidates_it() -> None:
    directory = two_ministries(ManagerChanged("bram", "gijs"))
    valid, codes = is_assignment_still_valid(case_of("gijs"), directory, NOW, "adv_bram")
    assert (valid, codes) == (False, (RuleCode.INVOLVED_IN_ADVISOR_CHAIN,))


def test_a_client_moving_out_of_a_cross_unit_advisors_units_takes_the_case_out_of_scope() -> None:
    directory = two_ministries(PersonMoved("gijs", "dikes.policy"))
    case = case_of("gijs", unit="dikes.policy")
    assert is_assignment_still_valid(case, directory, NOW, "adv_hugo") == (False, (RuleCode.OUT_OF_SCOPE,))


def test_an_advisor_unknown_to_the_directory_is_not_valid() -> None:
    assert is_assignment_still_valid(case_of("gijs"), two_ministries(), NOW, "adv_nobody") == (
        False,
        (RuleCode.UNKNOWN_ADVISOR,),
    )


# ---- terms ---------------------------------------------------------------------------------


def test_term_endings_within_sixty_days_are_listed_soonest_first() -> None:
    directory = two_ministries()
    for advisor_id, end in (("adv_anna", date(2025, 5, 13)), ("adv_bram", date(2025, 4, 1))):
        advisor = directory.advisor(advisor_id)
        assert advisor is not None
        directory.apply(AdvisorUpserted(replace(advisor, term_end=end)))
    daan = directory.advisor("adv_daan")
    assert daan is not None
    directory.apply(AdvisorUpserted(replace(daan, term_end=date(2025, 5, 14))))  # day 61
    carla = directory.advisor("adv_carla")
    assert carla is not None
    directory.apply(AdvisorUpserted(replace(carla, term_end=date(2025, 3, 13))))  # already ended

    assert term_endings_within(directory, NOW, days=60) == [
        ("adv_bram", date(2025, 4, 1)),
        ("adv_anna", date(2025, 5, 13)),
    ]

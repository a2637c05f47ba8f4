"""Properties of the routing policy on random organisations, advisors and cases.

The oracle below re-implements every hard rule from the written rules (DOMAIN.md §2.3, §2.6 and the
policy's module docstring) the plain way: walking manager links and unit parents in dictionaries,
scanning all advisors. It shares no code with the policy or the directory's queries; it only
uses the public record types and the rule codes, which are the contract.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.routing.domain.directory import (
    Advisor,
    AdvisorUpserted,
    Directory,
    DirectoryChange,
    OrgUnit,
    Person,
    PersonUpserted,
    UnitUpserted,
)
from services.routing.domain.policy import (
    CaseFacts,
    Decision,
    InvolvedPerson,
    PolicySettings,
    decide,
    is_assignment_still_valid,
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

NOW = datetime(2025, 6, 2, 9, 30, tzinfo=UTC)
TODAY = NOW.date()
ORGANISATIONS = ("org_water", "org_roads", "org_tax")
LANGUAGES = ("nl", "en", "de")
LOCATIONS = ("north", "south")
THRESHOLD = PolicySettings().small_unit_threshold
_MANAGER_ROLES = (InvolvedRole.DIRECT_MANAGER, InvolvedRole.HIGHER_MANAGER)

# The policy's documented evaluation order: an excluded advisor is reported under the first one.
EVALUATION_ORDER = (
    "R8_NOT_AVAILABLE",
    "R7_KIND_MISMATCH",
    "R9_LANGUAGE_MISMATCH",
    "R5_EXTERNAL_ONLY",
    "R6_EXCLUDED_FOR_CASE",
    "R1_ADVISOR_INVOLVED",
    "R1_COMPLAINT_ABOUT_ADVISOR_SAME_ORGANISATION",
    "R23_MANAGER_LINE_UNRESOLVED",
    "R3_ADVISOR_IN_CHAIN_OF_INVOLVED",
    "R2_INVOLVED_IN_ADVISOR_CHAIN",
    "R4_SMALL_UNIT_SHARED",
    "R4_ACQUAINTANCE_DECLARED",
)


@dataclass(frozen=True)
class World:
    units: tuple[OrgUnit, ...]
    persons: tuple[Person, ...]
    advisors: tuple[Advisor, ...]
    case: CaseFacts

    def directory(self) -> Directory:
        return Directory.build(self.units, self.persons, self.advisors)


# --------------------------------------------------------------------------------------------
# Random worlds


def _subset(draw: st.DrawFn, items: list[str] | tuple[str, ...], max_size: int = 3) -> frozenset[str]:
    if not items:
        return frozenset()
    return frozenset(draw(st.lists(st.sampled_from(items), max_size=max_size)))


@st.composite
def worlds(draw: st.DrawFn) -> World:
    units: list[OrgUnit] = []
    for index in range(draw(st.integers(1, 7))):
        has_parent = bool(units) and draw(st.integers(0, 3)) > 0
        parent = draw(st.sampled_from(units)) if has_parent else None
        home = parent.organisation_id if parent else draw(st.sampled_from(ORGANISATIONS))
        size = draw(st.sampled_from((3, 12, THRESHOLD - 1, THRESHOLD, 300)))
        units.append(OrgUnit(f"u{index}", parent.unit_id if parent else None, f"Unit {index}", size, home))
    unit_ids = [u.unit_id for u in units]

    persons: list[Person] = []
    for index in range(draw(st.integers(1, 24))):
        earlier = [p.person_id for p in persons]
        # Mostly someone earlier, so that chains get long; never someone later, so no loops.
        has_manager = bool(earlier) and draw(st.integers(0, 4)) > 0
        manager = draw(st.sampled_from([*earlier, "ghost_manager"])) if has_manager else None
        persons.append(
            Person(
                f"p{index}",
                draw(st.sampled_from(unit_ids)),
                manager,
                is_top_management=draw(st.integers(0, 9)) == 0,
            )
        )
    person_ids = [p.person_id for p in persons]
    organisation_of_unit = {u.unit_id: u.organisation_id for u in units}
    unit_of_person = {p.person_id: p.unit_id for p in persons}

    advisors: list[Advisor] = []
    for index in range(draw(st.integers(0, 8))):
        scope = draw(st.sampled_from(AdvisorScope))
        external = scope is AdvisorScope.EXTERNAL
        person_id = (
            draw(st.none() | st.sampled_from(person_ids)) if external else draw(st.sampled_from(person_ids))
        )
        organisation: str | None
        if external:
            organisation = draw(st.none() | st.sampled_from(ORGANISATIONS))
        elif draw(st.booleans()):
            organisation = organisation_of_unit[unit_of_person[person_id or ""]]
        else:
            organisation = draw(st.sampled_from(ORGANISATIONS))
        term_start = TODAY + timedelta(days=draw(st.sampled_from((-400, -1, 0, 1))))
        term_end_offset = draw(st.none() | st.sampled_from((-1, 0, 1, 400)))
        advisors.append(
            Advisor(
                advisor_id=f"a{index}",
                person_id=person_id,
                kind=draw(st.sampled_from(AdvisorKind)),
                scope=scope,
                served_unit_ids=_subset(draw, unit_ids, 2),
                organisation_id=organisation,
                languages=_subset(draw, LANGUAGES) | ({"nl"} if draw(st.booleans()) else set()),
                locations=_subset(draw, LOCATIONS, 2),
                weekly_hours=draw(st.sampled_from((0.0, 2.0, 4.0, 8.0))),
                term_start=term_start,
                term_end=None if term_end_offset is None else TODAY + timedelta(days=term_end_offset),
                status=draw(st.sampled_from(AdvisorStatus)),
                open_cases=draw(st.integers(0, 6)),
                acquaintances=_subset(draw, person_ids, 2),
            )
        )
    advisor_ids = [a.advisor_id for a in advisors]

    anonymous = draw(st.integers(0, 2)) == 0  # one time in three
    client = None if anonymous else draw(st.sampled_from(person_ids))
    unit_id = (
        unit_of_person[client] if client and draw(st.integers(0, 4)) else draw(st.sampled_from(unit_ids))
    )
    nameable = [*person_ids, *advisor_ids, "stranger"]
    involved = draw(
        st.lists(
            st.builds(
                InvolvedPerson,
                person_id=st.none() | st.sampled_from(nameable),
                # Manager roles weigh more: role resolution is where the subtle cases are.
                role=st.none() | st.sampled_from(InvolvedRole) | st.sampled_from(_MANAGER_ROLES),
            ),
            max_size=3,
        )
    )
    maybe_advisor = st.none() | st.sampled_from([*advisor_ids, "a_unknown"])
    case = CaseFacts(
        case_id=f"case-{draw(st.integers(0, 10_000))}",
        organisation_id=organisation_of_unit[unit_id],
        unit_id=unit_id,
        client_person_id=client,
        client_role=draw(st.sampled_from(ClientRole)),
        categories=tuple(draw(st.lists(st.sampled_from(Category), min_size=1, max_size=2))),
        persons_involved=tuple(involved),
        preferred_advisor_id=draw(maybe_advisor),
        excluded_advisor_ids=_subset(draw, advisor_ids, 2),
        wants_external=draw(st.integers(0, 5)) == 0,
        language=draw(st.none() | st.sampled_from(LANGUAGES)),
        location=draw(st.none() | st.sampled_from(LOCATIONS)),
        is_whistleblower_report=draw(st.integers(0, 5)) == 0,
        current_advisor_id=draw(maybe_advisor),
        previously_conflicted_advisor_ids=_subset(draw, advisor_ids, 1),
    )
    return World(tuple(units), tuple(persons), tuple(advisors), case)


# --------------------------------------------------------------------------------------------
# The oracle


class Oracle:
    """Every rule, the long way round."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.units = {u.unit_id: u for u in world.units}
        self.persons = {p.person_id: p for p in world.persons}
        case = world.case
        client = case.client_person_id

        self.involved: set[str] = set()
        self.top_management = False
        self.complaint_organisations: set[str | None] = set()
        unresolved_direct = unresolved_higher = False
        client_chain = self.chain(client) if client else []
        for person in case.persons_involved:
            if person.role is InvolvedRole.TOP_MANAGEMENT:
                self.top_management = True
            if person.person_id is not None:
                self.involved.add(person.person_id)
                known = self.persons.get(person.person_id)
                if known is not None and known.is_top_management:
                    self.top_management = True
                named_advisors = [
                    a for a in world.advisors if person.person_id in (a.person_id, a.advisor_id)
                ]
                self.complaint_organisations.update(a.organisation_id for a in named_advisors)
                if person.role is InvolvedRole.ADVISOR and not named_advisors:
                    home = self.units[known.unit_id].organisation_id if known else None
                    self.complaint_organisations.add(home or case.organisation_id)
            elif person.role is InvolvedRole.DIRECT_MANAGER:
                if client_chain:
                    self.involved.add(client_chain[0])
                else:
                    unresolved_direct = True
            elif person.role is InvolvedRole.HIGHER_MANAGER:
                if client_chain:
                    self.involved.update(client_chain)
                else:
                    unresolved_higher = True
            elif person.role is InvolvedRole.TOP_MANAGEMENT:
                self.involved.update(
                    m for m in client_chain if m in self.persons and self.persons[m].is_top_management
                )
            elif person.role is InvolvedRole.ADVISOR:
                self.complaint_organisations.add(case.organisation_id)
        self.involved.discard(client or "")
        self.related = self.involved | ({client} if client else set())
        self.unresolved_direct, self.unresolved_higher = unresolved_direct, unresolved_higher

    def chain(self, person_id: str) -> list[str]:
        chain: list[str] = []
        person = self.persons.get(person_id)
        while person is not None and person.manager_id is not None:
            chain.append(person.manager_id)
            person = self.persons.get(person.manager_id)
        return chain

    def units_above(self, unit_id: str) -> list[str]:
        above: list[str] = []
        unit = self.units.get(unit_id)
        while unit is not None and unit.parent_id is not None:
            above.append(unit.parent_id)
            unit = self.units.get(unit.parent_id)
        return above

    def serves(self, advisor: Advisor) -> bool:
        case = self.world.case
        if advisor.scope is AdvisorScope.EXTERNAL:
            return True
        if advisor.scope is AdvisorScope.INTERNAL:
            return advisor.organisation_id == case.organisation_id
        return any(u in advisor.served_unit_ids for u in [case.unit_id, *self.units_above(case.unit_id)])

    def broken_rules(self, advisor: Advisor) -> set[str]:
        case, broken = self.world.case, set()
        client = case.client_person_id
        me = advisor.person_id

        if (
            advisor.status is not AdvisorStatus.ACTIVE
            or advisor.term_start > TODAY
            or (advisor.term_end is not None and advisor.term_end < TODAY)
        ):
            broken.add("R8_NOT_AVAILABLE")

        families = {c.value.split(".")[0] for c in case.categories}
        needs_integrity = "integrity" in families or case.is_whistleblower_report
        needs_behaviour = "unwanted_behaviour" in families
        if (needs_integrity and advisor.kind is AdvisorKind.VPO) or (
            needs_behaviour and advisor.kind is AdvisorKind.VPI
        ):
            broken.add("R7_KIND_MISMATCH")

        if case.language is not None and case.language not in advisor.languages:
            broken.add("R9_LANGUAGE_MISMATCH")

        if (self.top_management or case.wants_external) and advisor.scope is not AdvisorScope.EXTERNAL:
            broken.add("R5_EXTERNAL_ONLY")

        if advisor.advisor_id in case.excluded_advisor_ids | case.previously_conflicted_advisor_ids:
            broken.add("R6_EXCLUDED_FOR_CASE")

        if (me is not None and (me == client or me in self.involved)) or advisor.advisor_id in self.involved:
            broken.add("R1_ADVISOR_INVOLVED")
        if advisor.organisation_id in self.complaint_organisations:
            broken.add("R1_COMPLAINT_ABOUT_ADVISOR_SAME_ORGANISATION")

        my_unit = self.persons[me].unit_id if me is not None and me in self.persons else None
        line = [case.unit_id, *self.units_above(case.unit_id)]
        in_line = my_unit is not None and (my_unit in line or case.unit_id in self.units_above(my_unit))
        if (self.unresolved_higher and advisor.organisation_id == case.organisation_id) or (
            (self.unresolved_direct or self.unresolved_higher) and in_line
        ):
            broken.add("R23_MANAGER_LINE_UNRESOLVED")

        if me is None:
            return broken
        managed = [client] if client else []
        if any(me in self.chain(person) for person in [*managed, *self.involved]):
            broken.add("R3_ADVISOR_IN_CHAIN_OF_INVOLVED")
        my_chain = self.chain(me)
        if any(person in my_chain for person in self.related):
            broken.add("R2_INVOLVED_IN_ADVISOR_CHAIN")
        units_of_related = {case.unit_id} | {
            self.persons[p].unit_id for p in self.related if p in self.persons
        }
        small = {u for u in units_of_related if u not in self.units or self.units[u].size < THRESHOLD}
        if my_unit in small:
            broken.add("R4_SMALL_UNIT_SHARED")
        if advisor.acquaintances & self.related:
            broken.add("R4_ACQUAINTANCE_DECLARED")
        return broken

    def eligible(self) -> dict[str, Advisor]:
        return {a.advisor_id: a for a in self.world.advisors if self.serves(a) and not self.broken_rules(a)}


def _load(advisor: Advisor) -> float:
    return advisor.open_cases / max(advisor.weekly_hours, PolicySettings().load_hours_floor)


# --------------------------------------------------------------------------------------------
# Properties

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(world=worlds())
def test_decisions_agree_with_the_oracle(world: World) -> None:
    """One random world, four properties (generating worlds is the expensive part)."""
    oracle = Oracle(world)
    decision = decide(world.case, world.directory(), NOW)
    chosen_advisor_breaks_no_rule_and_escalation_means_nobody_was_eligible(world, oracle, decision)
    every_exclusion_names_the_first_rule_the_oracle_finds_broken(world, oracle, decision)
    selection_prefers_the_preferred_then_the_current_then_location_then_lowest_load(world, oracle, decision)
    the_clear_part_names_no_person_and_no_advisor_but_the_chosen_one(world, decision)


def chosen_advisor_breaks_no_rule_and_escalation_means_nobody_was_eligible(
    world: World, oracle: Oracle, decision: Decision
) -> None:
    eligible = oracle.eligible()

    assert (decision.outcome == "escalated") == (not eligible)
    assert decision.eligible_count == len(eligible)
    assert decision.candidates_considered == sum(oracle.serves(a) for a in world.advisors)
    if decision.outcome == "assigned":
        assert decision.advisor_id in eligible
        chosen = eligible[decision.advisor_id or ""]
        assert decision.advisor_scope is chosen.scope
        assert oracle.broken_rules(chosen) == set()
    else:
        assert decision.advisor_id is None and decision.selection_reason is None


def every_exclusion_names_the_first_rule_the_oracle_finds_broken(
    world: World, oracle: Oracle, decision: Decision
) -> None:
    advisors = {a.advisor_id: a for a in world.advisors}

    counted: dict[str, int] = {}
    for exclusion in decision.exclusions:
        advisor = advisors.get(exclusion.advisor_id)
        if advisor is None or not oracle.serves(advisor):
            # Only the preferred advisor may appear without being a candidate, and is not counted.
            assert exclusion.advisor_id == world.case.preferred_advisor_id
            continue
        broken = oracle.broken_rules(advisor)
        first = next(code for code in EVALUATION_ORDER if code in broken)
        assert exclusion.rule_code == first
        counted[first] = counted.get(first, 0) + 1
    assert {c.rule_code.value: c.count for c in decision.rule_codes_applied} == counted


def selection_prefers_the_preferred_then_the_current_then_location_then_lowest_load(
    world: World, oracle: Oracle, decision: Decision
) -> None:
    eligible = oracle.eligible()
    if not eligible:
        return
    case = world.case
    assert decision.preferred_honoured == (case.preferred_advisor_id in eligible)
    if case.preferred_advisor_id in eligible:
        assert decision.advisor_id == case.preferred_advisor_id
    elif case.current_advisor_id in eligible:
        assert decision.advisor_id == case.current_advisor_id
    else:
        nearby = [a for a in eligible.values() if case.location in a.locations]
        pool = nearby or list(eligible.values())
        assert decision.advisor_id in {a.advisor_id for a in pool}
        assert _load(eligible[decision.advisor_id or ""]) == min(_load(a) for a in pool)


def the_clear_part_names_no_person_and_no_advisor_but_the_chosen_one(
    world: World, decision: Decision
) -> None:
    secrets = {p.person_id for p in world.persons} | {a.advisor_id for a in world.advisors}
    secrets |= {p.person_id for p in world.case.persons_involved if p.person_id}
    secrets.discard(decision.advisor_id or "")
    clear = decision.clear_part()
    values = [v for v in clear.values() if isinstance(v, str)] + list(_keys(clear["rule_codes_applied"]))
    assert not secrets & set(values)


@PROPERTY_SETTINGS
@given(world=worlds())
def test_a_recheck_agrees_with_the_oracle_rule_by_rule(world: World) -> None:
    oracle = Oracle(world)
    directory = world.directory()
    for advisor in world.advisors:
        expected = oracle.broken_rules(advisor) | (set() if oracle.serves(advisor) else {"S_OUT_OF_SCOPE"})
        valid, codes = is_assignment_still_valid(world.case, directory, NOW, advisor.advisor_id)
        assert set(codes) == expected
        assert valid == (not expected)


@PROPERTY_SETTINGS
@given(world=worlds(), data=st.data())
def test_the_same_facts_give_the_same_decision_however_the_directory_was_built(
    world: World, data: st.DataObject
) -> None:
    built = world.directory()
    first = decide(world.case, built, NOW)
    assert decide(world.case, built, NOW) == first

    # The same directory folded from change records arriving in another order.
    changes: list[DirectoryChange] = [UnitUpserted(u) for u in data.draw(st.permutations(world.units))]
    changes += [PersonUpserted(p) for p in data.draw(st.permutations(world.persons))]
    changes += [AdvisorUpserted(a) for a in data.draw(st.permutations(world.advisors))]
    folded = Directory.fold(changes)
    assert replace(decide(world.case, folded, NOW), directory_revision=first.directory_revision) == first


def _keys(value: object) -> list[str]:
    return [str(k) for k in value] if isinstance(value, dict) else []


def test_the_oracle_itself_sees_a_manager_conflict() -> None:
    """Guard against a vacuous oracle: a hand-made world where it must find R2."""
    units = (OrgUnit("u0", None, "Unit", 300, "org_water"),)
    persons = (Person("boss", "u0", None), Person("adv", "u0", "boss"), Person("client", "u0", None))
    advisor = Advisor(
        "a0", "adv", AdvisorKind.VPIO, AdvisorScope.INTERNAL, frozenset(), "org_water",
        frozenset({"nl"}), frozenset(), 4.0, date(2020, 1, 1), None, AdvisorStatus.ACTIVE, 0, frozenset(),
    )  # fmt: skip
    case = CaseFacts(
        "c", "org_water", "u0", "client", ClientRole.EMPLOYEE, (Category.BULLYING,), (InvolvedPerson("boss"),)
    )
    world = World(units, persons, (advisor,), case)
    assert Oracle(world).broken_rules(advisor) == {"R2_INVOLVED_IN_ADVISOR_CHAIN"}
    assert decide(case, world.directory(), NOW).outcome == "escalated"

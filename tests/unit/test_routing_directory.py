"""The routing directory: a fold over change records with O(depth) chain questions."""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.routing.domain.directory import (
    AcquaintanceDeclared,
    Advisor,
    AdvisorLoadChanged,
    AdvisorStatusChanged,
    AdvisorUpserted,
    Directory,
    DirectoryChange,
    ManagerChanged,
    ManagerCycleError,
    OrgUnit,
    Person,
    PersonMoved,
    PersonUpserted,
    UnitCycleError,
    UnitUpserted,
    UnknownAdvisorError,
    UnknownPersonError,
)
from shared.codes import AdvisorKind, AdvisorScope, AdvisorStatus

pytestmark = pytest.mark.unit

HARBOUR = "ministry_of_harbours"

UNITS = (
    OrgUnit("harbours", None, "Harbours", 400, HARBOUR),
    OrgUnit("harbours.cranes", "harbours", "Cranes", 30, HARBOUR),
    OrgUnit("harbours.cranes.night", "harbours.cranes", "Night shift", 8, HARBOUR),
    OrgUnit("harbours.ferries", "harbours", "Ferries", 120, HARBOUR),
)
PERSONS = (
    Person("sg_haven", "harbours", None, is_top_management=True),
    Person("head_cranes", "harbours.cranes", "sg_haven"),
    Person("foreman_night", "harbours.cranes.night", "head_cranes"),
    Person("lotte", "harbours.cranes.night", "foreman_night"),
    Person("head_ferries", "harbours.ferries", "sg_haven"),
    Person("mo", "harbours.ferries", "head_ferries"),
)


def _advisor(advisor_id: str, person_id: str | None, scope: AdvisorScope, **fields: object) -> Advisor:
    advisor = Advisor(
        advisor_id=advisor_id,
        person_id=person_id,
        kind=AdvisorKind.VPIO,
        scope=scope,
        served_unit_ids=frozenset(),
        organisation_id=HARBOUR if scope is not AdvisorScope.EXTERNAL else None,
        languages=frozenset({"nl"}),
        locations=frozenset({"rotterdam"}),
        weekly_hours=4.0,
        term_start=date(2023, 1, 1),
        term_end=None,
        status=AdvisorStatus.ACTIVE,
        open_cases=0,
        acquaintances=frozenset(),
    )
    return replace(advisor, **fields)  # type: ignore[arg-type]


ADVISORS = (
    _advisor("adv_mo", "mo", AdvisorScope.INTERNAL),
    _advisor(
        "adv_pier",
        "pier",
        AdvisorScope.CROSS_UNIT,
        organisation_id="ministry_of_bridges",
        served_unit_ids=frozenset({"harbours.cranes"}),
    ),
    _advisor("adv_extern", None, AdvisorScope.EXTERNAL),
    _advisor("adv_bridges", "brug", AdvisorScope.INTERNAL, organisation_id="ministry_of_bridges"),
)


def harbour() -> Directory:
    return Directory.build(UNITS, PERSONS, ADVISORS)


def as_changes() -> list[DirectoryChange]:
    changes: list[DirectoryChange] = [UnitUpserted(unit) for unit in UNITS]
    changes += [PersonUpserted(person) for person in reversed(PERSONS)]  # managers arrive late
    changes += [AdvisorUpserted(advisor) for advisor in ADVISORS]
    return changes


def _in_scope(directory: Directory, unit_id: str) -> set[str]:
    return {a.advisor_id for a in directory.advisors_in_scope(HARBOUR, unit_id)}


# ---- hierarchy questions ---------------------------------------------------------------------


def test_the_management_chain_runs_from_the_direct_manager_to_the_top() -> None:
    assert harbour().management_chain("lotte") == ("foreman_night", "head_cranes", "sg_haven")


def test_the_top_and_unknown_people_have_an_empty_chain() -> None:
    directory = harbour()
    assert directory.management_chain("sg_haven") == ()
    assert directory.management_chain("nobody") == ()


def test_a_manager_without_a_record_still_belongs_to_the_chain() -> None:
    directory = Directory.build(UNITS, [Person("temp", "harbours", "interim_boss")])
    assert directory.management_chain("temp") == ("interim_boss",)


def test_is_in_chain_answers_whether_someone_manages_someone() -> None:
    directory = harbour()
    assert directory.is_in_chain("head_cranes", of_person="lotte")
    assert not directory.is_in_chain("lotte", of_person="head_cranes")
    assert not directory.is_in_chain("head_ferries", of_person="lotte")


def test_units_know_their_size_organisation_and_ancestors() -> None:
    directory = harbour()
    assert directory.unit_of("lotte") == "harbours.cranes.night"
    assert directory.unit_size("harbours.cranes.night") == 8
    assert directory.organisation_of_unit("harbours.cranes.night") == HARBOUR
    assert directory.ancestors_of_unit("harbours.cranes.night") == ("harbours.cranes", "harbours")
    assert directory.unit_size("nowhere") is None
    assert directory.ancestors_of_unit("nowhere") == ()


def test_a_very_deep_hierarchy_neither_recurses_nor_hangs() -> None:
    depth = 5000
    persons = [Person(f"p{i}", "harbours", f"p{i - 1}" if i else None) for i in range(depth)]
    directory = Directory.build(UNITS, persons)
    chain = directory.management_chain(f"p{depth - 1}")
    assert len(chain) == depth - 1
    assert chain[0] == f"p{depth - 2}" and chain[-1] == "p0"
    assert directory.management_chain("p2500") == chain[depth - 2501 :]


# ---- cycles are data errors ---------------------------------------------------------------------


def test_a_manager_change_that_closes_a_loop_is_refused_and_changes_nothing() -> None:
    directory = harbour()
    revision = directory.revision
    with pytest.raises(ManagerCycleError) as refused:
        directory.apply(ManagerChanged("head_cranes", "lotte"))
    assert refused.value.reason_code == "directory.manager_cycle"
    assert "lotte" not in str(refused.value)  # pseudonyms stay out of messages and logs
    assert directory.revision == revision
    assert directory.management_chain("lotte") == ("foreman_night", "head_cranes", "sg_haven")


def test_being_your_own_manager_is_a_cycle() -> None:
    with pytest.raises(ManagerCycleError):
        harbour().apply(ManagerChanged("mo", "mo"))


def test_a_bulk_load_with_a_manager_loop_is_refused() -> None:
    looped = [Person("a", "harbours", "b"), Person("b", "harbours", "c"), Person("c", "harbours", "a")]
    with pytest.raises(ManagerCycleError):
        Directory.build(UNITS, looped)


def test_a_unit_loop_is_refused_in_bulk_and_one_by_one() -> None:
    with pytest.raises(UnitCycleError):
        Directory.build([OrgUnit("x", "y", "X", 1, HARBOUR), OrgUnit("y", "x", "Y", 1, HARBOUR)])
    with pytest.raises(UnitCycleError):
        harbour().apply(UnitUpserted(replace(UNITS[0], parent_id="harbours.cranes.night")))


# ---- the fold ---------------------------------------------------------------------------------


def test_folding_the_changes_gives_the_same_directory_as_a_bulk_load() -> None:
    folded = functools.reduce(Directory.apply, as_changes(), Directory())
    built = harbour()
    for person in PERSONS:
        assert folded.management_chain(person.person_id) == built.management_chain(person.person_id)
        assert folded.unit_of(person.person_id) == built.unit_of(person.person_id)
    assert folded.advisors() == built.advisors()
    for unit in UNITS:
        assert _in_scope(folded, unit.unit_id) == _in_scope(built, unit.unit_id)
    assert folded.revision == len(as_changes())


def test_apply_updates_in_place_while_a_snapshot_stays_as_it_was() -> None:
    directory = harbour()
    before = directory.snapshot()
    assert directory.apply(ManagerChanged("lotte", "head_ferries")) is directory
    assert directory.management_chain("lotte") == ("head_ferries", "sg_haven")
    assert before.management_chain("lotte") == ("foreman_night", "head_cranes", "sg_haven")


def test_a_promotion_updates_the_cached_chains_of_everyone_below() -> None:
    directory = harbour()
    assert directory.management_chain("lotte")[1] == "head_cranes"
    directory.apply(ManagerChanged("foreman_night", "head_ferries"))
    assert directory.management_chain("lotte") == ("foreman_night", "head_ferries", "sg_haven")
    assert "head_cranes" not in directory.management_chain_set("lotte")


def test_a_person_moving_changes_only_their_unit() -> None:
    directory = harbour()
    assert directory.placement("lotte")[0] == "harbours.cranes.night"  # warm the cache
    directory.apply(PersonMoved("lotte", "harbours.ferries"))
    assert directory.unit_of("lotte") == "harbours.ferries"
    assert directory.placement("lotte") == (
        "harbours.ferries",
        frozenset({"foreman_night", "head_cranes", "sg_haven"}),
    )


def test_advisor_changes_replace_the_record() -> None:
    directory = harbour()
    directory.apply(AdvisorStatusChanged("adv_mo", AdvisorStatus.ON_LEAVE))
    directory.apply(AdvisorLoadChanged("adv_mo", 7))
    directory.apply(AcquaintanceDeclared("adv_mo", "lotte"))
    advisor = directory.advisor("adv_mo")
    assert advisor is not None
    assert (advisor.status, advisor.open_cases, advisor.acquaintances) == (
        AdvisorStatus.ON_LEAVE,
        7,
        frozenset({"lotte"}),
    )


def test_changes_about_unknown_people_or_advisors_are_refused() -> None:
    directory = harbour()
    with pytest.raises(UnknownAdvisorError):
        directory.apply(AdvisorLoadChanged("adv_ghost", 1))
    with pytest.raises(UnknownPersonError):
        directory.apply(PersonMoved("ghost", "harbours"))


# ---- scope index ----------------------------------------------------------------------------


def test_scope_covers_own_organisation_served_units_and_their_subunits_and_externals() -> None:
    directory = harbour()
    assert _in_scope(directory, "harbours.cranes.night") == {"adv_mo", "adv_pier", "adv_extern"}
    assert _in_scope(directory, "harbours.ferries") == {"adv_mo", "adv_extern"}


def test_an_advisor_changing_scope_moves_in_the_index() -> None:
    directory = harbour()
    pier = directory.advisor("adv_pier")
    assert pier is not None
    directory.apply(AdvisorUpserted(replace(pier, served_unit_ids=frozenset({"harbours.ferries"}))))
    assert "adv_pier" in _in_scope(directory, "harbours.ferries")
    assert "adv_pier" not in _in_scope(directory, "harbours.cranes")


def test_advisors_of_a_person_are_found_by_person() -> None:
    assert [a.advisor_id for a in harbour().advisors_of_person("mo")] == ["adv_mo"]


# ---- property: cached chains equal a naive walk, whatever the reorganisations --------------


@settings(max_examples=100, deadline=None)
@given(
    managers=st.lists(st.integers(min_value=-1, max_value=30), min_size=2, max_size=30),
    moves=st.lists(st.tuples(st.integers(0, 29), st.integers(-1, 29)), max_size=15),
)
def test_cached_chains_match_a_naive_walk_after_any_reorganisation(
    managers: list[int], moves: list[tuple[int, int]]
) -> None:
    # Person i may only report to someone with a lower number at first: a forest.
    links: dict[str, str | None] = {
        f"p{i}": (f"p{m}" if 0 <= m < i else None) for i, m in enumerate(managers)
    }
    directory = Directory.build(UNITS, [Person(p, "harbours", m) for p, m in links.items()])
    for who, boss in moves:
        person, manager = f"p{who}", (f"p{boss}" if boss >= 0 else None)
        if person not in links:
            continue
        for anyone in links:  # warm the caches so that invalidation matters
            directory.placement(anyone)
        try:
            directory.apply(ManagerChanged(person, manager))
        except ManagerCycleError:
            assert _naive_chain(links, manager, stop=person) is None
            continue
        links[person] = manager
    for person, manager in links.items():
        expected = _naive_chain(links, manager)
        assert directory.management_chain(person) == expected
        assert directory.placement(person) == ("harbours", frozenset(expected or ()))


def _naive_chain(
    links: dict[str, str | None], first: str | None, stop: str | None = None
) -> tuple[str, ...] | None:
    """Walk up from `first`; None when the walk reaches `stop` (that link would be a loop)."""
    chain: list[str] = []
    current = first
    while current is not None:
        if current == stop:
            return None
        chain.append(current)
        assert len(chain) <= len(links) + 1, "a loop slipped into the directory"
        current = links.get(current)
    return tuple(chain)

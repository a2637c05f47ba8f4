"""The attacker suite: a reader who holds every figure of every release at once.

Every test attacks with the exact integer programme (joint_disclosure.attack / audit, HiGHS through
scipy.optimize.milp) and asserts what the issue demands: no suppressed figure determined, none
narrower than the protection interval, no primary count whose interval lies inside 1..k-1. The first
test shows the attacker is real: tables protected one at a time fall to it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.reporting.application.releases import freeze, releasable_through, release_id
from services.reporting.domain.annual_report_data import DisclosurePolicy
from services.reporting.domain.disclosure import CountTable, protect
from services.reporting.domain.joint_disclosure import attack, audit, protect_release
from services.reporting.domain.release_model import build_release_problem
from services.reporting.domain.release_problem import FigureSpec, Line, ReleaseProblem, Requirement, meets
from tools.reporting.pattern_inference import pattern_inference
from tools.reporting.release_sample import sample_release_input, through_quarter

pytestmark = pytest.mark.unit

POLICY = DisclosurePolicy(k=5)
REQUIREMENT = Requirement(k=5, interval=2)
KEY = b"test-release-key"


def _linked_problem(counts: dict[tuple[str, str], int]) -> ReleaseProblem:
    """Two ministries and the government-wide sum, one category dimension with totals."""
    problem = ReleaseProblem(atoms={f"{o}|{c}": n for (o, c), n in counts.items()})
    orgs = sorted({o for o, _ in counts})
    codes = sorted({c for _, c in counts})
    for scope, members in [*((o, [o]) for o in orgs), ("all", orgs)]:
        parts = tuple(
            problem.add(FigureSpec(f"{scope}|{c}", tuple(f"{m}|{c}" for m in members), rank=0)) for c in codes
        )
        total = problem.add(
            FigureSpec(f"{scope}|total", tuple(f"{m}|{c}" for m in members for c in codes), rank=2)
        )
        problem.lines.append(Line(total, parts))
    for c in [*codes, "total"]:
        problem.lines.append(Line(f"all|{c}", tuple(f"{o}|{c}" for o in orgs)))
    problem.primary = {k for k in problem.figures if 1 <= problem.value(k) <= 4}
    return problem


def test_tables_protected_one_at_a_time_fall_to_the_joint_attacker() -> None:
    """The issue's attack: government-wide minus a ministry recovers the other ministry's cells."""
    counts = {("a", "x"): 3, ("a", "y"): 9, ("a", "z"): 8, ("b", "x"): 7, ("b", "y"): 2, ("b", "z"): 6}
    problem = _linked_problem(counts)
    published: dict[str, int | None] = {}
    for scope, members in (("a", ["a"]), ("b", ["b"]), ("all", ["a", "b"])):
        table = CountTable.one_way("c", {c: sum(counts[(m, c)] for m in members) for c in "xyz"})
        protected = protect(table, 5)
        for code, value in protected.items():
            published[f"{scope}|{code}"] = value
        published[f"{scope}|total"] = protected.grand_total
    findings = audit(problem, published, REQUIREMENT)
    assert any(f.problem == "determined" for f in findings), findings
    # Protected jointly, the same data passes.
    assert audit(problem, protect_release(problem, REQUIREMENT, KEY), REQUIREMENT) == []


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    organisations=st.integers(1, 3),
    units=st.integers(2, 6),
    through=st.integers(1, 4),
)
def test_a_whole_release_passes_the_exact_attacker(
    seed: int, organisations: int, units: int, through: int
) -> None:
    data = sample_release_input(seed, organisations, units, through=through, contacts_per_quarter=(0, 25))
    problem = build_release_problem(data, POLICY)
    outcome = protect_release(problem, REQUIREMENT, KEY)
    assert audit(problem, outcome, REQUIREMENT) == []
    for key in problem.primary:
        assert outcome[key] is None  # every primary is suppressed
    for key, value in outcome.items():
        assert value is None or value == problem.value(key)  # published values are the exact ones
        if value is not None and problem.spec(key).kind.value == "count":
            assert not 1 <= value <= POLICY.k - 1


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), share=st.floats(0.05, 0.4))
def test_witnesses_found_one_organisation_at_a_time_give_the_exact_verdict(seed: int, share: float) -> None:
    """The fast audit (witnesses per organisation with the others at the truth, combined for the
    government-wide figures) reaches the same verdict as the exact attacker, also on releases that
    leak: a random share of the suppressed figures published again."""
    data = sample_release_input(seed, 3, 3, through=2, contacts_per_quarter=(0, 25))
    problem = build_release_problem(data, POLICY)
    assert problem.subsystem is not None
    outcome = protect_release(problem, REQUIREMENT, KEY)
    rng = np.random.default_rng(seed)
    weakened = {
        key: (problem.value(key) if value is None and rng.random() < share else value)
        for key, value in outcome.items()
    }
    exact = {(f.key, f.problem) for f in audit(problem, weakened, REQUIREMENT, exact=True)}
    fast = {(f.key, f.problem) for f in audit(problem, weakened, REQUIREMENT, exact=False)}
    assert fast == exact
    whole = replace(problem, subsystem=None)  # the same audit solving every component whole
    assert {(f.key, f.problem) for f in audit(whole, weakened, REQUIREMENT, exact=False)} == exact


def test_the_same_data_and_key_give_the_same_release_and_the_key_matters() -> None:
    data = sample_release_input(5, 2, 4, through=2)
    first = protect_release(build_release_problem(data, POLICY), REQUIREMENT, KEY)
    assert protect_release(build_release_problem(data, POLICY), REQUIREMENT, KEY) == first
    others = [protect_release(build_release_problem(data, POLICY), REQUIREMENT, bytes([i])) for i in range(4)]
    assert any(
        {k for k, v in other.items() if v is None} != {k for k, v in first.items() if v is None}
        for other in others
    )


def _release_over_time(seed: int) -> tuple[ReleaseProblem, dict[str, int | None]]:
    """Release Q1, then Q1..Q2 with late events for Q1, audited together as a reader holds both."""
    data2 = sample_release_input(seed, 2, 4, through=2)
    q1 = through_quarter(data2, 1)
    first_problem = build_release_problem(q1, POLICY)
    first = protect_release(first_problem, REQUIREMENT, KEY)
    frozen = dict(first_problem.atoms)
    # A late case for Q1 (arrives after Q1 was released): it must not change a released figure.
    current = build_release_problem(data2, POLICY).atoms
    late_atom = next(a for a in current if a.startswith("cat|") and "|2026-Q1|" in a)
    current = {**current, late_atom: current[late_atom] + 1}
    atoms = freeze(current, frozen, 2026, 1, 2)
    second_problem = build_release_problem(data2, POLICY, atoms)
    for key in first:  # every key the first release published, as the ledger holds them
        primary = first_problem.aliases.get(key, key) in first_problem.primary
        second_problem.fix(replace(first_problem.spec(key), key=key), first[key], primary)
    second = protect_release(second_problem, REQUIREMENT, KEY)
    for key, value in first.items():
        assert second[key] == value  # never contradicts a released value
    return second_problem, second


def test_two_releases_over_time_pass_the_attacker_together() -> None:
    problem, outcome = _release_over_time(11)
    assert audit(problem, outcome, REQUIREMENT) == []


def test_freeze_counts_late_events_in_the_new_quarter_and_keeps_released_quarters() -> None:
    frozen = {"cat|o|2026-Q1|bullying": 4}
    current = {"cat|o|2026-Q1|bullying": 6, "cat|o|2026-Q2|bullying": 3, "meet|o|2026-Q1|phone": 0}
    atoms = freeze(current, frozen, 2026, 1, 2)
    assert atoms["cat|o|2026-Q1|bullying"] == 4
    assert atoms["cat|o|2026-Q2|bullying"] == 5  # 3 of its own + 2 late for Q1
    decreased = freeze({"cat|o|2026-Q1|bullying": 2}, frozen, 2026, 1, 2)
    assert decreased == {"cat|o|2026-Q1|bullying": 4}  # a decrease changes nothing released


def test_only_closed_and_settled_quarters_are_released() -> None:
    from datetime import datetime

    def at(text: str) -> datetime:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)

    assert releasable_through(2026, at("2026-03-31T12:00:00"), 14) == 0
    assert releasable_through(2026, at("2026-04-14T00:00:00"), 14) == 0
    assert releasable_through(2026, at("2026-04-15T00:00:00"), 14) == 1
    assert releasable_through(2026, at("2026-12-01T00:00:00"), 14) == 3
    assert releasable_through(2026, at("2027-01-15T00:00:00"), 14) == 4
    assert releasable_through(2026, at("2027-01-14T00:00:00"), 0) == 4
    assert release_id(2026, 3) == "2026-Q3"


@pytest.mark.parametrize(
    ("seed", "units", "through", "contacts"),
    [(3, 3, 1, (10, 30)), (7, 4, 3, (5, 40))],
    ids=["one-quarter", "three-small-quarters"],
)
def test_a_reader_who_knows_the_algorithm_cannot_invert_the_pattern(
    seed: int, units: int, through: int, contacts: tuple[int, int]
) -> None:
    """For every suppressed entry, another value consistent with everything published gives the
    same published pattern: the pattern does not single out the truth, even for a reader who knows
    the algorithm and the key.

    The reader's alternatives (tools/reporting/pattern_inference.py): integer tables consistent
    with every published figure, the entry at each value nearest first, in three classes (every
    suppressed count keeps its kind, only the entry's own sums may change kind, any table) and
    several weightings of "nearest"; a witness must give the whole release again. The
    second release has quarters of 5 contacts spread over five channels (1 + 1 + 1 + 1 + 1), where
    the rule that stopped hiding as soon as the hidden parts reached k let a reader pin them all.
    """
    data = sample_release_input(seed, 1, units, through=through, contacts_per_quarter=contacts)
    found = pattern_inference(data, POLICY, REQUIREMENT, KEY)
    print(f"pattern inference: {found.safe} of {len(found.entries)} suppressed entries have a second value")
    assert found.entries and list(found.given_away) == []


def test_requirements_are_what_the_issue_asks() -> None:
    from services.reporting.domain.release_problem import Bounds, FigureKind

    requirement = Requirement(k=5, interval=2)
    assert meets(Bounds(3, 3), FigureKind.COUNT, False, requirement) == "determined"
    assert meets(Bounds(3, 4), FigureKind.COUNT, True, requirement) == "interval_too_narrow"
    assert meets(Bounds(3, 4), FigureKind.COUNT, False, requirement) is None  # secondary: not determined
    assert meets(Bounds(1, 4), FigureKind.COUNT, True, requirement) == "primary_bounded_below_k"
    assert meets(Bounds(0, 4), FigureKind.COUNT, True, requirement) is None
    assert meets(Bounds(2, None), FigureKind.COUNT, True, requirement) is None
    assert attack({"t": FigureSpec("t", ("a", "b"))}, {}, ["t"])["t"].high is None

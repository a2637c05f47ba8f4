"""Disclosure control: small counts never leave the service, directly or by arithmetic.

The brute-force checker below is deliberately independent of `disclosure.py`: it rebuilds the
table's equations from the augmented grid and enumerates integer fillings of the suppressed
entries, so it can catch a wrong LP as well as a wrong suppression pattern.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.reporting.domain.disclosure import (
    CountTable,
    DisclosureError,
    Interval,
    PeriodTooFineError,
    ProtectedTable,
    check_period,
    feasible_intervals,
    merge_small_units,
    period_of,
    protect,
    quarters_of,
    round_to_base,
    verify_protection,
)

pytestmark = pytest.mark.unit

Position = tuple[int, int]


# --------------------------------------------------------------------------------------------------
# Builders


def one_way(values: Sequence[int]) -> CountTable:
    return CountTable.one_way("dim", [(f"k{j}", value) for j, value in enumerate(values)])


def two_way(rows: Sequence[Sequence[int]]) -> CountTable:
    return CountTable(
        ("rows", "cols"),
        tuple(f"r{i}" for i in range(len(rows))),
        tuple(f"c{j}" for j in range(len(rows[0]))),
        tuple(tuple(row) for row in rows),
    )


def masked(table: CountTable, hidden: set[Position], k: int = 5) -> ProtectedTable:
    """A ProtectedTable with exactly `hidden` suppressed: any pattern, good or bad, for the auditor."""
    grid: list[list[int | None]] = [
        [None if (i, j) in hidden else value for j, value in enumerate(row)]
        for i, row in enumerate(table.grid())
    ]
    if table.is_one_way:
        return ProtectedTable(
            table.dimensions, (), table.col_keys, (tuple(grid[0][:-1]),), (), (), grid[0][-1], k
        )
    return ProtectedTable(
        table.dimensions,
        table.row_keys,
        table.col_keys,
        tuple(tuple(row[:-1]) for row in grid[:-1]),
        tuple(row[-1] for row in grid[:-1]),
        tuple(grid[-1][:-1]),
        grid[-1][-1],
        k,
    )


# --------------------------------------------------------------------------------------------------
# Independent brute force


def equations(table: CountTable) -> list[tuple[list[Position], Position]]:
    """(components, total) for every sum the published table states."""
    grid = table.grid()
    last_row, last_col = len(grid) - 1, len(grid[0]) - 1
    if table.is_one_way:
        return [([(0, j) for j in range(last_col)], (0, last_col))]
    rows = [([(i, j) for j in range(last_col)], (i, last_col)) for i in range(last_row + 1)]
    cols = [([(i, j) for i in range(last_row)], (last_row, j)) for j in range(last_col + 1)]
    return rows + cols


def feasible_values(
    table: CountTable, protected: ProtectedTable, cap: int, enough: int | None = None
) -> dict[Position, set[int]]:
    """For each suppressed entry, the values v in 0..cap for which some non-negative integer filling
    (every entry <= cap) agrees with the published values of an unrounded table. With `enough`, stop
    looking for an entry once that many values are found, trying values nearest the truth first."""
    published = protected.grid()
    exact = table.grid()
    unknown = [(i, j) for i, row in enumerate(published) for j, value in enumerate(row) if value is None]
    unknown_set = set(unknown)
    system: list[tuple[list[tuple[Position, int]], int]] = []
    for components, total in equations(table):
        terms = [(p, 1) for p in components if p in unknown_set]
        constant = -sum(published[i][j] or 0 for i, j in components if (i, j) not in unknown_set)
        if total in unknown_set:
            terms.append((total, -1))
        else:
            constant += published[total[0]][total[1]] or 0
        if terms:
            system.append((terms, constant))

    def consistent(assignment: dict[Position, int]) -> bool:
        """Each equation's unassigned terms can still make up the difference (entries in 0..cap)."""
        for terms, constant in system:
            remaining = constant - sum(c * assignment[p] for p, c in terms if p in assignment)
            free = [c for p, c in terms if p not in assignment]
            if not -cap * free.count(-1) <= remaining <= cap * free.count(1):
                return False
        return True

    def exists(assignment: dict[Position, int]) -> bool:
        if not consistent(assignment):
            return False
        for terms, constant in system:  # an equation with one unknown left fixes it
            free = [(p, c) for p, c in terms if p not in assignment]
            if len(free) == 1:
                (p, c), rest = free[0], sum(c2 * assignment[p2] for p2, c2 in terms if p2 in assignment)
                value = (constant - rest) * c
                return 0 <= value <= cap and exists({**assignment, p: value})
        free_vars = [p for p in unknown if p not in assignment]
        if not free_vars:
            return True
        return any(exists({**assignment, free_vars[0]: value}) for value in range(cap + 1))

    found: dict[Position, set[int]] = {}
    for p in unknown:
        truth = exact[p[0]][p[1]]
        found[p] = set()
        for value in sorted(range(cap + 1), key=lambda v: (abs(v - truth), v)):
            if exists({p: value}):
                found[p].add(value)
                if enough is not None and len(found[p]) >= enough:
                    break
    return found


# --------------------------------------------------------------------------------------------------
# Strategies: many small counts, 1-D and 2-D

counts = st.one_of(st.integers(0, 6), st.integers(0, 6), st.integers(7, 40))


@st.composite
def tables(draw: st.DrawFn, max_side: int = 6, values: st.SearchStrategy[int] = counts) -> CountTable:
    if draw(st.booleans()):
        return one_way(draw(st.lists(values, min_size=1, max_size=max_side + 2)))
    n_rows = draw(st.integers(1, max_side))
    n_cols = draw(st.integers(1, max_side))
    return two_way(
        draw(st.lists(st.lists(values, min_size=n_cols, max_size=n_cols), min_size=n_rows, max_size=n_rows))
    )


thresholds = st.sampled_from([2, 3, 5])


# --------------------------------------------------------------------------------------------------
# Properties


@settings(max_examples=200, deadline=None)
@given(tables(), thresholds)
def test_no_published_value_lies_between_one_and_k_minus_one(table: CountTable, k: int) -> None:
    protected = protect(table, k)
    assert all(value is None or not 1 <= value <= k - 1 for value in protected.published_values())


@settings(max_examples=200, deadline=None)
@given(tables(), thresholds)
def test_published_values_are_the_exact_ones_and_pass_the_exact_audit(table: CountTable, k: int) -> None:
    protected = protect(table, k)
    exact = [value for row in table.grid() for value in row]
    assert all(p is None or p == e for p, e in zip(protected.published_values(), exact, strict=True))
    assert verify_protection(table, protected, k) == []


@settings(max_examples=150, deadline=None)
@given(tables(max_side=4, values=st.sampled_from([0, 1, 2, 3, 4, 5, 6, 9, 12])))
def test_brute_force_finds_two_values_for_every_suppressed_entry(table: CountTable) -> None:
    protected = protect(table, 5)
    found = feasible_values(table, protected, cap=table.grand_total, enough=2)
    assert all(len(values) >= 2 for values in found.values()), found


@settings(max_examples=150, deadline=None)
@given(tables(max_side=3, values=st.integers(0, 6)), st.data())
def test_lp_intervals_match_brute_force_for_any_suppression_pattern(
    table: CountTable, data: st.DataObject
) -> None:
    """Arbitrary patterns, good and bad: the auditor's exact intervals equal the enumerated ones."""
    positions = [(i, j) for i, row in enumerate(table.grid()) for j in range(len(row))]
    hidden = set(data.draw(st.lists(st.sampled_from(positions), max_size=6, unique=True)))
    protected = masked(table, hidden)
    found = feasible_values(table, protected, cap=table.grand_total)
    intervals = feasible_intervals(protected)
    assert set(intervals) == hidden
    grand_total_published = protected.grand_total is not None
    for position, values in found.items():
        interval = intervals[position]
        if grand_total_published:  # every entry is then bounded by the grand total: enumeration is exhaustive
            assert values == set(range(interval.low, (interval.high or 0) + 1)), (position, interval, values)
        else:  # enumeration is capped, so it sees a subset of the feasible values
            assert min(values) >= interval.low and (interval.high is None or max(values) <= interval.high)


@settings(max_examples=200, deadline=None)
@given(tables(), thresholds)
def test_the_same_data_always_gives_the_same_published_table(table: CountTable, k: int) -> None:
    twin = CountTable(
        table.dimensions, table.row_keys, table.col_keys, tuple(tuple(row) for row in table.cells)
    )
    assert protect(table, k) == protect(twin, k) == protect(table, k)


@settings(max_examples=200, deadline=None)
@given(tables())
def test_rounding_publishes_multiples_of_five_on_the_unrounded_pattern(table: CountTable) -> None:
    exact = protect(table, 5)
    rounded = protect(table, 5, round_to=5)
    pairs = list(zip(exact.published_values(), rounded.published_values(), strict=True))
    assert all((e is None) == (r is None) for e, r in pairs)
    assert all(r % 5 == 0 and abs(r - e) <= 2 for e, r in pairs if e is not None and r is not None)
    assert verify_protection(table, rounded, 5) == []


# --------------------------------------------------------------------------------------------------
# Examples


def test_a_single_small_cell_is_hidden_with_the_smallest_cell_that_lifts_the_hidden_sum_to_k() -> None:
    protected = protect(one_way([12, 3, 0, 25]))
    assert protected.cells == ((None, None, 0, 25),)
    assert protected.grand_total == 40


def test_a_lone_small_cell_next_to_zeros_takes_the_large_cell_with_it() -> None:
    """Hiding a zero would not do: 40 + * + * = 41 with the two stars summing to 1 names the one contact."""
    protected = protect(one_way([40, 1, 0, 0]))
    assert protected.cells == ((None, None, 0, 0),)
    assert protected.grand_total == 41


def test_a_small_total_is_suppressed_and_zeros_stay_published() -> None:
    protected = protect(one_way([3, 0, 0]))
    assert protected.cells == ((None, 0, 0),)
    assert protected.grand_total is None


def test_a_table_without_small_counts_is_published_unchanged() -> None:
    protected = protect(two_way([[5, 0], [12, 7]]))
    assert protected.cells == ((5, 0), (12, 7))
    assert (protected.row_totals, protected.col_totals, protected.grand_total) == ((5, 19), (17, 7), 24)


def test_a_two_by_two_with_one_small_cell_hides_all_four_cells_and_keeps_the_margins() -> None:
    table = two_way([[2, 8], [9, 10]])
    protected = protect(table)
    assert protected.cells == ((None, None), (None, None))
    assert (protected.row_totals, protected.col_totals, protected.grand_total) == ((10, 19), (11, 18), 29)
    # a + b = 10, c + d = 19, a + c = 11, b + d = 18: one degree of freedom, a in 0..10
    assert feasible_intervals(protected) == {
        (0, 0): Interval(0, 10),
        (0, 1): Interval(0, 10),
        (1, 0): Interval(1, 11),
        (1, 1): Interval(8, 18),
    }


def test_the_auditor_flags_primary_suppression_alone() -> None:
    table = two_way([[3, 10, 12], [8, 9, 9], [15, 20, 6]])
    problems = verify_protection(table, masked(table, {(0, 0)}), 5)
    assert {(p.kind, p.position) for p in problems} == {("recoverable", (0, 0)), ("small_group", (0, 3)),
                                                        ("small_group", (3, 0))}  # fmt: skip


def test_the_auditor_sees_through_zeros_that_pin_a_cycle() -> None:
    """Every line holds two stars, yet zeros allow no movement: all four values are recoverable."""
    table = two_way([[1, 0, 9], [0, 0, 9]])
    problems = verify_protection(table, masked(table, {(0, 0), (0, 1), (1, 0), (1, 1)}), 5)
    recoverable = {p.position for p in problems if p.kind == "recoverable"}
    assert recoverable == {(0, 0), (0, 1), (1, 0), (1, 1)}


def test_the_auditor_flags_a_published_small_value_and_a_wrong_value() -> None:
    table = one_way([3, 20, 30])
    wrong = ProtectedTable(("dim",), (), table.col_keys, ((3, 21, 30),), (), (), 53, 5)
    kinds = {(p.kind, p.position) for p in verify_protection(table, wrong, 5)}
    assert kinds == {("small_published", (0, 0)), ("value_mismatch", (0, 1))}


def test_the_auditor_rejects_a_table_of_another_shape() -> None:
    problems = verify_protection(one_way([5, 5]), protect(one_way([5, 5, 5])), 5)
    assert [p.kind for p in problems] == ["shape"]


def test_rounding_rounds_halves_up_and_totals_from_exact_totals() -> None:
    assert [round_to_base(v, 5) for v in (0, 2, 3, 7, 8, 12, 13)] == [0, 0, 5, 5, 10, 10, 15]
    protected = protect(one_way([6, 6, 6]), round_to=5)
    assert protected.cells == ((5, 5, 5),) and protected.grand_total == 20  # 18 rounds to 20, not 15


@pytest.mark.parametrize(("k", "round_to"), [(0, None), (5, 1), (7, 5), (6, 5)])
def test_unsafe_parameters_are_refused(k: int, round_to: int | None) -> None:
    with pytest.raises(DisclosureError):
        protect(one_way([10]), k, round_to)


@pytest.mark.parametrize(
    "build",
    [
        lambda: one_way([-1]),
        lambda: one_way([True]),
        lambda: CountTable.one_way("dim", [("a", 1), ("a", 2)]),
        lambda: CountTable.one_way("dim", [("total", 1)]),
        lambda: CountTable(("r", "c"), ("a",), ("x", "y"), ((1,),)),
        lambda: CountTable.two_way(("r", "c"), ["a"], ["x"], {("b", "x"): 1}),
    ],
)
def test_malformed_tables_are_refused(build: object) -> None:
    with pytest.raises(DisclosureError):
        build()  # type: ignore[operator]


def test_margins_of_a_protected_two_way_table_are_one_way_tables() -> None:
    protected = protect(two_way([[2, 8], [9, 10]]))
    assert protected.row_margin().items() == (("r0", 10), ("r1", 19))
    assert protected.col_margin().items() == (("c0", 11), ("c1", 18))
    assert protected.row_margin().grand_total == 29


# --------------------------------------------------------------------------------------------------
# Periods


def test_period_of_gives_the_calendar_quarter() -> None:
    assert [period_of(date(2026, m, 1)) for m in (1, 3, 4, 6, 7, 9, 10, 12)] == [
        "2026-Q1", "2026-Q1", "2026-Q2", "2026-Q2", "2026-Q3", "2026-Q3", "2026-Q4", "2026-Q4",
    ]  # fmt: skip


def test_period_of_uses_the_organisation_time_zone_when_given() -> None:
    new_year_eve_utc = datetime(2025, 12, 31, 23, 30, tzinfo=UTC)
    assert period_of(new_year_eve_utc) == "2025-Q4"
    assert period_of(new_year_eve_utc, ZoneInfo("Europe/Amsterdam")) == "2026-Q1"
    assert period_of(datetime(2026, 4, 1, 0, 30, tzinfo=timezone(timedelta(hours=2))), UTC) == "2026-Q1"


def test_period_of_refuses_a_naive_timestamp() -> None:
    with pytest.raises(DisclosureError):
        period_of(datetime(2026, 1, 1, 12, 0))


@pytest.mark.parametrize("label", ["2026-03", "2026-W05", "2026-03-01", "2026-Q5", "2026-H1", "26-Q1"])
def test_periods_finer_than_a_quarter_are_refused(label: str) -> None:
    with pytest.raises(PeriodTooFineError):
        check_period(label)


def test_years_and_quarters_are_accepted_periods() -> None:
    assert [check_period(label) for label in ("2026", *quarters_of(2026))] == [
        "2026", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4",
    ]  # fmt: skip


# --------------------------------------------------------------------------------------------------
# Small units

PARENT = {"dept-a": "org", "team-a1": "dept-a", "team-a2": "dept-a", "dept-b": "org", "team-b1": "dept-b"}
SIZES = {"org": 100, "dept-a": 40, "team-a1": 3, "team-a2": 2, "dept-b": 4, "team-b1": 1}
COUNTS = {
    "org": {"bullying": 1},
    "dept-a": {"bullying": 2, "workload": 1},
    "team-a1": {"bullying": 1},
    "team-a2": {"workload": 4},
    "dept-b": {"other": 1},
    "team-b1": {"bullying": 2},
}


def test_small_units_fold_into_their_parent_recursively() -> None:
    merged = merge_small_units(COUNTS, SIZES, PARENT, min_size=10)
    # the teams join dept-a (45 people); team-b1 joins dept-b, which at 5 people still joins org
    assert merged == {
        "dept-a": {"bullying": 3, "workload": 5},
        "org": {"bullying": 3, "other": 1},
    }


def test_merging_keeps_every_count() -> None:
    merged = merge_small_units(COUNTS, SIZES, PARENT, min_size=50)
    assert sum(sum(c.values()) for c in merged.values()) == sum(sum(c.values()) for c in COUNTS.values())
    assert list(merged) == ["org"]  # dept-a (45 with its teams) is below 50 as well


def test_units_of_unknown_size_are_folded_and_a_small_root_stays() -> None:
    merged = merge_small_units({"org": {"x": 1}, "new-team": {"x": 2}}, {"org": 3}, {"new-team": "org"}, 10)
    assert merged == {"org": {"x": 3}}


def test_a_cycle_in_the_hierarchy_is_refused() -> None:
    with pytest.raises(DisclosureError):
        merge_small_units({"a": {"x": 1}}, {"a": 1, "b": 1}, {"a": "b", "b": "a"}, 10)

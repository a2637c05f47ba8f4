"""Disclosure control: what a count table may look like before it leaves the reporting service.

Every statistic the reporting service publishes (annual report, analyst export, dashboards) is a
table of non-negative integer counts with its margins (row totals, column totals, grand total), or
a one-way table (a single row with its total). `protect` turns a `CountTable` into a
`ProtectedTable`; `verify_protection` audits the result exactly. The rules:

Primary suppression (threshold rule, k = 5 by default)
    Every cell AND every published total with 1 <= value <= k-1 is suppressed. A total is a count
    like any other (a unit total of 3 is as disclosive as a cell of 3), so totals are protected too.
    Consequence: a suppressed total turns its line into one with unknown sum, and the line of
    totals (row totals summing to the grand total) then needs secondary suppression as well.

Zeros are published as 0
    In counts of contacts a zero is structural, not a person: publishing it identifies nobody and
    keeps tables readable. Caveat (attribute disclosure): when every non-zero count of a line sits
    in one cell, anyone who knows a person belongs to that line learns the person's attribute
    ("all contacts of unit X were about bullying"). The threshold rule does not guard against this;
    the report avoids such lines by publishing organisation-wide tables and by folding small units
    into their parent (`merge_small_units`) before tabulating. Zeros are eligible as SECONDARY
    suppressions (they cost no information), so a reader cannot assume that a suppressed cell is
    at least 1.

Secondary suppression
    A suppressed value must not be recoverable from the published cells and totals:
    - a line (row, column, the row of column totals, the column of row totals; for a one-way table
      its cells and total) that contains a suppressed entry contains at least two;
    - group rule: where a line's total is published, the suppressed cells of that line add up to a
      derivable sum, which must not itself lie in 1..k-1 ("these two categories together: 3");
    - no combination of lines recovers a suppressed value: after the line rules hold, an exact
      audit (linear programming over the suppressed entries, see below) looks for any suppressed
      entry that takes a single value in every non-negative integer table consistent with the
      published figures; if there is one, one more entry is suppressed and the loop repeats. The
      loop ends at the latest when everything is suppressed, which is always safe.
    Secondary entries are chosen deterministically: inner cells before margins (margins are shared
    with other tables of the same report, see "linked tables"), the grand total last; then smallest
    value first; ties by position (row, then column). There is no randomness, so the same data
    always gives the same published table and two releases of the SAME data cannot be differenced.

Differencing between releases of DIFFERENT data
    Determinism does not protect against subtracting overlapping releases: Q1 and "Q1 + Q2"
    published separately reveal Q2 exactly, including cells that each release suppressed. Reports
    therefore publish fixed, non-overlapping periods only: calendar quarters and calendar years,
    never a running or arbitrary window, never anything finer than a quarter. `period_of` maps a
    timestamp to its quarter label ("2026-Q1") and `check_period` rejects finer labels ("2026-03",
    "2026-W05", dates). A year table and its four quarter tables are linked tables (the year is
    the sum of the quarters): publish them as ONE two-way table (quarter as a dimension) so they
    are protected together, as the annual report does.

Linked tables
    Tables that share a margin (the same grand total, or the row totals of one are the cells of
    another) are protected one at a time, which is a known limit: a margin suppressed in one table
    but published in another undoes the first table's protection. Mitigations: a total in 1..k-1 is
    suppressed in every table alike, and secondary suppression prefers inner cells, so shared
    margins are suppressed only when a line of margins leaves no other choice. A one-way table that
    equals a margin of a two-way table must be taken from the protected two-way table
    (`ProtectedTable.row_margin` / `col_margin`), never protected a second time.

Rounding (optional, `round_to=5`)
    Applied after suppression to every published cell and total independently (nearest multiple,
    halves up). Rounded cells therefore need not add up to the rounded total: totals are rounded
    from the exact totals, not summed from rounded cells. Suppression decisions use exact values.
    `protect` refuses a base that could publish a count >= k as a value in 1..k-1.

The exact auditor
    For a two-way table with margins, treat the cells and margins as unknowns of the equations
    "cells of a row add up to the row total" etc.; every entry occurs in exactly two equations,
    once with +1 and once with -1 after flipping signs of the row equations: the constraint matrix
    is a network matrix and therefore totally unimodular. Linear programming bounds over it are
    integral and every integer between them is attained, so min/max of each suppressed entry by
    LP is the exact set of values a reader can infer. The LP is a small simplex (Bland's rule, so
    no cycling) in integer-preserving (Bareiss) arithmetic: exact, with Python ints only.
    With rounding, the audit treats published values as exact (a stronger reader than the real one).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from fractions import Fraction

TOTAL = "total"
"""Key used for margins in keys and descriptions; no table key may be named like this."""

Position = tuple[int, int]
"""(row, column) in the augmented grid: cells, then the row totals column, then the totals row.
A one-way table's grid is a single row: its cells, then its total."""


class DisclosureError(ValueError):
    """A table or parameter that disclosure control cannot accept."""


class PeriodTooFineError(DisclosureError):
    """A period label finer than a calendar quarter (a month, week or day)."""


# --------------------------------------------------------------------------------------------------
# Periods: quarter is the finest published time unit.

_PERIOD_LABEL = re.compile(r"(?P<year>\d{4})(?:-Q(?P<quarter>[1-4]))?")


def period_of(timestamp: date | datetime, tz: tzinfo | None = None) -> str:
    """The calendar quarter of `timestamp` as "YYYY-Qn".

    An aware datetime is first converted to `tz` when given (pass the organisation's time zone,
    e.g. Europe/Amsterdam, so that a contact at 00:30 local time on 1 January falls in Q1);
    a naive datetime is refused because its quarter would depend on the reader's clock.
    """
    if isinstance(timestamp, datetime):
        if timestamp.tzinfo is None or timestamp.utcoffset() is None:
            raise DisclosureError("naive datetime: pass an aware timestamp")
        day = (timestamp.astimezone(tz) if tz is not None else timestamp).date()
    else:
        day = timestamp
    return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"


def check_period(label: str) -> str:
    """Return `label` if it is a year ("2026") or quarter ("2026-Q1"); refuse anything finer."""
    if _PERIOD_LABEL.fullmatch(label) is None:
        raise PeriodTooFineError(
            f"period {label!r} is not a year or a quarter: quarter is the finest published unit"
        )
    return label


def quarters_of(year: int) -> tuple[str, str, str, str]:
    return (f"{year:04d}-Q1", f"{year:04d}-Q2", f"{year:04d}-Q3", f"{year:04d}-Q4")


# --------------------------------------------------------------------------------------------------
# Tables


def _check_keys(keys: tuple[str, ...], what: str) -> None:
    if len(set(keys)) != len(keys):
        raise DisclosureError(f"duplicate {what} keys")
    if TOTAL in keys:
        raise DisclosureError(f"{what} key {TOTAL!r} is reserved for margins")


@dataclass(frozen=True)
class CountTable:
    """Exact counts before protection. Never leaves the reporting service.

    Two-way: `dimensions == (row_dim, col_dim)`, one row of `cells` per row key.
    One-way: `dimensions == (dim,)`, `row_keys == ()`, and `cells` is a single row over `col_keys`.
    """

    dimensions: tuple[str, ...]
    row_keys: tuple[str, ...]
    col_keys: tuple[str, ...]
    cells: tuple[tuple[int, ...], ...]

    def __post_init__(self) -> None:
        if len(self.dimensions) not in (1, 2):
            raise DisclosureError("a table has one or two dimensions")
        if not self.col_keys:
            raise DisclosureError("a table needs at least one column")
        _check_keys(self.col_keys, "column")
        if self.is_one_way:
            if self.row_keys or len(self.cells) != 1:
                raise DisclosureError("a one-way table is a single row without row keys")
        else:
            if not self.row_keys or len(self.cells) != len(self.row_keys):
                raise DisclosureError("a two-way table needs one row of cells per row key")
            _check_keys(self.row_keys, "row")
        for row in self.cells:
            if len(row) != len(self.col_keys):
                raise DisclosureError("every row needs one cell per column key")
            for value in row:
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise DisclosureError("counts are non-negative integers")

    @classmethod
    def one_way(cls, dimension: str, counts: Mapping[str, int] | Iterable[tuple[str, int]]) -> CountTable:
        items = tuple(counts.items()) if isinstance(counts, Mapping) else tuple(counts)
        return cls((dimension,), (), tuple(key for key, _ in items), (tuple(value for _, value in items),))

    @classmethod
    def two_way(
        cls,
        dimensions: tuple[str, str],
        row_keys: Sequence[str],
        col_keys: Sequence[str],
        counts: Mapping[tuple[str, str], int],
    ) -> CountTable:
        """Cells missing from `counts` are 0; a key outside `row_keys` x `col_keys` is an error."""
        unknown = [key for key in counts if key[0] not in row_keys or key[1] not in col_keys]
        if unknown:
            raise DisclosureError(f"{len(unknown)} count(s) outside the table's keys")
        cells = tuple(tuple(counts.get((r, c), 0) for c in col_keys) for r in row_keys)
        return cls(dimensions, tuple(row_keys), tuple(col_keys), cells)

    @property
    def is_one_way(self) -> bool:
        return len(self.dimensions) == 1

    @property
    def row_totals(self) -> tuple[int, ...]:
        return () if self.is_one_way else tuple(sum(row) for row in self.cells)

    @property
    def col_totals(self) -> tuple[int, ...]:
        return () if self.is_one_way else tuple(sum(column) for column in zip(*self.cells, strict=True))

    @property
    def grand_total(self) -> int:
        return sum(sum(row) for row in self.cells)

    def grid(self) -> list[list[int]]:
        """The augmented grid (see `Position`)."""
        if self.is_one_way:
            return [[*self.cells[0], self.grand_total]]
        rows = [[*row, total] for row, total in zip(self.cells, self.row_totals, strict=True)]
        return [*rows, [*self.col_totals, self.grand_total]]


@dataclass(frozen=True)
class ProtectedTable:
    """A published table: `None` marks a suppressed value (rendered as "*" with a footnote)."""

    dimensions: tuple[str, ...]
    row_keys: tuple[str, ...]
    col_keys: tuple[str, ...]
    cells: tuple[tuple[int | None, ...], ...]
    row_totals: tuple[int | None, ...]  # () for a one-way table
    col_totals: tuple[int | None, ...]  # () for a one-way table
    grand_total: int | None
    k: int
    round_to: int | None = None

    @property
    def is_one_way(self) -> bool:
        return len(self.dimensions) == 1

    def grid(self) -> list[list[int | None]]:
        if self.is_one_way:
            return [[*self.cells[0], self.grand_total]]
        rows: list[list[int | None]] = [
            [*row, total] for row, total in zip(self.cells, self.row_totals, strict=True)
        ]
        return [*rows, [*self.col_totals, self.grand_total]]

    def items(self) -> tuple[tuple[str, int | None], ...]:
        """(key, value) pairs of a one-way table, in key order."""
        if not self.is_one_way:
            raise DisclosureError("items() is for one-way tables; use cells and keys")
        return tuple(zip(self.col_keys, self.cells[0], strict=True))

    def published_values(self) -> tuple[int | None, ...]:
        """Every cell and total, row by row through the augmented grid."""
        return tuple(value for row in self.grid() for value in row)

    def row_margin(self) -> ProtectedTable:
        """The row totals as a one-way table over the row dimension, protected with this table."""
        if self.is_one_way:
            raise DisclosureError("a one-way table has no row margin")
        return ProtectedTable(
            (self.dimensions[0],), (), self.row_keys, (self.row_totals,), (), (), self.grand_total,
            self.k, self.round_to,
        )  # fmt: skip

    def col_margin(self) -> ProtectedTable:
        """The column totals as a one-way table over the column dimension."""
        if self.is_one_way:
            return self
        return ProtectedTable(
            (self.dimensions[1],), (), self.col_keys, (self.col_totals,), (), (), self.grand_total,
            self.k, self.round_to,
        )  # fmt: skip


@dataclass(frozen=True)
class Interval:
    """The integer values a reader can infer for a suppressed entry; `high is None` = unbounded."""

    low: int
    high: int | None

    @property
    def is_exact(self) -> bool:
        return self.high is not None and self.high <= self.low


@dataclass(frozen=True)
class DisclosureProblem:
    """A finding of `verify_protection`. Names positions and keys, never the hidden value."""

    kind: str  # shape | small_published | value_mismatch | small_group | recoverable | inconsistent
    position: Position
    detail: str = field(default="")


# --------------------------------------------------------------------------------------------------
# Grid geometry


@dataclass(frozen=True)
class _Line:
    """An equation of the table: the components add up to the total."""

    components: tuple[Position, ...]
    total: Position

    @property
    def entries(self) -> tuple[Position, ...]:
        return (*self.components, self.total)


@dataclass(frozen=True)
class _Geometry:
    one_way: bool
    n_rows: int  # rows of cells (1 for a one-way table)
    n_cols: int  # columns of cells

    @staticmethod
    def of(table: CountTable | ProtectedTable) -> _Geometry:
        return _Geometry(table.is_one_way, len(table.cells), len(table.col_keys))

    def positions(self) -> list[Position]:
        rows = 1 if self.one_way else self.n_rows + 1
        return [(i, j) for i in range(rows) for j in range(self.n_cols + 1)]

    def lines(self) -> tuple[_Line, ...]:
        r, c = self.n_rows, self.n_cols
        if self.one_way:
            return (_Line(tuple((0, j) for j in range(c)), (0, c)),)
        rows = [_Line(tuple((i, j) for j in range(c)), (i, c)) for i in range(r + 1)]
        cols = [_Line(tuple((i, j) for i in range(r)), (r, j)) for j in range(c + 1)]
        return (*rows, *cols)

    def kind_rank(self, position: Position) -> int:
        """0 inner cell, 1 margin, 2 grand total: the preference order for secondary suppression."""
        i, j = position
        last_row = 0 if self.one_way else self.n_rows
        if i == last_row and j == self.n_cols:
            return 2
        if j == self.n_cols or (not self.one_way and i == self.n_rows):
            return 1
        return 0

    def describe(self, position: Position, table: CountTable | ProtectedTable) -> str:
        i, j = position
        col = table.col_keys[j] if j < self.n_cols else TOTAL
        if self.one_way:
            return col
        row = table.row_keys[i] if i < self.n_rows else TOTAL
        return f"{row}|{col}"


# --------------------------------------------------------------------------------------------------
# Exact LP: integer-preserving simplex


class _Infeasible(Exception):
    pass


class _Simplex:
    """Minimise c.x subject to A x = b, x >= 0, with exact integer (Bareiss) pivoting.

    The stored tableau is d * B^-1 [A | b] for the current basis B with |d| = |det B|; by Cramer's
    rule its entries are integers and every update divides exactly. Bland's rule prevents cycling,
    which matters here: suppression patterns make most vertices degenerate.
    After phase 1 the feasible basis is kept, so each further objective starts warm.
    """

    def __init__(self, rows: list[list[int]], rhs: list[int], n_vars: int) -> None:
        m = len(rows)
        self._n = n_vars
        tableau: list[list[int]] = []
        for i, (row, b) in enumerate(zip(rows, rhs, strict=True)):
            sign = -1 if b < 0 else 1
            artificial = [0] * m
            artificial[i] = 1
            tableau.append([sign * a for a in row] + artificial + [sign * b])
        self._tab = tableau
        self._basis = [n_vars + i for i in range(m)]
        self._d = 1
        self._rhs_col = n_vars + m
        # Phase 1: minimise the sum of the artificials (their reduced costs start at 0).
        obj = [0] * (self._rhs_col + 1)
        for row in tableau:
            for j in range(n_vars):
                obj[j] -= row[j]
            obj[self._rhs_col] -= row[self._rhs_col]
        self._obj = obj
        self._optimise(range(n_vars))
        if self._obj[self._rhs_col] != 0:
            raise _Infeasible
        self._drop_artificials()

    def _drop_artificials(self) -> None:
        keep: list[int] = []
        for i in range(len(self._tab)):
            if self._basis[i] < self._n:
                keep.append(i)
                continue
            column = next((j for j in range(self._n) if self._tab[i][j] != 0), None)
            if column is None:
                continue  # a redundant equation (e.g. the grand total equation appears twice)
            self._pivot(i, column)  # degenerate: the artificial is 0, any sign of pivot is fine
            keep.append(i)
        self._tab = [self._tab[i][: self._n] + [self._tab[i][self._rhs_col]] for i in keep]
        self._basis = [self._basis[i] for i in keep]
        self._rhs_col = self._n

    def _pivot(self, r: int, c: int) -> None:
        pivot_row = self._tab[r]
        p, d = pivot_row[c], self._d
        for i in range(len(self._tab)):
            if i != r:
                self._tab[i] = self._eliminated(self._tab[i], pivot_row, c, p, d)
        self._obj = self._eliminated(self._obj, pivot_row, c, p, d)
        self._basis[r] = c
        self._d = p

    @staticmethod
    def _eliminated(row: list[int], pivot_row: list[int], c: int, p: int, d: int) -> list[int]:
        f = row[c]
        if f == 0:
            return row if p == d else [x * p // d for x in row]
        return [(x * p - f * y) // d for x, y in zip(row, pivot_row, strict=True)]

    def _optimise(self, allowed: range) -> bool:
        """Run to optimality; False if the objective is unbounded below."""
        rhs = self._rhs_col
        while True:
            sd = 1 if self._d > 0 else -1
            entering = next((j for j in allowed if self._obj[j] * sd < 0), -1)
            if entering < 0:
                return True
            leaving = -1
            for i, row in enumerate(self._tab):
                a = row[entering]
                if a * sd <= 0:
                    continue
                if leaving < 0:
                    leaving = i
                    continue
                best = self._tab[leaving]
                # row[rhs]/a < best[rhs]/best[entering]; both denominators have the sign of d
                lhs, rhs_side = row[rhs] * best[entering], best[rhs] * a
                if lhs < rhs_side or (lhs == rhs_side and self._basis[i] < self._basis[leaving]):
                    leaving = i
            if leaving < 0:
                return False
            self._pivot(leaving, entering)

    def minimise(self, costs: Sequence[int]) -> Fraction | None:
        """The minimum of costs.x over the feasible set, or None when unbounded below."""
        d = self._d
        obj = [c * d for c in costs] + [0]
        for i, row in enumerate(self._tab):
            basic_cost = costs[self._basis[i]]
            if basic_cost:
                obj = [o - basic_cost * x for o, x in zip(obj, row, strict=True)]
        self._obj = obj
        if not self._optimise(range(self._n)):
            return None
        return Fraction(-self._obj[self._rhs_col], self._d)

    def vertex(self) -> list[Fraction]:
        values = [Fraction(0)] * self._n
        for i, var in enumerate(self._basis):
            values[var] = Fraction(self._tab[i][self._rhs_col], self._d)
        return values


def _system(
    grid: Sequence[Sequence[int]], suppressed: Sequence[Position], lines: Iterable[_Line]
) -> tuple[list[list[int]], list[int]]:
    """Equations over the suppressed entries: sum(suppressed parts) - [total] = known rest."""
    index = {position: n for n, position in enumerate(suppressed)}
    rows: list[list[int]] = []
    rhs: list[int] = []
    for line in lines:
        coefficients = [0] * len(suppressed)
        constant = 0
        touched = False
        for i, j in line.components:
            if (i, j) in index:
                coefficients[index[(i, j)]] += 1
                touched = True
            else:
                constant -= grid[i][j]
        ti, tj = line.total
        if line.total in index:
            coefficients[index[line.total]] -= 1
            touched = True
        else:
            constant += grid[ti][tj]
        if touched:
            rows.append(coefficients)
            rhs.append(constant)
    return rows, rhs


def _unit(n: int, t: int, sign: int) -> list[int]:
    costs = [0] * n
    costs[t] = sign
    return costs


def _intervals(
    grid: Sequence[Sequence[int]], suppressed: Sequence[Position], lines: Iterable[_Line]
) -> dict[Position, Interval]:
    rows, rhs = _system(grid, suppressed, lines)
    simplex = _Simplex(rows, rhs, len(suppressed))
    result: dict[Position, Interval] = {}
    for t, position in enumerate(suppressed):
        low = simplex.minimise(_unit(len(suppressed), t, 1))
        negated_high = simplex.minimise(_unit(len(suppressed), t, -1))
        assert low is not None  # x >= 0 bounds every minimum below
        result[position] = Interval(
            math.ceil(low), None if negated_high is None else math.floor(-negated_high)
        )
    return result


def _first_recoverable(
    grid: Sequence[Sequence[int]], suppressed: Sequence[Position], lines: Iterable[_Line]
) -> Position | None:
    """The first suppressed entry whose true value is the only consistent one, if any.

    Cheaper than `_intervals`: any integer vertex met on the way that differs from the truth
    already proves a variable ambiguous, so most LPs are skipped.
    """
    rows, rhs = _system(grid, suppressed, lines)
    n = len(suppressed)
    simplex = _Simplex(rows, rhs, n)
    truth = [grid[i][j] for i, j in suppressed]
    ambiguous = [False] * n

    def note(vertex: list[Fraction]) -> None:
        for t, value in enumerate(vertex):
            if value.denominator == 1 and value != truth[t]:
                ambiguous[t] = True

    note(simplex.vertex())
    for t in range(n):
        for sign in (1, -1):
            if ambiguous[t]:
                break
            optimum = simplex.minimise(_unit(n, t, sign))
            if optimum is None:
                ambiguous[t] = True
                break
            note(simplex.vertex())
            bound = math.ceil(optimum) if sign == 1 else math.floor(-optimum)
            ambiguous[t] = ambiguous[t] or bound != truth[t]
        if not ambiguous[t]:
            return suppressed[t]
    return None


# --------------------------------------------------------------------------------------------------
# Protection


def round_to_base(value: int, base: int) -> int:
    """Nearest multiple of `base`, halves up (7 -> 5, 8 -> 10 for base 5)."""
    quotient, remainder = divmod(value, base)
    return (quotient + (1 if 2 * remainder >= base else 0)) * base


def _check_parameters(k: int, round_to: int | None) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise DisclosureError("k must be a positive integer")
    if round_to is not None:
        if isinstance(round_to, bool) or not isinstance(round_to, int) or round_to < 2:
            raise DisclosureError("round_to must be an integer >= 2")
        # rounding is monotone, so the smallest published value >= k rounds to round(k)
        if round_to_base(k, round_to) < k:
            raise DisclosureError(f"rounding to {round_to} would publish counts >= {k} below {k}")


def _line_fix(
    line: _Line, grid: Sequence[Sequence[int]], suppressed: set[Position], k: int, geometry: _Geometry
) -> Position | None:
    """The entry to suppress next so that `line` obeys the line rules, or None if it does."""
    hidden = [p for p in line.entries if p in suppressed]
    if not hidden:
        return None

    def cost(p: Position) -> tuple[int, int, int, int]:
        return (geometry.kind_rank(p), grid[p[0]][p[1]], p[0], p[1])

    if line.total not in suppressed:
        hidden_sum = sum(grid[i][j] for i, j in line.components if (i, j) in suppressed)
        if 1 <= hidden_sum <= k - 1:
            raisers = [p for p in line.components if p not in suppressed and grid[p[0]][p[1]] > 0]
            return min(raisers, key=cost) if raisers else line.total
    if len(hidden) == 1:
        return min((p for p in line.entries if p not in suppressed), key=cost)
    return None


def _suppression_pattern(grid: list[list[int]], geometry: _Geometry, k: int) -> set[Position]:
    positions = geometry.positions()
    lines = geometry.lines()
    suppressed = {(i, j) for i, j in positions if 1 <= grid[i][j] <= k - 1}
    while True:
        settled = False
        while not settled:
            settled = True
            for line in lines:
                extra = _line_fix(line, grid, suppressed, k, geometry)
                if extra is not None:
                    suppressed.add(extra)
                    settled = False
        if not suppressed:
            return suppressed
        exposed = _first_recoverable(grid, sorted(suppressed), lines)
        if exposed is None:
            return suppressed
        # Open a new degree of freedom next to the exposed entry, preferring a positive inner cell
        # (a zero can only move upwards, which is what pinned the entry in the first place).
        candidates = {
            p for line in lines if exposed in line.entries for p in line.entries if p not in suppressed
        }
        if not candidates:  # cannot happen while something is published; stay safe regardless
            candidates = set(positions) - suppressed
        suppressed.add(
            min(
                candidates,
                key=lambda p: (geometry.kind_rank(p), grid[p[0]][p[1]] == 0, grid[p[0]][p[1]], p),
            )
        )


def protect(table: CountTable, k: int = 5, round_to: int | None = None) -> ProtectedTable:
    """Suppress (and optionally round) `table` so that it may be published. Deterministic."""
    _check_parameters(k, round_to)
    geometry = _Geometry.of(table)
    grid = table.grid()
    suppressed = _suppression_pattern(grid, geometry, k)

    def published(i: int, j: int) -> int | None:
        if (i, j) in suppressed:
            return None
        return grid[i][j] if round_to is None else round_to_base(grid[i][j], round_to)

    out = [[published(i, j) for j in range(len(grid[i]))] for i in range(len(grid))]
    if table.is_one_way:
        return ProtectedTable(
            table.dimensions, (), table.col_keys, (tuple(out[0][:-1]),), (), (), out[0][-1], k, round_to
        )
    return ProtectedTable(
        dimensions=table.dimensions,
        row_keys=table.row_keys,
        col_keys=table.col_keys,
        cells=tuple(tuple(row[:-1]) for row in out[:-1]),
        row_totals=tuple(row[-1] for row in out[:-1]),
        col_totals=tuple(out[-1][:-1]),
        grand_total=out[-1][-1],
        k=k,
        round_to=round_to,
    )


# --------------------------------------------------------------------------------------------------
# Audit


def _same_shape(table: CountTable, protected: ProtectedTable) -> bool:
    return (
        table.dimensions == protected.dimensions
        and table.row_keys == protected.row_keys
        and table.col_keys == protected.col_keys
        and [len(row) for row in table.cells] == [len(row) for row in protected.cells]
        and len(protected.row_totals) == len(table.row_totals)
        and len(protected.col_totals) == len(table.col_totals)
    )


def feasible_intervals(
    protected: ProtectedTable, table: CountTable | None = None
) -> dict[Position, Interval]:
    """For each suppressed entry, the values consistent with the published figures.

    Without `table`, the published values are the reader's knowledge (unrounded tables only).
    With `table`, published entries take their exact values: the reader of a rounded table is
    assumed to know the unrounded published values, which can only narrow the intervals.
    """
    geometry = _Geometry.of(protected)
    published = protected.grid()
    suppressed = [(i, j) for i, j in geometry.positions() if published[i][j] is None]
    if table is not None:
        if not _same_shape(table, protected):
            raise DisclosureError("table and protected table differ in shape or keys")
        known = table.grid()
    elif protected.round_to is not None:
        raise DisclosureError("intervals of a rounded table need the exact table")
    else:
        known = [[0 if value is None else value for value in row] for row in published]
    if not suppressed:
        return {}
    try:
        return _intervals(known, suppressed, geometry.lines())
    except _Infeasible:
        raise DisclosureError("the published values are inconsistent with each other") from None


def verify_protection(table: CountTable, protected: ProtectedTable, k: int) -> list[DisclosureProblem]:
    """Audit `protected` against the exact `table`; an empty list means it may be published.

    Checks: no published value in 1..k-1; published values equal the exact (or rounded) ones; no
    line's suppressed cells add up to a derivable sum in 1..k-1; and, exactly, that no suppressed
    entry has a single value consistent with the published figures.
    """
    if not _same_shape(table, protected):
        return [DisclosureProblem("shape", (-1, -1), "table and protected table differ in shape or keys")]
    geometry = _Geometry.of(table)
    exact = table.grid()
    published = protected.grid()
    problems: list[DisclosureProblem] = []
    for i, j in geometry.positions():
        value = published[i][j]
        if value is None:
            continue
        where = geometry.describe((i, j), table)
        if 1 <= value <= k - 1:
            problems.append(DisclosureProblem("small_published", (i, j), f"{where} is below k"))
        expected = (
            exact[i][j] if protected.round_to is None else round_to_base(exact[i][j], protected.round_to)
        )
        if value != expected:
            problems.append(DisclosureProblem("value_mismatch", (i, j), f"{where} differs from the data"))
    suppressed = [(i, j) for i, j in geometry.positions() if published[i][j] is None]
    lines = geometry.lines()
    for line in lines:
        ti, tj = line.total
        if published[ti][tj] is None:
            continue
        hidden_sum = sum(exact[i][j] for i, j in line.components if published[i][j] is None)
        if 1 <= hidden_sum <= k - 1:
            where = geometry.describe(line.total, table)
            problems.append(
                DisclosureProblem("small_group", line.total, f"suppressed cells of line {where} sum below k")
            )
    if suppressed:
        try:
            intervals = _intervals(exact, suppressed, lines)
        except _Infeasible:
            return [*problems, DisclosureProblem("inconsistent", (-1, -1), "data violates its own margins")]
        for position, interval in intervals.items():
            if interval.is_exact:
                where = geometry.describe(position, table)
                problems.append(
                    DisclosureProblem("recoverable", position, f"{where} is derivable from published values")
                )
    return problems


# --------------------------------------------------------------------------------------------------
# Small units


def fold_small_units(
    units: Iterable[str], unit_sizes: Mapping[str, int], parent_of: Mapping[str, str | None], min_size: int
) -> dict[str, tuple[str, ...]]:
    """Fold every unit with fewer than `min_size` people into its parent, recursively, by headcount
    alone (never by counts): group (its top unit) -> the units in it, the top unit first.

    `unit_sizes` are headcounts of a unit's own staff, excluding sub-units; a unit missing from it
    counts as size 0. Units are settled deepest first, so a parent is judged with the staff of the
    children folded into it; a parent still too small folds further up. A root (no parent) is kept
    whatever its size: it is the organisation the report is about, protected by cell suppression.
    Parents of the given units are included. Groups sorted by id.
    """

    def depth(unit: str) -> int:
        seen = {unit}
        steps = 0
        parent = parent_of.get(unit)
        while parent is not None:
            if parent in seen:
                raise DisclosureError("cycle in the unit hierarchy")
            seen.add(parent)
            steps += 1
            parent = parent_of.get(parent)
        return steps

    everyone: set[str] = set(units)
    for unit in list(everyone):
        parent = parent_of.get(unit)
        while parent is not None and parent not in everyone:
            everyone.add(parent)
            parent = parent_of.get(parent)
    size = {unit: unit_sizes.get(unit, 0) for unit in everyone}
    members: dict[str, list[str]] = {unit: [unit] for unit in everyone}
    for unit in sorted(everyone, key=lambda u: (-depth(u), u)):
        parent = parent_of.get(unit)
        if parent is None or size[unit] >= min_size:
            continue
        size[parent] += size.pop(unit)
        members[parent].extend(members.pop(unit))
    return {group: tuple(folded) for group, folded in sorted(members.items())}


def merge_small_units(
    counts_by_unit: Mapping[str, Mapping[str, int]],
    unit_sizes: Mapping[str, int],
    parent_of: Mapping[str, str | None],
    min_size: int,
) -> dict[str, dict[str, int]]:
    """The counts per unit after `fold_small_units`: a folded unit's counts go to its group.

    Returns the groups that have counts of their own or took in a folded unit, keys sorted.
    """
    groups = fold_small_units([*counts_by_unit, *unit_sizes], unit_sizes, parent_of, min_size)
    merged: dict[str, dict[str, int]] = {}
    for group, units in groups.items():
        if group not in counts_by_unit and len(units) == 1:
            continue
        target = merged.setdefault(group, {})
        for unit in units:
            for key, value in counts_by_unit.get(unit, {}).items():
                target[key] = target.get(key, 0) + value
    return {unit: dict(sorted(counts.items())) for unit, counts in sorted(merged.items())}

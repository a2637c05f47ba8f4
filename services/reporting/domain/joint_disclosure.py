"""Joint disclosure control: one protection problem over every figure a release publishes.

A reader who holds every report, every view and every earlier release at once knows a system of
linear equations over the exact counts. This module protects and audits all of it together, the way
statistics offices do ("if a cell requires protection in one table, it requires protection in all
tables", ESSnet SDC handbook; sdcTable's `attack()`, GaussSuppression's interval computation).

It holds the operations (`attack`, `audit`, `protect_release`). The model types are in
`release_problem`; the exact attacker's integer programmes (HiGHS), with the witnesses that spare
most solves, are in `disclosure_solver`.

The model (`release_problem`)
    Atoms are the finest exact counts the service holds for a release (e.g. contacts of ministry X
    in 2026-Q2 under category "bullying"; hours of ministry Y's advisors in Q3 on conversations):
    non-negative integers, never published themselves. A figure is a sum of atoms (a cell of a
    table, a total, a year-to-date count, a government-wide count, a unit's count). Relations are
    what a reader knows besides the figures: `equal` (two sets of atoms count the same population:
    contacts by category and by channel add up to the same contacts) and `at_most` (mentions of a
    category are at least its primary contacts). Lines (a total and the figures that add up to it)
    steer the choice of secondary suppressions; the audit does not need them.

Protection (`protect_release`)
    1. Primary suppression: the caller marks figures (counts 1..k-1; magnitudes with too few
       contributors). Figures already released (the ledger) are fixed: their value or suppression
       stands and is part of the reader's knowledge.
    2. Line rules: a line with one suppressed entry gets a second; a line whose published total
       covers suppressed primaries hides one part of at least k beside them (its zeros when it has
       no such part), so the hidden parts add up to at least k whatever the primaries are. (Hiding
       "until the hidden sum reaches k" would tell a reader who knows the rule that the primaries
       alone stayed below it.)
    3. The exact attacker (`audit`): for every suppressed figure, the smallest and largest value over
       all non-negative INTEGER atom vectors consistent with everything published (solved in
       `disclosure_solver`). Required: no suppressed figure determined; no primary suppression
       narrower than the protection interval; no primary count whose interval lies inside 1..k-1. A
       failing figure gets one more suppression next to it; repeat.
    Which figure is suppressed next is chosen without looking at hidden values (whether one more is
    needed does: the group rule and the audit): structural cost (inner cells
    before totals) and then a keyed pseudo-random priority (HMAC of the figure's key under a secret
    the service holds). The same data and key give the same release, so a replay is reproducible,
    but a reader who knows the algorithm cannot run it backwards without the key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from services.reporting.domain.disclosure_solver import Attacker
from services.reporting.domain.release_problem import (
    Bounds,
    FigureKind,
    FigureSpec,
    Finding,
    JointDisclosureError,
    Line,
    Relation,
    ReleaseProblem,
    Requirement,
    meets,
    priority,
)


def attack(
    figures: Mapping[str, FigureSpec],
    published: Mapping[str, int],
    suppressed: Iterable[str],
    relations: Sequence[Relation] = (),
) -> dict[str, Bounds]:
    """The reader's exact integer bounds of every suppressed figure, from `published` values alone."""
    return Attacker(figures, relations).bounds(published, suppressed)


def audit(
    problem: ReleaseProblem, outcome: Mapping[str, int | None], requirement: Requirement, exact: bool = True
) -> list[Finding]:
    """Everything `outcome` (and the ledger) publishes, attacked at once; [] means it may leave.

    `exact`: every bound is the attacker's integer optimum. Otherwise the auditor also uses the
    truth as a witness and stops solving a figure once witnesses prove it protected: the same
    verdict (a finding is always confirmed by exact bounds), fewer solves, but the bounds of
    protected figures are inner ones."""
    outcome = {key: value for key, value in outcome.items() if key in problem.figures}  # aliases: same figure
    published = {key: value for key, value in outcome.items() if value is not None}
    suppressed = [key for key, value in outcome.items() if value is None]
    if exact:
        bounds = attack(problem.figures, published, suppressed, problem.relations)
    else:
        attacker = Attacker(problem.figures, problem.relations, problem.atoms, problem.subsystem)
        truth = np.array([float(problem.atoms.get(atom, 0)) for atom in attacker.atoms])
        bounds = attacker.bounds(published, suppressed, requirement, problem.primary, truth)
    findings = []
    for key in sorted(bounds):
        issue = meets(bounds[key], problem.figures[key].kind, key in problem.primary, requirement)
        if issue is not None:
            findings.append(Finding(key, issue, bounds[key]))
    return findings


# --------------------------------------------------------------------------------------------------
# Protection


def protect_release(
    problem: ReleaseProblem,
    requirement: Requirement,
    secret: bytes,
    trace: list[tuple[str, str]] | None = None,
) -> dict[str, int | None]:
    """Values of every figure of `problem` (None = suppressed) that pass the exact attacker.

    Figures in `problem.fixed` keep their released value or suppression. Deterministic for the same
    problem and secret. Ends at the latest when every figure that is not fixed is suppressed.
    """
    figures = problem.figures
    values = {key: problem.value(key) for key in figures}
    for key, released in problem.fixed.items():
        if key not in figures:
            raise JointDisclosureError(f"released figure {key} is not part of the problem")
        if released is not None and released != values[key]:
            raise JointDisclosureError(f"released figure {key} would change: freeze its period")
    suppressed = {key for key, value in problem.fixed.items() if value is None}
    suppressed |= {key for key in problem.primary if key not in problem.fixed}
    free = {key for key in figures if key not in problem.fixed}
    order = {key: (figures[key].rank, priority(secret, key)) for key in figures}
    lines_of: dict[str, list[Line]] = {}
    for line in problem.lines:
        for key in (line.total, *line.parts):
            lines_of.setdefault(key, []).append(line)

    figures_of_atom: dict[str, list[str]] = {}
    for key, spec in figures.items():
        for atom in spec.atoms:
            figures_of_atom.setdefault(atom, []).append(key)
    relations_of_atom: dict[str, list[Relation]] = {}
    for relation in problem.relations:
        for atom in (*relation.left, *relation.right):
            relations_of_atom.setdefault(atom, []).append(relation)

    def related(key: str) -> set[str]:
        atoms = set(figures[key].atoms)
        for atom in list(atoms):
            for relation in relations_of_atom.get(atom, []):
                atoms.update(relation.left)
                atoms.update(relation.right)
        return {other for atom in atoms for other in figures_of_atom.get(atom, []) if other != key}

    def choose(candidates: Iterable[str], smallest: bool = False) -> str | None:
        # A figure without atoms is structurally 0: suppressing it protects nothing.
        candidates = [
            key for key in candidates if key in free and key not in suppressed and figures[key].atoms
        ]
        pool = [
            key for key in candidates if key not in revealed
        ] or candidates  # revealed only as a last resort
        if not pool:
            return None
        if smallest:  # among figures of the same cost, the smallest value first
            choice = min(pool, key=lambda key: (figures[key].rank, values[key], order[key]))
        else:
            choice = min(pool, key=order.__getitem__)
        revealed.discard(choice)
        return choice

    def line_fix(line: Line) -> str | None:
        entries = (line.total, *line.parts)
        hidden = [key for key in entries if key in suppressed]
        if not hidden:
            return None
        if (
            line.total not in suppressed
            and figures[line.total].kind is FigureKind.COUNT
            and any(key in problem.primary for key in line.parts if key in suppressed)
            and not any(
                values[key] >= requirement.k
                for key in line.parts
                if key in suppressed and key not in problem.primary
            )
        ):
            # The group rule, decided so that the pattern does not tell the primaries' sum: a line
            # whose published total covers suppressed primaries hides one part of at least k beside
            # them, whatever the primaries add up to. Its hidden parts then add up to at least k.
            # Stopping as soon as the hidden sum reached k would tell a reader who knows the rule
            # that the primaries alone stayed below k. The cover is the smallest such part (then by
            # keyed priority): a reader learns only that it is at most the published ones, and the
            # line's large figures, the ones a report is read for, stay published.
            cover = choose(
                (key for key in line.parts if key not in problem.primary and values[key] >= requirement.k),
                smallest=True,
            )
            if cover is not None:
                return cover
            # No free part of at least k: the other parts are 0. Hide them too, or a reader could
            # tell a line of 1 + 1 + 1 + 1 + 1 from one of 2 + 0 + 1 + 1 + 1, whose 0 would be
            # published (a part the audit has published again stays published). Where a part of an
            # earlier release is fixed, fall back to hiding more until the hidden parts' sum is safe.
            zero = choose(
                key
                for key in line.parts
                if key not in problem.primary and values[key] == 0 and key not in ever_revealed
            )
            if zero is not None:
                return zero
            hidden_sum = sum(values[key] for key in line.parts if key in suppressed)
            if 1 <= hidden_sum <= requirement.k - 1:
                return choose(line.parts) or choose([line.total])
        if len(hidden) == 1:
            return choose(entries)
        return None

    strikes: dict[str, int] = {}  # audit rounds a figure has failed
    revealed: set[str] = set()  # secondaries published again because the rest determines them
    ever_revealed: set[str] = set()
    attacker = Attacker(figures, problem.relations, problem.atoms, problem.subsystem)
    truth = np.array([float(problem.atoms.get(atom, 0)) for atom in attacker.atoms])
    while True:
        settled = False
        while not settled:
            settled = True
            for line in problem.lines:
                extra = line_fix(line)
                if extra is not None:
                    suppressed.add(extra)
                    settled = False
                    if trace is not None:
                        trace.append((extra, f"line {line.total}"))
        published = {key: values[key] for key in figures if key not in suppressed}
        bounds = attacker.bounds(published, suppressed, requirement, problem.primary, truth)
        failing = [
            key
            for key in sorted(bounds, key=order.__getitem__)
            if meets(bounds[key], figures[key].kind, key in problem.primary, requirement) is not None
        ]
        if not failing:
            outcome = {key: (None if key in suppressed else values[key]) for key in figures}
            outcome.update({alias: outcome[key] for alias, key in problem.aliases.items()})
            return dict(sorted(outcome.items()))
        # A secondary suppression that the reader can determine anyway hides nothing: publish it (its
        # value, 0 or >= k, adds no equation the reader lacks) and never choose it again. Suppressing
        # more around it cannot help when it is pinned by a relation (a category never mentioned is
        # never the primary one).
        revealed_now = [
            key
            for key in failing
            if key not in problem.primary
            and key not in problem.fixed
            and key not in ever_revealed  # once: no ping-pong with the line rules
            and meets(bounds[key], figures[key].kind, False, requirement) == "determined"
        ]
        for key in revealed_now:
            suppressed.discard(key)
            revealed.add(key)
            ever_revealed.add(key)
            if trace is not None:
                trace.append((key, "published again: determined by the rest"))
        failing = [key for key in failing if key not in revealed]
        if not failing:
            continue
        # Open each failing figure: one more suppressed part in each of its lines (never a line's total
        # first: a total is shared by other tables and suppressing it cascades); failing that, the
        # cheapest figure over the same or related atoms (relations: other tables of the same
        # contacts), then a total. One audit round serves them all.
        added: set[str] = set()
        for key in failing:
            strikes[key] = strikes.get(key, 0) + 1
            opened = False
            for line in lines_of.get(key, []):
                entries = {line.total, *line.parts}
                if entries & added:
                    opened = True  # a suppression added this round already opens this line
                    continue
                # A figure that still fails after a round of parts may take its lines' totals too.
                pool = entries if strikes[key] > 2 else {part for part in line.parts if part != key}
                candidate = choose(pool - {key})
                if candidate is not None:
                    suppressed.add(candidate)
                    added.add(candidate)
                    opened = True
                    if trace is not None:
                        trace.append((candidate, f"audit {key}: line {line.total}"))
            if opened:
                continue
            extra = (
                choose(related(key))
                or choose(line.total for line in lines_of.get(key, []))
                or choose(figures)
            )
            if extra is not None:
                suppressed.add(extra)
                added.add(extra)
                if trace is not None:
                    trace.append((extra, f"audit {key}: related"))
        if not added:
            raise JointDisclosureError(
                "a released figure cannot be protected even with everything new suppressed"
            )

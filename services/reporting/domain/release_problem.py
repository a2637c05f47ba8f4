"""What a release is: the model types of joint disclosure control, and the rule that judges bounds.

Atoms (exact counts, never published), figures (`FigureSpec`, sums of atoms), lines and relations,
and the figures earlier releases fixed make a `ReleaseProblem`. `Requirement` is what protection
must reach, `Bounds` what a reader can infer of a suppressed figure, `meets` whether that is enough
and `Finding` a figure that falls short; `priority` is the keyed order of secondary suppressions.
The model is explained in `joint_disclosure`'s docstring.

A module of its own because these types are what a release is, whoever builds or solves it: the
builder (`release_model`), the ledger, the solver (`disclosure_solver`) and the operations
(`joint_disclosure`) all import them, and this module imports none of them.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum


class JointDisclosureError(ValueError):
    """A release problem that cannot be set up (unknown atom, inconsistent ledger)."""


class FigureKind(StrEnum):
    COUNT = "count"  # people or cases: the threshold rule applies (no interval inside 1..k-1)
    MAGNITUDE = "magnitude"  # hours, sessions: protected by contributors and interval width only


@dataclass(frozen=True)
class FigureSpec:
    """A published quantity: the sum of `atoms`. `rank` orders secondary choices (0 = inner cell)."""

    key: str
    atoms: tuple[str, ...]
    kind: FigureKind = FigureKind.COUNT
    rank: int = 0


@dataclass(frozen=True)
class Line:
    """`total` is the sum of `parts` (all figure keys)."""

    total: str
    parts: tuple[str, ...]


@dataclass(frozen=True)
class Relation:
    """sum(left atoms) == sum(right atoms) (`equal`) or sum(left) <= sum(right) (`at_most`)."""

    left: tuple[str, ...]
    right: tuple[str, ...]
    equal: bool = True


@dataclass
class ReleaseProblem:
    """Everything one release decides, plus what earlier releases fixed."""

    atoms: dict[str, int]  # exact atom values
    figures: dict[str, FigureSpec] = field(default_factory=dict)
    lines: list[Line] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    primary: set[str] = field(default_factory=set)
    fixed: dict[str, int | None] = field(default_factory=dict)  # ledger: value, or None = suppressed
    # Another key for a figure with exactly the same atoms (the government-wide count of a government
    # of one organisation is that organisation's): one figure, published or suppressed alike.
    aliases: dict[str, str] = field(default_factory=dict)
    # The part of the release an atom belongs to (its organisation). Witnesses are first sought one
    # part at a time with every other atom at its true value: small programmes instead of one over
    # the whole government (see disclosure_solver.Attacker.bounds). None: every component is solved whole.
    subsystem: Callable[[str], str] | None = None
    _by_atoms: dict[frozenset[str], str] = field(default_factory=dict, repr=False)

    def add(self, spec: FigureSpec) -> str:
        """Add a figure; returns the key it is known by (an earlier key with the same atoms)."""
        if spec.key in self.aliases:
            return self.aliases[spec.key]
        known = self.figures.get(spec.key)
        if known is not None and set(known.atoms) != set(spec.atoms):
            raise JointDisclosureError(f"figure {spec.key} defined twice with different atoms")
        if known is not None:
            return spec.key
        atoms = frozenset(spec.atoms)
        same = self._by_atoms.get(atoms) if atoms else None
        if same is not None:
            self.aliases[spec.key] = same
            return same
        self.figures[spec.key] = spec
        if atoms:
            self._by_atoms[atoms] = spec.key
        return spec.key

    def fix(self, spec: FigureSpec, released: int | None, primary: bool) -> str:
        """Add a figure an earlier release published (its value, or None: suppressed); it stands and
        is part of the reader's knowledge. Returns the key it is known by."""
        known_as = self.add(spec)
        self.fixed[known_as] = released
        if primary:
            self.primary.add(known_as)
        return known_as

    def spec(self, key: str) -> FigureSpec:
        return self.figures[self.aliases.get(key, key)]

    def value(self, key: str) -> int:
        return sum(self.atoms.get(atom, 0) for atom in self.spec(key).atoms)


@dataclass(frozen=True)
class Requirement:
    k: int = 5
    interval: int = 3  # minimum width (high - low) of every suppressed figure's feasible interval


@dataclass(frozen=True)
class Bounds:
    """Integer values a reader can infer for a figure; `high is None` = unbounded."""

    low: int
    high: int | None

    def width(self) -> float:
        return math.inf if self.high is None else self.high - self.low


@dataclass(frozen=True)
class Finding:
    key: str
    problem: str  # determined | interval_too_narrow | primary_bounded_below_k
    bounds: Bounds


def priority(secret: bytes, key: str) -> bytes:
    """The keyed pseudo-random priority of a figure (lower goes first): HMAC-SHA256 of its key."""
    return hmac.new(secret, key.encode("utf-8"), hashlib.sha256).digest()


def meets(bounds: Bounds, kind: FigureKind, primary: bool, requirement: Requirement) -> str | None:
    """None when `bounds` protect the figure, else the name of the problem.

    Every suppressed figure must not be determined. The protection interval (minimum width) and the
    threshold rule apply to primary suppressions, the figures that need protection; a secondary
    suppression (a value >= k or 0) only has to stay undetermined, as in sdcTable's protection
    levels. A secondary zero narrowed to [0, 1] is not a disclosure of anyone."""
    if bounds.high is not None and bounds.high <= bounds.low:
        return "determined"
    if primary and bounds.width() < requirement.interval:
        return "interval_too_narrow"
    if (
        primary
        and kind is FigureKind.COUNT
        and bounds.low >= 1
        and bounds.high is not None
        and bounds.high <= requirement.k - 1
    ):
        return "primary_bounded_below_k"
    return None

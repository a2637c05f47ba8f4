"""Simulated release inputs: random organisations, unit trees and quarters, for tests and benchmarks.

Each (organisation, quarter) draws its counts from `sample_counts.sample_counts` (the founding
study's mix), scaled down to a quarter; unit trees have three levels with random sizes, so small
units occur and are folded by headcount.
"""

from __future__ import annotations

from dataclasses import replace
from random import Random

from services.reporting.domain.annual_report_data import ReportCounts
from services.reporting.domain.release_model import ReleaseInput, group_units, released_quarters
from tools.reporting.sample_counts import sample_counts


def _quarter_counts(rng: Random, year: int, quarter: str, contacts: int) -> ReportCounts:
    counts = sample_counts(rng.randrange(1 << 30), year, contacts=contacts)
    channel = {(c, quarter): n for (c, _), n in counts.contacts_by_channel_and_quarter.items()}
    merged: dict[tuple[str, str], int] = {}
    for key, n in channel.items():
        merged[key] = merged.get(key, 0) + n
    advisors = rng.randint(1, 6)
    return replace(
        counts,
        contacts_by_channel_and_quarter=merged,
        advisor_hours_by_activity={a: h / 4 for a, h in counts.advisor_hours_by_activity.items()},
        training_hours_total=counts.training_hours_total / 4,
        supervision_sessions_total=counts.supervision_sessions_total // 4,
        advisors_recording_hours=advisors,
    )


def sample_release_input(
    seed: int,
    organisations: int = 3,
    units: int = 6,
    year: int = 2026,
    through: int = 4,
    contacts_per_quarter: tuple[int, int] = (2, 30),
    min_unit_size: int = 50,
) -> ReleaseInput:
    rng = Random(seed)
    orgs = tuple(f"org-{i:02d}" for i in range(organisations))
    quarter_counts: dict[tuple[str, str], ReportCounts] = {}
    unit_counts: dict[tuple[str, str], dict[str, int]] = {}
    unit_groups = {}
    span_counts = {}
    for org in orgs:
        # A three-level tree: the organisation, directorates, departments; random headcounts.
        parent_of: dict[str, str | None] = {org: None}
        sizes: dict[str, int] = {org: rng.choice((0, 10, 120))}
        directorates = [f"{org}.d{i}" for i in range(max(1, units // 3))]
        for d in directorates:
            parent_of[d] = org
            sizes[d] = rng.choice((0, 20, 80, 300))
        for i in range(units):
            unit = f"{org}.u{i:02d}"
            parent_of[unit] = rng.choice(directorates)
            sizes[unit] = rng.choice((5, 30, 60, 150, 400))
        groups = group_units(sizes, parent_of, min_unit_size)
        unit_groups[org] = groups
        unit_ids = [u for u in parent_of]
        for quarter in released_quarters(year, through):
            counts = _quarter_counts(rng, year, quarter, rng.randint(*contacts_per_quarter))
            quarter_counts[(org, quarter)] = counts
            n = sum(counts.contacts_by_primary_category.values())
            per_unit: dict[str, int] = {}
            for _ in range(n):
                unit = rng.choice(unit_ids)
                per_unit[unit] = per_unit.get(unit, 0) + 1
            unit_counts[(org, quarter)] = per_unit
        advisors = rng.randint(1, 8)
        met = rng.randint(0, advisors)
        span_counts[org] = ReportCounts(
            advisors_recording_hours=advisors,
            advisors_by_baseline_status={"met": met, "not_met": advisors - met},
        )
    everyone = sum(sum(c.advisors_by_baseline_status.values()) for c in span_counts.values()) + 2
    met_all = sum(c.advisors_by_baseline_status["met"] for c in span_counts.values()) + 1
    span_counts["all"] = ReportCounts(
        advisors_recording_hours=everyone,
        advisors_by_baseline_status={"met": met_all, "not_met": everyone - met_all},
    )
    no_home = {
        q: ReportCounts(
            advisor_hours_by_activity={"conversation": rng.uniform(0, 40)}, training_hours_total=4.0
        )
        for q in released_quarters(year, through)
    }
    return ReleaseInput(year, through, orgs, quarter_counts, span_counts, no_home, unit_counts, unit_groups)


def through_quarter(data: ReleaseInput, through: int) -> ReleaseInput:
    """The same year's counts as they stood for a release through an earlier quarter."""
    quarters = set(released_quarters(data.year, through))
    return replace(
        data,
        through=through,
        quarter_counts={k: v for k, v in data.quarter_counts.items() if k[1] in quarters},
        unit_counts={k: v for k, v in data.unit_counts.items() if k[1] in quarters},
        no_home={q: c for q, c in data.no_home.items() if q in quarters},
    )

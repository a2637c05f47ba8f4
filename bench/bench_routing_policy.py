"""Benchmark of the pure routing policy on a government-sized directory.

Builds a seeded random organisation (default: 100,000 people in 12 ministries, unit trees 8 levels
deep so that management chains are up to 8 long, 1,000 advisors) and a realistic case mix, then
times `decide` per case with perf_counter_ns: first on cold chain caches, then warm. Two
baselines run on the same cases in the same process:
- "full scan": the same rules applied to every advisor, without the scope index (what the policy
  would cost without pruning);
- "bare iteration": just touching every advisor once per case (the floor of any full scan).
Target: p99 of a decision under 1 ms.

    python bench/bench_routing_policy.py [--people 100000] [--advisors 1000] [--cases 20000]
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import random
import resource
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import results

from services.routing.domain.directory import (
    Advisor,
    Directory,
    OrgUnit,
    Person,
    PersonUpserted,
)
from services.routing.domain.policy import (
    DEFAULT,
    CaseFacts,
    Decision,
    InvolvedPerson,
    _CaseContext,
    _serves,
    _violations,
    decide,
)
from shared.codes import (
    AdvisorKind,
    AdvisorScope,
    AdvisorStatus,
    Category,
    ClientRole,
    InvolvedRole,
)

NOW = datetime(2025, 6, 2, 9, 30, tzinfo=UTC)
CITIES = ("den_haag", "utrecht", "amsterdam", "rotterdam", "zwolle", "groningen", "arnhem", "maastricht")
UNWANTED = [c for c in Category if c.family == "unwanted_behaviour"]
INTEGRITY = [c for c in Category if c.family == "integrity"]
LABOUR = [Category.LABOUR_CONFLICT_WITH_MANAGER, Category.LABOUR_LEGAL_POSITION]
GENERAL = [Category.WORKLOAD, Category.OTHER]


class Organisation:
    """The generated records plus the lookups the case generator needs."""

    def __init__(self) -> None:
        self.units: list[OrgUnit] = []
        self.persons: list[Person] = []
        self.advisors: list[Advisor] = []
        self.employees_by_unit: dict[str, list[str]] = {}
        self.units_by_organisation: dict[str, list[str]] = {}
        self.internal_advisors_by_organisation: dict[str, list[str]] = {}


def build_organisation(
    rng: random.Random, people: int, advisors: int, depth: int, ministries: int
) -> Organisation:
    org = Organisation()
    unit_level: dict[str, int] = {}
    unit_head: dict[str, str] = {}
    unit_org: dict[str, str] = {}
    unit_parent: dict[str, str | None] = {}
    person_unit: dict[str, str] = {}
    next_person = 0

    def new_person_id() -> str:
        nonlocal next_person
        next_person += 1
        return f"p{next_person:06d}"

    # Unit trees: one per ministry, `depth` levels, 1-3 children per unit.
    heads: list[Person] = []
    for m in range(ministries):
        ministry_id = f"ministry_{m:02d}"
        frontier: list[tuple[str, str | None, int]] = [(f"{ministry_id}.u", None, 0)]
        while frontier:
            unit_id, parent, level = frontier.pop()
            unit_level[unit_id], unit_org[unit_id], unit_parent[unit_id] = level, ministry_id, parent
            head = new_person_id()
            unit_head[unit_id] = head
            manager = unit_head[parent] if parent else None
            heads.append(Person(head, unit_id, manager, is_top_management=level <= 1))
            person_unit[head] = unit_id
            org.units_by_organisation.setdefault(ministry_id, []).append(unit_id)
            if level < depth - 1:
                for child in range(rng.choice((1, 2, 2, 3))):
                    frontier.append((f"{unit_id}.{child}", unit_id, level + 1))

    # Employees, mostly in the deepest units; their manager is the unit head.
    unit_ids = list(unit_level)
    leaves = [u for u in unit_ids if unit_level[u] == depth - 1]
    employees: list[Person] = []
    for _ in range(max(0, people - len(heads))):
        unit_id = rng.choice(leaves) if rng.random() < 0.75 else rng.choice(unit_ids)
        person_id = new_person_id()
        employees.append(Person(person_id, unit_id, unit_head[unit_id]))
        person_unit[person_id] = unit_id
        org.employees_by_unit.setdefault(unit_id, []).append(person_id)
    org.persons = heads + employees

    sizes = Counter(person_unit.values())
    org.units = [OrgUnit(u, unit_parent[u], f"unit {u}", sizes[u], unit_org[u]) for u in unit_ids]

    # Advisors: ~88% internal, 10% cross-unit, 1.5% government-wide external (a small pool, §2.6).
    candidates = employees
    organisations = sorted(org.units_by_organisation)
    for index in range(advisors):
        roll = rng.random()
        advisor_id = f"adv{index:04d}"
        served: frozenset[str] = frozenset()
        person: Person | None
        organisation_id: str | None
        if roll < 0.015:
            scope, person, organisation_id = AdvisorScope.EXTERNAL, None, None
        else:
            person = rng.choice(candidates)
            home = unit_org[person.unit_id]
            if roll < 0.115:
                scope, organisation_id = AdvisorScope.CROSS_UNIT, home
                target = rng.choice(organisations)
                shallow = [u for u in org.units_by_organisation[target] if 1 <= unit_level[u] <= 3]
                served = frozenset(rng.sample(shallow, k=min(len(shallow), rng.randint(1, 3))))
            else:
                scope, organisation_id = AdvisorScope.INTERNAL, home
                org.internal_advisors_by_organisation.setdefault(home, []).append(advisor_id)
        languages = {"nl"} | ({"en"} if rng.random() < 0.4 else set())
        languages |= {lang for lang in ("de", "fr", "ar", "tr") if rng.random() < 0.03}
        term_start = NOW.date() - timedelta(days=rng.randint(-30, 4 * 365 + 200))
        colleagues = org.employees_by_unit.get(person.unit_id, []) if person else []
        org.advisors.append(
            Advisor(
                advisor_id=advisor_id,
                person_id=person.person_id if person else None,
                kind=rng.choices((AdvisorKind.VPIO, AdvisorKind.VPO, AdvisorKind.VPI), (60, 25, 15))[0],
                scope=scope,
                served_unit_ids=served,
                organisation_id=organisation_id,
                languages=frozenset(languages),
                locations=frozenset(rng.sample(CITIES, k=rng.choice((1, 1, 2)))),
                weekly_hours=rng.choice((2.0, 4.0, 4.0, 8.0, 16.0)),
                term_start=term_start,
                term_end=None if rng.random() < 0.3 else term_start + timedelta(days=4 * 365),  # ~10% ended
                status=rng.choices(
                    (AdvisorStatus.ACTIVE, AdvisorStatus.ON_LEAVE, AdvisorStatus.DEPARTED), (92, 6, 2)
                )[0],
                open_cases=rng.randint(0, 12),
                acquaintances=frozenset(rng.sample(colleagues, k=min(len(colleagues), rng.randint(0, 5)))),
            )
        )
    return org


def build_cases(rng: random.Random, org: Organisation, count: int) -> list[CaseFacts]:
    employees = [p for p in org.persons if not p.is_top_management]
    unit_org = {u.unit_id: u.organisation_id for u in org.units}
    advisor_persons = [a.person_id for a in org.advisors if a.person_id]
    cases: list[CaseFacts] = []
    for number in range(count):
        client = rng.choice(employees)
        anonymous = rng.random() < 0.10
        organisation_id = unit_org[client.unit_id]

        family = rng.choices((LABOUR, UNWANTED, INTEGRITY, GENERAL), (40, 25, 20, 15))[0]
        categories = [rng.choice(family)]
        if rng.random() < 0.15:
            categories.append(rng.choice(rng.choice((LABOUR, UNWANTED, INTEGRITY, GENERAL))))

        involved: list[InvolvedPerson] = []
        roll = rng.random()
        if roll < 0.45:
            involved.append(InvolvedPerson(role=InvolvedRole.DIRECT_MANAGER))
        elif roll < 0.60:
            involved.append(InvolvedPerson(role=InvolvedRole.HIGHER_MANAGER))
        elif roll < 0.72 and client.manager_id:
            involved.append(InvolvedPerson(client.manager_id, InvolvedRole.DIRECT_MANAGER))
        elif roll < 0.80 and (colleagues := org.employees_by_unit.get(client.unit_id, [])):
            involved.append(InvolvedPerson(rng.choice(colleagues), InvolvedRole.COLLEAGUE))
        elif roll < 0.83:
            involved.append(InvolvedPerson(role=InvolvedRole.TOP_MANAGEMENT))
        elif roll < 0.85:
            involved.append(InvolvedPerson(role=InvolvedRole.ADVISOR))
        elif roll < 0.87:
            involved.append(InvolvedPerson(rng.choice(advisor_persons), InvolvedRole.ADVISOR))
        if rng.random() < 0.10:
            involved.append(InvolvedPerson(rng.choice(employees).person_id, InvolvedRole.OTHER))

        internal = org.internal_advisors_by_organisation.get(organisation_id, [])
        preferred = rng.choice(internal) if internal and rng.random() < 0.15 else None
        excluded = frozenset(rng.sample(internal, k=1)) if internal and rng.random() < 0.10 else frozenset()
        language = rng.choices((None, "en", "de"), (90, 8, 2))[0]
        cases.append(
            CaseFacts(
                case_id=f"case-{number:07d}",
                organisation_id=organisation_id,
                unit_id=client.unit_id,
                client_person_id=None if anonymous else client.person_id,
                client_role=rng.choices((ClientRole.EMPLOYEE, ClientRole.MANAGER), (85, 15))[0],
                categories=tuple(categories),
                persons_involved=tuple(involved),
                preferred_advisor_id=preferred,
                excluded_advisor_ids=excluded,
                wants_external=rng.random() < 0.03,
                language=language,
                location=rng.choice(CITIES) if rng.random() < 0.6 else None,
                is_whistleblower_report=rng.random() < 0.02,
            )
        )
    return cases


# --------------------------------------------------------------------------------------------
# Baselines


def full_scan(case: CaseFacts, directory: Directory, advisors: Sequence[Advisor]) -> int:
    """The policy's rules applied to every advisor, no scope index: returns the eligible count."""
    context = _CaseContext.of(case, directory, NOW, DEFAULT)
    eligible = 0
    for advisor in advisors:
        if _serves(advisor, case, directory) and next(_violations(advisor, context, directory), None) is None:
            eligible += 1
    return eligible


def bare_iteration(case: CaseFacts, directory: Directory, advisors: Sequence[Advisor]) -> int:
    language = case.language or "nl"
    return sum(
        1 for advisor in advisors if advisor.status is AdvisorStatus.ACTIVE and language in advisor.languages
    )


# --------------------------------------------------------------------------------------------
# Measurement


Timings = tuple[list[int], list[int]]  # wall-clock and CPU nanoseconds, one entry per case


def time_each(runs: Sequence[Callable[[CaseFacts], object]], cases: Sequence[CaseFacts]) -> list[Timings]:
    """Wall-clock (perf_counter_ns) and CPU (thread_time_ns) nanoseconds per call, per runner.

    The runners take turns case by case, so that a busy moment on a shared machine hits them
    alike; wall-clock includes time the process was preempted, CPU time does not.
    """
    timings: list[Timings] = [([], []) for _ in runs]
    wall_clock, cpu_clock = time.perf_counter_ns, time.thread_time_ns
    for case in cases:
        for run, (wall, cpu) in zip(runs, timings, strict=True):
            cpu_start = cpu_clock()
            start = wall_clock()
            run(case)
            wall.append(wall_clock() - start)
            cpu.append(cpu_clock() - cpu_start)
    return timings


def percentile(sorted_ns: list[int], fraction: float) -> float:
    """Microseconds at the nearest-rank percentile."""
    index = min(len(sorted_ns) - 1, max(0, math.ceil(fraction * len(sorted_ns)) - 1))
    return sorted_ns[index] / 1000


def report(label: str, timings: Timings) -> float:
    wall, cpu = sorted(timings[0]), sorted(timings[1])
    p50, p95, p99 = (percentile(wall, f) for f in (0.50, 0.95, 0.99))
    print(
        f"  {label:<31} {len(wall) / (sum(wall) / 1e9):>8,.0f}/s  wall p50 {p50:7.1f}  p95 {p95:7.1f}"
        f"  p99 {p99:7.1f}  max {wall[-1] / 1000:7.0f} us | cpu p99 {percentile(cpu, 0.99):7.1f} us"
    )
    return statistics.fmean(wall) / 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--advisors", type=int, default=1_000)
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--depth", type=int, default=8, help="levels of units (chains up to this long)")
    parser.add_argument("--ministries", type=int, default=12)
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--fold", action="store_true", help="also time folding the people as change records")
    args = parser.parse_args()

    run = results.Run("routing_policy", **vars(args))
    figures: dict[str, object] = {}
    rng = random.Random(args.seed)
    started = time.perf_counter()
    org = build_organisation(rng, args.people, args.advisors, args.depth, args.ministries)
    cases = build_cases(rng, org, args.cases)
    generated = time.perf_counter() - started

    started = time.perf_counter()
    directory = Directory.build(org.units, org.persons, org.advisors)
    build_s = time.perf_counter() - started
    depth = max(
        len(directory.management_chain(p.person_id)) for p in org.persons[:: max(1, len(org.persons) // 5000)]
    )

    print(f"routing policy benchmark (seed {args.seed}, Python {sys.version.split()[0]})")
    print(
        f"  directory: {directory.person_count:,} people, {len(org.units):,} units in {args.ministries} "
        f"ministries, {directory.advisor_count:,} advisors, management chains up to {depth} long"
    )
    print(f"  generating data {generated:.2f} s; Directory.build {build_s * 1000:.0f} ms")
    if args.fold:
        started = time.perf_counter()
        Directory.fold(PersonUpserted(p) for p in org.persons)
        print(
            f"  Directory.fold of {len(org.persons):,} PersonUpserted {time.perf_counter() - started:.2f} s"
        )

    def run_decide(case: CaseFacts) -> Decision:
        return decide(case, directory, NOW)

    advisors = directory.advisors()
    gc.collect()
    print(f"  {len(cases):,} cases, one decision each, timed one by one (perf_counter_ns):")
    (cold,) = time_each([run_decide], cases)
    report("decide, cold chain caches", cold)
    warm, scan, bare = time_each(
        [
            run_decide,
            lambda case: full_scan(case, directory, advisors),
            lambda case: bare_iteration(case, directory, advisors),
        ],
        cases,
    )
    mean_warm = report("decide, warm", warm)
    mean_scan = report("baseline: full scan, no index", scan)
    mean_bare = report("baseline: bare iteration", bare)
    print(
        f"  ratio of means: full scan / decide = {mean_scan / mean_warm:.1f}x; "
        f"bare iteration / decide = {mean_bare / mean_warm:.2f}x"
    )
    figures |= {"directory_build_ms": build_s * 1000, "mean_decide_warm_us": mean_warm}
    figures |= {"mean_full_scan_us": mean_scan, "mean_bare_iteration_us": mean_bare}
    for clock, cold_ns, warm_ns in (("wall", cold[0], warm[0]), ("cpu", cold[1], warm[1])):
        p99_ms = percentile(sorted(cold_ns + warm_ns), 0.99) / 1000
        figures[f"p99_decide_{clock}_ms"] = p99_ms
        verdict = "meets" if p99_ms < 1 else "MISSES"
        print(f"  p99 of decide ({clock} clock, cold and warm): {p99_ms:.3f} ms, {verdict} the 1 ms target")
    print(f"  load average during the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")

    decisions = [run_decide(case) for case in cases]
    outcomes = Counter(d.outcome for d in decisions)
    reasons = Counter(d.selection_reason.value if d.selection_reason else "-" for d in decisions)
    considered = statistics.fmean(d.candidates_considered for d in decisions)
    print(
        f"  mix: {dict(outcomes)}; selection {dict(reasons)}; "
        f"{sum(d.referral_suggested is not None for d in decisions):,} labour-law referrals; "
        f"{considered:.0f} candidates per case on average"
    )
    rules = Counter[str]()
    for d in decisions:
        for count in d.rule_codes_applied:
            rules[count.rule_code.value] += count.count
    print("  exclusions by rule: " + ", ".join(f"{code} {n:,}" for code, n in sorted(rules.items())))
    print(f"  peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    figures |= {"outcomes": dict(outcomes), "candidates_per_case": considered, "aim_p99_ms": 1.0}
    figures["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    run.write(figures)


if __name__ == "__main__":
    main()

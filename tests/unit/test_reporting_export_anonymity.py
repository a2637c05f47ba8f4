"""The export's protection: generalise units up the tree, then suppress, until k-anonymous and diverse.

Properties over random three-level unit trees and random record sets (hypothesis), checked with our own
group counts and with the independent checker pycanon; then worked examples with exact numbers.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pycanon import anonymity

from services.reporting.adapters.organisation import OrganisationModel, Unit
from services.reporting.application.export import QUASI_IDENTIFIERS, CaseRecord, acceptable, protect_cases

pytestmark = pytest.mark.unit

ORGS = ("min-a", "min-b")
CATEGORY_LISTS = (
    ("labour.conflict_with_manager",),
    ("unwanted_behaviour.bullying",),
    ("workload",),
    ("labour.conflict_with_manager", "workload"),
    ("integrity.fraud_theft", "unwanted_behaviour.bullying"),
)


def frame(records: tuple[CaseRecord, ...] | list[CaseRecord]) -> pd.DataFrame:
    return pd.DataFrame(
        [(*r.key(), ";".join(r.categories), r.whistleblower) for r in records],
        columns=[*QUASI_IDENTIFIERS, "categories", "whistleblower"],
    )


@st.composite
def trees(draw: st.DrawFn) -> OrganisationModel:
    """Per organisation: 1-3 top units, each with 0-3 sub-units, each with 0-2 sub-sub-units."""
    units: dict[str, Unit] = {}
    sizes = st.sampled_from((0, 10, 40, 60, 200, 1000))
    for org in ORGS:
        for i in range(draw(st.integers(1, 3))):
            top = f"{org}-{i}"
            units[top] = Unit(top, None, top, draw(sizes), org)
            for j in range(draw(st.integers(0, 3))):
                mid = f"{top}-{j}"
                units[mid] = Unit(mid, top, mid, draw(sizes), org)
                for m in range(draw(st.integers(0, 2))):
                    leaf = f"{mid}-{m}"
                    units[leaf] = Unit(leaf, mid, leaf, draw(sizes), org)
    return OrganisationModel(units=units)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[OrganisationModel, list[CaseRecord], int, int]:
    model = draw(trees())
    choices = {org: [u for u, unit in model.units.items() if unit.organisation_id == org] for org in ORGS}
    seed = draw(st.integers(0, 2**32))
    rng = random.Random(seed)
    records = []
    for _ in range(draw(st.integers(0, 160))):
        org = rng.choice(ORGS)
        unit = rng.choice([*choices[org], f"{org}-unknown"]) if rng.random() < 0.97 else org
        records.append(
            CaseRecord(
                organisation=org,
                unit=unit,
                quarter=rng.choice(("2026-Q1", "2026-Q2")),
                channel=rng.choice(("phone", "email", "phone", "chat")),
                client_role=rng.choice(("employee", "employee", "employee", "manager")),
                categories=rng.choice(CATEGORY_LISTS),
                whistleblower=rng.random() < 0.15,
            )
        )
    return model, records, draw(st.integers(2, 6)), draw(st.sampled_from((0, 50)))


def ancestors_or_self(unit: str, org: str, model: OrganisationModel) -> list[str]:
    """The unit, its parents in the file, and the organisation at the top (the test's own tree walk)."""
    chain = [unit]
    while unit in model.units and model.units[unit].parent_id is not None:
        unit = model.units[unit].parent_id  # type: ignore[assignment]
        chain.append(unit)
    return [*chain, org] if chain[-1] != org else chain


def generalised(records: list[CaseRecord], labels: Mapping[str, Mapping[str, str]]) -> list[CaseRecord]:
    return [replace(r, unit=labels[r.organisation][r.unit]) for r in records]


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_the_result_is_k_anonymous_diverse_and_made_only_of_generalised_input_records(
    scenario: tuple[OrganisationModel, list[CaseRecord], int, int],
) -> None:
    model, records, k, min_size = scenario
    result = protect_cases(records, model, k, min_size)
    kept = list(result.records)
    # Counts add up.
    assert result.records_in == len(records)
    assert len(kept) + result.suppressed == len(records)
    # k-anonymous on the quasi-identifiers (our count and pycanon's), and diverse in every group.
    groups: dict[tuple[str, ...], list[CaseRecord]] = {}
    for record in kept:
        groups.setdefault(record.key(), []).append(record)
    assert all(len(group) >= k and acceptable(group, k) for group in groups.values())
    for group in groups.values():
        assert not all(r.whistleblower for r in group)
        assert not set.intersection(*(set(r.categories) for r in group))
    if kept:
        assert anonymity.k_anonymity(frame(kept), list(QUASI_IDENTIFIERS)) >= k
    # Every input unit got a label that is itself or one of its ancestors (global recoding).
    for record in records:
        label = result.unit_labels[record.organisation][record.unit]
        assert label in ancestors_or_self(record.unit, record.organisation, model), (record.unit, label)
    # Every kept record is the generalisation of its own input record: no record appears that was not
    # in the input, none is duplicated, and nothing but the unit changed.
    candidates = Counter(generalised(records, result.unit_labels))
    assert not Counter(kept) - candidates
    dropped = candidates - Counter(kept)
    assert sum(dropped.values()) == result.suppressed
    # Generalisation comes first: only records whose unit went all the way to the top are suppressed.
    assert all(record.unit == record.organisation for record in dropped)
    # A unit with fewer than min_size staff and no sub-units never stands as a label of its own.
    parents = {u.parent_id for u in model.units.values()}
    for labels in result.unit_labels.values():
        for label in labels.values():
            unit = model.units.get(label)
            if unit is not None and label not in parents:
                assert unit.size >= min_size
    # Deterministic, whatever the input order.
    assert protect_cases(list(reversed(records)), model, k, min_size) == result


def record(unit: str, *, org: str = "min-x", categories: tuple[str, ...] = ("workload",), wb: bool = False,
           quarter: str = "2026-Q1") -> CaseRecord:  # fmt: skip
    return CaseRecord(org, unit, quarter, "phone", "employee", categories, wb)


MIXED = (("workload",), ("unwanted_behaviour.bullying",))


def mixed(unit: str, n: int, **kw: object) -> list[CaseRecord]:
    return [record(unit, categories=MIXED[i % 2], **kw) for i in range(n)]  # type: ignore[arg-type]


def worked_tree() -> OrganisationModel:
    spec = [
        ("x", None, 1000), ("x-a", "x", 300), ("x-a-1", "x-a", 120), ("x-a-2", "x-a", 20), ("x-b", "x", 200),
    ]  # fmt: skip
    return OrganisationModel(units={u: Unit(u, p, u, s, "min-x") for u, p, s in spec})


def test_worked_example_small_unit_folds_then_a_sparse_unit_climbs_to_the_organisation_and_is_suppressed() -> (
    None
):
    records = [*mixed("x-a-1", 6), *mixed("x-a-2", 2), *mixed("x-a", 3), *mixed("x-b", 2)]
    result = protect_cases(records, worked_tree(), 5, 50)
    assert result.unit_labels["min-x"] == {
        "x-a-1": "x-a-1",  # 6 records: kept as it is
        "x-a-2": "x-a",  # 20 staff < 50: folded into its parent first; with x-a's 3 records, 5
        "x-a": "x-a",
        "x-b": "min-x",  # 2 records: folded to x, still 2, folded to the organisation, still 2
    }
    assert Counter(r.unit for r in result.records) == {"x-a-1": 6, "x-a": 5}
    assert result.suppressed == 2
    assert (result.units_generalised, result.units_folded_small, result.units_folded_for_k) == (2, 1, 1)
    assert result.label_covers["min-x"] == {"x-a": ("x-a", "x-a-2"), "x-a-1": ("x-a-1",)}


def test_folding_is_global_a_unit_label_covers_the_same_units_in_every_quarter() -> None:
    # x-a-1 is fine in Q1 (6) but sparse in Q2 (1): the whole unit folds, Q1 records too.
    records = [*mixed("x-a-1", 6), *mixed("x-a-1", 1, quarter="2026-Q2"), *mixed("x-a", 4, quarter="2026-Q2")]
    result = protect_cases(records, worked_tree(), 5, 50)
    assert result.unit_labels["min-x"]["x-a-1"] == "x-a"
    assert Counter((r.unit, r.quarter) for r in result.records) == {
        ("x-a", "2026-Q1"): 6,
        ("x-a", "2026-Q2"): 5,
    }
    assert result.suppressed == 0


def test_a_group_of_only_whistleblower_reports_is_not_written() -> None:
    only = [record("x", wb=True, categories=MIXED[i % 2]) for i in range(5)]
    assert protect_cases(only, OrganisationModel(), 5, 50).suppressed == 5
    one_more = protect_cases([*only, record("x", categories=MIXED[0])], OrganisationModel(), 5, 50)
    assert one_more.suppressed == 0 and len(one_more.records) == 6
    assert all(r.unit == "min-x" for r in one_more.records)  # no organisation file: the organisation


def test_a_group_where_every_record_mentions_the_same_category_is_not_written() -> None:
    same = [
        record("x", categories=("labour.conflict_with_manager", extra)) for extra in ("workload", "other")
    ] * 3
    assert protect_cases(same, OrganisationModel(), 5, 50).suppressed == 6
    varied = [*same, record("x", categories=("workload",))]
    assert protect_cases(varied, OrganisationModel(), 5, 50).suppressed == 0


def test_k_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        protect_cases([], OrganisationModel(), 0, 50)

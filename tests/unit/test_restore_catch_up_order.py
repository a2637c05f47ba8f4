"""The order in which a restore catches up on what a service missed (shared/runtime.py
`in_happened_order`): by record timestamp across topics and partitions, each partition's own order
kept even where its timestamps step back, one topic per batch."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from shared.runtime import in_happened_order

pytestmark = pytest.mark.unit


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    timestamp: int


def test_a_command_comes_after_the_case_it_is_about_whatever_order_the_broker_gave() -> None:
    opened = Record("intake.cases.v1", 2, 7, timestamp=1_000)
    assigned = Record("routing.assignments.v1", 0, 3, timestamp=1_200)
    command = Record("advisor.actions.v1", 1, 5, timestamp=1_900)
    batches = in_happened_order([command, assigned, opened])  # as a backlog may come
    assert [[r.offset for r in b] for b in batches] == [[7], [3], [5]]


def test_a_partition_keeps_its_order_where_its_timestamps_step_back() -> None:
    first = Record("intake.cases.v1", 0, 1, timestamp=2_000)
    second = Record("intake.cases.v1", 0, 2, timestamp=1_500)  # a producer's clock stepped back
    other = Record("advisor.actions.v1", 0, 9, timestamp=1_700)
    flat = [r for batch in in_happened_order([second, other, first][::-1]) for r in batch]
    assert flat.index(first) < flat.index(second)


def test_a_batch_holds_one_topic_and_at_most_a_run() -> None:
    records = [Record("t", 0, i, timestamp=i) for i in range(7)] + [Record("u", 0, 0, timestamp=100)]
    batches = in_happened_order(records, run=3)
    assert [len(b) for b in batches] == [3, 3, 1, 1]
    assert all(len({r.topic for r in b}) == 1 for b in batches)

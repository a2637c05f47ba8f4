"""The simulator's load is a function of its seed (tools/demo/seeded.py, docs/operations.md).

The same seed gives the same contacts, ids and advisors' plans; what the advisors do to a case
depends on the seed and the case, not on the order in which the events about cases arrive; the
state digest leaves out exactly what a run cannot reproduce.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tools.demo.seeded import (
    LogicalClock,
    case_plan,
    command_id,
    command_jti,
    day_anchor,
    parse_seed,
    rng_for,
    seeded_uuid,
)
from tools.demo.simulator import Simulator, make_submission
from tools.demo.state_digest import SEALED, Canon, dropped

pytestmark = pytest.mark.unit
CLOCK = LogicalClock(datetime(2026, 12, 3, tzinfo=UTC), rate=4)


def test_the_same_seed_and_index_give_the_same_contact_with_the_same_ids() -> None:
    first = [make_submission(45, i, CLOCK) for i in range(30)]
    again = [make_submission(45, i, CLOCK) for i in reversed(range(30))][::-1]
    assert first == again
    ids = [doc["submission_id"] for _scenario, doc in first]
    assert len(set(ids)) == 30


def test_another_seed_gives_other_contacts() -> None:
    ours = {make_submission(45, i, CLOCK)[1]["submission_id"] for i in range(10)}
    theirs = {make_submission(46, i, CLOCK)[1]["submission_id"] for i in range(10)}
    assert not ours & theirs


def test_a_contact_is_dated_by_the_logical_clock_not_the_wall_clock() -> None:
    _scenario, doc = make_submission(45, 8, CLOCK)
    assert doc["submitted_at"] == "2026-12-03T00:00:02+00:00"  # step 8 at 4 per second


def test_seeded_uuids_are_version_4_and_reproducible() -> None:
    a, b = seeded_uuid(rng_for(7, "x")), seeded_uuid(rng_for(7, "x"))
    assert a == b and a.version == 4 and a.variant == uuid.RFC_4122
    assert seeded_uuid(rng_for(7, "y")) != a


def test_command_ids_and_jtis_are_per_seed_case_advisor_action_and_number() -> None:
    base = command_id(45, "case-1", "adv-anna", "LogTime", 0)
    assert base == command_id(45, "case-1", "adv-anna", "LogTime", 0)
    others = {
        command_id(45, "case-1", "adv-anna", "LogTime", 1),
        command_id(45, "case-1", "adv-bram", "LogTime", 0),
        command_id(45, "case-2", "adv-anna", "LogTime", 0),
        command_id(45, "case-1", "adv-anna", "CloseCase", 0),
        command_id(46, "case-1", "adv-anna", "LogTime", 0),
    }
    assert base not in others and len(others) == 5
    assert command_jti(45, base) == command_jti(45, base) != command_jti(46, base)


def test_a_case_plan_depends_on_the_seed_and_the_submission_only() -> None:
    ids = [f"sim-{i:020d}" for i in range(200)]
    plans = {sid: case_plan(45, sid) for sid in ids}
    shuffled = ids[:]
    random.Random(1).shuffle(shuffled)
    assert {sid: case_plan(45, sid) for sid in shuffled} == plans
    assert any(plan.declare_conflict for plan in plans.values())  # the mix has conflicts, ...
    assert {plan.work_after for plan in plans.values()} == {1, 2, 3, 4}  # ... and varied pacing
    assert [case_plan(46, sid) for sid in ids] != list(plans.values())


def test_seed_random_asks_for_a_fresh_seed() -> None:
    assert parse_seed("random") is None and parse_seed("2019") == 2019


def test_the_default_anchor_is_the_runs_utc_midnight() -> None:
    assert day_anchor(datetime(2026, 12, 3, 17, 5, 3, 9, tzinfo=UTC)) == datetime(2026, 12, 3, tzinfo=UTC)


def _events(seed: int) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for i in range(12):
        _scenario, doc = make_submission(seed, i, CLOCK)
        case_id = f"case-{i:02d}"
        opened = {"case_id": case_id, "submission_id": doc["submission_id"], "is_whistleblower_report": False}
        assigned = {"case_id": case_id, "advisor_id": ["adv-anna", "adv-bram"][i % 2]}
        for n, (kind, payload) in enumerate((("CaseOpened", opened), ("AdvisorAssigned", assigned))):
            events.append(
                {
                    "event_id": f"{case_id}-{n}",
                    "event_type": kind,
                    "stream_id": case_id,
                    "sequence": n + 1,
                    "payload": payload,
                }
            )
    return events


def _plans_after_seeing(
    events: list[dict[str, Any]], seed: int = 45
) -> dict[int, list[tuple[str, str, str]]]:
    sim = Simulator("127.0.0.1:1", "", "http://127.0.0.1:1", seed=seed, clock=CLOCK)
    for event in events:
        sim.see(event)
    sim.take_news(step=3)
    return {step: sorted(todo) for step, todo in sim.due.items()}


def test_what_the_advisors_do_does_not_depend_on_the_order_events_arrive_in() -> None:
    events = _events(45)
    in_order = _plans_after_seeing(events)
    for shuffle_seed in range(5):
        arrived = events[:]
        random.Random(shuffle_seed).shuffle(arrived)
        assert _plans_after_seeing(arrived) == in_order
    assert sum(len(todo) for todo in in_order.values()) == 12
    assert min(in_order) >= 4  # planned after the step in which the assignments were seen


def test_the_digest_drops_clock_readings_arrival_order_and_sealed_values() -> None:
    clean = Canon({"random-meeting-event": "scheduling:label"})
    row = {
        "case_id": "c-1",
        "opened_at": "2026-12-03 08:46:00",
        "position": 17,
        "minutes": 45,
        "receipt_sealed": '{"alg":"A256GCM","kid":"c-1","ct":"..."}',
        "body": '{"event_id": "random-meeting-event", "occurred_at": "x", "payload": {"at": "y", "meeting_id": "m"}}',
    }
    assert {k: clean(v) for k, v in row.items() if not dropped(k)} == {
        "case_id": "c-1",
        "minutes": 45,
        "receipt_sealed": SEALED,
        "body": {"event_id": "scheduling:label", "payload": {}},
    }


def test_the_digest_of_a_missing_home_is_empty(tmp_path: Path) -> None:
    from tools.demo.state_digest import digests

    assert digests(tmp_path) == {}

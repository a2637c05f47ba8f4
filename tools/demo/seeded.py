"""The simulator's decisions as functions of a seed: the same seed gives the same load.

Every id the simulated world chooses (submission ids, contact addresses, idempotency keys, command
message ids, token jtis) and everything the simulated advisors do to a case (declare a conflict,
when they work it, minutes logged, the outcome, the client's rating) is drawn from a generator
seeded by the run's seed and the thing it is about (the i-th submission, the case's submission
id), never from one shared generator: the order in which events happen to arrive cannot change
what is decided. Times written into submissions come from a logical clock (`LogicalClock`), not
from the wall clock. Pure: no I/O, no clock.
"""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.codes import Outcome

DEMO_SEED = 2019  # `caseflow demo` without --seed: `make demo` plays the same load every time


def parse_seed(text: str) -> int | None:
    """`--seed N`, or `--seed random` (None: the caller draws a fresh seed and prints it)."""
    if text == "random":
        return None
    return int(text)


def demo_release_key(seed: int) -> str:
    """Reporting's secondary-suppression key for a demo run (hex): fixed by the seed."""
    return hashlib.sha256(f"caseflow-demo-release-key:{seed}".encode()).hexdigest()


def rng_for(seed: int, *about: str | int) -> random.Random:
    """A generator of its own for one stream of decisions: (seed, what it is about)."""
    digest = hashlib.sha256(json.dumps([seed, *about]).encode()).digest()
    return random.Random(int.from_bytes(digest[:16], "big"))


def seeded_uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def command_id(seed: int, case_key: str, advisor: str, action: str, n: int = 0) -> str:
    """The message id (envelope event id) of a simulated command; intake derives its answers' ids
    from it, so a repeated run emits the same events."""
    return str(seeded_uuid(rng_for(seed, "command", case_key, advisor, action, n)))


def command_jti(seed: int, message_id: str) -> str:
    return seeded_uuid(rng_for(seed, "jti", message_id)).hex


@dataclass(frozen=True)
class LogicalClock:
    """Step i happens at `anchor + i / rate` seconds, however long the system took for it."""

    anchor: datetime
    rate: float

    def at(self, step: int) -> datetime:
        return self.anchor + timedelta(seconds=step / self.rate)


def day_anchor(now: datetime) -> datetime:
    """The default anchor: the run's UTC day at midnight (two runs on one day share it)."""
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


OUTCOMES = [
    (Outcome.ADVICE_GIVEN, 45),
    (Outcome.REFERRED_LABOUR_LAW_DESK, 20),
    (Outcome.REFERRED_SOCIAL_WORKER, 8),
    (Outcome.REFERRED_COMPANY_DOCTOR, 5),
    (Outcome.MEDIATION, 10),
    (Outcome.FORMAL_COMPLAINT, 5),
    (Outcome.NO_FOLLOW_UP, 7),
]


@dataclass(frozen=True)
class CasePlan:
    """What the advisors do to one case, decided before anything happened to it."""

    declare_conflict: bool  # the first assigned advisor declares a conflict of interest
    work_after: int  # logical steps between seeing the assignment and working the case
    conversation_minutes: int
    administration_minutes: int
    outcome: Outcome
    rating: int  # the client's rating on the follow-up page (HTTP contacts)


def case_plan(seed: int, submission_id: str) -> CasePlan:
    rng = rng_for(seed, "case", submission_id)
    return CasePlan(
        declare_conflict=rng.random() < 0.03,
        work_after=rng.randint(1, 4),
        conversation_minutes=rng.choice([45, 60, 90]),
        administration_minutes=rng.choice([15, 30]),
        outcome=rng.choices([o for o, _ in OUTCOMES], [w for _, w in OUTCOMES])[0],
        rating=rng.choice([3, 4, 4, 5, 5, 2]),
    )

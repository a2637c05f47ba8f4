"""A seeded, simulated year of the events reporting consumes, as the real services would emit them.

For tests (the replay test, the live-projection report) and the replay benchmark (a million events).
Same seed, same events, byte for byte: event ids are derived from the seed and a counter, times from
the seeded random generator. Sealed fields carry random ciphertext-shaped bytes, as on the wire.
The mix follows the seed study (mostly labour conflicts, phone and e-mail first, mostly internal
advisors); every event type and reason code reporting distinguishes occurs.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from random import Random

import shared.contracts  # noqa: F401  (registers the event types)
from shared.codes import AdvisorScope, Category, TimeActivity
from shared.contracts.intake import (
    CaseAccepted,
    CaseClosed,
    CaseOpened,
    CasePersonalDataErased,
    ClientFeedbackGiven,
    LegalDeadlineMet,
    LegalDeadlineMissed,
    LegalDeadlineSet,
    OutcomeRecorded,
    SupervisionRegistered,
    TimeLogged,
    TrainingRegistered,
)
from shared.contracts.routing import (
    AdvisorAssigned,
    CaseReassigned,
    ReferralSuggested,
    RoutingEscalated,
    reassignment_cause,
)
from shared.contracts.scheduling import MeetingCancelled, MeetingScheduled
from shared.crypto import Sealed
from shared.envelope import EventPayload, new_envelope
from shared.topics import INTAKE_CASES, ROUTING_ASSIGNMENTS, SCHEDULING_MEETINGS
from tools.reporting.sample_counts import (
    CATEGORY_WEIGHTS,
    CHANNEL_WEIGHTS,
    MODE_WEIGHTS,
    OUTCOME_WEIGHTS,
    ROLE_WEIGHTS,
    SCOPE_WEIGHTS,
    pick_weighted,
)

NAMESPACE = uuid.UUID("0b6a9f3e-77a1-4d0c-9d7e-5b0c1f2a9e41")

ORGANISATIONS: dict[str, tuple[str, ...]] = {
    "min-bzk": ("bzk", "bzk-sg", "bzk-dgob", "bzk-dgob-ict", "bzk-dgob-hr"),
    "min-fin": ("fin", "fin-tax", "fin-douane", "fin-bel"),
    "min-jenv": ("jenv", "jenv-dji", "jenv-ind", "jenv-om"),
}
REASSIGNMENT_REASONS = {
    "conflict_declared": 30, "persons_added": 15, "acquaintance_declared": 10, "org_change": 10,
    "advisor_on_leave": 15, "advisor_departed": 5, "term_ended": 5, "advisor_changed": 5, "escalation_retry": 5,
}  # fmt: skip


@dataclass(frozen=True)
class SimulatedEvent:
    topic: str  # logical topic name
    key: bytes
    value: bytes
    event_id: str
    event_type: str


class _Emitter:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.counter = 0

    def __call__(self, topic: str, payload: EventPayload, stream_id: str, at: datetime) -> SimulatedEvent:
        self.counter += 1
        event_id = str(uuid.uuid5(NAMESPACE, f"{self.seed}:{self.counter}"))
        env = new_envelope(
            payload,
            stream_id=stream_id,
            producer="simulator",
            occurred_at=at,
            causation_id=None,
            event_id=event_id,
        )
        return SimulatedEvent(topic, stream_id.encode(), env.to_bytes(), event_id, payload.EVENT_TYPE)


def _sealed(rng: Random, case_id: str, size: int = 180) -> Sealed:
    return Sealed(
        kid=case_id,
        nonce=base64.b64encode(rng.randbytes(12)).decode(),
        ct=base64.b64encode(rng.randbytes(size)).decode(),
    )


def advisors_of(organisation: str, per_organisation: int) -> list[str]:
    return [f"adv-{organisation}-{i}" for i in range(per_organisation)]


def simulated_year(
    seed: int,
    year: int = 2026,
    cases: int = 200,
    *,
    advisors_per_organisation: int = 6,
    external_advisors: int = 3,
    organisations: tuple[str, ...] = tuple(ORGANISATIONS),
) -> Iterator[SimulatedEvent]:
    """The events of `cases` contacts spread over `year`, plus the advisors' training and own time.

    Events are yielded case by case (the order a topic holds them per key); consumers see the three
    topics interleaved in whatever order the broker delivers, which the projection must not mind.
    """
    rng = Random(seed)
    emit = _Emitter(seed)
    start = datetime(year, 1, 1, tzinfo=UTC)
    seconds_in_year = int((datetime(year + 1, 1, 1, tzinfo=UTC) - start).total_seconds())
    internal = {org: advisors_of(org, advisors_per_organisation) for org in organisations}
    external = [f"adv-ext-{i}" for i in range(external_advisors)]
    cases_topic, routing_topic, meetings_topic = (
        INTAKE_CASES.name,
        ROUTING_ASSIGNMENTS.name,
        SCHEDULING_MEETINGS.name,
    )

    for advisor in [a for group in internal.values() for a in group] + external:
        for _ in range(rng.randint(0, 3)):
            at = start + timedelta(seconds=rng.randrange(seconds_in_year))
            yield emit(cases_topic, TrainingRegistered(advisor_id=advisor, hours=rng.choice((2, 4, 4.5, 8, 16)),
                       kind=rng.choice(("basic_course", "refresher", "specialist")), completed_on=at,
                       registered_at=at), advisor, at)  # fmt: skip
        for _ in range(rng.randint(1, 6)):
            at = start + timedelta(seconds=rng.randrange(seconds_in_year))
            yield emit(cases_topic, SupervisionRegistered(advisor_id=advisor, hours=rng.choice((1.5, 2, 3)),
                       session_on=at, registered_at=at), advisor, at)  # fmt: skip
        for _ in range(rng.randint(2, 10)):
            at = start + timedelta(seconds=rng.randrange(seconds_in_year))
            activity = rng.choice(
                (TimeActivity.PUBLICITY, TimeActivity.TRAINING, TimeActivity.ADMINISTRATION)
            )
            yield emit(cases_topic, TimeLogged(advisor_id=advisor, case_id=None, minutes=rng.choice((30, 60, 120)),
                       activity=activity, logged_at=at), advisor, at)  # fmt: skip

    for n in range(cases):
        case_id = str(uuid.uuid5(NAMESPACE, f"case:{seed}:{n}"))
        org = organisations[rng.randrange(len(organisations))]
        opened = start + timedelta(seconds=rng.randrange(seconds_in_year - 3 * 86400))
        categories = [pick_weighted(rng, CATEGORY_WEIGHTS)]
        while rng.random() < 0.3 and len(categories) < 3:
            categories.append(pick_weighted(rng, CATEGORY_WEIGHTS))
        whistleblower = rng.random() < 0.04
        yield emit(cases_topic, CaseOpened(
            case_id=case_id, submission_id=f"sub-{case_id}", opened_at=opened, channel=pick_weighted(rng, CHANNEL_WEIGHTS),
            organisation_id=org, unit_id=rng.choice(ORGANISATIONS.get(org, (org,))),
            client_role=pick_weighted(rng, ROLE_WEIGHTS), anonymous=rng.random() < 0.2, categories=tuple(categories),
            meeting_mode=pick_weighted(rng, MODE_WEIGHTS), is_whistleblower_report=whistleblower,
            personal=_sealed(rng, case_id, 300), routing_facts=_sealed(rng, case_id, 160),
        ), case_id, opened)  # fmt: skip
        at = opened + timedelta(seconds=rng.randint(1, 120))
        if rng.random() < 0.03:
            yield emit(routing_topic, RoutingEscalated(case_id=case_id, organisation_id=org, policy_version="2026.1",
                       escalated_at=at, detail=_sealed(rng, case_id, 48)), case_id, at)  # fmt: skip
            at += timedelta(hours=rng.randint(2, 48))
        scope = pick_weighted(rng, SCOPE_WEIGHTS)
        pool = internal[org] if scope is AdvisorScope.INTERNAL else external if scope is AdvisorScope.EXTERNAL else [
            a for o, group in internal.items() if o != org for a in group] or external  # fmt: skip
        advisor = rng.choice(pool)
        yield emit(routing_topic, AdvisorAssigned(
            case_id=case_id, advisor_id=advisor, scope=scope, policy_version="2026.1",
            selection_reason="lowest_load", decided_at=at, case_opened_at=opened,
            exclusions=_sealed(rng, case_id, 60), directory_revision=n, inputs=_sealed(rng, case_id, 120),
            detail=_sealed(rng, case_id, 24 + 8 * rng.randint(0, 2)),
        ), case_id, at)  # fmt: skip
        if (
            categories[0] in (Category.LABOUR_CONFLICT_WITH_MANAGER, Category.LABOUR_LEGAL_POSITION)
            and rng.random() < 0.2
        ):
            yield emit(routing_topic, ReferralSuggested(case_id=case_id, referral="referred.labour_law_desk",
                       reason="labour_question", suggested_at=at), case_id, at)  # fmt: skip
        if rng.random() < 0.08:
            at += timedelta(days=rng.randint(1, 10))
            new_advisor = rng.choice(internal[org] + external)
            new_scope = AdvisorScope.INTERNAL if new_advisor in internal[org] else AdvisorScope.EXTERNAL
            yield emit(routing_topic, CaseReassigned(
                case_id=case_id, to_advisor_id=new_advisor,
                cause=reassignment_cause(pick_weighted(rng, REASSIGNMENT_REASONS)), scope=new_scope,
                policy_version="2026.1", decided_at=at, exclusions=_sealed(rng, case_id, 60), directory_revision=n,
                inputs=_sealed(rng, case_id, 120), detail=_sealed(rng, case_id, 80),
            ), case_id, at)  # fmt: skip
            advisor = new_advisor
        at += timedelta(hours=rng.randint(1, 72))
        yield emit(cases_topic, CaseAccepted(case_id=case_id, advisor_id=advisor, accepted_at=at,
                   acknowledges_report=whistleblower), case_id, at)  # fmt: skip
        if whistleblower:
            received = opened.date()
            yield emit(cases_topic, LegalDeadlineSet(case_id=case_id, deadline="acknowledgement", basis_on=received,
                       due_on=received + timedelta(days=7), set_at=opened), case_id, opened)  # fmt: skip
            ack_due = received + timedelta(days=7)
            if rng.random() < 0.85:
                yield emit(cases_topic, LegalDeadlineMet(case_id=case_id, deadline="acknowledgement", due_on=ack_due,
                           met_at=at), case_id, at)  # fmt: skip
            else:
                yield emit(cases_topic, LegalDeadlineMissed(case_id=case_id, deadline="acknowledgement",
                           due_on=ack_due, noticed_at=at), case_id, at)  # fmt: skip
            feedback_due = date(received.year + (received.month + 2) // 12, (received.month + 2) % 12 + 1, 1)
            yield emit(cases_topic, LegalDeadlineSet(case_id=case_id, deadline="feedback", basis_on=received,
                       due_on=feedback_due, set_at=at), case_id, at)  # fmt: skip
            roll = rng.random()
            if roll < 0.6:
                yield emit(cases_topic, LegalDeadlineMet(case_id=case_id, deadline="feedback", due_on=feedback_due,
                           met_at=at + timedelta(days=30)), case_id, at)  # fmt: skip
            elif roll < 0.8:
                yield emit(cases_topic, LegalDeadlineMissed(case_id=case_id, deadline="feedback",
                           due_on=feedback_due, noticed_at=at + timedelta(days=95)), case_id, at)  # fmt: skip
        for m in range(rng.choice((0, 1, 1, 1, 2, 2, 3))):
            meeting_id = str(uuid.uuid5(NAMESPACE, f"meeting:{seed}:{n}:{m}"))
            meeting_start = at + timedelta(days=rng.randint(0, 14) + 7 * m, hours=rng.randint(1, 8))
            mode = pick_weighted(rng, MODE_WEIGHTS)
            yield emit(meetings_topic, MeetingScheduled(
                meeting_id=meeting_id, case_id=case_id, advisor_id=advisor, start=meeting_start,
                end=meeting_start + timedelta(hours=1), mode=mode, neutral_title="Afspraak", reason_code="FIRST_FIT",
                scheduled_at=at,
            ), case_id, at)  # fmt: skip
            roll = rng.random()
            if roll < 0.1:  # rescheduled: cancelled and placed again under the same id, one version up
                moved = meeting_start + timedelta(days=rng.randint(1, 5))
                yield emit(meetings_topic, MeetingCancelled(meeting_id=meeting_id, case_id=case_id,
                           advisor_id=advisor, reason="rescheduled", cancelled_at=at), case_id, at)  # fmt: skip
                yield emit(meetings_topic, MeetingScheduled(
                    meeting_id=meeting_id, case_id=case_id, advisor_id=advisor, start=moved,
                    end=moved + timedelta(hours=1), mode=mode, neutral_title="Afspraak", reason_code="FIRST_FIT",
                    scheduled_at=at, calendar_sequence=1,
                ), case_id, at)  # fmt: skip
            elif roll < 0.15:
                yield emit(meetings_topic, MeetingCancelled(meeting_id=meeting_id, case_id=case_id,
                           advisor_id=advisor, reason="cancelled_by_advisor", cancelled_at=at + timedelta(hours=1)),
                           case_id, at)  # fmt: skip
        for activity, minutes in ((TimeActivity.CONVERSATION, rng.choice((45, 60, 90))),
                                  (TimeActivity.ADMINISTRATION, rng.choice((15, 30)))):  # fmt: skip
            logged = at + timedelta(days=rng.randint(0, 20))
            yield emit(cases_topic, TimeLogged(advisor_id=advisor, case_id=case_id, minutes=minutes,
                       activity=activity, logged_at=logged), case_id, logged)  # fmt: skip
        if rng.random() < 0.9:
            closed = at + timedelta(days=rng.randint(1, 60))
            outcome = pick_weighted(rng, OUTCOME_WEIGHTS)
            yield emit(cases_topic, OutcomeRecorded(case_id=case_id, advisor_id=advisor, outcome=outcome,
                       recorded_at=closed), case_id, closed)  # fmt: skip
            yield emit(cases_topic, CaseClosed(case_id=case_id, advisor_id=advisor, outcomes=(outcome,),
                       closed_at=closed), case_id, closed)  # fmt: skip
            if rng.random() < 0.35:
                given = closed + timedelta(days=rng.randint(0, 10))
                yield emit(cases_topic, ClientFeedbackGiven(case_id=case_id, rating=rng.choice((1, 2, 3, 4, 4, 5, 5, 5)),
                           given_at=given), case_id, given)  # fmt: skip
            if rng.random() < 0.05:
                erased = closed + timedelta(days=1)
                yield emit(cases_topic, CasePersonalDataErased(case_id=case_id, reason="client_request",
                           erased_at=erased), case_id, erased)  # fmt: skip

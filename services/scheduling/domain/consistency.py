"""Does scheduling's booking ledger agree with the meetings it published? (`caseflow audit verify`)

Advisors and clients learn of a meeting only from `scheduling.meetings.v1` (the .ics links, the
workbench); the ledger is what scheduling books rooms against. A meeting active in the ledger but
never published holds a room nobody will come to; one published but cancelled in the ledger sends
people to a room that may be given away. The check folds the topic per meeting in its stream's
order and compares each meeting's latest booking: active with the same advisor and times, or
cancelled. Quiet-room bookings are the advisor's own and not compared.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

MEETING_EVENTS = ("MeetingScheduled", "MeetingCancelled")


@dataclass(frozen=True, slots=True)
class MeetingState:
    status: str  # active | cancelled
    advisor_id: str
    start: datetime | None = None
    end: datetime | None = None

    def describe(self) -> str:
        if self.status != "active":
            return "cancelled"
        assert self.start is not None
        return f"active with {self.advisor_id} from {self.start.isoformat()}"


@dataclass(frozen=True, slots=True)
class MeetingMismatch:
    meeting_id: str
    in_ledger: MeetingState | None
    published: MeetingState | None

    def describe(self) -> str:
        ledger = self.in_ledger.describe() if self.in_ledger else "no booking"
        log = self.published.describe() if self.published else "nothing published"
        return (
            f"meeting {self.meeting_id}: scheduling's ledger says {ledger}; scheduling.meetings.v1 says {log}"
        )


def _at(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def published_meetings(envelopes: Iterable[dict[str, Any]]) -> dict[str, MeetingState]:
    """Each meeting's last state on the topic (stream order; a re-published event counts once)."""
    latest: dict[str, tuple[tuple[str, int], MeetingState]] = {}
    seen: set[str] = set()
    for env in envelopes:
        if env.get("event_type") not in MEETING_EVENTS or env.get("event_id") in seen:
            continue
        seen.add(env["event_id"])
        p = env["payload"]
        if env["event_type"] == "MeetingScheduled":
            state = MeetingState("active", p["advisor_id"], _at(p["start"]), _at(p["end"]))
        else:
            state = MeetingState("cancelled", p["advisor_id"])
        order = (env.get("stream_id", ""), int(env.get("sequence", 0)))
        earlier = latest.get(p["meeting_id"])
        if earlier is None or order >= earlier[0]:
            latest[p["meeting_id"]] = (order, state)
    return {meeting: state for meeting, (_order, state) in latest.items()}


def compare_meetings(ledger_rows: Sequence[Any], published: dict[str, MeetingState]) -> list[MeetingMismatch]:
    """`ledger_rows`: each meeting's latest booking (meeting_id, status, advisor_id, starts_at, ends_at)."""
    mismatches = []
    held: set[str] = set()
    for row in ledger_rows:
        held.add(row.meeting_id)
        if row.status == "active":
            state = MeetingState("active", row.advisor_id, _at(row.starts_at), _at(row.ends_at))
        else:
            state = MeetingState("cancelled", row.advisor_id)
        log = published.get(row.meeting_id)
        same = log is not None and (
            (state.status, state.start, state.end) == (log.status, log.start, log.end)
            and (state.status == "cancelled" or state.advisor_id == log.advisor_id)
        )
        if not same:
            mismatches.append(MeetingMismatch(row.meeting_id, state, log))
    for meeting_id, state in published.items():
        if meeting_id not in held:
            mismatches.append(MeetingMismatch(meeting_id, None, state))
    return sorted(mismatches, key=lambda m: m.meeting_id)

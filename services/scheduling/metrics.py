"""Scheduling's domain metrics, counted from committed events (codes only as labels)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter

from shared.codes import MeetingMode

_KIND_OF_MODE = {
    MeetingMode.ON_SITE_DISCREET_ROOM: "room",
    MeetingMode.OFF_SITE_VENUE: "venue",
    MeetingMode.PHONE: "remote",
    MeetingMode.VIDEO: "remote",
}


class SchedulingMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.outcomes = Counter(
            "caseflow_scheduling_outcomes_total",
            "Meeting searches by outcome: room, venue, remote (phone/video) or no_slot.",
            ["kind"],
            registry=registry,
        )
        self.quiet_rooms = Counter(
            "caseflow_scheduling_quiet_rooms_total",
            "Quiet-room requests by outcome (booked, unavailable).",
            ["outcome"],
            registry=registry,
        )
        self.rejections = Counter(
            "caseflow_scheduling_rejections_total",
            "Meeting commands rejected, by reason code.",
            ["reason"],
            registry=registry,
        )
        self.not_planned = Counter(
            "caseflow_scheduling_meetings_not_planned_total",
            "Case events scheduling could not process (MeetingNotPlanned told the advisor), by event type.",
            ["event"],
            registry=registry,
        )
        self.cancellations = Counter(
            "caseflow_scheduling_cancellations_total",
            "Meetings cancelled, by reason.",
            ["reason"],
            registry=registry,
        )

        # Operational, counted when it happens (the transaction may still roll back): how often a
        # concurrent writer had taken the slot a search chose.
        self.booking_refusals = Counter(
            "caseflow_scheduling_booking_refusals_total",
            "Bookings the database refused as overlapping another; each was searched again.",
            registry=registry,
        )

        self.index_loads = Counter(
            "caseflow_scheduling_booking_index_loads_total",
            "Booking index rebuilt from the database (another instance booked since, or a cancellation).",
            registry=registry,
        )

    def count(self, stored: list[Any]) -> None:
        for env in stored:
            kind = env.event_type
            if kind == "MeetingScheduled":
                self.outcomes.labels(_KIND_OF_MODE[env.payload.mode]).inc()
            elif kind == "NoSlotFound":
                self.outcomes.labels("no_slot").inc()
            elif kind == "QuietRoomBooked":
                self.quiet_rooms.labels("booked").inc()
            elif kind == "QuietRoomUnavailable":
                self.quiet_rooms.labels("unavailable").inc()
            elif kind == "AdvisorCommandRejected":
                self.rejections.labels(env.payload.reason_code).inc()
            elif kind == "MeetingCancelled":
                self.cancellations.labels(env.payload.reason).inc()
            elif kind == "MeetingNotPlanned":
                self.not_planned.labels(env.payload.failed_event).inc()

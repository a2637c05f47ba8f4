"""Scheduling's restore fold (services/scheduling/application/restore_fold.py, decisions.md D55).

Scheduling runs on a SQLite file, the file is copied half-way (the backup) and scheduling goes on:
meetings booked, one moved by a reassignment, one cancelled, one rescheduled, a quiet room, a room
registered. The copy then gets scheduling's events published after the backup through
`apply_published`, and the inputs after the backup are consumed again in another interleaving
(assignments before the cases they assign, cases and commands the other way round). The restored
database must equal the uninterrupted run's, with the same meeting and booking ids, and scheduling
must publish nothing new. Without the fold the same replay books other meetings.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.scheduling.adapters import tables
from services.scheduling.app import create_runtime
from services.scheduling.application.restore_fold import SchedulingRestoreFold
from services.scheduling.settings import SchedulingSettings
from shared.codes import MeetingMode
from shared.contracts.scheduling import MeetingNotPlanned
from shared.envelope import EventPayload, new_envelope
from shared.locations import location_code
from shared.restore_fold import FoldSummary, PublishedEvent, apply_published, published_event
from tests.support.in_process import Bus, InProcess
from tests.support.restore import copy_sqlite, last_position, published_after
from tests.support.scheduling_events import (
    ACTIONS,
    ADVISORS,
    ASSIGNMENTS,
    CASES,
    MEETINGS,
    PLACES,
    assigned,
    availability,
    book_quiet_room,
    budget,
    cancel_meeting,
    case_opened,
    envelope_bytes,
    key_registration,
    reassigned,
    request_meeting,
    room,
    venue,
)

pytestmark = pytest.mark.handlers

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
Record = tuple[str, bytes, bytes]  # (topic, key, value): the same bytes whenever they are consumed

# State tables compared between runs; wall-clock columns left out (the clock is fixed here, so
# even those agree, but a real restore runs later than the decisions it folds).
STATE = (
    tables.rooms,
    tables.venues,
    tables.offsite_budgets,
    tables.advisors,
    tables.cases,
    tables.current_assignees,
    tables.bookings,
    tables.used_tokens,
)
WALL_CLOCK = {"registered_at", "updated_at", "used_at"}


async def start_on(db: Path) -> InProcess:
    settings = SchedulingSettings(kafka_bootstrap="127.0.0.1:9", database_url=f"sqlite+aiosqlite:///{db}")
    return await InProcess(create_runtime(settings, clock=lambda: NOW), Bus()).start()


def records(topic: str, *payloads: EventPayload) -> list[Record]:
    return [(topic, key, value) for _id, key, value in (envelope_bytes(p, now=NOW) for p in payloads)]


def engine_of(service: InProcess) -> AsyncEngine:
    assert service.context is not None
    return service.context.engine


async def state(engine: AsyncEngine) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    async with engine.connect() as conn:
        for table in STATE:
            rows = [
                {k: v for k, v in r._mapping.items() if k not in WALL_CLOCK}
                for r in await conn.execute(select(table))
            ]
            out[table.name] = sorted(rows, key=lambda row: json.dumps(row, default=str, sort_keys=True))
    return out


async def event_ids(engine: AsyncEngine) -> set[str]:
    events = tables.messaging.events
    async with engine.connect() as conn:
        return {r.event_id for r in await conn.execute(select(events.c.event_id))}


async def meeting_of(engine: AsyncEngine, case_id: str) -> str:
    b = tables.bookings
    async with engine.connect() as conn:
        row = (
            await conn.execute(select(b.c.meeting_id).where(b.c.case_id == case_id, b.c.status == "active"))
        ).one()
    return str(row.meeting_id)


def before_backup() -> list[Record]:
    return [
        *records(
            PLACES,
            room("kamer-1"),
            room("kamer-2"),
            room("stilte-1", capacity=1, quiet_room=True),
            venue("lunchroom-plein", "Den Haag", 4000),
            budget("org-bzk", 2026, 150000),
        ),
        *records(
            ADVISORS,
            *(availability(a) for a in ("adv-anna", "adv-bram", "adv-cor")),
            *(key_registration(a) for a in ("adv-anna", "adv-bram", "adv-cor")),
        ),
        *records(CASES, case_opened("case-1")),
        *records(ASSIGNMENTS, assigned("case-1", "adv-anna")),
    ]


class Run:
    """The uninterrupted run: the backup copied half-way, then what came after, kept as consumed."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.backup = tmp_path / "backup.db"
        self.facts: list[Record] = []
        self.cases: list[Record] = []
        self.assignments: list[Record] = []
        self.commands: list[Record] = []

    async def go(self) -> tuple[dict[str, list[dict[str, Any]]], set[str], list[PublishedEvent]]:
        service = await start_on(self.tmp_path / "live.db")
        try:
            await service.feed_batch(before_backup())
            engine = engine_of(service)
            position = await last_position(engine, tables.messaging)
            copy_sqlite(self.tmp_path / "live.db", self.backup)

            self.facts = records(PLACES, room("kamer-3"))
            self.cases = records(
                CASES,
                case_opened("case-2", language="de"),  # no title of its own: the fold guesses nl
                case_opened("case-3"),
                case_opened("case-4", meeting_mode=MeetingMode.OFF_SITE_VENUE),
            )
            self.assignments = records(
                ASSIGNMENTS,
                assigned("case-2", "adv-anna"),
                assigned("case-3", "adv-bram"),
                assigned("case-4", "adv-anna"),
                reassigned("case-1", "adv-bram"),  # moves a meeting the backup holds
                reassigned("case-2", "adv-cor"),  # moves one booked after the backup
                reassigned("case-1", "adv-cor"),  # and again: consumed again, it must not move back
            )
            for batch in (self.facts, self.cases, self.assignments):
                await service.feed_batch(batch)
            self.commands = records(
                ACTIONS,
                cancel_meeting("case-3", "adv-bram", await meeting_of(engine, "case-3")),
                cancel_meeting("case-4", "adv-anna", await meeting_of(engine, "case-4"), reschedule=True),
                book_quiet_room("adv-bram", str(location_code("Den Haag"))),
                request_meeting("case-2", "adv-cor", MeetingMode.PHONE),
            )
            await service.feed_batch(self.commands)
            assert service.bus.dead_letters() == {}
            return (
                await state(engine),
                await event_ids(engine),
                await published_after(engine, tables.messaging, position),
            )
        finally:
            await service.stop()

    def again_reordered(self) -> list[Record]:
        """The inputs after the backup in another interleaving: each case's own events in their
        order (one partition), but assignments before cases, cases and commands reversed."""
        return [*self.assignments, *reversed(self.cases), *self.facts, *reversed(self.commands)]


async def restored(
    run: Run, name: str, published: Sequence[PublishedEvent] | None
) -> tuple[InProcess, FoldSummary | None]:
    """The backup put back as `name`, with the published events folded in (None: not folded)."""
    db = run.tmp_path / name
    copy_sqlite(run.backup, db)
    service = await start_on(db)
    if published is None:
        return service, None
    assert service.context is not None
    summary = await apply_published(
        service.context.engine, service.context.store, published, await fold_of(service), NOW
    )
    return service, summary


async def fold_of(service: InProcess) -> SchedulingRestoreFold:
    """The fold scheduling's composition root gives `caseflow restore`."""
    assert service.parts is not None and isinstance(service.parts.restore_fold, SchedulingRestoreFold)
    return service.parts.restore_fold


def by_stream_reversed(published: list[PublishedEvent]) -> list[PublishedEvent]:
    """The same events as partitions read in another order: each stream's (case's, advisor's) own
    events still in order, the streams the other way round."""
    streams = list(dict.fromkeys(e.envelope.stream_id for e in published))
    return [e for stream in reversed(streams) for e in published if e.envelope.stream_id == stream]


@pytest.mark.parametrize("read_back", ["in log order", "streams reversed"])
async def test_a_restored_database_gets_the_published_bookings_back_and_decides_nothing_again(
    tmp_path: Path, read_back: str
) -> None:
    run = Run(tmp_path)
    uninterrupted, published_ids, published = await run.go()
    assert {"MeetingScheduled", "MeetingCancelled", "VenueBudgetReserved", "QuietRoomBooked"} <= {
        e.envelope.event_type for e in published
    }
    # `caseflow restore` reads scheduling.places.v1 back too: the rooms imported after the backup.
    places = [published_event(topic, value.decode()) for topic, _key, value in run.facts]
    published = [*places, *published]
    if read_back == "streams reversed":
        published = by_stream_reversed(published)

    service, summary = await restored(run, "restored.db", published)
    try:
        assert summary is not None and summary.folded == len(published)
        engine = engine_of(service)
        folded = await state(engine)
        # Before anything is consumed again the bookings are the published ones, ids and all; only
        # what the inputs carry waits for them: the mode a RequestMeeting asked for, and the
        # language of a case opened after the backup in a language without a title of its own.
        assert without(folded["bookings"], "preference", "language") == without(
            uninterrupted["bookings"], "preference", "language"
        )
        assert folded["offsite_budgets"] == uninterrupted["offsite_budgets"]

        await service.feed_batch(run.again_reordered())
        assert service.bus.topics.get("scheduling.meetings.v1", []) == []  # nothing decided again
        assert service.bus.dead_letters() == {}
        assert await state(engine) == uninterrupted
        assert await event_ids(engine) == published_ids | {e.envelope.event_id for e in places}

        assert service.context is not None
        again = await apply_published(engine, service.context.store, published, await fold_of(service), NOW)
        assert (again.already_held, again.folded) == (len(published), 0)
        assert await state(engine) == uninterrupted
    finally:
        await service.stop()


async def test_without_the_fold_the_same_replay_books_other_meetings(tmp_path: Path) -> None:
    """The negative case: the backup alone, consuming the same inputs in the other interleaving."""
    run = Run(tmp_path)
    uninterrupted, published_ids, _published = await run.go()

    service, _ = await restored(run, "not-folded.db", None)
    try:
        engine = engine_of(service)
        await service.feed_batch(run.again_reordered())
        replayed = await state(engine)
        live_meetings = {(b["case_id"], b["meeting_id"]) for b in uninterrupted["bookings"]}
        replayed_meetings = {(b["case_id"], b["meeting_id"]) for b in replayed["bookings"]}
        assert replayed_meetings != live_meetings  # new random meeting ids for the same cases
        assert replayed["bookings"] != uninterrupted["bookings"]
        assert await event_ids(engine) != published_ids
    finally:
        await service.stop()


def without(rows: list[dict[str, Any]], *columns: str) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k not in columns} for row in rows]


async def test_places_and_a_failed_planning_go_to_the_inbox_their_events_carry_all_they_did(
    tmp_path: Path,
) -> None:
    """A room read back from scheduling.places.v1 is registered and not applied again; the input
    whose planning failed (its changes rolled back, MeetingNotPlanned published) is not run again."""
    kamer = new_envelope(
        room("kamer-9"), stream_id="kamer-9", producer="rooms", occurred_at=NOW, causation_id=None
    )
    failed = new_envelope(
        MeetingNotPlanned(
            case_id="case-9",
            advisor_id=None,
            reason_code="planning_failed",
            failed_event="CaseOpened",
            decided_at=NOW,
        ),
        stream_id="case-9",
        producer="scheduling",
        occurred_at=NOW,
        causation_id="opened-case-9",
    )
    events = [
        published_event(PLACES, kamer.to_bytes().decode()),
        published_event(MEETINGS, failed.to_bytes().decode()),
    ]
    service = await start_on(tmp_path / "scheduling.db")
    try:
        assert service.context is not None
        engine = engine_of(service)
        summary = await apply_published(engine, service.context.store, events, await fold_of(service), NOW)
        assert summary.causes_recorded == 2
        inbox = tables.messaging.inbox
        async with engine.connect() as conn:
            held = {(r.message_id, r.topic) for r in await conn.execute(select(inbox))}
            rooms = [r.room_id for r in await conn.execute(select(tables.rooms.c.room_id))]
        assert held == {(kamer.event_id, PLACES), ("opened-case-9", CASES)}
        assert rooms == ["kamer-9"]
    finally:
        await service.stop()

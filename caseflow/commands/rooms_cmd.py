"""`caseflow rooms import FILE.csv|FILE.json`: register rooms, venues and budgets with scheduling.

The file becomes RoomRegistered / VenueRegistered / OffSiteBudgetSet events on
scheduling.places.v1 (the format is in services/scheduling/adapters/place_import.py). Event ids derive from
the content, so importing the same file twice publishes recognisable duplicates; a changed room
is a new event for the same key, and the compacted topic keeps the latest.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
from datetime import UTC, datetime
from pathlib import Path

from caseflow.commands.broker_options import add_broker_options, broker_settings
from caseflow.errors import BadInput
from services.scheduling.adapters.place_import import PlacesFile, PlacesFileInvalid, read_places, stream_id_of
from services.scheduling.settings import SchedulingSettings
from shared.broker import RelayProducer
from shared.envelope import Envelope, EventPayload, new_envelope
from shared.topics import SCHEDULING_PLACES

PRODUCER = "caseflow-rooms-import"


def envelopes(places: PlacesFile, now: datetime) -> list[Envelope[EventPayload]]:
    built = []
    for payload in places.events():
        body = payload.model_dump_json()
        content = hashlib.sha256(f"{payload.EVENT_TYPE}|{body}".encode()).hexdigest()
        built.append(
            new_envelope(
                payload,
                stream_id=stream_id_of(payload),
                producer=PRODUCER,
                occurred_at=now,
                causation_id=f"rooms-import:{content}",
            )
        )
    return built


async def publish(places: PlacesFile, settings: SchedulingSettings, now: datetime) -> int:
    topic = f"{settings.topic_prefix}{SCHEDULING_PLACES.name}"
    producer = RelayProducer(settings, client_id=PRODUCER)
    await producer.start()
    try:
        futures = [
            await producer.publish(topic, env.stream_id.encode(), env.to_bytes())
            for env in envelopes(places, now)
        ]
        await asyncio.wait_for(asyncio.gather(*futures), timeout=60)
        return len(futures)
    finally:
        await producer.stop()


def run_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        places = read_places(path.name, path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror}") from None
    except PlacesFileInvalid as exc:
        if len(exc.problems) == 1:
            raise BadInput(f"{path.name}: nothing imported: {exc.problems[0]}") from None
        raise BadInput(
            f"{path.name}: nothing imported, {len(exc.problems)} problem(s):", details=exc.problems
        ) from None
    summary = f"{len(places.rooms)} rooms, {len(places.venues)} venues, {len(places.budgets)} budgets"
    if args.dry_run:
        print(f"{path}: valid ({summary}); nothing published (--dry-run)")
        return 0
    settings = broker_settings(SchedulingSettings, args)
    count = asyncio.run(publish(places, settings, datetime.now(UTC)))
    print(f"{path}: published {count} events ({summary}) to {settings.topic_prefix}{SCHEDULING_PLACES.name}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    rooms = sub.add_parser("rooms", help="rooms, off-site venues and budgets for scheduling")
    actions = rooms.add_subparsers(dest="rooms_command", metavar="ACTION", required=True)
    p = actions.add_parser(
        "import",
        help="publish rooms, venues and budgets from a CSV or JSON file",
        description=(
            "Validate FILE (.csv or .json; format in services/scheduling/adapters/place_import.py) and publish it as "
            "RoomRegistered, VenueRegistered and OffSiteBudgetSet events on scheduling.places.v1. A file "
            "with any invalid row is refused whole (exit code 2, every problem named). A CSV's record "
            "column is record_type, as in directory files (kind, its older name, is still read). Kafka "
            "connection and security come from the SCHEDULING_KAFKA_* variables, then CASEFLOW_KAFKA_* "
            "(e.g. SCHEDULING_KAFKA_BOOTSTRAP, SCHEDULING_TOPIC_PREFIX)."
        ),
    )
    p.add_argument("file", help="rooms.csv or rooms.json")
    p.add_argument("--dry-run", action="store_true", help="validate only, publish nothing")
    add_broker_options(p, "SCHEDULING_")  # --kafka; --bootstrap still works (deprecated)
    p.set_defaults(func=run_import)

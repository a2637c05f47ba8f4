"""`caseflow dlq list|show|redrive`: why records were dead-lettered, and re-driving them once.

`list` reads every `<topic>.dlq` topic (or those of --topic / --service) and prints one line per
dead letter: its position (`<dlq topic>:<partition>:<offset>`), the service that wrote it, where the
original was, the reason code, when, its size and whether it was re-driven; then the counts per
reason. `show POSITION` prints one dead letter's metadata. Neither prints the original record, its
key or anything sealed: dead letters carry reason codes and error kinds, never personal data.

`redrive POSITION` is for after the cause is fixed (a deployment, a setting, a missing key): it opens
the sealed original value and key with the key store of the service that wrote it (INTAKE_ or
ROUTING_ KEYSTORE_URL, MASTER_KEY, PREVIOUS_MASTER_KEYS; a running local stack's when unset),
checks them against the recorded digest and publishes them to the source topic again, with the
headers x-caseflow-redrive-of (the position) and x-caseflow-redrive-for (that service: the other
services that read the topic leave it alone). Then it writes a marker on the DLQ topic, which `list`
shows and which makes a second `redrive` refuse; --force re-drives anyway, and the service's inbox
still processes a dead letter's re-drive at most once. Only key holders (intake, routing) keep a
sealed original; scheduling's and reporting's dead letters point at the source record instead.
docs/operations.md, "Recovery" (re-driving a dead letter).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import sys
from datetime import UTC, datetime
from typing import Any

from caseflow.commands.broker_options import add_broker_options
from caseflow.errors import BadInput, CommandError, allowed

SERVICES = ("intake", "routing", "scheduling", "reporting", "workbench")
KEY_HOLDERS = ("intake", "routing")
READ_TIMEOUT = 30.0


def _broker(args: argparse.Namespace) -> Any:
    from caseflow.commands.broker_options import broker_settings
    from shared.settings import ServiceSettings

    return broker_settings(ServiceSettings, args)


def _topics_asked(args: argparse.Namespace) -> list[str]:
    from shared.dead_letter_log import DLQ_TOPICS
    from shared.topics import dlq_of

    topic = getattr(args, "topic", None)
    if topic is None:
        return list(DLQ_TOPICS)
    wanted = topic if topic.endswith(".dlq") else dlq_of(topic)
    if wanted not in DLQ_TOPICS:
        sources = [t.removesuffix(".dlq") for t in DLQ_TOPICS]
        raise BadInput(f"--topic: {topic!r} is no topic ({allowed(sources)})")
    return [wanted]


async def read_log(settings: Any, topics: list[str]) -> Any:
    """The dead letters of `topics` (logical DLQ names) on the broker, merged into one log."""
    from shared.dead_letter_log import DeadLetterLog, fold
    from shared.log_reader import PublishedLogUnreadable, read_topics

    prefix = settings.topic_prefix
    try:
        found = await read_topics(settings, [prefix + t for t in topics], timeout=READ_TIMEOUT)
    except PublishedLogUnreadable as exc:
        text = str(exc).replace("cannot reach the broker", "cannot reach the Kafka broker")
        raise CommandError(f"{text} (check --kafka or CASEFLOW_KAFKA_BOOTSTRAP)") from None
    if not found:
        raise CommandError(
            f"no dead-letter topic {topics[0] if len(topics) == 1 else '<topic>.dlq'} under the prefix "
            f"{prefix!r} on {settings.kafka_bootstrap} (check --topic-prefix; `caseflow up` creates them)"
        )
    merged = DeadLetterLog()
    for physical, records in found.items():
        one = fold(physical.removeprefix(prefix), ((r.partition, r.offset, r.value) for r in records))
        merged.letters += one.letters
        merged.unreadable += one.unreadable
    merged.letters.sort(key=lambda d: d.position)
    return merged


def _line(letter: Any) -> str:
    r = letter.record
    done = letter.redrives
    state = f"re-driven {len(done)}x, last {done[-1].at}" if done else "not re-driven"
    if not done and not letter.sealed:
        state += " (no sealed original)"
    return (
        f"{letter.position}  {letter.service:<10}  {letter.source:<28}  {letter.reason:<26}  "
        f"{r.get('received_at', '?')}  {r.get('size_bytes', '?')} B  {state}"
    )


async def _list(args: argparse.Namespace) -> int:
    if args.service is not None and args.service not in SERVICES:
        raise BadInput(f"--service: {args.service!r} is no service ({allowed(SERVICES)})")
    topics = _topics_asked(args)
    found = await read_log(_broker(args), topics)
    letters = [d for d in found.letters if args.service is None or d.service == args.service]
    by_reason: dict[str, int] = {}
    for letter in letters:
        by_reason[letter.reason] = by_reason.get(letter.reason, 0) + 1
    if args.json:
        doc = {
            "dead_letters": [d.metadata() for d in letters],
            "by_reason": dict(sorted(by_reason.items())),
            "unreadable": [str(p) for p in found.unreadable],
        }
        print(json.dumps(doc, indent=2))
        return 0
    for letter in letters:
        print(_line(letter))
    for position in found.unreadable:
        print(f"{position}  (not a dead letter this release can read)")
    counts = ", ".join(f"{reason} {n}" for reason, n in sorted(by_reason.items())) or "none"
    print(f"{len(letters)} dead letter(s); by reason: {counts}")
    return 0


async def _find(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    """(broker settings, the position, the dead letter there); every miss a one-line error."""
    from shared.dead_letter_log import BadPosition, parse_position

    try:
        position = parse_position(args.position)
    except BadPosition as exc:
        raise BadInput(str(exc)) from None
    settings = _broker(args)
    found = await read_log(settings, [position.topic])
    letter = found.find(position)
    if letter is None:
        what = "holds no record we can read" if position in found.unreadable else "is no dead letter"
        raise BadInput(f"{position} {what} (`caseflow dlq list --topic {position.topic}` lists them)")
    return settings, position, letter


async def _show(args: argparse.Namespace) -> int:
    _, _, letter = await _find(args)
    shown = letter.metadata()
    if args.json:
        print(json.dumps(shown, indent=2))
        return 0
    for name, value in shown.items():
        if name == "redriven":
            value = (
                "; ".join(
                    f"{r['at']} to {r['republished']}{' (forced)' if r['forced'] else ''}" for r in value
                )
                or "no"
            )
        print(f"{name + ':':<16} {value}")
    return 0


async def _open_original(letter: Any) -> tuple[bytes, bytes | None]:
    """The original value and Kafka key, opened with the writing service's key store."""
    from caseflow.commands.databases import require_database, require_master_keys
    from caseflow.commands.local_stack import settings_of
    from shared.crypto import CaseCipher, DecryptionFailed, KeyErased, KeyNotFound, KeyStore, Sealed
    from shared.db import make_engine
    from shared.key_wrapping import UnknownMasterKey, WrongMasterKey

    service = letter.service
    if not letter.sealed:
        holders = " and ".join(KEY_HOLDERS)
        raise CommandError(
            f"{letter.position}: {service} keeps no sealed copy of what it dead-letters (only {holders} "
            f"do): produce the original at {letter.source} again by hand (docs/operations.md)"
        )
    if service not in KEY_HOLDERS:
        raise CommandError(f"{letter.position}: sealed by {service!r}, which holds no key store")
    if service == "intake":
        from services.intake.settings import IntakeSettings

        s: Any = settings_of(IntakeSettings)
    else:
        from services.routing.settings import RoutingSettings

        s = settings_of(RoutingSettings)
    prefix = f"{service.upper()}_"
    keys = require_master_keys(
        s.master_key.get_secret_value(), s.previous_master_keys.get_secret_value(), prefix
    )
    require_database(s.keystore_url, f"{prefix}KEYSTORE_URL")
    store = KeyStore(make_engine(s.keystore_url), keys, cache_seconds=0)

    async def open_one(sealed: Any, what: str) -> bytes:
        box = Sealed.model_validate(sealed)
        try:
            key = await store.get_key(box.kid)
        except KeyErased:
            raise CommandError(
                f"{letter.position}: the key that sealed its {what} ({box.kid}) was erased: "
                "it cannot be re-driven"
            ) from None
        except KeyNotFound:
            raise CommandError(
                f"{letter.position}: the key that sealed its {what} ({box.kid}) is not in this key "
                f"store: set {prefix}KEYSTORE_URL to {service}'s"
            ) from None
        except (UnknownMasterKey, WrongMasterKey):
            raise CommandError(
                f"{letter.position}: the key that sealed its {what} is wrapped under a master key not "
                f"given: set {prefix}MASTER_KEY / {prefix}PREVIOUS_MASTER_KEYS as {service} has them"
            ) from None
        try:
            return base64.b64decode(CaseCipher.open_with_key(key, box.kid, "dlq_original", box))
        except DecryptionFailed:
            raise CommandError(f"{letter.position}: its sealed {what} does not open (tampered?)") from None

    try:
        value = await open_one(letter.record["original_sealed"], "original")
        key = await open_one(letter.record["key_sealed"], "key") if "key_sealed" in letter.record else None
    finally:
        await store.engine.dispose()
    if hashlib.sha256(value).hexdigest() != letter.record.get("sha256"):
        raise CommandError(f"{letter.position}: the opened original does not match its recorded sha256")
    return value, key


def _confirm(args: argparse.Namespace, letter: Any) -> None:
    if args.yes:
        return
    if not sys.stdin.isatty():
        raise BadInput("not at a terminal: add --yes to re-drive without being asked")
    answer = input(
        f"re-drive {letter.position} ({letter.reason}) to {letter.source_topic} for {letter.service}? [y/N] "
    )
    if answer.strip().lower() not in ("y", "yes"):
        raise CommandError("not re-driven: not confirmed")


async def _redrive(args: argparse.Namespace) -> int:
    from aiokafka import AIOKafkaProducer

    from shared.broker import MAX_REQUEST_BYTES, aiokafka_security_options, bootstrap_servers
    from shared.dead_letter_log import marker
    from shared.pipeline import REDRIVE_FOR_HEADER, REDRIVE_OF_HEADER

    settings, position, letter = await _find(args)
    if letter.redrives and not args.force:
        last = letter.redrives[-1]
        raise CommandError(
            f"{position} was re-driven already ({last.at}, to {last.republished}): "
            "--force to re-drive it again (its service's inbox still processes it at most once)"
        )
    value, key = await _open_original(letter)
    _confirm(args, letter)
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers(settings.kafka_bootstrap),
        client_id="caseflow-dlq-redrive",
        acks="all",
        enable_idempotence=True,
        max_request_size=MAX_REQUEST_BYTES,
        request_timeout_ms=30_000,
        **aiokafka_security_options(settings),
    )
    await asyncio.wait_for(producer.start(), READ_TIMEOUT)
    try:
        headers = [
            (REDRIVE_OF_HEADER, str(position).encode()),
            (REDRIVE_FOR_HEADER, letter.service.encode()),
        ]
        sent = await asyncio.wait_for(
            producer.send_and_wait(
                settings.topic_prefix + letter.source_topic, value, key=key, headers=headers
            ),
            READ_TIMEOUT,
        )
        republished = f"{letter.source_topic}:{sent.partition}:{sent.offset}"
        # After the publish: a marker without its re-drive would refuse a re-drive that never happened.
        marker_key, marker_value = marker(
            letter, at=datetime.now(UTC).isoformat(), republished=republished, forced=bool(letter.redrives)
        )
        await asyncio.wait_for(
            producer.send_and_wait(settings.topic_prefix + position.topic, marker_value, key=marker_key),
            READ_TIMEOUT,
        )
    finally:
        await asyncio.wait_for(producer.stop(), 15)
    again = " again (forced)" if letter.redrives else ""
    print(f"re-drove {position}{again} to {republished} for {letter.service}; marked on {position.topic}")
    return 0


def run(args: argparse.Namespace) -> int:
    from caseflow.commands.command_logging import configure_command_logging

    configure_command_logging("dlq", args)
    action = {"list": _list, "show": _show, "redrive": _redrive}[args.action]
    return asyncio.run(action(args))


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "dlq",
        help="dead letters: why records were dead-lettered, and re-driving them once after a fix",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="one line per dead letter, and the counts per reason")
    listing.add_argument("--topic", help="only this topic's dead letters (`intake.cases.v1` or its `.dlq`)")
    listing.add_argument("--service", help=f"only those one service wrote ({', '.join(SERVICES)})")
    show = actions.add_parser("show", help="one dead letter's metadata (never its content)")
    redrive = actions.add_parser("redrive", help="publish a dead letter's original again, once")
    for each in (show, redrive):
        each.add_argument("position", metavar="POSITION", help="<dlq topic>:<partition>:<offset>")
    for each in (listing, show):
        each.add_argument("--json", action="store_true", help="JSON on standard output")
    redrive.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    redrive.add_argument(
        "--force", action="store_true", help="re-drive a dead letter that was re-driven already"
    )
    for each in (listing, show, redrive):
        add_broker_options(each)
        each.set_defaults(func=run)

"""Backup and restore of a service's databases, consistent with the Kafka log (D55, issue 16).

A backup of a service is, in this order:
1. its consumer group's committed offsets and the end offsets of the topics it publishes
   (read BEFORE the snapshot: the snapshot then holds at least everything those offsets cover, and
   what it holds beyond them the inbox skips and the fold finds already there);
2. a snapshot of each of its databases (SQLite's online backup API; `pg_dump --format=custom`),
   taken while the service runs;
and, after every service, the key store (last: it must hold a key for every case the service
databases know, and any case opened meanwhile only adds keys).

A restore of a service (which must be stopped: its group must have no members) puts the
snapshots back, sets its group to the recorded offsets, folds its own events published after the
recorded end offsets back in (shared/restore_fold.py), and catches up on the records its group
missed in the order they happened, through its own pipeline, adopting the decisions already
published instead of taking new ones; then it sets the group after them. What the backup missed
has come back from the log, and the service is started.

The key store is put back only when asked (`--keystore`): it is the one store the log cannot give
back (a case key is never published), so a restored key store loses the keys of every case opened
after its backup. Run it where it cannot be lost (docs/operations.md, "Backup and restore").
"""

from __future__ import annotations

import asyncio
import importlib
import json
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from caseflow.errors import BadInput, CommandError
from shared.settings import ServiceSettings

SERVICES = ("intake", "routing", "scheduling", "reporting", "workbench")
MANIFEST = "manifest.json"
FORMAT = 1
_SETTINGS = {
    "intake": ("services.intake.settings", "IntakeSettings"),
    "routing": ("services.routing.settings", "RoutingSettings"),
    "scheduling": ("services.scheduling.settings", "SchedulingSettings"),
    "reporting": ("services.reporting.settings", "ReportingSettings"),
    "workbench": ("services.workbench.settings", "WorkbenchSettings"),
}

Offsets = dict[str, dict[int, int]]  # physical topic -> partition -> offset


@dataclass
class ServicePlan:
    """What a backup or restore of one service touches, from its settings (as `serve` reads them)."""

    service: str
    settings: ServiceSettings
    runtime: Any  # shared.runtime.ServiceRuntime
    databases: list[tuple[str, str]]  # (schema name, URL); the key store apart
    keystore_url: str | None

    @property
    def group(self) -> str:
        return str(self.runtime.group_id)

    @property
    def consumed(self) -> list[str]:
        return [self.settings.topic_prefix + t for t in self.runtime.consumes]

    @property
    def own_topics(self) -> list[str]:
        from shared.topics import ALL_TOPICS

        return [self.settings.topic_prefix + t.name for t in ALL_TOPICS if t.owner == self.service]


def plan_for(service: str, broker: Any = None) -> ServicePlan:
    """`broker`: the command's --kafka / --topic-prefix (caseflow/commands/broker_options.py)."""
    from caseflow.commands.broker_options import broker_settings
    from caseflow.commands.db_cmd import targets

    module, name = _SETTINGS[service]
    settings = broker_settings(getattr(importlib.import_module(module), name), broker)
    runtime = importlib.import_module(f"services.{service}.app").create_runtime(settings)
    keystore_url = getattr(settings, "keystore_url", None)
    databases = [(t.schema.name, t.url) for t in targets(service, None) if t.url != keystore_url]
    return ServicePlan(service, settings, runtime, databases, keystore_url)


def check_services(names: list[str]) -> list[str]:
    from caseflow.errors import allowed

    unknown = [n for n in names if n not in SERVICES]
    if unknown:
        raise BadInput(f"no service {unknown[0]!r} ({allowed(SERVICES)})")
    return names


def _present(plan: ServicePlan) -> bool:
    """A service this deployment runs: its SQLite files exist (a server database is assumed)."""
    from caseflow.commands.databases import missing_sqlite_file

    return all(missing_sqlite_file(url) is None for _schema, url in plan.databases)


# -- databases -----------------------------------------------------------------------------------


def _kind(url: str) -> str:
    backend = make_url(url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BadInput(f"cannot back up a {backend} database (SQLite and PostgreSQL are supported)")
    return backend


def _sqlite_path(url: str) -> Path:
    return Path(make_url(url).database or "")


def libpq_url(url: str) -> str:
    """The URL pg_dump and pg_restore understand (no SQLAlchemy driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def snapshot(url: str, target: Path) -> str:
    """A consistent copy of a live database into `target` (its suffix added); the file name."""
    kind = _kind(url)
    if kind == "sqlite":
        source = _sqlite_path(url)
        if not source.is_file():
            raise BadInput(f"no database at {source}")
        out = target.with_suffix(".sqlite")
        copy_sqlite(source, out)
        return out.name
    out = target.with_suffix(".pgdump")
    _run_pg(["pg_dump", "--format=custom", "--no-owner", f"--file={out}", f"--dbname={libpq_url(url)}"])
    return out.name


def copy_sqlite(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy of a live database while writers go on."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def put_back(url: str, source: Path) -> None:
    """Replace the database at `url` with the snapshot `source` (the service is stopped)."""
    if _kind(url) == "sqlite":
        path = _sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)  # a WAL of the lost database must not replay onto the copy
        tmp = path.with_name(path.name + ".restoring")
        shutil.copyfile(source, tmp)
        tmp.replace(path)
        return
    _run_pg(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={libpq_url(url)}",
            str(source),
        ]
    )


def _run_pg(argv: list[str]) -> None:
    if shutil.which(argv[0]) is None:
        raise CommandError(f"{argv[0]} is not installed (the PostgreSQL client tools are needed)")
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["no message"])[0]
        raise CommandError(f"{argv[0]} failed: {first}")


# -- offsets -------------------------------------------------------------------------------------


def _client_options(settings: ServiceSettings) -> dict[str, Any]:
    from shared.broker import aiokafka_security_options, bootstrap_servers

    return {
        "bootstrap_servers": bootstrap_servers(settings.kafka_bootstrap),
        **aiokafka_security_options(settings),
    }


async def _partitions(consumer: Any, topics: list[str]) -> list[Any]:
    from aiokafka import TopicPartition

    metadata = await consumer._client.fetch_all_metadata()
    return [TopicPartition(t, p) for t in topics for p in sorted(metadata.partitions_for_topic(t) or ())]


async def read_offsets(plan: ServicePlan) -> tuple[Offsets, Offsets]:
    """(the group's committed offsets of what it consumes, the end offsets of what it publishes)."""
    from aiokafka import AIOKafkaConsumer
    from aiokafka.admin import AIOKafkaAdminClient

    options = _client_options(plan.settings)
    admin = AIOKafkaAdminClient(**options)
    consumer = AIOKafkaConsumer(group_id=None, enable_auto_commit=False, **options)
    await admin.start()
    await consumer.start()
    try:
        consumed = await _partitions(consumer, plan.consumed)
        committed = await admin.list_consumer_group_offsets(plan.group, partitions=consumed)
        group: Offsets = {}
        beginnings = await consumer.beginning_offsets(consumed) if consumed else {}
        for tp in consumed:
            meta = committed.get(tp)
            # No committed offset yet: the service would start at the beginning (auto_offset_reset).
            offset = meta.offset if meta is not None and meta.offset >= 0 else beginnings[tp]
            group.setdefault(tp.topic, {})[tp.partition] = offset
        own = await _partitions(consumer, plan.own_topics)
        ends = await consumer.end_offsets(own) if own else {}
        published: Offsets = {}
        for tp, end in ends.items():
            published.setdefault(tp.topic, {})[tp.partition] = end
        return group, published
    finally:
        await consumer.stop()
        await admin.close()


async def wait_until_stopped(plan: ServicePlan, timeout: float) -> None:
    """The group must have no member (the service stopped, its session expired) before its offsets
    are set: a live member would go on from where it was, past what the restore puts back."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(**_client_options(plan.settings))
    await admin.start()
    try:
        deadline = time.monotonic() + timeout
        while True:
            responses = await admin.describe_consumer_groups([plan.group])
            groups = [g for r in responses for g in r.groups]
            members = sum(len(g[5]) for g in groups)
            if members == 0:
                return
            if time.monotonic() >= deadline:
                raise CommandError(
                    f"{plan.service} still runs ({members} member(s) in consumer group {plan.group}): "
                    "stop every instance first, then restore"
                )
            await asyncio.sleep(1.0)
    finally:
        await admin.close()


async def set_group_offsets(plan: ServicePlan, offsets: Offsets) -> int:
    """Commit `offsets` for the service's group (which has no members); the partitions set."""
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from aiokafka.structs import OffsetAndMetadata

    consumer = AIOKafkaConsumer(
        group_id=plan.group, enable_auto_commit=False, **_client_options(plan.settings)
    )
    await consumer.start()
    try:
        wanted = {
            TopicPartition(topic, int(p)): OffsetAndMetadata(offset, "caseflow restore")
            for topic, parts in offsets.items()
            for p, offset in parts.items()
        }
        if wanted:
            consumer.assign(list(wanted))
            await consumer.commit(wanted)
        return len(wanted)
    finally:
        await consumer.stop()


async def read_range(plan: ServicePlan, topics: list[str], since: Offsets) -> tuple[list[Any], Offsets]:
    """The records of `topics` (physical names) after `since` up to the end offsets of now
    (aiokafka ConsumerRecords, in offset order per partition), and those end offsets."""
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(group_id=None, enable_auto_commit=False, **_client_options(plan.settings))
    await consumer.start()
    found: list[Any] = []
    reached: Offsets = {}
    try:
        partitions = await _partitions(consumer, topics)
        if not partitions:
            return found, reached
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        remaining = set()
        for tp in partitions:
            reached.setdefault(tp.topic, {})[tp.partition] = ends[tp]
            start = int(since.get(tp.topic, {}).get(tp.partition, 0))
            if ends[tp] > start:
                consumer.seek(tp, start)
                remaining.add(tp)
        while remaining:
            fetched = await consumer.getmany(*remaining, timeout_ms=500, max_records=2000)
            for tp, records in fetched.items():
                found += [r for r in records if r.offset < ends[tp] and r.value is not None]
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
        return found, reached
    finally:
        await consumer.stop()


async def read_published(plan: ServicePlan, since: Offsets) -> list[Any]:
    """The service's own events published after `since`, decoded as consumers decode them:
    shared.restore_fold.PublishedEvent, in offset order per partition."""
    import shared.contracts  # noqa: F401  (registers the event types)
    from shared.restore_fold import published_event

    records, _ends = await read_range(plan, plan.own_topics, since)
    prefix = plan.settings.topic_prefix
    return [
        published_event(r.topic.removeprefix(prefix), r.value.decode(), r.partition, r.offset)
        for r in records
    ]


# -- backup and restore --------------------------------------------------------------------------


@dataclass
class ServiceBackup:
    service: str
    group: str
    group_offsets: Offsets
    own_end_offsets: Offsets
    databases: list[dict[str, str]] = field(default_factory=list)
    seconds: float = 0.0


def private_folder(path: Path) -> None:
    """Make `path` (if missing) and let only its owner in: a backup holds every case's sealed data,
    and with the key store the keys that open it. A folder given empty keeps its owner but loses
    any access of group and others."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)


def _now() -> str:
    return datetime.now(UTC).isoformat()


async def back_up(
    services: list[str], target: Path, say: Callable[[str], None] = print, broker: Any = None
) -> dict[str, Any]:
    """Back up `services` (and the key store, last) into the empty folder `target`; a failed
    backup leaves nothing behind (no half backup to restore from by mistake)."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BadInput(f"{target} is not an empty folder: back up into a new one")
    existed = target.exists()
    private_folder(target)
    try:
        return await _back_up(services, target, say, broker)
    except BaseException:
        for child in target.iterdir():
            shutil.rmtree(child) if child.is_dir() else child.unlink()
        if not existed:
            target.rmdir()
        raise


async def _back_up(
    services: list[str], target: Path, say: Callable[[str], None], broker: Any
) -> dict[str, Any]:
    manifest: dict[str, Any] = {"format": FORMAT, "started_at": _now(), "services": {}}
    keystores: dict[str, list[str]] = {}  # URL -> the services that hold it
    for service in services or SERVICES:
        plan = plan_for(service, broker)
        if not services and not _present(plan):  # all of them: those this deployment runs
            say(f"{service}: no database here, not backed up")
            continue
        began = time.monotonic()
        group, published = await read_offsets(plan)
        backup = ServiceBackup(service, plan.group, group, published)
        private_folder(target / service)
        for schema, url in plan.databases:
            name = await asyncio.to_thread(snapshot, url, target / service / schema)
            backup.databases.append({"schema": schema, "file": f"{service}/{name}"})
        if plan.keystore_url:
            keystores.setdefault(plan.keystore_url, []).append(service)
        backup.seconds = round(time.monotonic() - began, 3)
        manifest["services"][service] = _jsonable(backup)
        say(
            f"{service}: {len(backup.databases)} database(s), group {plan.group} at {_count(group)} partitions"
        )
    manifest["keystores"] = []
    if not manifest["services"]:
        raise BadInput("no service database found to back up (name the services, or check their settings)")
    for url, holders in keystores.items():  # last: every case the snapshots above know has its key
        private_folder(target / "keystore")
        name = await asyncio.to_thread(snapshot, url, target / "keystore" / f"keystore-{holders[0]}")
        manifest["keystores"].append({"services": holders, "file": f"keystore/{name}"})
        say(f"key store (of {', '.join(holders)}): backed up last")
    manifest["finished_at"] = _now()
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return manifest


def _count(offsets: Offsets) -> int:
    return sum(len(p) for p in offsets.values())


def _jsonable(backup: ServiceBackup) -> dict[str, Any]:
    def offsets(o: Offsets) -> dict[str, dict[str, int]]:
        return {t: {str(p): v for p, v in sorted(parts.items())} for t, parts in sorted(o.items())}

    return {
        "group": backup.group,
        "group_offsets": offsets(backup.group_offsets),
        "own_end_offsets": offsets(backup.own_end_offsets),
        "databases": backup.databases,
        "seconds": backup.seconds,
    }


def read_manifest(source: Path) -> dict[str, Any]:
    path = source / MANIFEST
    if not path.is_file():
        raise BadInput(f"{source} holds no backup ({MANIFEST} missing)")
    manifest: dict[str, Any] = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise BadInput(f"{path}: backup format {manifest.get('format')!r}, this release reads {FORMAT}")
    return manifest


@dataclass
class RestoreReport:
    service: str
    databases: int
    partitions_reset: int
    caught_up: int  # records between the recorded offsets and the ends of now, applied in order
    folded: int
    already_held: int
    by_type: dict[str, int]
    seconds: float


async def restore(
    services: list[str],
    source: Path,
    *,
    keystore: bool = False,
    wait_seconds: float = 60.0,
    say: Callable[[str], None] = print,
    broker: Any = None,
) -> list[RestoreReport]:
    """Restore `services` from the backup in `source`; each must be stopped (see module docstring)."""
    manifest = read_manifest(source)
    missing = [s for s in services if s not in manifest["services"]]
    if missing:
        raise BadInput(
            f"the backup in {source} holds no {missing[0]} (it holds {', '.join(manifest['services'])})"
        )
    plans = {s: plan_for(s, broker) for s in services}
    for plan in plans.values():
        await wait_until_stopped(plan, wait_seconds)
    if keystore:
        for entry in manifest.get("keystores", []):
            url = next((plans[s].keystore_url for s in entry["services"] if s in plans), None)
            if url:
                await asyncio.to_thread(put_back, url, source / entry["file"])
                say(f"key store: put back from {entry['file']} (keys of cases opened after it are lost)")
    reports = []
    for service in services:
        reports.append(await _restore_one(plans[service], manifest["services"][service], source, say))
    return reports


def _offsets(doc: dict[str, dict[str, int]]) -> Offsets:
    return {t: {int(p): int(v) for p, v in parts.items()} for t, parts in doc.items()}


async def _restore_one(
    plan: ServicePlan, entry: dict[str, Any], source: Path, say: Callable[[str], None]
) -> RestoreReport:
    began = time.monotonic()
    by_schema = {d["schema"]: d["file"] for d in entry["databases"]}
    for schema, url in plan.databases:
        if schema not in by_schema:
            raise BadInput(f"the backup of {plan.service} has no {schema} database")
        await asyncio.to_thread(put_back, url, source / by_schema[schema])
    group = _offsets(entry["group_offsets"])
    # First at the backup's offsets: should the restore stop half-way, a service started anyway
    # consumes everything after the backup (the inbox skips what was caught up).
    await set_group_offsets(plan, group)
    events = await read_published(plan, _offsets(entry["own_end_offsets"]))
    # What the group would consume again, read now and applied here in the order it first
    # happened (shared/restore_fold.py, "Catching up"); the group then goes on after it.
    missed, reached = await read_range(plan, plan.consumed, group)
    summary = await plan.runtime.restore_offline(events, missed, datetime.now(UTC))
    reset = await set_group_offsets(plan, {t: reached.get(t, parts) for t, parts in group.items()})
    again = len(missed)
    report = RestoreReport(
        plan.service,
        len(plan.databases),
        reset,
        again,
        summary.folded,
        summary.already_held,
        dict(summary.by_type),
        round(time.monotonic() - began, 3),
    )
    say(
        f"{plan.service}: {report.databases} database(s) put back; group {plan.group} set on {reset} "
        f"partitions after the {again} records it missed, caught up in the order they happened; "
        f"{report.folded} published events folded back ({report.already_held} already in the backup) "
        f"in {report.seconds:.1f} s"
    )
    return report

"""A real single-node Apache Kafka broker (KRaft) for tests, the demo and CI, without Docker.

The broker's jars come from Maven Central through ``deploy/kafka/pom.xml`` and are fetched once
into a cache directory (``$CASEFLOW_CACHE/kafka-<version>``, default
``~/.cache/caseflow/kafka-<version>``); a marker file holding the POM's digest tells later runs
that the cache is complete, so no Maven run happens then.

    with KafkaNode() as node:          # free ports, temporary data dir
        node.create_topics(["intake.cases.v1"], partitions=3)
        producer = AIOKafkaProducer(bootstrap_servers=node.bootstrap, ...)

CLI: ``python -m devinfra.kafka --help``.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import base64
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from devinfra._aio import run_sync
from devinfra.cache import FetchFailed, cache_root, fetch_once, file_digest, pinned_version, run_maven
from devinfra.ports import free_port, port_open
from devinfra.process import die_with_parent, stop_process_group
from devinfra.process import log_tail as _tail

DEPLOY_DIR = Path(__file__).resolve().parents[1] / "deploy" / "kafka"
POM = DEPLOY_DIR / "pom.xml"
LOG4J_CONFIG = DEPLOY_DIR / "log4j2.properties"
# 10 MiB: a multi-megabyte event (an attachment, a big export) must reach its consumer.
MAX_MESSAGE_BYTES = 10 * 1024 * 1024


class KafkaInfraError(RuntimeError):
    """The development broker could not be fetched, formatted or started."""


def kafka_version() -> str:
    """The Kafka version pinned in deploy/kafka/pom.xml (the single source of truth)."""
    version = pinned_version(POM, "kafka")
    if version is None:
        raise KafkaInfraError(f"no <kafka.version> property in {POM}")
    return version


def jar_dir() -> Path:
    return cache_root() / f"kafka-{kafka_version()}"


def ensure_jars() -> Path:
    """The directory holding the broker's jars, fetching them with Maven on first use."""

    def fill(staging: Path) -> None:
        try:
            run_maven(
                POM, "dependency:copy-dependencies", f"-DoutputDirectory={staging}", what="the Kafka jars"
            )
        except FetchFailed as exc:
            raise KafkaInfraError(str(exc)) from exc
        if not any(staging.glob("kafka_2.13-*.jar")):
            raise KafkaInfraError(f"fetching the Kafka jars with {POM} gave no kafka_2.13 jar")

    return fetch_once(jar_dir(), file_digest(POM), fill)


def new_cluster_id() -> str:
    """16 random bytes, base64url without padding, not starting with '-' (Kafka's own rules)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode("ascii")
        if not cluster_id.startswith("-"):
            return cluster_id


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise KafkaInfraError(
            "Java 17 or newer is needed to run Kafka: apt-get install openjdk-17-jre-headless"
        )
    return java


async def _metadata_ready(bootstrap: str) -> bool:
    """Whether the broker answers a metadata request listing itself (i.e. it is registered, unfenced)."""
    # Imported lazily: unit tests that never start a broker never pay for aiokafka.
    from aiokafka.client import AIOKafkaClient
    from aiokafka.errors import KafkaError

    client = AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    try:
        await asyncio.wait_for(client.bootstrap(), timeout=5)
        return bool(client.cluster.brokers())
    except (KafkaError, OSError, TimeoutError):  # any of these just means "not yet"
        return False
    finally:
        await client.close()


class KafkaNode:
    """One Kafka process acting as broker and KRaft controller, on 127.0.0.1.

    ``port``/``controller_port`` default to free ports; ``data_dir`` defaults to a temporary
    directory that ``stop()`` removes (a given ``data_dir`` is kept, and a restart reuses it).
    """

    def __init__(
        self,
        port: int | None = None,
        data_dir: Path | None = None,
        controller_port: int | None = None,
        partitions_default: int = 3,
        *,
        heap: str = "512m",
        extra_properties: Mapping[str, str] | None = None,
        die_with_parent: bool = True,
        node_id: int = 1,
        quorum_voters: str | None = None,
        cluster_id: str | None = None,
        replication_factor: int = 1,
    ) -> None:
        # node_id, quorum_voters and cluster_id make the node one of a KafkaCluster; alone it is
        # node 1 and votes for itself. replication_factor sets the defaults of a cluster that
        # size (internal topics, min.insync.replicas = factor - 1).
        self.node_id = node_id
        self._quorum_voters = quorum_voters
        self._cluster_id = cluster_id
        self.replication_factor = replication_factor
        self._port = port
        self._controller_port = controller_port
        self._given_data_dir = Path(data_dir) if data_dir is not None else None
        self._data_dir: Path | None = self._given_data_dir
        self.partitions_default = partitions_default
        self.heap = heap
        self.extra_properties = dict(extra_properties or {})
        self.die_with_parent = die_with_parent
        self._proc: subprocess.Popen[bytes] | None = None
        self._stdout: IO[bytes] | None = None

    # -- addresses and paths -------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._port is None:
            raise KafkaInfraError("the node has no port before start()")
        return self._port

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def data_dir(self) -> Path:
        if self._data_dir is None:
            raise KafkaInfraError("the node has no data dir before start()")
        return self._data_dir

    @property
    def log_file(self) -> Path:
        return self.data_dir / "logs" / "server.log"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self, timeout: float = 60, *, wait: bool = True) -> None:
        """Start the broker and return once it serves metadata; raise KafkaInfraError otherwise.
        With `wait=False` return once the process runs (a cluster's nodes wait for each other)."""
        if self.running:
            return
        deadline = time.monotonic() + timeout
        jars = ensure_jars()
        if self._port is None:
            self._port = free_port()
        if self._controller_port is None:
            self._controller_port = free_port()
        if self._data_dir is None:
            self._data_dir = Path(tempfile.mkdtemp(prefix="caseflow-kafka-"))
        (self.data_dir / "logs").mkdir(parents=True, exist_ok=True)
        config = self._write_config()
        java = [
            _java(),
            f"-Xms{min(256, _mebibytes(self.heap))}m",
            f"-Xmx{self.heap}",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
            f"-Dkafka.logs.dir={self.data_dir / 'logs'}",
            "-cp",
            f"{jars}/*",
        ]
        if not (self.data_dir / "kraft" / "meta.properties").exists():
            self._format(java, config, deadline)
        self._stdout = open(self.data_dir / "logs" / "stdout.log", "ab")  # noqa: SIM115 (closed in stop)
        self._proc = subprocess.Popen(
            [*java, "kafka.Kafka", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=self._stdout,
            stderr=subprocess.STDOUT,
            cwd=self.data_dir,
            start_new_session=True,  # own process group: Ctrl-C in a terminal doesn't hit it mid-test
            # Safe despite threads: the hook only makes one prctl call, resolved before fork.
            preexec_fn=die_with_parent() if self.die_with_parent else None,  # noqa: PLW1509
        )
        if self.die_with_parent:
            # Tied to this process: stop with it. A detached broker (`caseflow up`) outlives it.
            atexit.register(self.stop)
        if wait:
            self.wait_ready(deadline)

    def wait_ready(self, deadline: float) -> None:
        try:
            self._wait_ready(deadline)
        except BaseException:
            self.stop(cleanup=False)
            raise

    def stop(self, timeout: float = 30, *, cleanup: bool = True) -> None:
        """SIGTERM (a controlled shutdown), then SIGKILL after ``timeout`` seconds.

        With ``cleanup`` a temporary data dir is removed; pass ``cleanup=False`` to restart later.
        """
        atexit.unregister(self.stop)
        proc, self._proc = self._proc, None
        if proc is not None:
            stop_process_group(proc, timeout)
        if self._stdout is not None:
            self._stdout.close()
            self._stdout = None
        if cleanup and self._given_data_dir is None and self._data_dir is not None:
            shutil.rmtree(self._data_dir, ignore_errors=True)
            self._data_dir = None

    def restart(self, timeout: float = 60) -> None:
        """Stop and start again on the same ports with the same data (for failure tests)."""
        self.stop(cleanup=False)
        self.start(timeout)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- topics --------------------------------------------------------------------------------
    async def acreate_topics(
        self, names: Iterable[str], partitions: int | None = None, config: Mapping[str, str] | None = None
    ) -> None:
        await create_topics(self.bootstrap, names, partitions or self.partitions_default, config)

    def create_topics(
        self, names: Iterable[str], partitions: int | None = None, config: Mapping[str, str] | None = None
    ) -> None:
        """Create topics (existing ones are left alone). Sync; use ``acreate_topics`` in async code."""
        topics = list(names)
        run_sync(lambda: self.acreate_topics(topics, partitions, config))

    # -- internals -----------------------------------------------------------------------------
    def _write_config(self) -> Path:
        port, cport = self.port, self._controller_port
        rf, min_isr = self.replication_factor, max(1, self.replication_factor - 1)
        props = {
            "process.roles": "broker,controller",
            "node.id": str(self.node_id),
            "controller.quorum.voters": self._quorum_voters or f"1@127.0.0.1:{cport}",
            "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{cport}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.data_dir / "kraft"),
            "num.partitions": str(self.partitions_default),
            "auto.create.topics.enable": "true",
            "default.replication.factor": str(rf),
            "min.insync.replicas": str(min_isr),
            # A single node cannot host three replicas of the internal topics.
            "offsets.topic.replication.factor": str(rf),
            "offsets.topic.num.partitions": "10",
            "transaction.state.log.replication.factor": str(rf),
            "transaction.state.log.min.isr": str(min_isr),
            "share.coordinator.state.topic.replication.factor": str(rf),
            "share.coordinator.state.topic.min.isr": str(min_isr),
            # Tests start consumers one after another; the 3 s default delays every first join.
            "group.initial.rebalance.delay.ms": "0",
            # aiokafka speaks the classic group protocol; KIP-848 "consumer" stays available.
            "group.coordinator.rebalance.protocols": "classic,consumer",
            "message.max.bytes": str(MAX_MESSAGE_BYTES),
            "replica.fetch.max.bytes": str(MAX_MESSAGE_BYTES),
            # The log is the source of truth: never delete events by age.
            "log.retention.ms": "-1",
            # Two cores shared by everything: keep the thread pools small.
            "num.network.threads": "2",
            "num.io.threads": "4",
            "num.recovery.threads.per.data.dir": "1",
            **self.extra_properties,
        }
        path = self.data_dir / "server.properties"
        path.write_text("".join(f"{key}={value}\n" for key, value in props.items()), encoding="utf-8")
        return path

    def _format(self, java: Sequence[str], config: Path, deadline: float) -> None:
        cluster_id = self._cluster_id or new_cluster_id()
        cmd = [*java, "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(config)]
        try:
            proc = subprocess.run(
                cmd,
                capture_output=True,
                text=True,
                cwd=self.data_dir,
                timeout=max(5.0, deadline - time.monotonic()),
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise KafkaInfraError(f"formatting Kafka storage timed out: {' '.join(cmd)}") from exc
        if proc.returncode != 0:
            raise KafkaInfraError(
                f"formatting Kafka storage failed (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}\n"
                + _tail(self.log_file)
            )

    def _wait_ready(self, deadline: float) -> None:
        assert self._proc is not None
        while True:
            code = self._proc.poll()
            if code is not None:
                raise KafkaInfraError(
                    f"Kafka exited with code {code} during start-up\n"
                    f"{_tail(self.data_dir / 'logs' / 'stdout.log')}\n{_tail(self.log_file)}"
                )
            if port_open(self.port) and run_sync(lambda: _metadata_ready(self.bootstrap)):
                return
            if time.monotonic() > deadline:
                raise KafkaInfraError(
                    f"Kafka on {self.bootstrap} not ready in time\n"
                    f"{_tail(self.data_dir / 'logs' / 'stdout.log')}\n{_tail(self.log_file)}"
                )
            time.sleep(0.2)


class KafkaCluster:
    """Three (or `size`) Kafka processes on 127.0.0.1, each broker and KRaft controller, one quorum.

    For fault tests: topics get replication factor `size` and min.insync.replicas `size - 1` by
    default, so one broker may die (a leader election) and two stopped make writes impossible.
    Nodes keep their ports and data across stop()/start(), like machines rebooted.
    """

    def __init__(
        self, data_dir: Path, size: int = 3, *, heap: str = "384m", partitions_default: int = 3
    ) -> None:
        ports = [free_port() for _ in range(size)]
        controllers = [free_port() for _ in range(size)]
        voters = ",".join(f"{i + 1}@127.0.0.1:{c}" for i, c in enumerate(controllers))
        cluster_id = new_cluster_id()
        self.nodes = [
            KafkaNode(
                port=ports[i],
                controller_port=controllers[i],
                data_dir=data_dir / f"node-{i + 1}",
                partitions_default=partitions_default,
                heap=heap,
                node_id=i + 1,
                quorum_voters=voters,
                cluster_id=cluster_id,
                replication_factor=size,
            )
            for i in range(size)
        ]

    @property
    def bootstrap(self) -> str:
        return ",".join(node.bootstrap for node in self.nodes)

    def node(self, node_id: int) -> KafkaNode:
        return self.nodes[node_id - 1]

    def start(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        for node in self.nodes:  # all at once: each waits for a quorum of the others
            node.start(timeout, wait=False)
        for node in self.nodes:
            node.wait_ready(deadline)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop(cleanup=False)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    async def leader_of(self, topic: str, partition: int = 0) -> int:
        """The node id that leads `topic`'s partition now (from a fresh metadata request)."""
        from aiokafka.client import AIOKafkaClient

        client = AIOKafkaClient(bootstrap_servers=self.bootstrap)
        await client.bootstrap()
        try:
            await client.force_metadata_update()
            leader = client.cluster.leader_for_partition(_topic_partition(topic, partition))
            if leader is None or leader < 0:
                raise KafkaInfraError(f"{topic}[{partition}] has no leader now")
            return int(leader)
        finally:
            await client.close()


def _topic_partition(topic: str, partition: int) -> object:
    from aiokafka.structs import TopicPartition

    return TopicPartition(topic, partition)


def _mebibytes(size: str) -> int:
    """'512m' -> 512, '1g' -> 1024 (JVM heap notation)."""
    match = re.fullmatch(r"(\d+)([kmgKMG]?)", size)
    if match is None:
        raise ValueError(f"not a JVM memory size: {size!r}")
    value, unit = int(match.group(1)), match.group(2).lower()
    return {"k": value // 1024, "m": value, "g": value * 1024, "": value // (1024 * 1024)}[unit]


async def create_topics(
    bootstrap: str, names: Iterable[str], partitions: int = 3, config: Mapping[str, str] | None = None
) -> None:
    """Create topics on any broker (replication factor 1); topics that already exist are fine."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    from aiokafka.errors import TopicAlreadyExistsError, for_code

    topics = [NewTopic(name, partitions, 1, topic_configs=dict(config or {})) for name in names]
    if not topics:
        return
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        response = await admin.create_topics(topics)
    finally:
        await admin.close()
    for topic, code, *rest in response.topic_errors:
        if code != 0 and for_code(code) is not TopicAlreadyExistsError:
            message = rest[0] if rest else ""
            raise KafkaInfraError(f"creating topic {topic!r} failed: {for_code(code).__name__} {message}")


# -- CLI ---------------------------------------------------------------------------------------
def _run_foreground(args: argparse.Namespace) -> int:
    node = KafkaNode(
        port=args.port,
        controller_port=args.controller_port,
        data_dir=Path(args.data_dir) if args.data_dir else None,
        partitions_default=args.partitions,
        heap=args.heap,
    )
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    started = time.monotonic()
    node.start(timeout=args.timeout)
    print(
        f"Kafka {kafka_version()} ready at {node.bootstrap} in {time.monotonic() - started:.1f}s\n"
        f"  data: {node.data_dir}  log: {node.log_file}\n  Ctrl-C stops it.",
        flush=True,
    )
    try:
        while not stop.wait(1.0):
            if not node.running:
                print(f"Kafka died.\n{_tail(node.log_file)}", file=sys.stderr)
                return 1
    finally:
        node.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devinfra.kafka",
        description=(
            "A real single-node Kafka broker (KRaft, broker+controller in one JVM) without Docker. "
            "The jars come from Maven Central via deploy/kafka/pom.xml and are cached in "
            "$CASEFLOW_CACHE/kafka-<version> (default ~/.cache/caseflow/kafka-<version>); "
            "Java 17+ is needed to run it, and Maven once to fetch it."
        ),
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("fetch", help="fetch the broker's jars into the cache (CI set-up) and print the directory")
    run = sub.add_parser(
        "run",
        help="run a broker in the foreground until Ctrl-C",
        description="Run a broker in the foreground until Ctrl-C (or SIGTERM), then shut it down cleanly.",
    )
    run.add_argument("--port", type=int, default=9092, help="client (PLAINTEXT) port, default 9092")
    run.add_argument(
        "--controller-port", type=int, default=None, help="KRaft controller port (default: free)"
    )
    run.add_argument(
        "--data-dir",
        default=None,
        help="directory for config, logs and topic data; kept afterwards so a re-run keeps the events "
        "(default: a temporary directory, removed on exit)",
    )
    run.add_argument("--partitions", type=int, default=3, help="partitions of auto-created topics, default 3")
    run.add_argument("--heap", default="512m", help="JVM max heap, default 512m")
    run.add_argument("--timeout", type=float, default=60, help="seconds to wait for start-up, default 60")
    args = parser.parse_args(argv)
    try:
        if args.command == "fetch":
            print(ensure_jars())
            return 0
        return _run_foreground(args)
    except KafkaInfraError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Apply deploy/kafka/topics.yaml to a broker, and render deploy/kafka/acls.yaml as commands.

    specs = load_topic_specs(prefix="t-1.")            # one TopicSpec per topic and DLQ twin
    report = await apply_topics("kafka:9092", replication_factor=1)

`apply_topics` creates the missing topics with their configs and compares the configs and
partition counts of the existing ones; with ``alter=True`` it sets the configs (partitions are
never changed: adding partitions moves keys, see topics.yaml). aiokafka's admin client has no ACL API, so the ACLs are rendered as
`kafka-acls.sh` commands for an operator to run.

CLI (docker compose's kafka-init and the Kubernetes init Job use it; connection and security from
the CASEFLOW_KAFKA_* variables, as for the services):

    python -m shared.topics_config apply [--replication-factor 1] [--alter]
    python -m shared.topics_config show
    python -m shared.topics_config acls --bootstrap host:9093 --command-config admin.properties
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import ssl
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

_REPO_DEPLOY = Path(__file__).resolve().parents[1] / "deploy" / "kafka"
# The container image keeps deploy/ outside site-packages; it points here with these variables.
TOPICS_FILE_ENV = "CASEFLOW_TOPICS_FILE"
ACLS_FILE_ENV = "CASEFLOW_ACLS_FILE"
RETENTION_CLASSES = ("forever", "7d", "compact")


class TopicConfigError(RuntimeError):
    """topics.yaml or acls.yaml is inconsistent, or the broker refused a change."""


def topics_file() -> Path:
    return Path(os.environ.get(TOPICS_FILE_ENV) or _REPO_DEPLOY / "topics.yaml")


def acls_file() -> Path:
    return Path(os.environ.get(ACLS_FILE_ENV) or _REPO_DEPLOY / "acls.yaml")


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication_factor: int
    retention: str  # "forever", "7d" or "compact" (shared/topics.py's retention classes)
    config: Mapping[str, str] = field(default_factory=dict)

    def with_replication_factor(self, replication_factor: int) -> TopicSpec:
        """The spec for a cluster of fewer brokers: min.insync.replicas can't exceed the replicas."""
        config = dict(self.config)
        if "min.insync.replicas" in config:
            config["min.insync.replicas"] = str(min(int(config["min.insync.replicas"]), replication_factor))
        return replace(self, replication_factor=replication_factor, config=config)


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TopicConfigError(f"cannot read {path}: {exc}") from exc


def load_topic_specs(
    prefix: str = "", *, path: Path | None = None, replication_factor: int | None = None
) -> list[TopicSpec]:
    """Every topic of topics.yaml, names prefixed (tests and parallel demos share one broker)."""
    source = path or topics_file()
    document = _read_yaml(source)
    default_rf = int(document.get("defaults", {}).get("replication_factor", 1))
    specs = []
    for entry in document["topics"]:
        retention = str(entry["retention"])
        if retention not in RETENTION_CLASSES:
            raise TopicConfigError(f"{source}: topic {entry['name']}: unknown retention {retention!r}")
        spec = TopicSpec(
            name=f"{prefix}{entry['name']}",
            partitions=int(entry["partitions"]),
            replication_factor=int(entry.get("replication_factor", default_rf)),
            retention=retention,
            # Kafka configs are strings on the wire; YAML may have typed some as numbers.
            config={str(k): str(v) for k, v in (entry.get("config") or {}).items()},
        )
        specs.append(spec if replication_factor is None else spec.with_replication_factor(replication_factor))
    names = [s.name for s in specs]
    if len(names) != len(set(names)):
        raise TopicConfigError(f"{source}: a topic is listed twice")
    return specs


# -- applying ------------------------------------------------------------------------------------


@dataclass
class ApplyReport:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    # topic -> config key -> (value on the broker, value in topics.yaml)
    drift: dict[str, dict[str, tuple[str | None, str]]] = field(default_factory=dict)
    altered: list[str] = field(default_factory=list)
    # topic -> (partitions on the broker, partitions in topics.yaml). Never fixed automatically:
    # adding partitions moves keys. Typically a topic some client auto-created before apply ran.
    partition_drift: dict[str, tuple[int | None, int]] = field(default_factory=dict)


def admin_options_from_env() -> dict[str, Any]:
    """Security options for the admin client from the CASEFLOW_KAFKA_* variables (as the services)."""
    from shared.settings import ServiceSettings

    settings = ServiceSettings()
    options: dict[str, Any] = {"security_protocol": settings.kafka_security_protocol}
    if settings.kafka_security_protocol.endswith("SSL"):
        options["ssl_context"] = ssl.create_default_context(cafile=settings.kafka_ssl_cafile or None)
    if settings.kafka_security_protocol.startswith("SASL"):
        options["sasl_mechanism"] = settings.kafka_sasl_mechanism
        options["sasl_plain_username"] = settings.kafka_sasl_username
        options["sasl_plain_password"] = settings.kafka_sasl_password.get_secret_value()
    return options


def _config_entries(responses: Sequence[Any]) -> dict[str, dict[str, str | None]]:
    """topic -> {config name: value} from DescribeConfigs responses (any protocol version)."""
    found: dict[str, dict[str, str | None]] = {}
    for response in responses:
        for error_code, error_message, _type, name, entries in response.resources:
            if error_code != 0:
                raise TopicConfigError(f"describing configs of {name!r} failed: {error_code} {error_message}")
            found[name] = {entry[0]: entry[1] for entry in entries}
    return found


async def describe_topic_configs(
    bootstrap: str, names: Sequence[str], **client_options: Any
) -> dict[str, dict[str, str | None]]:
    """The effective configs of ``names`` on the broker (all keys, defaults included)."""
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **client_options)
    await admin.start()
    try:
        responses = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, n) for n in names])
    finally:
        await admin.close()
    return _config_entries(responses)


async def apply_topics(
    bootstrap: str,
    prefix: str = "",
    *,
    replication_factor: int | None = None,
    alter: bool = False,
    path: Path | None = None,
    timeout: float = 60,
    **client_options: Any,
) -> ApplyReport:
    """Create the missing topics of topics.yaml with their configs; report (or fix) config drift.

    ``replication_factor`` overrides the file's (1 on a single-node broker). ``client_options``
    go to AIOKafkaAdminClient (security_protocol, ssl_context, sasl_*).
    """
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
    from aiokafka.errors import TopicAlreadyExistsError, for_code

    specs = load_topic_specs(prefix, path=path, replication_factor=replication_factor)
    report = ApplyReport()
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000), **client_options
    )
    await asyncio.wait_for(admin.start(), timeout)
    try:
        existing = set(await asyncio.wait_for(admin.list_topics(), timeout))
        missing = [s for s in specs if s.name not in existing]
        if missing:
            response = await asyncio.wait_for(
                admin.create_topics(
                    [
                        NewTopic(s.name, s.partitions, s.replication_factor, topic_configs=dict(s.config))
                        for s in missing
                    ]
                ),
                timeout,
            )
            for name, code, *rest in response.topic_errors:
                if code == 0:
                    report.created.append(name)
                elif for_code(code) is TopicAlreadyExistsError:  # created meanwhile by someone else
                    report.existing.append(name)
                else:
                    message = rest[0] if rest else ""
                    raise TopicConfigError(
                        f"creating topic {name!r} failed: {for_code(code).__name__} {message}"
                    )
        if report.created:
            # Return only once the new topics have leaders: the services started next can use them.
            await _partition_counts(admin, report.created, timeout)
        present = [s for s in specs if s.name in existing]
        report.existing.extend(s.name for s in present)
        if present:
            actual = _config_entries(
                await asyncio.wait_for(
                    admin.describe_configs(
                        [ConfigResource(ConfigResourceType.TOPIC, s.name) for s in present]
                    ),
                    timeout,
                )
            )
            for spec in present:
                on_broker = actual.get(spec.name, {})
                diff = {k: (on_broker.get(k), v) for k, v in spec.config.items() if on_broker.get(k) != v}
                if diff:
                    report.drift[spec.name] = diff
            partitions = await _partition_counts(admin, [s.name for s in present], timeout)
            for spec in present:
                if partitions.get(spec.name) != spec.partitions:
                    report.partition_drift[spec.name] = (partitions.get(spec.name), spec.partitions)
            if alter and report.drift:
                # AlterConfigs (not incremental) replaces a topic's overrides with exactly these.
                wanted = [s for s in present if s.name in report.drift]
                responses = await asyncio.wait_for(
                    admin.alter_configs(
                        [ConfigResource(ConfigResourceType.TOPIC, s.name, dict(s.config)) for s in wanted]
                    ),
                    timeout,
                )
                for response in responses:
                    for code, message, _type, name in response.resources:
                        if code != 0:
                            raise TopicConfigError(f"altering configs of {name!r} failed: {code} {message}")
                        report.altered.append(name)
                await _wait_until_applied(admin, wanted, timeout)
    finally:
        await admin.close()
    return report


async def _partition_counts(admin: Any, names: Sequence[str], timeout: float) -> dict[str, int]:
    """Partitions per topic, once the metadata of every topic answers without error.

    Right after a topic is created (or under load) the metadata may still say
    LEADER_NOT_AVAILABLE with no partitions; that is "not yet", not "zero partitions".
    """
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        described = await asyncio.wait_for(admin.describe_topics(list(names)), timeout)
        settled = {
            d["topic"]: len(d["partitions"])
            for d in described
            if d["error_code"] == 0 and d["partitions"] and all(p["error_code"] == 0 for p in d["partitions"])
        }
        if set(names) <= set(settled):
            return settled
        if asyncio.get_running_loop().time() > deadline:
            raise TopicConfigError(
                f"topics {sorted(set(names) - set(settled))} have no leaders after {timeout:.0f}s"
            )
        await asyncio.sleep(0.2)


async def _wait_until_applied(admin: Any, specs: Sequence[TopicSpec], timeout: float) -> None:
    """Block until the brokers describe the new configs (KRaft propagates them a moment later)."""
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        actual = _config_entries(
            await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, s.name) for s in specs])
        )
        pending = [
            s.name for s in specs if any(actual.get(s.name, {}).get(k) != v for k, v in s.config.items())
        ]
        if not pending:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise TopicConfigError(f"configs of {pending} not in effect {timeout:.0f}s after altering them")
        await asyncio.sleep(0.2)


# -- ACLs ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrincipalAcls:
    principal: str
    service: str | None
    read: tuple[str, ...]
    write: tuple[str, ...]
    groups: tuple[tuple[str, str], ...]  # (name, "literal" | "prefixed")


def load_acls(*, path: Path | None = None) -> list[PrincipalAcls]:
    document = _read_yaml(path or acls_file())
    return [
        PrincipalAcls(
            principal=str(entry["principal"]),
            service=entry.get("service"),
            read=tuple(entry.get("read") or ()),
            write=tuple(entry.get("write") or ()),
            groups=tuple(
                (str(g["name"]), str(g.get("pattern", "literal"))) for g in entry.get("groups") or ()
            ),
        )
        for entry in document["principals"]
    ]


def acl_commands(
    bootstrap: str, *, command_config: str | None = None, prefix: str = "", path: Path | None = None
) -> list[list[str]]:
    """`kafka-acls.sh --add` argument lists granting exactly what acls.yaml says."""
    base = ["kafka-acls.sh", "--bootstrap-server", bootstrap]
    if command_config:
        base += ["--command-config", command_config]
    document = _read_yaml(path or acls_file())
    commands: list[list[str]] = []
    for acl in load_acls(path=path):
        who = ["--add", "--allow-principal", acl.principal]
        for topic in acl.read:
            commands.append(
                [*base, *who, "--operation", "Read", "--operation", "Describe", "--topic", prefix + topic]
            )
        for topic in acl.write:
            commands.append(
                [*base, *who, "--operation", "Write", "--operation", "Describe", "--topic", prefix + topic]
            )
        for group, pattern in acl.groups:
            commands.append(
                [*base, *who, "--operation", "Read", "--group", group, "--resource-pattern-type", pattern]
            )
    admin = document.get("admin")
    if admin:
        who = ["--add", "--allow-principal", str(admin["principal"])]
        cluster_ops = [x for op in admin.get("cluster_operations", []) for x in ("--operation", str(op))]
        topic_ops = [x for op in admin.get("topic_operations", []) for x in ("--operation", str(op))]
        if cluster_ops:
            commands.append([*base, *who, *cluster_ops, "--cluster"])
        if topic_ops:
            commands.append(
                [*base, *who, *topic_ops, "--topic", prefix or "*"]
                + (["--resource-pattern-type", "prefixed"] if prefix else [])
            )
    return commands


# -- CLI -----------------------------------------------------------------------------------------


def _print_report(report: ApplyReport) -> None:
    for name in report.created:
        print(f"created  {name}")
    for name in report.existing:
        print(f"exists   {name}")
    for name, diff in report.drift.items():
        for key, (actual, wanted) in diff.items():
            print(f"drift    {name}: {key} is {actual!r}, topics.yaml says {wanted!r}")
    for name in report.altered:
        print(f"altered  {name}")
    for name, (on_broker, in_file) in report.partition_drift.items():
        print(
            f"drift    {name}: {on_broker} partitions, topics.yaml says {in_file} (not changed: see topics.yaml)"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shared.topics_config",
        description="Apply deploy/kafka/topics.yaml to a broker; render deploy/kafka/acls.yaml.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    apply = sub.add_parser("apply", help="create missing topics with their configs; report config drift")
    apply.add_argument("--bootstrap", default=None, help="default: $CASEFLOW_KAFKA_BOOTSTRAP")
    apply.add_argument("--prefix", default=None, help="topic name prefix (default: $CASEFLOW_TOPIC_PREFIX)")
    apply.add_argument("--replication-factor", type=int, default=None, help="override (1 on a single node)")
    apply.add_argument("--alter", action="store_true", help="also set the configs of existing topics")
    apply.add_argument("--strict", action="store_true", help="exit 3 when drift remains")
    apply.add_argument(
        "--file", default=None, help=f"topics file (default: ${TOPICS_FILE_ENV} or deploy/kafka)"
    )
    apply.add_argument(
        "--retries", type=int, default=30, help="connection attempts, 2 s apart (broker start-up)"
    )
    show = sub.add_parser("show", help="print the topic specs")
    show.add_argument("--replication-factor", type=int, default=None)
    acls = sub.add_parser("acls", help="print kafka-acls.sh commands for acls.yaml")
    acls.add_argument("--bootstrap", required=True)
    acls.add_argument("--command-config", default=None, help="admin client properties (SASL/TLS)")
    acls.add_argument("--prefix", default="")
    args = parser.parse_args(argv)
    try:
        if args.command == "show":
            for spec in load_topic_specs(replication_factor=args.replication_factor):
                configs = " ".join(f"{k}={v}" for k, v in sorted(spec.config.items()))
                print(f"{spec.name} partitions={spec.partitions} rf={spec.replication_factor} {configs}")
            return 0
        if args.command == "acls":
            for cmd in acl_commands(args.bootstrap, command_config=args.command_config, prefix=args.prefix):
                print(shlex.join(cmd))
            return 0
        return _apply_cli(args)
    except TopicConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _apply_cli(args: argparse.Namespace) -> int:
    from aiokafka.errors import KafkaError

    from shared.settings import ServiceSettings

    settings = ServiceSettings()
    bootstrap = args.bootstrap or settings.kafka_bootstrap
    prefix = settings.topic_prefix if args.prefix is None else args.prefix
    path = Path(args.file) if args.file else None
    for attempt in range(1, args.retries + 1):
        try:
            report = asyncio.run(
                apply_topics(
                    bootstrap,
                    prefix,
                    replication_factor=args.replication_factor,
                    alter=args.alter,
                    path=path,
                    timeout=30,
                    **admin_options_from_env(),
                )
            )
            break
        except (KafkaError, OSError, TimeoutError) as exc:  # the broker may still be starting
            if attempt == args.retries:
                print(f"error: broker {bootstrap} unreachable: {type(exc).__name__}: {exc}", file=sys.stderr)
                return 2
            print(
                f"waiting for {bootstrap} ({type(exc).__name__}), attempt {attempt}",
                file=sys.stderr,
                flush=True,
            )
            asyncio.run(asyncio.sleep(2))
    _print_report(report)
    if args.strict and ((report.drift and not report.altered) or report.partition_drift):
        return 3
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

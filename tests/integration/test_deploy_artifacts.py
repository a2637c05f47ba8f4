"""The deployment artefacts say what the code does: compose, Dockerfile, Kubernetes, Kafka topics
and ACLs, PostgreSQL init, Prometheus and Grafana.

There is no Docker engine or cluster here, so the files are checked against their published
schemas (Compose Specification, Kubernetes JSON schemas, both shipped in PyPI packages) and
against the code they configure (settings fields, topic catalogue, metric names). Two tests run
the real thing: topics.yaml applied to the real broker, init.sql run on a real PostgreSQL.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import importlib
import json
import os
import re
import subprocess
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from prometheus_client import CollectorRegistry

from devinfra.kafka import MAX_MESSAGE_BYTES, create_topics, kafka_version
from devinfra.keycloak import keycloak_version
from devinfra.postgres import PostgresServer
from shared.crypto import parse_master_key
from shared.metrics import PipelineMetrics
from shared.settings import KeyHolderSettings, ServiceSettings
from shared.topics import ALL_TOPICS, dlq_of
from shared.topics_config import (
    acl_commands,
    apply_topics,
    describe_topic_configs,
    load_acls,
    load_topic_specs,
)

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
SERVICES = ("intake", "routing", "scheduling", "reporting", "workbench")
KEY_HOLDERS = {"intake", "routing"}

# The metric names the system exports (pipeline metrics from shared/metrics.py, domain metrics from
# the services). Dashboards and alerts may only use these, plus Prometheus' own `up`.
PIPELINE_METRICS = {
    "caseflow_messages_processed_total",
    "caseflow_messages_duplicate_total",
    "caseflow_dlq_records_total",
    "caseflow_dlq_write_failures_total",  # a dead letter that could not be written: the batch parks
    "caseflow_dlq_parked_partitions",
    "caseflow_transient_retries_total",
    "caseflow_batch_processing_seconds",
    "caseflow_outbox_backlog_events",
    "caseflow_outbox_published_total",
    "caseflow_consumer_lag_messages",
    "caseflow_consumer_last_progress_timestamp_seconds",
    "caseflow_service_ready",  # shared/readiness.py (D42)
    "caseflow_dependency_reachable",
}
DOMAIN_METRICS = {
    "caseflow_intake_cases_opened_total",
    "caseflow_intake_submissions_rejected_total",
    "caseflow_routing_decisions_total",
    "caseflow_routing_reassignments_total",
    "caseflow_routing_escalations_waiting",
    "caseflow_routing_advisor_terms_ending",
    "caseflow_scheduling_outcomes_total",
    "caseflow_intake_to_assignment_seconds",
    "caseflow_legal_deadlines_at_risk",
    "caseflow_legal_deadlines_overdue",
    "caseflow_access_denied_total",
    "caseflow_scheduling_meetings_not_planned_total",
}
KNOWN_METRICS = PIPELINE_METRICS | DOMAIN_METRICS | {"up"}
HISTOGRAMS = {"caseflow_batch_processing_seconds", "caseflow_intake_to_assignment_seconds"}


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def metric_names(expr: str) -> set[str]:
    """Metric names in a PromQL expression (label values and matchers in braces left out)."""
    without_strings = re.sub(r'"[^"]*"', '""', expr)
    without_matchers = re.sub(r"\{[^}]*\}", "{}", without_strings)
    names = set()
    for name in re.findall(r"\b(caseflow_[a-z0-9_]+|faststream_[a-z0-9_]+|up)\b(?!\s*\()", without_matchers):
        for suffix in ("_bucket", "_sum", "_count"):
            if name.endswith(suffix) and name.removesuffix(suffix) in HISTOGRAMS:
                name = name.removesuffix(suffix)
        names.add(name)
    return names


# -- metric names ---------------------------------------------------------------------------------


def test_the_pipeline_metric_names_are_the_ones_shared_metrics_registers() -> None:
    registry = CollectorRegistry()
    PipelineMetrics.create(registry, "intake")
    registered = {family.name for family in registry.collect()}
    # prometheus_client names a counter family without its _total suffix.
    expected = {name.removesuffix("_total") for name in PIPELINE_METRICS}
    assert registered == expected


def test_metric_name_extraction_sees_names_and_ignores_label_values() -> None:
    expr = 'histogram_quantile(0.5, sum by (le) (rate(caseflow_intake_to_assignment_seconds_bucket{x="up"}[5m])))'
    assert metric_names(expr) == {"caseflow_intake_to_assignment_seconds"}
    assert metric_names('up{job="intake"} == 0 and caseflow_bogus_total') == {"up", "caseflow_bogus_total"}


# -- docker compose -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = load_yaml(ROOT / "docker-compose.yml")
    return document


def compose_schema_validator() -> jsonschema.protocols.Validator:
    text = (resources.files("check_jsonschema") / "builtin_schemas/vendor/compose-spec.json").read_text()
    schema = json.loads(text)
    validator_class = jsonschema.validators.validator_for(schema)
    validator: jsonschema.protocols.Validator = validator_class(schema)
    return validator


def test_compose_file_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    validator = compose_schema_validator()
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(compose)]
    assert errors == []


def test_the_compose_schema_rejects_a_misspelled_key(compose: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(compose))
    broken["services"]["intake"]["healthchek"] = broken["services"]["intake"].pop("healthcheck")
    assert list(compose_schema_validator().iter_errors(broken)) != []


def test_compose_runs_kafka_postgres_the_services_keycloak_and_monitoring(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {
        "kafka",
        "kafka-init",
        "postgres",
        *SERVICES,
        "keycloak",
        "prometheus",
        "grafana",
    }
    # The sample identity provider is the Keycloak of the sign-in tests, with the sample realm.
    keycloak = services["keycloak"]
    assert keycloak["image"] == f"quay.io/keycloak/keycloak:{keycloak_version()}"
    assert "--import-realm" in keycloak["command"]
    assert keycloak["environment"]["KC_BOOTSTRAP_ADMIN_PASSWORD"].startswith("${KEYCLOAK_ADMIN_PASSWORD:?")
    # Browsers and the workbench's container reach the provider under one name: one issuer URL.
    issuer = services["workbench"]["environment"]["WORKBENCH_OIDC_ISSUER"]
    assert issuer.startswith(keycloak["environment"]["KC_HOSTNAME"] + "/realms/")
    assert "keycloak.localhost" in keycloak["networks"]["caseflow"]["aliases"]
    realm = json.loads((ROOT / "deploy/keycloak/caseflow-realm.json").read_text(encoding="utf-8"))
    assert issuer.endswith("/realms/" + realm["realm"])
    # The broker image carries the same Kafka version as the development broker's jars.
    assert services["kafka"]["image"] == f"apache/kafka:{kafka_version()}"
    assert kafka_version().startswith("4.1.")
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["prometheus"]["image"].startswith("prom/prometheus:")
    assert services["grafana"]["image"].startswith("grafana/grafana")
    for name in (*SERVICES, "kafka-init"):
        assert services[name]["image"] == "caseflow:local"
        assert services[name]["build"]["context"] == "."
        assert services[name]["build"]["dockerfile"] == "Dockerfile"


def _listeners(value: str) -> dict[str, tuple[str, int]]:
    found = {}
    for item in value.split(","):
        name, address = item.split("://")
        host, port = address.rsplit(":", 1)
        found[name] = (host, int(port))
    return found


def test_compose_kafka_is_a_consistent_single_kraft_node(compose: dict[str, Any]) -> None:
    env = compose["services"]["kafka"]["environment"]
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    listeners = _listeners(env["KAFKA_LISTENERS"])
    advertised = _listeners(env["KAFKA_ADVERTISED_LISTENERS"])
    protocol_map = dict(item.split(":") for item in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    controller = env["KAFKA_CONTROLLER_LISTENER_NAMES"]
    assert set(listeners) <= set(protocol_map)
    assert controller in listeners and controller not in advertised
    assert set(advertised) <= set(listeners)
    assert env["KAFKA_INTER_BROKER_LISTENER_NAME"] in advertised
    node_id, voter = env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split("@")
    assert int(node_id) == int(env["KAFKA_NODE_ID"])
    assert voter == f"kafka:{listeners[controller][1]}"
    for key in (
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
        "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR",
        "KAFKA_DEFAULT_REPLICATION_FACTOR",
        "KAFKA_MIN_INSYNC_REPLICAS",
    ):
        assert int(env[key]) == 1, key
    assert int(env["KAFKA_MESSAGE_MAX_BYTES"]) == MAX_MESSAGE_BYTES
    assert int(env["KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS"]) == 0
    assert str(env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"]).lower() == "false"
    # A cluster id is 16 bytes, base64url without padding.
    assert len(base64.urlsafe_b64decode(env["CLUSTER_ID"] + "==")) == 16
    # Every client in compose reaches an advertised listener.
    internal = {f"{host}:{port}" for host, port in advertised.values()}
    assert compose["services"]["kafka-init"]["environment"]["CASEFLOW_KAFKA_BOOTSTRAP"] in internal
    for service in SERVICES:
        assert compose["services"][service]["environment"][f"{service.upper()}_KAFKA_BOOTSTRAP"] in internal


def settings_fields(service: str) -> set[str]:
    """The settings a service reads (its own class when it exists, else the shared base)."""
    base = KeyHolderSettings if service in KEY_HOLDERS else ServiceSettings
    try:
        module = importlib.import_module(f"services.{service}.settings")
    except ImportError:
        return set(base.model_fields)
    classes = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, ServiceSettings)
        and value.model_config.get("env_prefix") == f"{service.upper()}_"
    ]
    assert len(classes) == 1, (
        f"services/{service}/settings.py: one settings class with prefix {service.upper()}_"
    )
    return set(classes[0].model_fields)


@pytest.mark.parametrize("service", SERVICES)
def test_compose_configures_each_service_through_its_prefixed_settings(
    compose: dict[str, Any], service: str
) -> None:
    spec = compose["services"][service]
    env: dict[str, str] = spec["environment"]
    prefix = f"{service.upper()}_"
    assert spec["command"] == ["serve", service]
    assert all(key.startswith(prefix) for key in env), "every variable carries the service's prefix"
    unknown = {key for key in env if key.removeprefix(prefix).lower() not in settings_fields(service)}
    assert unknown == set(), "variables that no settings field reads"
    assert env[f"{prefix}DATABASE_URL"].startswith(f"postgresql+asyncpg://{service}:")
    assert env[f"{prefix}DATABASE_URL"].endswith(f"@postgres:5432/{service}")
    assert env[f"{prefix}HTTP_HOST"] == "0.0.0.0"
    port = int(env[f"{prefix}HTTP_PORT"])
    assert port == 8001 + SERVICES.index(service)
    assert spec["ports"] == [f"127.0.0.1:{port}:{port}"]
    assert f"http://127.0.0.1:{port}/health" in " ".join(spec["healthcheck"]["test"])
    assert spec["read_only"] is True
    if service in KEY_HOLDERS:
        assert env[f"{prefix}KEYSTORE_URL"].startswith("postgresql+asyncpg://keystore:")
        assert env[f"{prefix}KEYSTORE_URL"].endswith("@postgres:5432/keystore")
        assert env[f"{prefix}MASTER_KEY"].startswith("${CASEFLOW_MASTER_KEY:?")
    else:
        assert f"{prefix}KEYSTORE_URL" not in env and f"{prefix}MASTER_KEY" not in env


def test_compose_starts_things_in_order_and_waits_for_health(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, spec in services.items():
        for dependency, rule in spec.get("depends_on", {}).items():
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], f"{name} waits for {dependency}'s health"
    assert services["kafka-init"]["depends_on"] == {"kafka": {"condition": "service_healthy"}}
    assert services["kafka-init"]["restart"] == "no"
    for name in SERVICES:
        assert services[name]["depends_on"] == {
            "kafka-init": {"condition": "service_completed_successfully"},
            "postgres": {"condition": "service_healthy"},
        }
        assert "healthcheck" in services[name]
    assert services["grafana"]["depends_on"]["prometheus"]["condition"] == "service_healthy"
    assert set(services["prometheus"]["depends_on"]) == set(SERVICES)


def test_compose_commits_no_secret(compose: dict[str, Any]) -> None:
    def values(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for value in node.values():
                yield from values(value)
        elif isinstance(node, list):
            for value in node:
                yield from values(value)
        elif isinstance(node, str):
            yield node

    for value in values(compose):
        try:
            decoded = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            continue
        assert len(decoded) != 32, f"{value!r} looks like a real key"
    postgres_env = compose["services"]["postgres"]["environment"]
    assert postgres_env["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    grafana_env = compose["services"]["grafana"]["environment"]
    assert grafana_env["GF_SECURITY_ADMIN_PASSWORD"].startswith("${GRAFANA_ADMIN_PASSWORD:?")
    for name in SERVICES:
        url = compose["services"][name]["environment"][f"{name.upper()}_DATABASE_URL"]
        assert ":${CASEFLOW_DB_PASSWORD:?" in url


def test_compose_mounts_the_files_that_exist(compose: dict[str, Any]) -> None:
    for name, spec in compose["services"].items():
        for volume in spec.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"
    prometheus_mounts = {v.split(":")[1] for v in compose["services"]["prometheus"]["volumes"]}
    # prometheus.yml loads its rule files relative to itself: they must be mounted beside it.
    for rule_file in load_yaml(ROOT / "deploy/prometheus/prometheus.yml")["rule_files"]:
        assert f"/etc/prometheus/{rule_file}" in prometheus_mounts


# -- Dockerfile -----------------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def test_dockerfile_builds_a_slim_non_root_image_with_the_caseflow_entrypoint() -> None:
    instructions = dockerfile_instructions()
    stages = [arg for op, arg in instructions if op == "FROM"]
    assert stages and all(stage.split()[0] == "python:3.11-slim" for stage in stages)
    final = instructions[max(i for i, (op, _) in enumerate(instructions) if op == "FROM") :]
    users = [arg for op, arg in final if op == "USER"]
    assert users, "the final stage sets a user"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    entrypoints = [arg for op, arg in final if op == "ENTRYPOINT"]
    assert json.loads(entrypoints[-1]) == ["caseflow"]
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^caseflow = "caseflow\.cli:main"$', pyproject, re.MULTILINE), (
        "the entrypoint is a project script"
    )
    runs = " ".join(arg for op, arg in instructions if op == "RUN")
    assert "requirements.lock" in runs and "pip install --no-deps ." in runs


def test_dockerfile_copies_only_what_exists_and_dockerignore_keeps_secrets_out() -> None:
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert {".env", ".git", ".venv"} <= ignored
    for op, arg in dockerfile_instructions():
        if op == "COPY" and "--from=" not in arg:
            *sources, _dest = arg.split()
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: no such path"
                assert source not in ignored, f"COPY {source}, but .dockerignore leaves it out"


# -- PostgreSQL init ------------------------------------------------------------------------------


def _psql(server: PostgresServer, password: str | None) -> subprocess.CompletedProcess[str]:
    assert server._bindir is not None
    env = {k: v for k, v in os.environ.items() if k != "CASEFLOW_DB_PASSWORD"}
    if password is not None:
        env["CASEFLOW_DB_PASSWORD"] = password
    return subprocess.run(
        [
            str(server._bindir / "psql"),
            "-X",
            "-q",
            "-h",
            "127.0.0.1",
            "-p",
            str(server.port),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-f",
            str(ROOT / "deploy/postgres/init.sql"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


async def _can_connect(server: PostgresServer, role: str, database: str) -> bool:
    import asyncpg

    try:
        conn = await asyncpg.connect(
            host="127.0.0.1", port=server.port, user=role, database=database, timeout=10
        )
    except asyncpg.InsufficientPrivilegeError:
        return False
    await conn.close()
    return True


def test_postgres_init_creates_one_database_per_service_and_the_key_store_each_closed_to_others() -> None:
    with PostgresServer() as server:
        refused = _psql(server, password=None)
        assert refused.returncode != 0, "no roles without a password"
        created = _psql(server, password="a-local-test-password")
        assert created.returncode == 0, created.stdout + created.stderr

        async def check() -> None:
            for owner in (*SERVICES, "keystore"):
                assert await _can_connect(server, owner, owner)
            assert not await _can_connect(server, "reporting", "keystore")
            assert not await _can_connect(server, "scheduling", "intake")
            assert not await _can_connect(server, "intake", "routing")

        asyncio.run(check())


# -- Kubernetes -----------------------------------------------------------------------------------


def k8s_documents() -> list[tuple[str, dict[str, Any]]]:
    documents = []
    for path in sorted(K8S.rglob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if document:
                documents.append((str(path.relative_to(K8S)), document))
    return documents


def by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for _, doc in k8s_documents() if doc["kind"] == kind}


OPERATOR_GROUP = "monitoring.coreos.com/"
KUBERNETES_VERSIONS = ("1.30.0", f"{kubernetes_validate.utils.latest_version()}.0")


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_kubernetes_manifest_validates_against_the_strict_schemas(version: str) -> None:
    documents = k8s_documents()
    assert len(documents) >= 20
    failures = []
    for path, document in documents:
        if document["apiVersion"].startswith(OPERATOR_GROUP):
            continue  # custom resources: test_the_prometheus_operator_resources_validate_against_their_crds
        try:
            kubernetes_validate.validate(document, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            failures.append(f"{path} {document['kind']}/{document['metadata']['name']}: {exc.message}")
    assert failures == []


def test_the_kubernetes_schemas_reject_a_misspelled_field() -> None:
    deployment = json.loads(json.dumps(by_kind("Deployment")["caseflow-intake"]))
    deployment["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[-1], strict=True)


def test_kustomization_lists_every_manifest() -> None:
    kustomization = load_yaml(K8S / "kustomization.yaml")
    top_level = {p.name for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml"}
    assert set(kustomization["resources"]) == top_level


def consumed_topics(service: str) -> list[str]:
    return next(acl.read for acl in load_acls() if acl.service == service)


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_never_runs_more_pods_than_its_topics_have_partitions(service: str) -> None:
    partitions = {spec.name: spec.partitions for spec in load_topic_specs()}
    limit = min(partitions[topic] for topic in consumed_topics(service))
    deployment = by_kind("Deployment")[f"caseflow-{service}"]
    hpa = by_kind("HorizontalPodAutoscaler")[f"caseflow-{service}"]
    assert deployment["spec"]["replicas"] <= limit
    assert hpa["spec"]["minReplicas"] <= deployment["spec"]["replicas"] <= hpa["spec"]["maxReplicas"] <= limit
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": f"caseflow-{service}",
    }
    (metric,) = hpa["spec"]["metrics"]
    assert metric["type"] == "External"
    assert metric["external"]["metric"] == {
        "name": "caseflow_consumer_lag_messages",
        "selector": {"matchLabels": {"service": service}},
    }
    pdb = by_kind("PodDisruptionBudget")[f"caseflow-{service}"]
    assert pdb["spec"]["selector"] == deployment["spec"]["selector"]


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_pod_is_locked_down_probed_and_bounded(service: str) -> None:
    deployment = by_kind("Deployment")[f"caseflow-{service}"]
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["automountServiceAccountToken"] is False
    (container,) = pod["containers"]
    assert container["args"] == ["serve", service]
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert set(container["resources"]) == {"requests", "limits"}
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    port = container["ports"][0]["containerPort"]
    config = by_kind("ConfigMap")[f"caseflow-{service}-config"]["data"]
    assert int(config[f"{service.upper()}_HTTP_PORT"]) == port
    assert config[f"{service.upper()}_CONSUMER_GROUP"] == f"caseflow-{service}"
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(port)
    assert (
        by_kind("Service")[f"caseflow-{service}"]["spec"]["selector"]
        == deployment["spec"]["selector"]["matchLabels"]
    )


@pytest.mark.parametrize("service", SERVICES)
def test_k8s_config_and_secrets_feed_the_prefixed_settings_and_hold_only_placeholders(service: str) -> None:
    prefix = f"{service.upper()}_"
    config = by_kind("ConfigMap")[f"caseflow-{service}-config"]["data"]
    secret = by_kind("Secret")[f"caseflow-{service}-secrets"]["stringData"]
    assert set(config).isdisjoint(secret)
    names = set(config) | set(secret)
    assert all(name.startswith(prefix) for name in names)
    unknown = {name for name in names if name.removeprefix(prefix).lower() not in settings_fields(service)}
    assert unknown == set()
    assert all("REPLACE_ME" in value for value in secret.values())
    holds_keys = {f"{prefix}MASTER_KEY", f"{prefix}KEYSTORE_URL"} <= set(secret)
    assert holds_keys == (service in KEY_HOLDERS)
    if holds_keys:
        with pytest.raises(ValueError):
            parse_master_key(secret[f"{prefix}MASTER_KEY"])
    assert not any("MASTER_KEY" in name or "KEYSTORE" in name for name in config)


# -- Kubernetes: what users reach (Ingress), what Prometheus reads, reporting's organisation file ---

# Routes no user reaches from outside: probes, metrics, the API documents, the case file (the
# workbench's, inside the cluster) and the directory status (stacks and tests wait on it).
INTERNAL_ROUTES = {
    "intake": {"/health", "/ready", "/metrics", "/openapi.json", "/v1/directory", "/v1/cases/{case_id}",
               "/v1/cases/{case_id}/messages", "/v1/cases/{case_id}/facts"},
    "routing": {"/health", "/ready", "/metrics", "/openapi.json"},
    "scheduling": {"/health", "/ready", "/metrics", "/openapi.json"},
    "reporting": {"/health", "/ready", "/metrics", "/openapi.json"},
    "workbench": {"/health", "/ready", "/metrics", "/openapi.json"},
}  # fmt: skip
HOSTS = {"public": "vertrouwenspersoon.example.org", "workbench": "workbench.example.org"}
HOST_OF = {"intake": "public", "scheduling": "public", "reporting": "public", "workbench": "workbench"}


@pytest.fixture(scope="module")
def route_tables() -> dict[str, set[str]]:
    """Every HTTP path each service's app serves, from the app itself (not from a list here)."""
    from starlette.routing import Route

    env = {"INTAKE_MASTER_KEY": base64.b64encode(bytes(32)).decode(), "ROUTING_MASTER_KEY": base64.b64encode(bytes(32)).decode()}  # fmt: skip
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        tables = {}
        for service in SERVICES:
            app = importlib.import_module(f"services.{service}.app").create_runtime().asgi_app()
            tables[service] = {route.path for route in app.routes if isinstance(route, Route)}
        return tables
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def ingress_backend(host: str, path: str) -> str | None:
    """The Service an Ingress sends `path` on `host` to, with Kubernetes' matching rules: Exact is
    the whole path; Prefix matches whole path elements; the longest match wins."""
    best: tuple[int, str] | None = None
    for ingress in by_kind("Ingress").values():
        for rule in ingress["spec"]["rules"]:
            if rule["host"] != host:
                continue
            for candidate in rule["http"]["paths"]:
                p, kind = candidate["path"], candidate["pathType"]
                if kind == "Exact":
                    hit = path == p
                else:
                    assert kind == "Prefix", kind
                    hit = p == "/" or path == p or path.startswith(p.rstrip("/") + "/")
                if hit and (best is None or len(p) > best[0]):
                    best = (len(p), candidate["backend"]["service"]["name"])
    return best[1] if best else None


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def test_every_route_a_user_needs_is_behind_the_ingress_and_no_other(
    route_tables: dict[str, set[str]],
) -> None:
    assert route_tables["workbench"] >= {"/zaken/{case_id}", "/wachtrij", "/auth/callback"}  # the walk works
    missing, exposed = [], []
    for service, paths in route_tables.items():
        internal = INTERNAL_ROUTES[service]
        for path in paths:
            routed = {name: ingress_backend(host, concrete(path)) for name, host in HOSTS.items()}
            if path in internal:
                exposed += [f"{service} {path} on {name}" for name, to in routed.items() if to is not None]
            elif routed.get(HOST_OF.get(service, "")) != f"caseflow-{service}":
                missing.append(f"{service} {path}: {routed}")
    assert missing == [], "routes users need that no Ingress path reaches (or reaches elsewhere)"
    assert exposed == [], "internal routes an Ingress path exposes"
    assert route_tables["routing"] <= INTERNAL_ROUTES["routing"]  # routing has no user-facing page


def test_the_ingresses_use_tls_a_class_and_services_that_exist() -> None:
    services = by_kind("Service")
    for name, ingress in by_kind("Ingress").items():
        spec = ingress["spec"]
        assert spec["ingressClassName"] == "nginx", name
        hosts = {rule["host"] for rule in spec["rules"]}
        assert hosts == {h for tls in spec["tls"] for h in tls["hosts"]}, name
        for rule in spec["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                ports = {p["name"] for p in services[backend["name"]]["spec"]["ports"]}
                assert backend["port"]["name"] in ports, (name, path["path"])
    # Nobody's visit to the follow-up page is written down at the edge.
    public = by_kind("Ingress")["caseflow-public"]["metadata"]["annotations"]
    assert public["nginx.ingress.kubernetes.io/enable-access-log"] == "false"
    config = by_kind("ConfigMap")["caseflow-workbench-config"]["data"]
    assert config["WORKBENCH_PUBLIC_URL"] == f"https://{HOSTS['workbench']}"


def test_the_network_policies_admit_the_ingress_controller_to_every_ingress_backend_only() -> None:
    backends = {
        path["backend"]["service"]["name"]
        for ingress in by_kind("Ingress").values()
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    policies = by_kind("NetworkPolicy")
    admitted = set()
    for service in SERVICES:
        for rule in policies[f"caseflow-{service}"]["spec"]["ingress"]:
            if any(
                p.get("namespaceSelector", {}).get("matchLabels")
                == {"kubernetes.io/metadata.name": "ingress-nginx"}
                for p in rule["from"]
            ):
                admitted.add(f"caseflow-{service}")
    assert (
        admitted
        == backends
        == {"caseflow-intake", "caseflow-scheduling", "caseflow-reporting", "caseflow-workbench"}
    )


def crd_schema(plural: str) -> dict[str, Any]:
    """The CRD's openAPIV3Schema made strict: an object that lists its properties takes no others
    (what `kubectl apply --validate=strict` reports as an unknown field)."""
    crd = load_yaml(ROOT / f"tests/support/schemas/prometheus-operator/monitoring.coreos.com_{plural}.yaml")
    (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1"]
    schema: dict[str, Any] = version["schema"]["openAPIV3Schema"]

    def strict(node: Any) -> None:
        if isinstance(node, dict):
            pattern = node.get("pattern")
            if isinstance(pattern, str) and "(?i)" in pattern:  # Go's regexp allows flags mid-pattern
                node["pattern"] = "(?i)" + pattern.replace("(?i)", "")
            if (
                "properties" in node
                and "additionalProperties" not in node
                and not node.get("x-kubernetes-preserve-unknown-fields")
            ):
                node["additionalProperties"] = False
            for value in node.values():
                strict(value)
        elif isinstance(node, list):
            for value in node:
                strict(value)

    strict(schema)
    return schema


OPERATOR_PLURALS = {"ServiceMonitor": "servicemonitors", "PrometheusRule": "prometheusrules"}


def test_the_prometheus_operator_resources_validate_against_their_crds() -> None:
    found = [(path, doc) for path, doc in k8s_documents() if doc["apiVersion"].startswith(OPERATOR_GROUP)]
    assert sorted(doc["kind"] for _, doc in found) == ["PrometheusRule", "ServiceMonitor"]
    for path, doc in found:
        # Kubernetes' structural schemas are OpenAPI 3.0 schemas: JSON Schema draft 4 with extensions.
        validator = jsonschema.Draft4Validator(crd_schema(OPERATOR_PLURALS[doc["kind"]]))
        assert [e.message for e in validator.iter_errors(doc)] == [], path
        broken = json.loads(json.dumps(doc))
        broken["spec"]["jobLabell" if doc["kind"] == "ServiceMonitor" else "groupz"] = "x"
        assert not validator.is_valid(broken)


def test_the_servicemonitor_scrapes_every_service_under_its_compose_job_name() -> None:
    (monitor,) = [d for _, d in k8s_documents() if d["kind"] == "ServiceMonitor"]
    spec = monitor["spec"]
    selected = [
        svc for svc in by_kind("Service").values()
        if spec["selector"]["matchLabels"].items() <= svc["metadata"]["labels"].items()
    ]  # fmt: skip
    jobs = {svc["metadata"]["labels"][spec["jobLabel"]] for svc in selected}
    compose_jobs = {
        job["job_name"] for job in load_yaml(ROOT / "deploy/prometheus/prometheus.yml")["scrape_configs"]
    }
    assert jobs == set(SERVICES) and jobs <= compose_jobs
    (endpoint,) = spec["endpoints"]
    assert endpoint["path"] == "/metrics"
    # The operator's target label `service` (the Service's name) must not rename the services' own
    # `service` label, which the autoscalers' External metric selects on (service: intake).
    assert endpoint["honorLabels"] is True
    assert all(endpoint["port"] in {p["name"] for p in svc["spec"]["ports"]} for svc in selected)
    # The alerts and the dashboard name exactly these jobs, so they read compose and Kubernetes alike.
    dashboard = (ROOT / "deploy/grafana/dashboards/caseflow-overview.json").read_text(encoding="utf-8")
    alerts = (ROOT / "deploy/prometheus/alerts.yml").read_text(encoding="utf-8")
    for text in (dashboard, alerts):
        for selector in re.findall(r'up\{job=~\\?"([^"\\]+)\\?"\}', text):
            assert set(selector.split("|")) == jobs, selector


def test_the_prometheusrule_is_alerts_yml_regenerated() -> None:
    from devinfra.prometheus import PROMETHEUS_RULE_YAML, prometheus_rule_manifest

    assert PROMETHEUS_RULE_YAML.read_text(encoding="utf-8") == prometheus_rule_manifest(), (
        "deploy/k8s/monitoring/prometheusrule.yaml is stale: run `python -m devinfra.prometheus prometheus-rule`"
    )
    (rule,) = [d for _, d in k8s_documents() if d["kind"] == "PrometheusRule"]
    assert rule["spec"]["groups"] == load_yaml(ROOT / "deploy/prometheus/alerts.yml")["groups"]


def test_reporting_reads_the_organisation_file_in_compose_and_kubernetes(compose: dict[str, Any]) -> None:
    from services.reporting.adapters.organisation import load_organisation

    sample = K8S / "organisation.json"
    organisation = load_organisation(sample)
    directory = json.loads((ROOT / "deploy/samples/directory.json").read_text(encoding="utf-8"))
    assert set(organisation.units) == {u["unit_id"] for u in directory["units"]}
    assert organisation.organisation_name("min-bzk") == "Binnenlandse Zaken"
    assert set(json.loads(sample.read_text(encoding="utf-8"))) == {"units", "advisors"}  # no persons
    # Kubernetes: generated ConfigMap, mounted where the setting points.
    (generator,) = load_yaml(K8S / "kustomization.yaml")["configMapGenerator"]
    assert generator == {"name": "caseflow-organisation", "files": ["organisation.json"]}
    setting = Path(by_kind("ConfigMap")["caseflow-reporting-config"]["data"]["REPORTING_ORGANISATION_FILE"])
    pod = by_kind("Deployment")["caseflow-reporting"]["spec"]["template"]["spec"]
    volume = next(v for v in pod["volumes"] if v.get("configMap", {}).get("name") == "caseflow-organisation")
    (mount,) = [m for m in pod["containers"][0]["volumeMounts"] if m["name"] == volume["name"]]
    assert (Path(mount["mountPath"]) / "organisation.json", mount["readOnly"]) == (setting, True)
    # Compose: the same file, mounted read-only where the setting points.
    reporting = compose["services"]["reporting"]
    path = reporting["environment"]["REPORTING_ORGANISATION_FILE"]
    assert f"./deploy/k8s/organisation.json:{path}:ro" in reporting["volumes"]


def test_each_service_has_a_schema_upgrade_job_with_its_own_settings_only() -> None:
    jobs = {name: job for name, job in by_kind("Job").items() if name.startswith("caseflow-db-upgrade-")}
    assert set(jobs) == {f"caseflow-db-upgrade-{service}" for service in SERVICES}
    services = by_kind("Service").values()
    policy = by_kind("NetworkPolicy")["caseflow-db-upgrade"]["spec"]
    for service in SERVICES:
        pod = jobs[f"caseflow-db-upgrade-{service}"]["spec"]["template"]
        (container,) = pod["spec"]["containers"]
        assert container["args"] == ["db", "upgrade", service]
        assert container["envFrom"] == [
            {"configMapRef": {"name": f"caseflow-{service}-config"}},
            {"secretRef": {"name": f"caseflow-{service}-secrets"}},
        ]
        labels = pod["metadata"]["labels"]
        assert policy["podSelector"]["matchLabels"].items() <= labels.items()
        # No Service sends traffic to a Job's pod, no Deployment counts it as one of its own.
        assert not any(svc["spec"]["selector"].items() <= labels.items() for svc in services)
        assert (
            pod["spec"]["restartPolicy"] == "Never" and container["securityContext"]["readOnlyRootFilesystem"]
        )
    assert policy["ingress"] == []


def test_network_policies_deny_by_default_and_open_the_key_store_to_key_holders_only() -> None:
    policies = by_kind("NetworkPolicy")
    assert policies["default-deny"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    for service in SERVICES:
        policy = policies[f"caseflow-{service}"]["spec"]
        assert policy["podSelector"] == by_kind("Deployment")[f"caseflow-{service}"]["spec"]["selector"]
        egress_targets = {
            peer["podSelector"]["matchLabels"].get(
                "app.kubernetes.io/name", peer["podSelector"]["matchLabels"].get("k8s-app")
            )
            for rule in policy["egress"]
            for peer in rule["to"]
            if "podSelector" in peer
        }
        outside = [peer for rule in policy["egress"] for peer in rule["to"] if "podSelector" not in peer]
        expected = {"kube-dns", "kafka", "postgres"} | (
            {"keystore-postgres"} if service in KEY_HOLDERS else set()
        )
        if service == "workbench":  # the case file, the role views; the OIDC provider, the mail server
            expected |= {"caseflow-intake", "caseflow-reporting"}
            assert [set(peer) for peer in outside] == [{"ipBlock"}]
        else:
            assert outside == []
        assert egress_targets == expected
        ingress_from = [peer for rule in policy["ingress"] for peer in rule["from"]]
        assert any(
            p.get("podSelector", {}).get("matchLabels") == {"app.kubernetes.io/name": "prometheus"}
            for p in ingress_from
        )
        from_workbench = {"app.kubernetes.io/name": "caseflow-workbench"} in [
            p.get("podSelector", {}).get("matchLabels") for p in ingress_from
        ]
        assert from_workbench == (service in ("intake", "reporting"))


# -- Kafka topics and ACLs ------------------------------------------------------------------------


def test_topics_yaml_covers_every_catalogue_topic_and_its_dead_letter_twin() -> None:
    specs = {spec.name: spec for spec in load_topic_specs()}
    expected = {t.name for t in ALL_TOPICS} | {dlq_of(t.name) for t in ALL_TOPICS}
    assert set(specs) == expected
    for topic in ALL_TOPICS:
        spec, dlq = specs[topic.name], specs[dlq_of(topic.name)]
        assert spec.partitions == topic.partitions
        assert spec.retention == topic.retention
        assert dlq.retention == "forever"
        for each in (spec, dlq):
            assert int(each.config["min.insync.replicas"]) < each.replication_factor, "one broker may fail"
            assert int(each.config["max.message.bytes"]) == MAX_MESSAGE_BYTES
            if each.retention == "forever":
                assert each.config["cleanup.policy"] == "delete" and each.config["retention.ms"] == "-1"
            elif each.retention == "7d":
                assert (
                    each.config["cleanup.policy"] == "delete" and each.config["retention.ms"] == "604800000"
                )
            else:
                assert each.config["cleanup.policy"] == "compact"


def test_a_single_node_gets_replication_factor_one_and_a_matching_min_isr() -> None:
    for spec in load_topic_specs("p.", replication_factor=1):
        assert spec.name.startswith("p.")
        assert spec.replication_factor == 1 and spec.config["min.insync.replicas"] == "1"


def test_acls_grant_each_service_its_topics_and_keep_personal_topics_from_reporting() -> None:
    known = {spec.name for spec in load_topic_specs()}
    acls = load_acls()
    for acl in acls:
        assert set(acl.read) | set(acl.write) <= known, acl.principal
    services = {acl.service: acl for acl in acls if acl.service}
    assert set(services) == set(SERVICES)
    for service, acl in services.items():
        assert acl.principal == f"User:caseflow-{service}"
        assert acl.groups[0][0] == f"caseflow-{service}"
        assert {dlq_of(topic) for topic in acl.read} <= set(acl.write), (
            "a consumer dead-letters what it reads"
        )
        owned = {t.name for t in ALL_TOPICS if t.owner == service}
        assert owned <= set(acl.write), "a service writes the topics it owns"
    assert {"intake.submissions.v1", "directory.v1"}.isdisjoint(services["reporting"].read)
    # Person pseudonyms are routing's alone: the others read the directory's narrow copies.
    assert [s for s, a in services.items() if "directory.v1" in a.read] == ["routing"]
    assert {"directory.advisors.v1", "directory.units.v1"} <= set(services["intake"].read)
    assert "directory.advisors.v1" in services["scheduling"].read
    commands = acl_commands("kafka:9093", command_config="admin.properties")
    grants = sum(len(a.read) + len(a.write) + len(a.groups) for a in acls)
    assert len(commands) == grants + 2  # + the admin's cluster and topic grants
    assert all(cmd[:3] == ["kafka-acls.sh", "--bootstrap-server", "kafka:9093"] for cmd in commands)


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_consumes_only_topics_its_kafka_principal_may_read(service: str) -> None:
    try:
        app = importlib.import_module(f"services.{service}.app")
    except ModuleNotFoundError as exc:
        if exc.name != f"services.{service}.app":
            raise
        pytest.skip(f"services/{service}/app.py does not exist yet")
    runtime = app.create_runtime()  # builds the subscriber; connects to nothing
    acl = next(acl for acl in load_acls() if acl.service == service)
    assert set(runtime.subscriber.topic_names) <= set(acl.read)
    assert runtime.subscriber.group_id == acl.groups[0][0] == f"caseflow-{service}"


async def test_applying_topics_yaml_creates_every_topic_with_its_retention(
    kafka_bootstrap: str, unique_topic: str
) -> None:
    # One topic exists beforehand with the wrong retention: apply reports it, --alter fixes it.
    drifted = f"{unique_topic}intake.submissions.v1"
    await create_topics(kafka_bootstrap, [drifted], partitions=3, config={"retention.ms": "1000"})

    first = await apply_topics(kafka_bootstrap, unique_topic, replication_factor=1)

    specs = load_topic_specs(unique_topic, replication_factor=1)
    assert set(first.created) == {s.name for s in specs} - {drifted}
    assert first.existing == [drifted]
    assert first.drift[drifted]["retention.ms"] == ("1000", "604800000")
    configs = await describe_topic_configs(kafka_bootstrap, [s.name for s in specs])
    for spec in specs:
        if spec.name == drifted:
            continue
        for key in ("cleanup.policy", "retention.ms", "min.insync.replicas", "max.message.bytes"):
            if key in spec.config:
                assert configs[spec.name][key] == spec.config[key], (spec.name, key)
    assert configs[f"{unique_topic}directory.v1"]["cleanup.policy"] == "compact"
    assert configs[f"{unique_topic}intake.cases.v1"]["retention.ms"] == "-1"

    fixed = await apply_topics(kafka_bootstrap, unique_topic, replication_factor=1, alter=True)
    assert fixed.created == [] and fixed.altered == [drifted]
    again = await apply_topics(kafka_bootstrap, unique_topic, replication_factor=1)
    assert again.drift == {} and sorted(again.existing) == sorted(s.name for s in specs)


async def test_applying_topics_yaml_reports_a_topic_created_with_too_few_partitions(
    kafka_bootstrap: str, unique_topic: str
) -> None:
    # A client that auto-creates a topic before apply runs gets one partition and broker defaults.
    early = f"{unique_topic}routing.alerts.v1"
    await create_topics(kafka_bootstrap, [early], partitions=1)

    report = await apply_topics(kafka_bootstrap, unique_topic, replication_factor=1, alter=True)

    assert report.partition_drift == {early: (1, 3)}
    assert early in report.existing and early not in report.created
    # Partitions are left alone (adding them moves keys): that is a migration, not an apply.
    again = await apply_topics(kafka_bootstrap, unique_topic, replication_factor=1)
    assert again.partition_drift == {early: (1, 3)}


# -- Prometheus and Grafana -----------------------------------------------------------------------


def test_prometheus_scrapes_each_compose_service_on_its_port(compose: dict[str, Any]) -> None:
    config = load_yaml(ROOT / "deploy/prometheus/prometheus.yml")
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    for service in SERVICES:
        port = compose["services"][service]["environment"][f"{service.upper()}_HTTP_PORT"]
        assert jobs[service]["static_configs"] == [{"targets": [f"{service}:{port}"]}]
        assert jobs[service]["metrics_path"] == "/metrics"


def alert_rules() -> list[dict[str, Any]]:
    groups = load_yaml(ROOT / "deploy/prometheus/alerts.yml")["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def test_alerts_use_known_metrics_and_carry_severity_and_annotations() -> None:
    rules = alert_rules()
    names = {rule["alert"] for rule in rules}
    assert {
        "ServiceDown",
        "ConsumerLagHigh",
        "ConsumerStuck",
        "DLQGrowing",
        "EscalationsWaiting",
        "LegalDeadlineAtRisk",
        "LegalDeadlineOverdue",
        "OutboxBacklog",
    } <= names
    operations = (ROOT / "docs/operations.md").read_text(encoding="utf-8")
    for rule in rules:
        used = metric_names(rule["expr"])
        assert used and used <= KNOWN_METRICS, (rule["alert"], used - KNOWN_METRICS)
        assert rule["labels"]["severity"] in {"critical", "warning"}
        assert {"summary", "description"} <= set(rule["annotations"])
        assert f"### {rule['alert']}" in operations, f"docs/operations.md says what to do for {rule['alert']}"


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        (ROOT / "deploy/grafana/dashboards/caseflow-overview.json").read_text(encoding="utf-8")
    )
    return document


def test_every_dashboard_panel_queries_known_metrics(dashboard: dict[str, Any]) -> None:
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert panels
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in panels:
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            used = metric_names(target["expr"])
            assert used and used <= KNOWN_METRICS, (panel["title"], used - KNOWN_METRICS)


def test_the_dashboard_shows_what_operators_and_coordinators_watch(dashboard: dict[str, Any]) -> None:
    exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p.get("targets", []))
    shown = metric_names(exprs)
    assert {
        "caseflow_intake_cases_opened_total",
        "caseflow_routing_decisions_total",
        "caseflow_routing_escalations_waiting",
        "caseflow_routing_reassignments_total",
        "caseflow_scheduling_outcomes_total",
        "caseflow_intake_submissions_rejected_total",
        "caseflow_dlq_records_total",
        "caseflow_outbox_backlog_events",
        "caseflow_consumer_lag_messages",
        "caseflow_intake_to_assignment_seconds",
    } <= shown
    assert "histogram_quantile(0.5," in exprs and "histogram_quantile(0.99," in exprs
    assert "by (channel)" in exprs


def test_grafana_provisioning_points_at_the_dashboard_and_the_prometheus_datasource(
    compose: dict[str, Any], dashboard: dict[str, Any]
) -> None:
    provisioning = ROOT / "deploy/grafana/provisioning"
    (datasource,) = load_yaml(provisioning / "datasources/prometheus.yml")["datasources"]
    assert datasource["type"] == "prometheus" and datasource["url"] == "http://prometheus:9090"
    uids = {t["datasource"]["uid"] for p in dashboard["panels"] for t in p.get("targets", [])}
    assert uids == {datasource["uid"]}
    (provider,) = load_yaml(provisioning / "dashboards/caseflow.yml")["providers"]
    mounts = dict(v.split(":")[:2] for v in compose["services"]["grafana"]["volumes"])
    assert mounts["./deploy/grafana/dashboards"] == provider["options"]["path"]
    assert mounts["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"


ALLOWED_LABELS = {
    "service",
    "topic",
    "outcome",
    "reason",
    "channel",
    "kind",
    "deadline",
    "event",  # an event type name (MeetingsNotPlanned): a closed set of contract names
    "le",
    "job",
    "instance",
}


def label_names(expr: str) -> set[str]:
    """Label names an expression groups by or matches on."""
    names = set()
    for group in re.findall(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)", expr):
        names |= {n.strip() for n in group.split(",") if n.strip()}
    for matchers in re.findall(r"\{([^}]*)\}", re.sub(r'"[^"]*"', '""', expr)):
        for matcher in matchers.split(","):
            found = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)", matcher)
            if found:
                names.add(found.group(1))
    return names


def test_alerts_and_dashboard_use_only_code_labels_never_ids() -> None:
    # Labels are closed code sets: an id or a personal field as a label is a leak and a cardinality bomb.
    assert label_names('sum by (case_id) (x{advisor_id="1", topic!~"a"})') == {
        "case_id",
        "advisor_id",
        "topic",
    }
    exprs = [rule["expr"] for rule in alert_rules()]
    document = json.loads(
        (ROOT / "deploy/grafana/dashboards/caseflow-overview.json").read_text(encoding="utf-8")
    )
    exprs += [t["expr"] for p in document["panels"] for t in p.get("targets", [])]
    for expr in exprs:
        assert label_names(expr) <= ALLOWED_LABELS, expr

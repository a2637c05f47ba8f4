"""Configuration: one prefixed BaseSettings class per service (INTAKE_, ROUTING_, ...).

Shared fields live here; a service subclasses `ServiceSettings` and sets its env prefix. Kafka
security (SASL/SCRAM, TLS) is configuration only, so the same build runs on a developer's
plaintext broker and a production cluster.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CASEFLOW_", extra="ignore")

    kafka_bootstrap: str = "127.0.0.1:9092"
    # Prepended to every topic name: lets tests and parallel demos share one broker.
    topic_prefix: str = ""
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"] = "SCRAM-SHA-512"
    kafka_sasl_username: str = ""
    kafka_sasl_password: SecretStr = SecretStr("")
    kafka_ssl_cafile: str = ""
    consumer_group: str = ""  # default: "caseflow-<service>"
    max_batch: int = Field(500, ge=1, le=10_000)
    # How long the consumer waits for a batch to fill after an empty poll (FastStream sleeps as long
    # again before the next poll): the floor under every hop's latency when the topic is quiet.
    batch_wait_ms: int = Field(15, ge=1, le=1_000)

    database_url: str = "sqlite+aiosqlite:///./var/service.db"
    http_host: str = "127.0.0.1"
    http_port: int = 0  # 0: pick a free port (printed at start-up)
    log_level: str = "INFO"
    log_json: bool | None = None
    # A consumer that makes no progress for this long while it lags is reported unhealthy.
    stuck_after_seconds: float = 30.0
    # /ready turns 503 when the broker or a database has not answered for this long, or when the
    # outbox relay has not finished a flush for `outbox_grace_seconds` (shared/readiness.py). Each
    # is asked every `readiness_interval_seconds`, so a broker that goes away makes the instance
    # unready within about this grace (3 s: under the 5 s issue 15 asks, measured in
    # tests/e2e/test_readiness_when_the_broker_stops.py), yet one slow answer is not an outage.
    broker_grace_seconds: float = Field(3.0, gt=0)
    outbox_grace_seconds: float = Field(30.0, gt=0)
    readiness_interval_seconds: float = Field(1.0, gt=0)
    # The largest HTTP request body, in bytes, checked while it streams in (shared/http_limits.py):
    # per exact path, and the default for every other path. Setting the per-path map (JSON in the
    # environment) replaces the service's defaults for it.
    http_max_body_bytes: int = Field(64 * 1024, ge=0)
    http_max_body_bytes_by_path: dict[str, int] = Field(default_factory=dict)


class KeyHolderSettings(ServiceSettings):
    """Services that may seal or open case data (intake, routing) also reach the key store."""

    keystore_url: str = "sqlite+aiosqlite:///./var/keystore.db"
    master_key: SecretStr = SecretStr("")  # base64 of 32 bytes; required outside tests and the demo
    # During a master key rotation only: the old key(s), base64, comma-separated. They open rows not
    # yet re-wrapped by `caseflow keys rotate`; the current `master_key` wraps every new key.
    previous_master_keys: SecretStr = SecretStr("")
    key_cache_seconds: float = 30.0

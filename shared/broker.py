"""A FastStream Kafka broker with safe defaults, and the subscriber that feeds an EventPipeline.

FastStream's defaults are unsafe for an event log (ARCHITECTURE.md): subscribers ACK_FIRST
(auto-commit before the handler runs) and the producer uses acks=1 without idempotence. Here the
producer waits for all in-sync replicas and is idempotent, and subscribers use MANUAL
acknowledgement: the offset is committed only after the pipeline committed its transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.protocol.metadata import MetadataRequest
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from prometheus_client import CollectorRegistry

from shared.pipeline import EventPipeline
from shared.settings import ServiceSettings

# Raw submissions may legitimately be large (attachments are not accepted, but a long narrative is);
# the broker is configured for 10 MB messages, the producer matches it.
MAX_REQUEST_BYTES = 10 * 1024 * 1024


def kafka_security(settings: ServiceSettings) -> BaseSecurity | None:
    proto = settings.kafka_security_protocol
    if proto == "PLAINTEXT":
        return None
    use_ssl = proto.endswith("SSL")
    ctx = ssl.create_default_context(cafile=settings.kafka_ssl_cafile or None) if use_ssl else None
    if proto == "SSL":
        return BaseSecurity(ssl_context=ctx, use_ssl=True)
    user, password = settings.kafka_sasl_username, settings.kafka_sasl_password.get_secret_value()
    cls: Any = {"SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512, "PLAIN": SASLPlaintext}[
        settings.kafka_sasl_mechanism
    ]
    security: BaseSecurity = cls(username=user, password=password, ssl_context=ctx, use_ssl=use_ssl)
    return security


def aiokafka_security_options(s: ServiceSettings) -> dict[str, Any]:
    """The keyword arguments that give a plain aiokafka client the configured TLS/SASL settings."""
    extra: dict[str, Any] = {}
    if s.kafka_security_protocol != "PLAINTEXT":
        extra["security_protocol"] = s.kafka_security_protocol
        if s.kafka_security_protocol.endswith("SSL"):
            extra["ssl_context"] = ssl.create_default_context(cafile=s.kafka_ssl_cafile or None)
        if s.kafka_security_protocol.startswith("SASL"):
            extra.update(
                sasl_mechanism=s.kafka_sasl_mechanism,
                sasl_plain_username=s.kafka_sasl_username,
                sasl_plain_password=s.kafka_sasl_password.get_secret_value(),
            )
    return extra


def bootstrap_servers(bootstrap: str) -> list[str]:
    """`host:port,host:port` as a list: FastStream takes a string for one server only (it wraps
    it in a list whole), while a production cluster is named by several brokers."""
    return [server.strip() for server in bootstrap.split(",") if server.strip()]


def make_broker(settings: ServiceSettings, *, service: str, registry: CollectorRegistry) -> KafkaBroker:
    return KafkaBroker(
        bootstrap_servers(settings.kafka_bootstrap),
        client_id=f"caseflow-{service}",
        acks="all",
        enable_idempotence=True,
        max_request_size=MAX_REQUEST_BYTES,
        request_timeout_ms=30_000,
        security=kafka_security(settings),
        # Topics are created by `topics apply` with their partitions and retention (deploy/kafka/
        # topics.yaml); a subscriber that auto-created them would get 1 partition and the broker's
        # default retention, which would drop events meant to be kept forever.
        allow_auto_create_topics=False,
        middlewares=[
            KafkaPrometheusMiddleware(registry=registry, app_name=service, metrics_prefix="faststream")
        ],
        logger=None,  # structlog carries our own records; FastStream's per-message logs would be noise
    )


async def _raw_batch_decoder(msg: Any, _original: Any) -> Any:
    # The pipeline decodes each record itself (so a poison record becomes a DLQ record, not a
    # handler exception); FastStream only hands over the raw records.
    return [r.value for r in msg.raw_message]


def attach_pipeline(
    broker: KafkaBroker,
    pipeline: Callable[[], EventPipeline],
    *,
    topics: list[str],
    group_id: str,
    max_records: int = 500,
    batch_wait_ms: int = 15,
    title: str | None = None,
    description: str | None = None,
) -> Any:
    """Register one batch subscriber for `topics` (physical names) that runs the pipeline.

    `pipeline` is looked up per batch: the subscriber is declared when the app is composed (so the
    AsyncAPI document can be generated without connecting), the pipeline exists once it started.
    """
    subscriber = broker.subscriber(
        *topics,
        group_id=group_id,
        batch=True,
        max_records=max_records,
        batch_timeout_ms=batch_wait_ms,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.MANUAL,
        decoder=_raw_batch_decoder,
        max_partition_fetch_bytes=MAX_REQUEST_BYTES,
        fetch_max_bytes=4 * MAX_REQUEST_BYTES,
        title=title,
        description=description,
    )

    @subscriber
    async def consume(body: list[bytes], msg: KafkaMessage) -> None:
        await pipeline().process_records(msg.raw_message)
        await msg.ack()

    return subscriber


class RelayProducer:
    """The outbox relay's own aiokafka producer: acks=all, idempotent, recreated after a failure.

    The relay publishes pre-serialised outbox rows, so it bypasses FastStream's per-message
    publish pipeline (a measured third of intake's CPU). A producer that failed is replaced:
    aiokafka's idempotent producer can stay stuck on OutOfOrderSequenceNumber after an outage
    (aio-libs/aiokafka#1017), and `stop()` can hang while the broker is down (#1101).
    """

    def __init__(self, settings: ServiceSettings, *, client_id: str) -> None:
        self._settings = settings
        self._client_id = client_id
        self._producer: AIOKafkaProducer | None = None

    def _build(self) -> AIOKafkaProducer:
        s = self._settings
        extra = aiokafka_security_options(s)
        return AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers(s.kafka_bootstrap),
            client_id=self._client_id,
            acks="all",
            enable_idempotence=True,
            max_request_size=MAX_REQUEST_BYTES,
            linger_ms=5,
            request_timeout_ms=30_000,
            **extra,
        )

    async def start(self) -> None:
        self._producer = self._build()
        await asyncio.wait_for(self._producer.start(), timeout=60)

    async def stop(self) -> None:
        if self._producer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._producer.stop(), timeout=15)
            self._producer = None

    async def recreate(self) -> None:
        await self.stop()
        await self.start()

    async def ping(self) -> None:
        """Ask one broker for metadata about no topic: raises when it does not answer.

        Readiness asks this every second or so (shared/readiness.py); the caller bounds the wait.
        """
        if self._producer is None:
            raise ConnectionError("the relay producer is not running")
        client = self._producer.client
        node = client.get_random_node()
        if node is None:
            raise ConnectionError("no broker known yet")
        await client.send(node, MetadataRequest([]))

    async def publish(self, topic: str, key: bytes, body: bytes) -> Any:
        if self._producer is None:
            await self.start()
        assert self._producer is not None
        return await self._producer.send(topic, body, key=key)

"""Prometheus metrics shared by every service.

Names follow Prometheus practice (`caseflow_<what>_<unit>_total`); label values are codes from a
closed set (topic, reason code, outcome), never ids or personal data, so cardinality stays small.
Each service owns one CollectorRegistry; tests create their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


@dataclass
class PipelineMetrics:
    messages: Counter
    duplicates: Counter
    dlq_records: Counter
    dlq_write_failures: Counter
    dlq_parked: Gauge
    retries: Counter
    batch_seconds: Histogram
    outbox_backlog: Gauge
    published: Counter
    consumer_lag: Gauge
    last_progress: Gauge
    ready: Gauge
    reachable: Gauge

    @classmethod
    def create(cls, registry: CollectorRegistry, service: str) -> PipelineMetrics:
        return cls(
            messages=Counter(
                "caseflow_messages_processed_total",
                "Messages processed, by topic and outcome.",
                ["service", "topic", "outcome"],
                registry=registry,
            ),
            duplicates=Counter(
                "caseflow_messages_duplicate_total",
                "Messages skipped because already processed (inbox).",
                ["service", "topic"],
                registry=registry,
            ),
            dlq_records=Counter(
                "caseflow_dlq_records_total",
                "Messages sent to a dead-letter topic, by reason code.",
                ["service", "topic", "reason"],
                registry=registry,
            ),
            dlq_write_failures=Counter(
                "caseflow_dlq_write_failures_total",
                "Attempts to store a dead-letter record that failed (the partition is parked meanwhile).",
                ["service", "topic"],
                registry=registry,
            ),
            dlq_parked=Gauge(
                "caseflow_dlq_parked_partitions",
                "Partitions held at a record whose dead letter could not be written yet.",
                ["service", "topic"],
                registry=registry,
            ),
            retries=Counter(
                "caseflow_transient_retries_total",
                "Batches retried after a transient failure.",
                ["service", "topic"],
                registry=registry,
            ),
            batch_seconds=Histogram(
                "caseflow_batch_processing_seconds",
                "Time to process one consumed batch.",
                ["service", "topic"],
                registry=registry,
                buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            ),
            outbox_backlog=Gauge(
                "caseflow_outbox_backlog_events",
                "Emitted events not yet published.",
                ["service"],
                registry=registry,
            ),
            published=Counter(
                "caseflow_outbox_published_total",
                "Events published from the outbox.",
                ["service"],
                registry=registry,
            ),
            consumer_lag=Gauge(
                "caseflow_consumer_lag_messages",
                "Messages behind the end of the topic, summed over partitions.",
                ["service", "topic"],
                registry=registry,
            ),
            last_progress=Gauge(
                "caseflow_consumer_last_progress_timestamp_seconds",
                "Unix time of the last processed batch.",
                ["service", "topic"],
                registry=registry,
            ),
            ready=Gauge(
                "caseflow_service_ready",
                "1 when the instance can do its work (what /ready answers), else 0.",
                ["service"],
                registry=registry,
            ),
            reachable=Gauge(
                "caseflow_dependency_reachable",
                "1 when the dependency (broker, database, keystore) answered within its grace, else 0.",
                ["service", "dependency"],
                registry=registry,
            ),
        )

"""Fixtures of the end-to-end tests: `cluster`, three Kafka brokers for the module (replication
factor 3, min.insync.replicas 2: devinfra.kafka.KafkaCluster)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devinfra.kafka import KafkaCluster


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaCluster]:
    nodes = KafkaCluster(tmp_path_factory.mktemp("cluster"), size=3)
    nodes.start(timeout=240)
    yield nodes
    nodes.stop()

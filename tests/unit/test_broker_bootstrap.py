"""A cluster named by several brokers reaches FastStream and aiokafka as several servers.

FastStream's KafkaBroker takes a string for one server and wraps it in a list whole, so
`KAFKA_BOOTSTRAP=a:9093,b:9093,c:9093` became one host named "a:9093,b:9093,c:9093" and the
service failed to start (the three-broker e2e test found it).
"""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from shared.broker import bootstrap_servers, make_broker
from shared.settings import ServiceSettings

pytestmark = pytest.mark.unit


def configured_servers(broker: Any) -> list[str]:
    found: list[list[str]] = []

    def walk(node: Any, depth: int) -> None:
        items = node.items() if isinstance(node, dict) else getattr(node, "__dict__", {}).items()
        for key, value in items:
            if key == "bootstrap_servers":
                found.append(value)
            elif depth < 4:
                walk(value, depth + 1)

    walk(broker, 0)
    assert len(found) == 1, found
    return found[0]


def test_a_comma_list_is_split_into_servers() -> None:
    assert bootstrap_servers(" a:1, b:2,c:3 ,") == ["a:1", "b:2", "c:3"]
    assert bootstrap_servers("kafka:9092") == ["kafka:9092"]


def test_the_faststream_broker_gets_every_server() -> None:
    settings = ServiceSettings(kafka_bootstrap="k1:9093,k2:9093,k3:9093")
    broker = make_broker(settings, service="intake", registry=CollectorRegistry())
    assert configured_servers(broker) == ["k1:9093", "k2:9093", "k3:9093"]

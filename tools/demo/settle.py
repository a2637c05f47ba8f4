"""Wait until the stack has done everything it was given: the barrier between the simulator's steps.

Settled means: every consumer group of the stack (`<prefix>caseflow-<service>`) has committed, on
every partition of every topic it consumes (as the services declare them), the end offset, and the
end offsets did not move while that was checked. A service publishes what a message caused before
it commits the message's offset (shared/pipeline.py), so when every group is at the end, nothing
is in flight between the services. Polled, never a sleep-then-assume.
"""

from __future__ import annotations

import asyncio
import time

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from aiokafka.structs import TopicPartition


def stack_subscriptions() -> dict[str, list[str]]:
    """Each service's consumer group suffix and the topics it consumes, as the services declare them."""
    from services.intake.app import CONSUMES as INTAKE
    from services.reporting.adapters.projection import CONSUMED_TOPICS as REPORTING
    from services.routing.app import CONSUMES as ROUTING
    from services.scheduling.entrypoints.kafka_handlers import CONSUMED_TOPICS as SCHEDULING
    from services.workbench.entrypoints.kafka_handlers import CONSUMED_TOPICS as WORKBENCH

    return {
        "intake": list(INTAKE),
        "routing": list(ROUTING),
        "scheduling": list(SCHEDULING),
        "reporting": list(REPORTING),
        "workbench": list(WORKBENCH),
    }


OPTIONAL = frozenset({"workbench"})  # runs only in the kept-running demo


class Settler:
    def __init__(self, bootstrap: str, prefix: str) -> None:
        self.bootstrap, self.prefix = bootstrap, prefix

    async def start(self) -> None:  # the clients are made here, in the running loop
        self.admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        self.offsets = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
        await self.admin.start()
        await self.offsets.start()

    async def stop(self) -> None:
        await self.offsets.stop()
        await self.admin.close()

    async def end_offsets(self, topics: set[str]) -> dict[TopicPartition, int]:
        partitions = [
            TopicPartition(topic, p)
            for topic in sorted(topics)
            for p in self.offsets.partitions_for_topic(topic) or ()
        ]
        return dict(await self.offsets.end_offsets(partitions)) if partitions else {}

    async def _groups(self) -> dict[str, list[str]] | None:
        """The stack's groups and their topics; None while a service's group has not joined yet."""
        listed = {g[0] for g in await self.admin.list_consumer_groups()}
        groups: dict[str, list[str]] = {}
        for service, topics in stack_subscriptions().items():
            group = f"{self.prefix}caseflow-{service}"
            if group in listed:
                groups[group] = [self.prefix + t for t in topics]
            elif service not in OPTIONAL:
                return None
        return groups

    async def settled_once(self) -> bool:
        groups = await self._groups()
        if groups is None:
            return False
        topics = {t for ts in groups.values() for t in ts}
        for topic in topics:  # learn partitions of topics not seen yet
            if self.offsets.partitions_for_topic(topic) is None:
                await self.offsets._client.force_metadata_update()
                break
        before = await self.end_offsets(topics)
        for group, subscribed in groups.items():
            committed = await self.admin.list_consumer_group_offsets(group)
            for tp, end in before.items():
                if tp.topic in subscribed and end > 0:
                    done = committed.get(tp)
                    if done is None or done.offset < end:
                        return False
        return await self.end_offsets(topics) == before

    async def wait(self, timeout: float = 60.0, poll: float = 0.05) -> None:
        deadline = time.monotonic() + timeout
        while not await self._settled_or_unknown():
            if time.monotonic() > deadline:
                raise TimeoutError("the stack did not settle in time")
            await asyncio.sleep(poll)

    async def _settled_or_unknown(self) -> bool:
        """False while the brokers cannot say (a broker away in a chaos run): asked again."""
        try:
            return await asyncio.wait_for(self.settled_once(), 15)
        except (KafkaError, OSError, TimeoutError):
            return False

"""Creating the pipeline's topics with the partitions they need.

Ingest and the order-service consumer scale by partitions, so the topics are
created explicitly (a broker's auto-creation would give them its default, often
one partition): the orders, actions and outcomes topics, their DLQs, and the
order-status topic (one OrderStatus event per final order, keyed by order id). A DLQ
topic takes records up to ``PROVISIONING_DLQ_MAX_MESSAGE_BYTES`` (``max.message.bytes``):
a dead letter is its original message plus headers saying why, so it is larger.
Idempotent: existing topics are left as they are.
"""

from __future__ import annotations

import time

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from provisioning import kafka
from provisioning.errors import ProvisioningError
from provisioning.settings import Settings


def consumed_topics(settings: Settings) -> list[str]:
    """The topics the pipeline's own consumers read: each has a DLQ."""
    return [settings.topic_orders, settings.topic_actions, settings.topic_outcomes]


def pipeline_topics(settings: Settings) -> list[str]:
    """Every topic of the pipeline: the consumed ones, the order-status topic (read by the
    components that place orders, outside the pipeline: no DLQ here), the DLQs."""
    topics = consumed_topics(settings)
    return [
        *topics,
        settings.topic_order_status,
        *(settings.dlq_topic(topic) for topic in topics),
    ]


def ensure_topics(
    settings: Settings, partitions: int = 4, replication_factor: int = 1
) -> list[str]:
    """Create the pipeline's topics that do not exist yet; returns the ones created."""
    admin = kafka.admin(settings)
    existing = set(admin.list_topics(timeout=15).topics)
    wanted = [t for t in pipeline_topics(settings) if t not in existing]
    if not wanted:
        return []
    dlqs = {settings.dlq_topic(t) for t in consumed_topics(settings)}
    dlq_config = {"max.message.bytes": str(settings.dlq_max_message_bytes)}
    futures = admin.create_topics(
        [
            NewTopic(
                t,
                num_partitions=partitions,
                replication_factor=replication_factor,
                config=dlq_config if t in dlqs else {},
            )
            for t in wanted
        ],
        operation_timeout=30,
    )
    created = []
    for topic, future in futures.items():
        try:
            future.result(timeout=30)
            created.append(topic)
        except KafkaException as exc:
            error = exc.args[0] if exc.args else None
            if isinstance(error, KafkaError) and error.code() == KafkaError.TOPIC_ALREADY_EXISTS:
                continue
            raise ProvisioningError(f"creating topic {topic} failed: {exc}") from exc
    _wait_for_leaders(admin, wanted)
    return created


def _wait_for_leaders(admin: AdminClient, topics: list[str], timeout: float = 30.0) -> None:
    """Return once every partition of ``topics`` has a leader (new topics elect them)."""
    deadline = time.monotonic() + timeout
    while True:
        metadata = admin.list_topics(timeout=10).topics
        if all(
            topic in metadata
            and metadata[topic].partitions
            and all(p.leader >= 0 for p in metadata[topic].partitions.values())
            for topic in topics
        ):
            return
        if time.monotonic() > deadline:
            raise ProvisioningError(f"topics {topics} have no partition leaders after {timeout}s")
        time.sleep(0.2)


__all__ = ["consumed_topics", "ensure_topics", "pipeline_topics"]

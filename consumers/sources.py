"""Where a consumer loop's messages come from: a group subscription, or a range of offsets.

A source opens its Kafka consumer, hands out batches, says when it is done and
closes. The loop does not know which one it has.

- :class:`GroupSource` joins a consumer group (static membership when given an
  instance id) and never ends on its own.
- :class:`RangeSource` reads a time range of one topic's partitions with an
  assigned reader (replay): it is done once every partition reached the end of
  the range.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from confluent_kafka import Consumer, KafkaError, Message, TopicPartition

from consumers.offsets import to_millis
from provisioning import kafka
from provisioning.errors import ProvisioningError
from provisioning.kafka import PartitionRange, RangeReader
from provisioning.settings import Settings

log = logging.getLogger(__name__)

TIMEOUT = 30.0  # seconds for each metadata or offsets request
CLOSE_TIMEOUT = 10.0  # seconds a stopping group member waits for librdkafka's close

Rebalance = Callable[[list[TopicPartition]], None]
Committed = Callable[[KafkaError | None, list[TopicPartition]], None]


class RangeError(ProvisioningError):
    """A range cannot be read: an unknown topic, an empty or inverted time range."""


@dataclass
class Callbacks:
    """What the loop wants to hear of partitions coming and going."""

    assigned: Rebalance
    revoked: Rebalance
    lost: Rebalance
    committed: Committed  # the broker's answer to an asynchronous commit


class Source(Protocol):
    consumer: Consumer | None

    @property
    def group_id(self) -> str: ...  # names the reader in DLQ headers and records

    @property
    def done(self) -> bool: ...

    @property
    def assigned(self) -> bool: ...  # polling now is consuming, not joining

    def open(self, settings: Settings, callbacks: Callbacks) -> None: ...

    def poll(self, max_messages: int, timeout: float) -> list[Message]: ...

    def close(self) -> None: ...


class GroupSource:
    """Subscribe ``topics`` as a member of ``group_id``."""

    def __init__(
        self,
        topics: Sequence[str],
        group_id: str,
        *,
        instance_id: str | None = None,
        overrides: dict[str, Any] | None = None,
    ) -> None:
        self.topics = list(topics)
        self._group_id = group_id
        self.instance_id = instance_id
        self.overrides = overrides or {}
        self.consumer: Consumer | None = None

    @property
    def group_id(self) -> str:
        return self._group_id

    @property
    def done(self) -> bool:
        return False

    @property
    def assigned(self) -> bool:
        return self.consumer is not None and bool(self.consumer.assignment())

    def open(self, settings: Settings, callbacks: Callbacks) -> None:
        self.consumer = kafka.group_consumer(
            settings,
            self._group_id,
            instance_id=self.instance_id,
            on_commit=callbacks.committed,
            **self.overrides,
        )
        self.consumer.subscribe(
            self.topics,
            on_assign=lambda _, partitions: callbacks.assigned(partitions),
            on_revoke=lambda _, partitions: callbacks.revoked(partitions),
            on_lost=lambda _, partitions: callbacks.lost(partitions),
        )

    def poll(self, max_messages: int, timeout: float) -> list[Message]:
        """As soon as one message is there, it and whatever else is fetched already.

        ``consume(n, timeout)`` would wait for ``n`` messages or the whole timeout:
        under light load every message would wait the timeout at every hop.
        Waiting for the first only keeps latency low and batches large under load.
        """
        assert self.consumer is not None
        first = self.consumer.poll(timeout)
        if first is None:
            return []
        rest = self.consumer.consume(max_messages - 1, 0) if max_messages > 1 else []
        return [m for m in (first, *rest) if kafka.usable(m)]

    def close(self) -> None:
        """Commit what was stored and leave (a dynamic member); give up after CLOSE_TIMEOUT.

        librdkafka's close waits for its last commit, which a rebalance in progress
        (every member stopping at once) can hold back for a session timeout. A
        stop must not hang on it: past the timeout the process goes without it, and
        what was not committed is replayed by the partitions' next owner.
        """
        consumer = self.consumer
        if consumer is None:
            return
        closing = threading.Thread(target=consumer.close, name="consumer-close", daemon=True)
        closing.start()
        closing.join(CLOSE_TIMEOUT)
        if closing.is_alive():
            log.warning(
                "the consumer did not close within %.0f s (a rebalance in progress?);"
                " stopping without it: what it had not committed will be replayed",
                CLOSE_TIMEOUT,
            )


class RangeSource:
    """Read ``topic`` from the first message at or after ``start`` to ``end``, or to its end now.

    Each partition ends at its high watermark when the source opened, or at the
    first message stamped after ``end``. ``partitions`` reports what was read.
    """

    def __init__(self, topic: str, start: datetime, end: datetime | None, group_id: str) -> None:
        if end is not None and end < start:
            raise RangeError(f"--to {end.isoformat()} is before --from {start.isoformat()}")
        self.topic = topic
        self.start = start
        self.end = end
        self._group_id = group_id
        self.consumer: Consumer | None = None
        self.partitions: list[PartitionRange] = []
        self._reader: RangeReader | None = None

    @property
    def group_id(self) -> str:
        return self._group_id

    @property
    def done(self) -> bool:
        return self._reader is not None and self._reader.done

    @property
    def assigned(self) -> bool:
        return True

    def open(self, settings: Settings, callbacks: Callbacks) -> None:
        self.consumer = kafka.reader(settings, **{"group.id": self._group_id})
        self.partitions = plan_range(self.consumer, self.topic, self.start)
        until = None if self.end is None else to_millis(self.end)
        self._reader = RangeReader(self.consumer, self.topic, self.partitions, until_ms=until)

    def poll(self, max_messages: int, timeout: float) -> list[Message]:
        assert self._reader is not None
        return self._reader.read(max_messages, timeout)

    def close(self) -> None:
        if self.consumer is not None:
            self.consumer.close()  # commits nothing: auto-commit is off and nothing commits


def plan_range(consumer: Consumer, topic: str, start: datetime) -> list[PartitionRange]:
    """Each partition of ``topic`` from its first offset at or after ``start`` to its end now."""
    metadata = consumer.list_topics(topic, timeout=TIMEOUT)
    found = metadata.topics.get(topic)
    if found is None or found.error is not None or not found.partitions:
        reason = found.error.str() if found is not None and found.error else "no partitions"
        raise RangeError(f"topic {topic!r} cannot be read: {reason}")
    start_ms = to_millis(start)
    wanted = [TopicPartition(topic, p, start_ms) for p in sorted(found.partitions)]
    spans: list[PartitionRange] = []
    for tp in consumer.offsets_for_times(wanted, timeout=TIMEOUT):
        if tp.error is not None:
            raise RangeError(f"{topic}[{tp.partition}]: {tp.error.str()}")
        _, high = consumer.get_watermark_offsets(
            TopicPartition(topic, tp.partition), timeout=TIMEOUT, cached=False
        )
        # offset -1: no message at or after start
        spans.append(PartitionRange(tp.partition, tp.offset if tp.offset >= 0 else high, high))
    return spans


__all__ = [
    "Callbacks",
    "GroupSource",
    "RangeError",
    "RangeSource",
    "Source",
    "plan_range",
]

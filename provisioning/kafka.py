"""The one place Kafka clients are built, and the two ways messages are read and written.

Every component gets its clients here, so each kind is configured once:

- :func:`producer` — idempotent, ``acks=all``: requests, the relay, the DLQ writer,
  redrives. Overrides (``linger.ms``, ``message.timeout.ms``, ...) are passed in.
- :func:`group_consumer` — a member of a consumer group: offsets stored by the
  application once handled and committed by librdkafka, cooperative-sticky
  assignment, ``read_committed``, the configured session timeout and, when
  given, a static ``group.instance.id`` so that a restarted member takes its
  partitions back at once instead of after the session timeout.
- :func:`reader` — a consumer that joins no group and commits nothing, for
  reading ranges of offsets (replay, the DLQ tools) through :class:`RangeReader`.
- :func:`admin` — the admin client.

An operator command calls :func:`require_reachable` first, so an unreachable
cluster is one line (:class:`~provisioning.errors.UnreachableError`) after
``CONNECT_TIMEOUT`` seconds instead of a timeout deep inside the command.

librdkafka's own log lines go through Python logging (logger ``kafka``), so they
come out as JSON like every other line. :func:`produce` queues one message and
waits out a full local queue (``BufferError``) instead of failing.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from provisioning.errors import UnreachableError
from provisioning.settings import Settings

log = logging.getLogger(__name__)
# librdkafka's own log lines (``%3|...|FAIL|...``) become records of this logger
client_log = logging.getLogger("kafka")

CONNECT_TIMEOUT = 10.0  # seconds an operator command waits for the cluster to answer

Headers = list[tuple[str, str | bytes | None]]
DeliveryCallback = Callable[[KafkaError | None, Message], Any]


def producer(settings: Settings, **overrides: Any) -> Producer:
    """An idempotent ``acks=all`` producer; ``overrides`` are librdkafka keys."""
    return Producer(
        settings.kafka_config(
            **{"enable.idempotence": True, "acks": "all", "logger": client_log, **overrides}
        )
    )


def group_consumer(
    settings: Settings,
    group_id: str,
    *,
    instance_id: str | None = None,
    **overrides: Any,
) -> Consumer:
    """A consumer-group member that commits only what it is told to commit."""
    config: dict[str, Any] = {
        "group.id": group_id,
        # Offsets are stored by the application once handled (store_offsets) and
        # committed by librdkafka every second, on revoke and on close. librdkafka
        # holds its own commits back while a rebalance is in progress; commits the
        # application sends then (commit()) fail with ILLEGAL_GENERATION and can
        # leave the member's partitions unfetched until the next rebalance.
        "enable.auto.commit": True,
        "enable.auto.offset.store": False,
        "auto.commit.interval.ms": 1000,
        "auto.offset.reset": "earliest",
        "partition.assignment.strategy": "cooperative-sticky",
        "isolation.level": "read_committed",
        "session.timeout.ms": settings.kafka_session_timeout_ms,
        "logger": client_log,
    }
    if instance_id:
        config["group.instance.id"] = instance_id
    config.update(overrides)
    return Consumer(settings.kafka_config(**config))


def reader(settings: Settings, **overrides: Any) -> Consumer:
    """A consumer for assigned partitions: it joins no group and never commits."""
    return Consumer(
        settings.kafka_config(
            **{
                # librdkafka wants a group id; nothing joins or commits to this one
                "group.id": f"provisioning-reader-{uuid.uuid4().hex}",
                "enable.auto.commit": False,
                "enable.auto.offset.store": False,
                "enable.partition.eof": True,
                "allow.auto.create.topics": False,
                "auto.offset.reset": "earliest",
                "isolation.level": "read_committed",
                "logger": client_log,
                **overrides,
            }
        )
    )


def admin(settings: Settings) -> AdminClient:
    return AdminClient(settings.kafka_config(logger=client_log))


def require_reachable(
    client: Consumer | AdminClient, settings: Settings, timeout: float | None = None
) -> None:
    """Raise :class:`UnreachableError` unless the cluster answers a metadata request."""
    wait = CONNECT_TIMEOUT if timeout is None else timeout
    try:
        client.list_topics(timeout=wait)
    except KafkaException as exc:
        reason = exc.args[0].str() if exc.args and isinstance(exc.args[0], KafkaError) else exc
        raise UnreachableError(
            f"cannot reach Kafka at {settings.kafka_bootstrap_servers} "
            f"(no answer within {wait:g}s: {reason})"
        ) from None


def produce(
    client: Producer,
    topic: str,
    *,
    key: bytes | None,
    value: bytes | None,
    headers: Headers,
    on_delivery: DeliveryCallback,
    wait_seconds: float = 0.1,
) -> None:
    """Queue one message, serving delivery reports while the local queue is full.

    A :class:`KafkaException` (a message larger than the producer allows, a fatal
    producer error) propagates; delivery failures arrive in ``on_delivery``.
    """
    while True:
        try:
            client.produce(topic, key=key, value=value, headers=headers, on_delivery=on_delivery)
        except BufferError:
            client.poll(wait_seconds)
            continue
        client.poll(0)
        return


def usable(message: Message) -> bool:
    """True for a message with a value to handle; raises a fatal client error, logs others."""
    error = message.error()
    if error is None:
        return True
    if error.code() == KafkaError._PARTITION_EOF:
        return False
    if error.fatal():
        raise KafkaException(error)
    log.warning("kafka: %s", error)
    return False


@dataclass
class PartitionRange:
    """The offsets ``start <= offset < end`` of one partition, and what was read of them."""

    partition: int
    start: int
    end: int
    first: int | None = None  # the first and last offsets read
    last: int | None = None
    read: int = 0

    def describe(self) -> str:
        if self.first is None:
            return f"partition {self.partition}: nothing in range"
        return f"partition {self.partition}: offsets {self.first}..{self.last} ({self.read} read)"


class RangeReader:
    """Reads ``[start, end)`` of each partition of one topic with an assigned :func:`reader`.

    ``read`` returns the next in-range messages; a partition is done at its end
    offset, at the end of its log, at the first message stamped after
    ``until_ms`` (when given), or when :meth:`finish` is called. ``done`` once
    every partition is.
    """

    def __init__(
        self,
        consumer: Consumer,
        topic: str,
        ranges: list[PartitionRange],
        *,
        until_ms: int | None = None,
    ) -> None:
        self.consumer = consumer
        self.topic = topic
        self.ranges = ranges
        self.until_ms = until_ms
        self.pending = {span.partition: span for span in ranges if span.start < span.end}
        if self.pending:
            consumer.assign(
                [TopicPartition(topic, p, span.start) for p, span in self.pending.items()]
            )

    @property
    def done(self) -> bool:
        return not self.pending

    def read(self, max_messages: int, timeout: float) -> list[Message]:
        found: list[Message] = []
        for message in self.consumer.consume(max_messages, timeout):
            if message.topic() != self.topic:
                continue
            span = self.pending.get(message.partition() or 0)
            error = message.error()
            if error is not None and error.code() != KafkaError._PARTITION_EOF:
                usable(message)  # raises a fatal error, logs the others
                continue
            if span is None:
                continue  # that partition is done
            if error is not None:  # the end of the partition's log
                self.finish(span.partition)
                continue
            offset = message.offset() or 0
            _, timestamp = message.timestamp()
            if offset >= span.end or (self.until_ms is not None and timestamp > self.until_ms):
                self.finish(span.partition)
                continue
            if offset < span.start:
                continue
            span.first = offset if span.first is None else span.first
            span.last = offset
            span.read += 1
            found.append(message)
            if offset + 1 >= span.end:
                self.finish(span.partition)
        return found

    def finish(self, partition: int) -> None:
        """Read no more of ``partition``."""
        if self.pending.pop(partition, None) is not None:
            self.consumer.pause([TopicPartition(self.topic, partition)])


__all__ = [
    "DeliveryCallback",
    "Headers",
    "PartitionRange",
    "RangeReader",
    "admin",
    "group_consumer",
    "produce",
    "producer",
    "reader",
    "require_reachable",
    "usable",
]

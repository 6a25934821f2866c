"""The one consumer loop every consumer runs: ingest, the order-service consumer, replay.

    poll a batch → decode → one DB transaction for the batch → commit offsets
                      │              │ a bad message: fall back to one transaction each
                      ▼              ▼
              undecodable → DLQ    rejected by the handler → handler.reject (or DLQ)

Guarantees:
- offsets are committed only after the transaction that recorded the batch (and
  any DLQ message) is durable, so a crash at any point replays, never skips;
- one bad message never blocks the others: when the batch's transaction fails on
  a data error, each message gets its own transaction and only the bad one is
  rejected (``handler.reject``) or, if even that fails, dead-lettered;
- a transient database error (connection lost, serialization failure) retries
  the same batch with backoff, reconnecting as needed; nothing is committed
  until it succeeds;
- SIGTERM/SIGINT (``stop``): the batch in hand is finished and committed, then the
  consumer leaves its group;
- cooperative rebalancing; partitions being revoked have their processed offsets
  committed before they go.

A handler is two plain functions over a psycopg connection (see :class:`Handler`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition

from producers.delivery import produce_waiting
from provisioning import observability
from provisioning.errors import DecodeError, DeliveryError, InvalidRequest, ProvisioningError
from provisioning.settings import Settings
from schemas.codec import Codec, codec_from_settings

log = logging.getLogger(__name__)

# SQLSTATE classes that mean "this message's data is bad", not "the database is unwell":
# 22 data exception, 23 integrity constraint, PV our validation, P0 PL/pgSQL raise.
DATA_ERROR_CLASSES = ("22", "23", "PV", "P0")
# ... and those worth retrying: 08 connection, 40 rollback (serialization, deadlock),
# 53 insufficient resources, 57 operator intervention (shutdown), 58 system error.
TRANSIENT_ERROR_CLASSES = ("08", "40", "53", "57", "58")


@dataclass(frozen=True)
class Item:
    """One decoded message, with what the loop knows of where it came from."""

    message: Message
    datum: dict[str, Any]

    def header(self, name: str) -> str | None:
        for entry in self.message.headers() or []:
            key, value = entry[0], entry[1]
            if key == name and value is not None:
                return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
        return None


Apply = Callable[[psycopg.Connection[Any], Sequence[Item]], Counter[str]]
Reject = Callable[[psycopg.Connection[Any], Item, Exception], Counter[str]]


@dataclass(frozen=True)
class Handler:
    """What a consumer does with its messages.

    ``apply`` records a batch inside the loop's transaction and returns counts; it
    raises on bad data. ``reject`` is called, in a fresh transaction, for a single
    message ``apply`` refused; it records the refusal (e.g. a failed outcome) and
    returns counts, or raises to send the message to the DLQ.
    """

    record: str  # the Avro record messages decode to
    apply: Apply
    reject: Reject


def is_data_error(exc: BaseException) -> bool:
    if isinstance(exc, InvalidRequest):
        return True
    state = getattr(exc, "sqlstate", None)
    return (
        isinstance(exc, psycopg.Error) and bool(state) and str(state).startswith(DATA_ERROR_CLASSES)
    )


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
        return True
    state = getattr(exc, "sqlstate", None)
    return (
        isinstance(exc, psycopg.Error)
        and bool(state)
        and str(state).startswith(TRANSIENT_ERROR_CLASSES)
    )


@dataclass
class LoopStats:
    counts: Counter[str] = field(default_factory=Counter)
    first_batch_at: float | None = None  # time.monotonic() when the first batch arrived
    last_commit_at: float | None = None  # ... and when the last batch's offsets were committed

    def add(self, counts: Counter[str]) -> None:
        self.counts.update(counts)


class ConsumerLoop:
    """Consume ``topics`` as member of ``group_id`` and hand each batch to ``handler``."""

    def __init__(
        self,
        settings: Settings,
        *,
        topics: Sequence[str],
        group_id: str,
        handler: Handler,
        codec: Codec | None = None,
        batch_size: int = 500,
        poll_timeout: float = 0.5,
        consumer_overrides: dict[str, Any] | None = None,
        component: str | None = None,
    ) -> None:
        self.settings = settings
        self.topics = list(topics)
        self.group_id = group_id
        self.handler = handler
        # the metrics label; by default the handler's module (ingest, order-service)
        self.component = component or observability.handler_component(handler.apply)
        self.codec = codec or codec_from_settings(settings)
        self.batch_size = batch_size
        self.poll_timeout = poll_timeout
        self.stats = LoopStats()
        self.liveness = observability.Liveness()  # /healthz: the poll loop is turning
        self.stop_event = threading.Event()
        self._consumer_overrides = consumer_overrides or {}
        self._conn: psycopg.Connection[Any] | None = None
        self._consumer: Consumer | None = None
        self._dlq: Producer | None = None
        self._dlq_errors: list[str] = []

    # ------------------------------------------------------------------ lifecycle

    def stop(self) -> None:
        """Ask the loop to finish the batch in hand, commit, and leave the group."""
        self.stop_event.set()

    def run(self, *, max_idle_polls: int | None = None) -> LoopStats:
        """Consume until stopped, or until ``max_idle_polls`` empty polls in a row once assigned."""
        consumer = Consumer(
            self.settings.kafka_config(
                **{
                    "group.id": self.group_id,
                    "enable.auto.commit": False,
                    "auto.offset.reset": "earliest",
                    "partition.assignment.strategy": "cooperative-sticky",
                    "isolation.level": "read_committed",
                    "session.timeout.ms": self.settings.kafka_session_timeout_ms,
                    **self._consumer_overrides,
                }
            )
        )
        self._consumer = consumer
        self._dlq = Producer(
            self.settings.kafka_config(**{"enable.idempotence": True, "acks": "all"})
        )
        consumer.subscribe(
            self.topics, on_assign=self._on_assign, on_revoke=self._on_revoke, on_lost=self._on_lost
        )
        idle = 0
        try:
            while not self.stop_event.is_set():
                self.liveness.beat()
                messages = consumer.consume(self.batch_size, self.poll_timeout)
                batch = [m for m in messages if self._usable(m)]
                if not batch:
                    if consumer.assignment():  # joining the group is not idleness
                        idle += 1
                    if max_idle_polls is not None and idle >= max_idle_polls:
                        break
                    continue
                idle = 0
                if self.stats.first_batch_at is None:
                    self.stats.first_batch_at = time.monotonic()
                started = time.monotonic()
                observability.record_consumed(self.component, batch)
                self._process(batch)
                self._commit(batch)
                self.stats.last_commit_at = time.monotonic()
                observability.BATCH_DURATION.labels(self.component).observe(
                    self.stats.last_commit_at - started
                )
        finally:
            consumer.close()  # leaves the group: its partitions move at once
            self._dlq.flush(10)
            if self._conn is not None:
                self._conn.close()
        return self.stats

    def _usable(self, message: Message) -> bool:
        error = message.error()
        if error is None:
            return True
        if error.code() == KafkaError._PARTITION_EOF:
            return False
        if error.fatal():
            raise KafkaException(error)
        log.warning("kafka: %s", error)
        return False

    # ------------------------------------------------------------------ a batch

    def _process(self, batch: list[Message]) -> None:
        items: list[Item] = []
        for message in batch:
            try:
                datum = self.codec.decode(
                    self.handler.record, message.value() or b"", message.topic() or ""
                )
            except DecodeError as exc:
                self._dead_letter(message, exc)
                continue
            items.append(Item(message, datum))
        self._flush_dead_letters()
        if not items:
            return
        delay = 0.5
        while True:
            try:
                counts = self._record(items)
                self.stats.add(counts)
                observability.record_handled(self.component, counts, [i.datum for i in items])
                return
            except Exception as exc:
                if not is_transient(exc) or self.stop_event.is_set():
                    raise
                log.warning("database unavailable (%s); retrying the batch in %.1fs", exc, delay)
                self._reset_connection()
                time.sleep(delay)
                delay = min(delay * 2, 30.0)

    def _record(self, items: list[Item]) -> Counter[str]:
        conn = self._connection()
        try:
            with conn.transaction():
                counts = self.handler.apply(conn, items)
            counts["batches"] += 1
            return counts
        except Exception as exc:
            if not is_data_error(exc):
                raise
            if len(items) == 1:
                return self._reject(conn, items[0], exc)
            reason = getattr(getattr(exc, "diag", None), "message_primary", None) or exc
            log.info("batch of %d refused (%s); one transaction per message", len(items), reason)
        counts = Counter({"batches": 1, "fallbacks": 1})
        for item in items:
            try:
                with conn.transaction():
                    counts.update(self.handler.apply(conn, [item]))
            except Exception as exc:
                if not is_data_error(exc):
                    raise
                counts.update(self._reject(conn, item, exc))
        return counts

    def _reject(self, conn: psycopg.Connection[Any], item: Item, error: Exception) -> Counter[str]:
        request_id, traceparent = item.datum.get("request_id"), item.header("traceparent")
        with observability.log_context(request_id=request_id, traceparent=traceparent):
            return self._reject_or_dead_letter(conn, item, error)

    def _reject_or_dead_letter(
        self, conn: psycopg.Connection[Any], item: Item, error: Exception
    ) -> Counter[str]:
        try:
            with conn.transaction():
                return self.handler.reject(conn, item, error)
        except Exception as exc:
            if not is_data_error(exc) and not isinstance(exc, ProvisioningError):
                raise
            self._dead_letter(item.message, error)  # counts it
            self._flush_dead_letters()
            return Counter()

    # ------------------------------------------------------------------ offsets

    def _commit(self, batch: list[Message]) -> None:
        offsets: dict[tuple[str, int], int] = {}
        for message in batch:
            key = (message.topic() or "", message.partition() or 0)
            offsets[key] = max(offsets.get(key, -1), (message.offset() or 0) + 1)
        assert self._consumer is not None
        try:
            self._consumer.commit(
                offsets=[TopicPartition(t, p, o) for (t, p), o in offsets.items()],
                asynchronous=False,
            )
        except KafkaException as exc:
            # The partitions moved on during the batch: the new owner replays these
            # messages and the handler's idempotency absorbs them.
            log.warning("offset commit failed (%s); the batch will be replayed", exc)
            self.stats.add(Counter({"commit_failures": 1}))
            observability.COMMIT_FAILURES.labels(self.component).inc()
        else:
            observability.record_lag(self.component, self._consumer, offsets)

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        log.info("assigned %s", _describe(partitions))

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # Rebalance callbacks run inside consume(), between batches: every processed
        # message has been committed already, so revoked partitions carry nothing away.
        log.info("revoked %s", _describe(partitions))
        observability.forget_lag(self.component, partitions)

    def _on_lost(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        log.warning(
            "lost %s (session timed out); their messages will be replayed", _describe(partitions)
        )
        observability.forget_lag(self.component, partitions)

    # ------------------------------------------------------------------ DLQ

    def _dead_letter(self, message: Message, error: BaseException) -> None:
        assert self._dlq is not None
        topic = message.topic() or ""
        _, timestamp = message.timestamp()
        headers: list[tuple[str, str | bytes | None]] = [
            (str(entry[0]), entry[1]) for entry in message.headers() or []
        ]
        headers += [
            ("x-dlq-error-class", type(error).__name__.encode()),
            ("x-dlq-error-message", str(error).encode()[:4000]),
            ("x-dlq-original-topic", topic.encode()),
            ("x-dlq-original-partition", str(message.partition()).encode()),
            ("x-dlq-original-offset", str(message.offset()).encode()),
            ("x-dlq-original-timestamp", str(timestamp).encode()),
            ("x-dlq-consumer-group", self.group_id.encode()),
        ]
        sqlstate = getattr(error, "sqlstate", None)
        if sqlstate:
            headers.append(("x-dlq-sqlstate", str(sqlstate).encode()))

        def delivered(err: KafkaError | None, _: Message) -> None:
            if err is not None:
                self._dlq_errors.append(str(err))

        produce_waiting(
            self._dlq,
            self.settings.dlq_topic(topic),
            key=message.key(),
            value=message.value(),
            headers=headers,
            on_delivery=delivered,
        )
        log.warning(
            "dead-lettered %s[%s]@%s: %s", topic, message.partition(), message.offset(), error
        )
        self.stats.add(Counter({"dead_lettered": 1}))
        observability.DEAD_LETTERED.labels(self.component, topic).inc()

    def _flush_dead_letters(self) -> None:
        assert self._dlq is not None
        if self._dlq.flush(30) != 0 or self._dlq_errors:
            errors, self._dlq_errors = self._dlq_errors, []
            # Not committing: the batch will be consumed again rather than lost.
            raise DeliveryError(f"could not write to the DLQ: {errors or 'timed out'}")

    # ------------------------------------------------------------------ database

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = psycopg.connect(
                self.settings.database_url.get_secret_value(),
                autocommit=True,
                application_name=f"provisioning:{self.group_id}",
            )
        return self._conn

    def _reset_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None


def _describe(partitions: list[TopicPartition]) -> str:
    return ", ".join(f"{tp.topic}[{tp.partition}]" for tp in partitions) or "nothing"


__all__ = ["ConsumerLoop", "Handler", "Item", "LoopStats", "is_data_error", "is_transient"]

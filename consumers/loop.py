"""The one consumer loop every consumer runs: ingest, the order-service consumer, replay.

    source.poll a batch → checkpoint.plan units → for each unit:
        checkpoint.begin (in-flight record) → decode → one DB transaction → dead letters → commit
                       │                       │ refused: one transaction per message
                       ▼                       ▼
                 unreadable → DLQ       handler.reject (a failed outcome), else → DLQ

It is built from parts passed in, never subclassed:

- a **handler** (:class:`Handler`): two plain functions over a psycopg connection;
- a **source** (``consumers.sources``): a group subscription or a range of offsets;
- a **checkpoint** (``consumers.checkpoints``): commit offsets (recording in-flight
  offsets first, and quarantining a message that keeps killing the process) or
  commit nothing;
- **dead letters** (``consumers.dead_letters``): the DLQ topics, or only a count.

Guarantees:
- offsets are committed only after the transaction that recorded the unit and
  its dead letters are durable, so a crash at any point replays, never skips;
- **no message can stop the loop**: only infrastructure failures
  (:func:`provisioning.failures.is_transient`: the database unreachable,
  serialization failures, Kafka not acknowledging, the schema registry not
  answering while a message is decoded) are retried, with backoff,
  until they pass; any other failure of one message — whatever the exception —
  makes that message a failed outcome or a dead letter, and the loop moves on;
- a message that kills the process outright is dead-lettered after
  ``PROVISIONING_CONSUMER_MAX_CRASHES`` deaths (``consumers.checkpoints``);
- SIGTERM/SIGINT (``stop``): the batch in hand is finished and committed, then
  the consumer closes.
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import psycopg
from confluent_kafka import KafkaError, Message, TopicPartition

from consumers.checkpoints import Checkpoint, CommitOffsets, Unit, offsets_after
from consumers.dead_letters import DeadLetters, KafkaDeadLetters
from consumers.sources import Callbacks, GroupSource, Source
from provisioning import observability
from provisioning.errors import DecodeError, QuarantinedMessage
from provisioning.failures import describe, is_transient
from provisioning.service import COMPONENT_ROLES, Service
from provisioning.settings import Settings
from schemas.codec import Codec, close_codec, codec_from_settings

log = logging.getLogger(__name__)

# W3C trace context: version-traceid-parentid-flags; anything else is not passed on
_TRACEPARENT = re.compile(r"[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}")


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

    def traceparent(self) -> str | None:
        """The ``traceparent`` header when it is a W3C trace context, else None."""
        value = self.header("traceparent")
        return value if value is not None and _TRACEPARENT.fullmatch(value) else None


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


@dataclass
class LoopStats:
    counts: Counter[str] = field(default_factory=Counter)
    first_batch_at: float | None = None  # time.monotonic() when the first batch arrived
    last_commit_at: float | None = None  # ... and when the last batch's offsets were committed

    def add(self, counts: Counter[str]) -> None:
        self.counts.update(counts)


Letters = list[tuple[Message, BaseException]]


class BrokenConnection(psycopg.OperationalError):
    """A statement failed and left the connection unusable: the infrastructure's problem."""


class ConsumerLoop(Service[Any]):
    """Hand each batch of ``source`` to ``handler``; progress through ``checkpoint``."""

    def __init__(
        self,
        settings: Settings,
        handler: Handler,
        source: Source,
        checkpoint: Checkpoint,
        dead_letters: DeadLetters,
        *,
        codec: Codec | None = None,
        batch_size: int = 500,
        poll_timeout: float = 0.5,
        component: str | None = None,
        read_only: bool = False,
    ) -> None:
        # the metrics label; by default the handler's module (ingest, order-service)
        component = component or observability.handler_component(handler.apply)
        super().__init__(
            settings,
            f"provisioning:{source.group_id}",
            read_only=read_only,
            role=COMPONENT_ROLES.get(component),
        )
        self.handler = handler
        self.source = source
        self.checkpoint = checkpoint
        self.dead_letters = dead_letters
        self.component = component
        self._own_codec = codec is None  # closed when the loop ends
        self.codec = codec or codec_from_settings(settings)
        self.batch_size = batch_size
        self.poll_timeout = poll_timeout
        self.stats = LoopStats()

    @property
    def group_id(self) -> str:
        return self.source.group_id

    # ------------------------------------------------------------------ lifecycle

    def run(self, *, max_idle_polls: int | None = None) -> LoopStats:
        """Consume until stopped, the source is done, or ``max_idle_polls`` empty polls in a row."""
        callbacks = Callbacks(self._assigned, self._revoked, self._lost, self._committed)
        self.source.open(self.settings, callbacks)
        idle = 0
        try:
            while not self.stopping and not self.source.done:
                self.liveness.beat()
                batch = self.source.poll(self.batch_size, self.poll_timeout)
                if not batch:
                    if self.source.assigned:  # joining the group is not idleness
                        idle += 1
                    if max_idle_polls is not None and idle >= max_idle_polls:
                        break
                    continue
                idle = 0
                self._batch(batch)
        finally:
            self.source.close()
            self.dead_letters.close()
            self._release()
            self.drop_connection()
            if self._own_codec:
                close_codec(self.codec)
        return self.stats

    def _release(self) -> None:
        try:
            self.checkpoint.release(self.connection())
        except psycopg.Error as exc:  # best effort: a stale row costs one careful range
            log.warning("could not clear the in-flight record: %s", exc)

    # ------------------------------------------------------------------ a batch

    def _batch(self, batch: list[Message]) -> None:
        started = time.monotonic()
        if self.stats.first_batch_at is None:
            self.stats.first_batch_at = started
        observability.record_consumed(self.component, batch)
        units = self.retrying(lambda: self.checkpoint.plan(self.connection(), batch))
        for unit in units:
            self._unit(unit)
        self.stats.last_commit_at = time.monotonic()
        observability.BATCH_DURATION.labels(self.component).observe(
            self.stats.last_commit_at - started
        )

    def _unit(self, unit: Unit) -> None:
        if unit.quarantine:
            (message,) = unit.messages
            reason = QuarantinedMessage(
                f"crashed the consumer {unit.crashes} times: dead-lettered without handling it"
            )
            log.error(
                "%s[%s]@%s %s", message.topic(), message.partition(), message.offset(), reason
            )
            self.stats.add(Counter({"quarantined": 1}))
            self._dead_letter([(message, reason)])
        else:
            self.retrying(lambda: self.checkpoint.begin(self.connection(), unit))
            self._process(unit.messages)
        if not self.checkpoint.commit(self.source.consumer, unit.messages):
            self._commit_failed()
        elif self.source.consumer is not None:
            observability.record_lag(
                self.component, self.source.consumer, offsets_after(unit.messages)
            )

    def _process(self, messages: list[Message]) -> None:
        items: list[Item] = []
        unreadable: Letters = []
        for message in messages:
            try:
                # the schema registry down is retried here, not blamed on the message
                datum = self.retrying(partial(self._decode, message), "schema registry unavailable")
            except Exception as exc:
                if is_transient(exc):  # only when stopping: nothing is committed
                    raise
                error = exc if isinstance(exc, DecodeError) else DecodeError(describe(exc))
                unreadable.append((message, error))
                continue
            items.append(Item(message, datum))
        letters = unreadable
        if items:
            counts, refused = self.retrying(lambda: self._record(items))
            self.stats.add(counts)
            observability.record_handled(self.component, counts, [i.datum for i in items])
            letters = [*unreadable, *refused]
        self._dead_letter(letters)

    def _decode(self, message: Message) -> dict[str, Any]:
        return self.codec.decode(self.handler.record, message.value() or b"", message.topic() or "")

    def _record(self, items: list[Item]) -> tuple[Counter[str], Letters]:
        """The batch in one transaction; if refused, each message in its own."""
        conn = self.connection()
        try:
            with conn.transaction():
                counts = self.handler.apply(conn, items)
            counts["batches"] += 1
            return counts, []
        except Exception as exc:  # noqa: BLE001 - deny-list: see provisioning.failures
            self._raise_if_infrastructure(conn, exc)
            if len(items) == 1:
                rejected, refused = self._reject(conn, items[0], exc)
                rejected["batches"] += 1
                return rejected, refused
            log.info(
                "batch of %d refused (%s); one transaction per message",
                len(items),
                describe(exc, 300),
            )
        counts = Counter({"batches": 1, "fallbacks": 1})
        letters: Letters = []
        for item in items:
            try:
                with conn.transaction():
                    counts.update(self.handler.apply(conn, [item]))
            except Exception as exc:  # noqa: BLE001 - deny-list: see provisioning.failures
                self._raise_if_infrastructure(conn, exc)
                rejected, refused = self._reject(conn, item, exc)
                counts.update(rejected)
                letters += refused
        return counts, letters

    def _reject(
        self, conn: psycopg.Connection[Any], item: Item, error: Exception
    ) -> tuple[Counter[str], Letters]:
        """A failed outcome through ``handler.reject``; a dead letter if even that fails."""
        request_id, traceparent = item.datum.get("request_id"), item.traceparent()
        with observability.log_context(request_id=request_id, traceparent=traceparent):
            try:
                with conn.transaction():
                    return self.handler.reject(conn, item, error), []
            except Exception as exc:  # noqa: BLE001 - deny-list: see provisioning.failures
                self._raise_if_infrastructure(conn, exc)
                if exc is not error:
                    log.info(
                        "the refusal (%s) could not be recorded either: %s",
                        describe(error, 300),
                        describe(exc, 300),
                    )
                # the dead letter names what put it there: the recording's failure (docs/dlq.md)
                return Counter(), [(item.message, exc)]

    @staticmethod
    def _raise_if_infrastructure(conn: psycopg.Connection[Any], exc: Exception) -> None:
        if is_transient(exc):
            raise exc
        if conn.broken or conn.closed:
            raise BrokenConnection(f"the connection broke: {describe(exc, 300)}") from exc

    def _dead_letter(self, letters: Letters) -> None:
        for message, error in letters:
            self.dead_letters.add(message, error)
        if letters:
            self.stats.add(
                self.retrying(lambda: self.dead_letters.flush(self.connection()), "DLQ unavailable")
            )

    # ------------------------------------------------------------------ rebalancing

    def _assigned(self, partitions: list[TopicPartition]) -> None:
        log.info("assigned %s", _describe(partitions))

    def _revoked(self, partitions: list[TopicPartition]) -> None:
        # Rebalance callbacks run inside poll, between units: every handled message has
        # been committed already, so revoked partitions carry nothing away.
        log.info("revoked %s", _describe(partitions))
        self.checkpoint.forget(partitions)
        observability.forget_lag(self.component, partitions)

    def _committed(self, error: KafkaError | None, partitions: list[TopicPartition]) -> None:
        if self.checkpoint.committed(error, partitions):
            self._commit_failed()

    def _commit_failed(self) -> None:
        self.stats.add(Counter({"commit_failures": 1}))
        observability.COMMIT_FAILURES.labels(self.component).inc()

    def _lost(self, partitions: list[TopicPartition]) -> None:
        log.warning(
            "lost %s (session timed out); their messages will be replayed", _describe(partitions)
        )
        self.checkpoint.forget(partitions)
        observability.forget_lag(self.component, partitions)


def _describe(partitions: list[TopicPartition]) -> str:
    return ", ".join(f"{tp.topic}[{tp.partition}]" for tp in partitions) or "nothing"


def group_loop(
    settings: Settings,
    handler: Handler,
    *,
    topics: Sequence[str],
    group_id: str,
    consumer_overrides: dict[str, Any] | None = None,
    **options: Any,
) -> ConsumerLoop:
    """A consumer-group member: commits offsets, quarantines killers, dead-letters to Kafka."""
    component = options.pop("component", None) or observability.handler_component(handler.apply)
    return ConsumerLoop(
        settings,
        handler,
        GroupSource(
            topics,
            group_id,
            instance_id=settings.kafka_group_instance_id,
            overrides=consumer_overrides,
        ),
        CommitOffsets(group_id, max_crashes=settings.consumer_max_crashes),
        KafkaDeadLetters(settings, group_id, component),
        component=component,
        **options,
    )


__all__ = ["ConsumerLoop", "Handler", "Item", "LoopStats", "group_loop"]

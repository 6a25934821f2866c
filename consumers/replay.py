"""Re-read a time range of a request topic through the ingest path, without touching ingest.

`provisioning replay` reads --topic (orders or actions) from --from to --to on
every partition and hands the messages to the same code as `provisioning
ingest`: decode, one transaction per batch, skip the request_ids already
recorded, insert the rest (the triggers validate them and create their jobs),
answer a refused request with a failed outcome, dead-letter what cannot be read.
Requests already recorded are counted as duplicates and change nothing, so a
replay is always safe to repeat.

It does not join the ingest consumer group and commits no offsets anywhere: the
running ingest consumers are not disturbed and resume where they were. Each
partition is read from the first message at or after --from until a message
stamped after --to, or, without --to, up to where the partition ended when the
replay started.

--dry-run decodes and classifies (new or duplicate, by request_id) but writes
nothing to the database and sends nothing to the DLQ. Whether a new request
would pass validation is only known by inserting it.

TIME is ISO 8601 with a time zone (2026-11-26T10:00:00Z) or relative to now
(-30m, -2h, -1d; also -45s).

Examples:
  provisioning replay --topic orders --from -2h --dry-run
  provisioning replay --topic orders --from -2h
  provisioning replay --topic actions --from 2026-11-26T10:00:00Z --to 2026-11-26T11:30:00Z
"""

from __future__ import annotations

import argparse
import logging
import signal
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from confluent_kafka import Consumer, KafkaError, Message, Producer, TopicPartition

from consumers.ingest import HANDLER
from consumers.loop import ConsumerLoop, Handler, Item, LoopStats
from consumers.offsets import accept_relative_times, time_argument, to_millis
from provisioning import observability
from provisioning.errors import DecodeError, ProvisioningError
from provisioning.settings import Settings, load_settings
from provisioning.sqlfiles import query
from schemas.codec import Codec
from schemas.requests import REQUEST

log = logging.getLogger(__name__)

TIMEOUT = 30.0  # seconds for each metadata or offsets request


class ReplayError(ProvisioningError):
    """A replay cannot start: an unknown topic, an empty or inverted time range."""


# ---------------------------------------------------------------------- dry run


def classify_requests(conn: psycopg.Connection[Any], items: Sequence[Item]) -> Counter[str]:
    """Count which requests ingest would skip as recorded ("duplicates") and which are "new"."""
    ids = [item.datum["request_id"] for item in items]
    known = {
        row[0]
        for row in conn.execute(query("ingest", "existing_request_ids"), {"request_ids": ids})
    }
    counts: Counter[str] = Counter()
    for request_id in ids:
        counts["duplicates" if request_id in known else "new"] += 1
        known.add(request_id)  # the same request twice in the range
    return counts


def _would_reject(conn: psycopg.Connection[Any], item: Item, error: Exception) -> Counter[str]:
    return Counter({"rejected": 1})


DRY_RUN_HANDLER = Handler(record=REQUEST, apply=classify_requests, reject=_would_reject)


# ---------------------------------------------------------------------- the report


@dataclass
class PartitionRange:
    """The offsets of one partition a replay covers."""

    partition: int
    start: int  # the first offset at or after --from
    end: int  # the partition's end when the replay started: never read at or past it
    first: int | None = None  # the first and last offsets read
    last: int | None = None
    read: int = 0

    def describe(self) -> str:
        if self.first is None:
            return f"partition {self.partition}: nothing in range"
        return f"partition {self.partition}: offsets {self.first}..{self.last} ({self.read} read)"


@dataclass(frozen=True)
class ReplayCounts:
    read: int  # messages in the range
    new: int  # recorded now (dry run: not recorded yet)
    duplicates: int  # already recorded: skipped
    rejected: int  # refused by validation: answered with a failed outcome
    dead_lettered: int  # decoded, but even the failed outcome could not be recorded: DLQ
    undecodable: int  # could not be read: DLQ (dry run: counted only)


@dataclass(frozen=True)
class ReplayReport:
    topic: str
    start: datetime
    end: datetime | None
    dry_run: bool
    group_id: str  # the replay's own, never-committed group (it names the replay in DLQ headers)
    complete: bool  # False when stopped (SIGTERM) before the end of the range
    partitions: list[PartitionRange]
    counts: ReplayCounts

    def summary(self) -> str:
        end = self.end.isoformat() if self.end else "where the topic ended at the start"
        c = self.counts
        lines = [
            f"{'dry run of a replay' if self.dry_run else 'replayed'} {self.topic}"
            f" from {self.start.isoformat()} to {end}"
            + ("" if self.complete else " (STOPPED before the end of the range)"),
            *(f"  {span.describe()}" for span in self.partitions),
            f"read {c.read}: {'would be new' if self.dry_run else 'new'} {c.new},"
            f" duplicate {c.duplicates}, rejected {c.rejected},"
            f" dead-lettered {c.dead_lettered}, undecodable {c.undecodable}",
        ]
        if self.dry_run:
            lines.append("dry run: nothing was written to the database or sent to the DLQ")
        return "\n".join(lines)


# ---------------------------------------------------------------------- the loop


class ReplayLoop(ConsumerLoop):
    """The ingest loop over assigned partitions and a fixed range of offsets, committing nothing.

    Batches go through :meth:`ConsumerLoop._process`, the loop every consumer runs
    (transaction per batch, per-message fallback, rejection, DLQ); only how
    messages are fetched differs: ``assign()`` at the offsets of ``start``
    instead of ``subscribe()``, a stop at the end of the range, no commits.
    """

    def __init__(
        self,
        settings: Settings,
        topic: str,
        start: datetime,
        end: datetime | None = None,
        *,
        dry_run: bool = False,
        codec: Codec | None = None,
        batch_size: int = 500,
        poll_timeout: float = 0.5,
    ) -> None:
        if end is not None and end < start:
            raise ReplayError(f"--to {end.isoformat()} is before --from {start.isoformat()}")
        super().__init__(
            settings,
            topics=[topic],
            # a group id librdkafka needs, that no one joins and nothing commits to
            group_id=f"{settings.group_ingest}-replay-{uuid.uuid4().hex[:12]}",
            handler=DRY_RUN_HANDLER if dry_run else HANDLER,
            codec=codec,
            batch_size=batch_size,
            poll_timeout=poll_timeout,
        )
        # metrics label (consumers/loop.py): a replay is not the live ingest's traffic
        self.component = "replay"
        self.topic = topic
        self.start = start
        self.end = end
        self.dry_run = dry_run
        self.partitions: list[PartitionRange] = []
        self.dead_letters: Counter[str] = Counter()
        self._read = 0
        self._complete = False

    def run(self, *, max_idle_polls: int | None = None) -> LoopStats:
        """Replay the range; a replay ends at the end of its range, not after idle polls."""
        self.replay()
        return self.stats

    def replay(self) -> ReplayReport:
        consumer = Consumer(
            self.settings.kafka_config(
                **{
                    "group.id": self.group_id,
                    "enable.auto.commit": False,
                    "enable.auto.offset.store": False,
                    "enable.partition.eof": True,
                    "auto.offset.reset": "earliest",
                    "isolation.level": "read_committed",
                }
            )
        )
        self._consumer = consumer
        if not self.dry_run:
            self._dlq = Producer(
                self.settings.kafka_config(**{"enable.idempotence": True, "acks": "all"})
            )
        try:
            self.partitions = self._plan(consumer)
            pending = {span.partition: span for span in self.partitions if span.start < span.end}
            consumer.assign([TopicPartition(self.topic, p, s.start) for p, s in pending.items()])
            while pending and not self.stop_event.is_set():
                messages = consumer.consume(self.batch_size, self.poll_timeout)
                batch = self._in_range(messages, pending)
                if batch:
                    self._read += len(batch)
                    self._process(batch)
            self._complete = not pending
        finally:
            consumer.close()  # commits nothing: auto-commit is off and we never commit
            if self._dlq is not None:
                self._dlq.flush(10)
            if self._conn is not None:
                self._conn.close()
        return self.report()

    def report(self) -> ReplayReport:
        counts = self.stats.counts
        return ReplayReport(
            topic=self.topic,
            start=self.start,
            end=self.end,
            dry_run=self.dry_run,
            group_id=self.group_id,
            complete=self._complete,
            partitions=self.partitions,
            counts=ReplayCounts(
                read=self._read,
                new=counts["inserted"] + counts["new"],
                duplicates=counts["duplicates"],
                rejected=counts["rejected"],
                dead_lettered=self.dead_letters["dead_lettered"],
                undecodable=self.dead_letters["undecodable"],
            ),
        )

    def _plan(self, consumer: Consumer) -> list[PartitionRange]:
        metadata = consumer.list_topics(self.topic, timeout=TIMEOUT)
        topic = metadata.topics.get(self.topic)
        if topic is None or topic.error is not None or not topic.partitions:
            reason = topic.error.str() if topic is not None and topic.error else "no partitions"
            raise ReplayError(f"topic {self.topic!r} cannot be read: {reason}")
        start_ms = to_millis(self.start)
        wanted = [TopicPartition(self.topic, p, start_ms) for p in sorted(topic.partitions)]
        spans: list[PartitionRange] = []
        for tp in consumer.offsets_for_times(wanted, timeout=TIMEOUT):
            if tp.error is not None:
                raise ReplayError(f"{self.topic}[{tp.partition}]: {tp.error.str()}")
            _, high = consumer.get_watermark_offsets(
                TopicPartition(self.topic, tp.partition), timeout=TIMEOUT, cached=False
            )
            # offset -1: no message at or after --from
            spans.append(PartitionRange(tp.partition, tp.offset if tp.offset >= 0 else high, high))
        return spans

    def _in_range(
        self, messages: list[Message], pending: dict[int, PartitionRange]
    ) -> list[Message]:
        """The messages inside the range; a partition is done at its end, --to, or end of log."""
        end_ms = None if self.end is None else to_millis(self.end)
        batch: list[Message] = []
        for message in messages:
            span = pending.get(message.partition() or 0)
            error = message.error()
            if error is not None and error.code() != KafkaError._PARTITION_EOF:
                self._usable(message)  # raises a fatal error, logs the others
                continue
            if span is None:
                continue  # that partition is done
            if error is not None:  # the end of the partition's log
                self._done(span, pending)
                continue
            offset = message.offset() or 0
            _, timestamp = message.timestamp()
            if offset >= span.end or (end_ms is not None and timestamp > end_ms):
                self._done(span, pending)
                continue
            span.first = offset if span.first is None else span.first
            span.last = offset
            span.read += 1
            batch.append(message)
            if offset + 1 >= span.end:
                self._done(span, pending)
        return batch

    def _done(self, span: PartitionRange, pending: dict[int, PartitionRange]) -> None:
        del pending[span.partition]
        assert self._consumer is not None
        self._consumer.pause([TopicPartition(self.topic, span.partition)])

    # ------------------------------------------------------------------ what differs from ingest

    def _commit(self, batch: list[Message]) -> None:
        """A replay commits no offsets, in no group."""

    def _dead_letter(self, message: Message, error: BaseException) -> None:
        self.dead_letters["undecodable" if isinstance(error, DecodeError) else "dead_lettered"] += 1
        if not self.dry_run:
            super()._dead_letter(message, error)

    def _flush_dead_letters(self) -> None:
        if not self.dry_run:
            super()._flush_dead_letters()

    def _connection(self) -> psycopg.Connection[Any]:
        conn = super()._connection()
        if self.dry_run and not conn.read_only:
            conn.read_only = True  # a dry run's transactions cannot write, even by mistake
        return conn


def replay(
    settings: Settings,
    topic: str,
    start: datetime,
    end: datetime | None = None,
    *,
    dry_run: bool = False,
    **options: Any,
) -> ReplayReport:
    """Replay ``topic`` from ``start`` to ``end`` (default: its end now) through ingest."""
    return ReplayLoop(settings, topic, start, end, dry_run=dry_run, **options).replay()


def request_topic(settings: Settings, name: str) -> str:
    """``orders`` or ``actions`` (or the configured name of either): the topic to replay."""
    topics = {"orders": settings.topic_orders, "actions": settings.topic_actions}
    if name in topics.values():
        return name
    if name not in topics:
        raise ReplayError(
            f"{name!r} is not a request topic: replay reads orders ({settings.topic_orders})"
            f" or actions ({settings.topic_actions})"
        )
    return topics[name]


# ---------------------------------------------------------------------- command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--topic",
        required=True,
        help="orders or actions (or the configured name of either)",
    )
    parser.add_argument(
        "--from",
        dest="start",
        required=True,
        type=time_argument,
        metavar="TIME",
        help="the first message time: ISO 8601 with a zone, or relative (-2h, -30m, -1d)",
    )
    parser.add_argument(
        "--to",
        dest="end",
        type=time_argument,
        metavar="TIME",
        help="the last message time (default: up to where each partition ends now)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="classify new/duplicate only: write nothing, send nothing to the DLQ",
    )
    parser.add_argument(
        "--batch-size", type=int, default=500, help="messages per poll and transaction"
    )
    parser.set_defaults(func=run)
    accept_relative_times(parser)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    topic = request_topic(settings, args.topic)
    observability.configure_logging("replay", settings.log_level)
    loop = ReplayLoop(
        settings, topic, args.start, args.end, dry_run=args.dry_run, batch_size=args.batch_size
    )
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: loop.stop())
    report = loop.replay()
    print(report.summary())
    return 0 if report.complete else 1


__all__ = [
    "DRY_RUN_HANDLER",
    "PartitionRange",
    "ReplayCounts",
    "ReplayError",
    "ReplayLoop",
    "ReplayReport",
    "add_arguments",
    "classify_requests",
    "replay",
    "request_topic",
    "run",
]

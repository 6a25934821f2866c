"""What a consumer loop records of its progress: committed offsets, or nothing at all.

- :class:`CommitOffsets` (a consumer group's members) stores each unit's offsets
  after the unit's database transaction; librdkafka commits what was stored
  every second, when partitions are revoked and on close, and never in the
  middle of a rebalance (an application commit there can leave the member's
  partitions unfetched: ``provisioning/kafka.py``). A commit that fails
  (reported to :meth:`CommitOffsets.committed`) only means the new owner of the
  partition replays what this member recorded, which the handlers absorb —
  and before handling a unit records
  durably which offsets are in flight (``consumer_inflight``). That record is
  how a member that restarts after a crash — a kill, the OOM killer, a native
  crash: nothing a ``try`` can catch — finds the message that killed its
  predecessor:

  1. it finds a row of another member whose offsets hold the one it is about to
     read: those offsets were in flight when that member died;
  2. it handles that range one message at a time, each with its own in-flight
     row counting how often that message was in flight in a process that died;
  3. a message that crashed the consumer ``max_crashes`` times is dead-lettered
     without being handled again, and the loop moves on.

  A restarted member may also start before the dead member's row (that member's
  last commit had not reached the broker): the offsets from the row's first on
  are the suspects, those before it are handled as usual.

  A member that stops on its own (SIGTERM, an error it raises) deletes its rows.
  A partition that moved in a rebalance before its offsets were committed looks
  like a crash to its new owner: that costs one range handled message by message,
  never a quarantine (that takes ``max_crashes`` deaths on the same message).
- :class:`NoCommit` (replay, dry runs) commits nothing and records nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import psycopg
from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from provisioning.sqlfiles import query

log = logging.getLogger(__name__)

Partition = tuple[str, int]


@dataclass(frozen=True)
class Unit:
    """Messages handled in one transaction and committed together."""

    messages: list[Message]
    crashes: int = 0  # a single suspect message: times it was in flight in a dead process
    suspect_until: int | None = None  # handling one at a time up to this offset
    quarantine: bool = False  # crashed the consumer too often: dead-letter, do not handle


@dataclass(frozen=True)
class InFlight:
    """A row of ``consumer_inflight``."""

    first: int
    last: int
    crashes: int
    suspect_until: int | None
    owner: str


class Checkpoint(Protocol):
    def plan(self, conn: psycopg.Connection[Any], batch: Sequence[Message]) -> list[Unit]: ...

    def begin(self, conn: psycopg.Connection[Any], unit: Unit) -> None: ...

    def commit(self, consumer: Consumer | None, messages: Sequence[Message]) -> bool: ...

    def committed(self, error: KafkaError | None, partitions: Sequence[TopicPartition]) -> bool: ...

    def forget(self, partitions: Sequence[TopicPartition]) -> None: ...

    def release(self, conn: psycopg.Connection[Any]) -> None: ...


def offsets_after(messages: Sequence[Message]) -> dict[Partition, int]:
    """The offset to commit per partition: one past the last message."""
    offsets: dict[Partition, int] = {}
    for message in messages:
        key = (message.topic() or "", message.partition() or 0)
        offsets[key] = max(offsets.get(key, -1), (message.offset() or 0) + 1)
    return offsets


class NoCommit:
    """Commits no offsets, records nothing: replays and dry runs."""

    def plan(self, conn: psycopg.Connection[Any], batch: Sequence[Message]) -> list[Unit]:
        return [Unit(list(batch))]

    def begin(self, conn: psycopg.Connection[Any], unit: Unit) -> None:
        pass

    def commit(self, consumer: Consumer | None, messages: Sequence[Message]) -> bool:
        return True

    def committed(self, error: KafkaError | None, partitions: Sequence[TopicPartition]) -> bool:
        return False

    def forget(self, partitions: Sequence[TopicPartition]) -> None:
        pass

    def release(self, conn: psycopg.Connection[Any]) -> None:
        pass


@dataclass
class CommitOffsets:
    """Commit offsets after each unit; record in-flight offsets before; quarantine killers."""

    group_id: str
    max_crashes: int = 3
    owner: str = field(default_factory=lambda: uuid.uuid4().hex)
    commit_failures: int = 0
    quarantined: int = 0
    _rows: dict[Partition, InFlight | None] = field(default_factory=dict)

    # ------------------------------------------------------------------ planning

    def plan(self, conn: psycopg.Connection[Any], batch: Sequence[Message]) -> list[Unit]:
        by_partition: dict[Partition, list[Message]] = defaultdict(list)
        for message in batch:
            by_partition[message.topic() or "", message.partition() or 0].append(message)
        self._load(conn, [p for p in by_partition if p not in self._rows])
        singles: list[Unit] = []
        normal: list[Message] = []
        for partition, messages in by_partition.items():
            messages.sort(key=lambda m: m.offset() or 0)
            rest = self._suspects(partition, messages, singles)
            normal += rest
        return [*singles, Unit(normal)] if normal else singles

    def _suspects(
        self, partition: Partition, messages: list[Message], singles: list[Unit]
    ) -> list[Message]:
        """Append single-message units for the suspect messages; return the others."""
        row = self._rows.get(partition)
        if row is None:
            return messages
        first = messages[0].offset() or 0
        crashed_here = row.owner != self.owner and first <= row.last
        until = row.suspect_until
        if crashed_here:
            until = max(row.last, until if until is not None else -1)
            log.warning(
                "%s[%d]: offsets %d..%d were in flight when a consumer died;"
                " handling them one at a time",
                partition[0],
                partition[1],
                row.first,
                until,
            )
        if until is None or first > until:
            return messages
        rest: list[Message] = []
        for message in messages:
            offset = message.offset() or 0
            if offset > until or (crashed_here and offset < row.first):
                rest.append(message)  # done before the crash: only its commit was lost
                continue
            # every message of a crashed range was in flight once; the one the dead
            # member was on when it died, once more for each of its own crashes
            crashes = row.crashes + 1 if crashed_here and offset == row.first else 1
            singles.append(
                Unit(
                    [message],
                    crashes=crashes,
                    suspect_until=until,
                    quarantine=crashes >= self.max_crashes,
                )
            )
        return rest

    def _load(self, conn: psycopg.Connection[Any], partitions: list[Partition]) -> None:
        if not partitions:
            return
        rows = conn.execute(
            query("consumer", "inflight_of"),
            {
                "group_id": self.group_id,
                "topics": [topic for topic, _ in partitions],
                "partitions": [number for _, number in partitions],
            },
        ).fetchall()
        self._rows.update(dict.fromkeys(partitions))
        for topic, number, first, last, crashes, until, owner in rows:
            self._rows[topic, number] = InFlight(first, last, crashes, until, owner)

    # ------------------------------------------------------------------ recording

    def begin(self, conn: psycopg.Connection[Any], unit: Unit) -> None:
        """Record durably (autocommit) which offsets are about to be handled."""
        spans: dict[Partition, tuple[int, int]] = {}
        for message in unit.messages:
            key = (message.topic() or "", message.partition() or 0)
            offset = message.offset() or 0
            low, high = spans.get(key, (offset, offset))
            spans[key] = (min(low, offset), max(high, offset))
        rows = {
            key: InFlight(low, high, unit.crashes, unit.suspect_until, self.owner)
            for key, (low, high) in spans.items()
        }
        conn.execute(
            query("consumer", "inflight_begin"),
            {
                "group_id": self.group_id,
                "owner": self.owner,
                "topics": [topic for topic, _ in rows],
                "partitions": [number for _, number in rows],
                "first_offsets": [row.first for row in rows.values()],
                "last_offsets": [row.last for row in rows.values()],
                "crashes": [row.crashes for row in rows.values()],
                "suspect_until": [row.suspect_until for row in rows.values()],
            },
        )
        self._rows.update(rows)

    def commit(self, consumer: Consumer | None, messages: Sequence[Message]) -> bool:
        """Store the offsets after ``messages`` for librdkafka to commit; False if refused.

        The broker's answer to the commit comes to :meth:`committed` (see the module doc).
        """
        assert consumer is not None
        offsets = offsets_after(messages)
        try:
            consumer.store_offsets(
                offsets=[TopicPartition(t, p, o) for (t, p), o in offsets.items()]
            )
        except KafkaException as exc:  # the partition is no longer ours
            self.committed(exc.args[0] if exc.args else None, [])
            return False
        return True

    def committed(self, error: KafkaError | None, partitions: Sequence[TopicPartition]) -> bool:
        """The broker's answer to a commit (librdkafka's ``on_commit``, served in poll).

        True when the commit failed: the partitions moved on meanwhile, and their new
        owner replays these messages, which the handlers' idempotency absorbs.
        """
        failed = [tp for tp in partitions if tp.error is not None]
        if error is not None and error.code() == KafkaError._NO_OFFSET:
            return False  # a commit round with nothing new to commit
        if error is None and not failed:
            return False
        reason = error or failed[0].error
        log.warning("offset commit failed (%s); the messages will be replayed", reason)
        self.commit_failures += 1
        return True

    def forget(self, partitions: Sequence[TopicPartition]) -> None:
        """Partitions that left this member: their rows are another member's business now."""
        for tp in partitions:
            self._rows.pop((tp.topic, tp.partition), None)

    def release(self, conn: psycopg.Connection[Any]) -> None:
        """Stopping on our own: what we had in flight did not crash anything."""
        conn.execute(
            query("consumer", "inflight_release"), {"group_id": self.group_id, "owner": self.owner}
        )
        self._rows.clear()


__all__ = ["Checkpoint", "CommitOffsets", "InFlight", "NoCommit", "Unit", "offsets_after"]

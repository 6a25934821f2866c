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

from consumers.checkpoints import NoCommit
from consumers.dead_letters import CountedDeadLetters, DeadLetters, KafkaDeadLetters
from consumers.ingest import request_handler
from consumers.loop import ConsumerLoop, Handler, Item
from consumers.offsets import accept_relative_times, time_argument
from consumers.sources import RangeError, RangeSource
from provisioning import observability
from provisioning.kafka import PartitionRange
from provisioning.progress import Progress
from provisioning.settings import Settings, load_settings
from provisioning.sqlfiles import query
from schemas.codec import Codec
from schemas.requests import REQUEST

log = logging.getLogger(__name__)

# A replay cannot start: an unknown topic, an empty or inverted time range.
ReplayError = RangeError


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


# ---------------------------------------------------------------------- the replay


class Replay:
    """The ingest loop over a range of offsets, committing nothing: a composition of parts.

    The loop is the one every consumer runs (transaction per batch, per-message
    fallback, rejection, DLQ); its source reads the range with an assigned
    reader, its checkpoint commits nothing, and a dry run's dead letters are only
    counted (and its database connection is read-only).
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
        # a group id librdkafka needs, that no one joins and nothing commits to
        group_id = f"{settings.group_ingest}-replay-{uuid.uuid4().hex[:12]}"
        self.source = RangeSource(topic, start, end, group_id)
        self.dry_run = dry_run
        self.dead_letters: DeadLetters = (
            CountedDeadLetters() if dry_run else KafkaDeadLetters(settings, group_id, "replay")
        )
        self.loop = ConsumerLoop(
            settings,
            DRY_RUN_HANDLER if dry_run else request_handler(settings),
            self.source,
            NoCommit(),
            self.dead_letters,
            codec=codec,
            batch_size=batch_size,
            poll_timeout=poll_timeout,
            component="replay",  # metrics: a replay is not the live ingest's traffic
            read_only=dry_run,
        )

    def stop(self) -> None:
        self.loop.stop()

    def progress(self) -> tuple[int, int | None]:
        """(messages read, messages in the range at most): --to may end it sooner."""
        spans = list(self.source.partitions)
        if not spans:
            return 0, None  # not assigned yet
        return sum(s.read for s in spans), sum(max(0, s.end - s.start) for s in spans)

    def run(self) -> ReplayReport:
        stats = self.loop.run()
        counts, dead = stats.counts, self.dead_letters.counts
        source = self.source
        return ReplayReport(
            topic=source.topic,
            start=source.start,
            end=source.end,
            dry_run=self.dry_run,
            group_id=source.group_id,
            complete=source.done,
            partitions=source.partitions,
            counts=ReplayCounts(
                read=sum(span.read for span in source.partitions),
                new=counts["inserted"] + counts["new"],
                duplicates=counts["duplicates"],
                rejected=counts["rejected"],
                dead_lettered=dead["dead_lettered"] - dead["undecodable"],
                undecodable=dead["undecodable"],
            ),
        )


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
    return Replay(settings, topic, start, end, dry_run=dry_run, **options).run()


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
    job = Replay(
        settings, topic, args.start, args.end, dry_run=args.dry_run, batch_size=args.batch_size
    )
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: job.stop())
    with Progress("replay", unit="messages") as bar:
        bar.follow(job.progress)
        report = job.run()
    print(report.summary())
    return 0 if report.complete else 1


__all__ = [
    "DRY_RUN_HANDLER",
    "PartitionRange",
    "Replay",
    "ReplayCounts",
    "ReplayError",
    "ReplayReport",
    "add_arguments",
    "classify_requests",
    "replay",
    "request_topic",
    "run",
]

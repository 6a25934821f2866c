"""Inspect dead-lettered messages and redrive them to their original topic.

A consumer that cannot read a message (it does not decode, names an unknown
schema, or even its rejection failed) writes it to <topic>.dlq: the original key,
value and headers plus x-dlq-* headers saying why and where it came from
(docs/ingest.md, docs/dlq.md). This command reads those topics without joining
a consumer group and without committing offsets.

  list     one line per message: its place, its origin, the error class, whether
           it was redriven, the reason (default: the DLQs of the orders, actions
           and outcomes topics)
  show     everything about one message: headers, key, value preview, redrives
  redrive  republish messages to their original topic with their original key,
           value and headers (x-dlq-* removed, x-redriven-from added) through an
           idempotent acks=all producer; each confirmed delivery is recorded in
           the dlq_redrive table. A message redriven before is refused unless
           --force. Exit status 1 when any selected message was not redriven.
           --all prints the plan (what would be redriven) unless --execute;
           --offset P:O acts at once unless --dry-run.

  list --json prints one JSON object per message (JSON Lines).

Fix the cause before redriving (a consumer release that knows the schema, the
reference data the request names): a redriven message that fails again lands in
the DLQ again, at a new offset.

examples:
  provisioning dlq list
  provisioning dlq list --topic provisioning.actions.dlq
  provisioning dlq show provisioning.actions.dlq 0 42
  provisioning dlq redrive provisioning.actions.dlq --offset 0:42 0:43 --dry-run
  provisioning dlq redrive provisioning.actions.dlq --all             # the plan
  provisioning dlq redrive provisioning.actions.dlq --all --execute
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import json
import string
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition
from psycopg.rows import class_row

from consumers.dead_letters import DLQ_PREFIX, STORED_AS
from provisioning import kafka
from provisioning.errors import ProvisioningError
from provisioning.kafka import Headers, PartitionRange, RangeReader
from provisioning.progress import Progress
from provisioning.settings import Settings, load_settings
from provisioning.sqlfiles import query

REDRIVEN_FROM = "x-redriven-from"
REASON_WIDTH = 80
PREVIEW_BYTES = 256
KAFKA_TIMEOUT = 30.0


class DlqError(ProvisioningError):
    """A DLQ topic or message cannot be read, or a redrive cannot be done or recorded."""


_NO_SUCH_TOPIC = KafkaError.UNKNOWN_TOPIC_OR_PART

Position = tuple[int, int]  # (partition, offset)


@dataclass(frozen=True)
class DeadLetter:
    """One message of a DLQ topic."""

    topic: str
    partition: int
    offset: int
    timestamp: int | None  # ms since the epoch
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes | None], ...]

    @property
    def position(self) -> Position:
        return (self.partition, self.offset)

    @property
    def place(self) -> str:
        return f"{self.topic}[{self.partition}]@{self.offset}"

    def header(self, name: str) -> str | None:
        """The last value of header ``name``, decoded, or None."""
        found = None
        for key, value in self.headers:
            if key == name and value is not None:
                found = value.decode(errors="replace")
        return found

    @property
    def original_topic(self) -> str | None:
        return self.header(DLQ_PREFIX + "original-topic") or None

    @property
    def origin(self) -> str:
        topic = self.original_topic or "?"
        partition = self.header(DLQ_PREFIX + "original-partition") or "?"
        offset = self.header(DLQ_PREFIX + "original-offset") or "?"
        return f"{topic}[{partition}]@{offset}"

    @property
    def error_class(self) -> str:
        return self.header(DLQ_PREFIX + "error-class") or "?"

    @property
    def reason(self) -> str:
        return self.header(DLQ_PREFIX + "error-message") or ""

    @property
    def stored_id(self) -> int | None:
        """The ``dead_letter`` row keeping the original, when it was too large for the DLQ."""
        pointer = self.header(STORED_AS) or ""
        table, _, number = pointer.partition(":")
        return int(number) if table == "dead_letter" and number.isdigit() else None

    def redrive_headers(self) -> Headers:
        """The original headers, without the x-dlq-* ones, plus x-redriven-from."""
        kept: Headers = [
            (key, value)
            for key, value in self.headers
            if not key.startswith(DLQ_PREFIX) and key != REDRIVEN_FROM
        ]
        return [*kept, (REDRIVEN_FROM, self.place.encode())]


@dataclass(frozen=True)
class Redrive:
    """A row of ``dlq_redrive``: the latest redrive of one DLQ message."""

    dlq_topic: str
    partition: int
    dlq_offset: int
    original_topic: str
    redriven_at: datetime
    redriven_by: str
    new_partition: int
    new_offset: int
    redrive_count: int

    @property
    def new_place(self) -> str:
        return f"{self.original_topic}[{self.new_partition}]@{self.new_offset}"

    def describe(self) -> str:
        times = "" if self.redrive_count == 1 else f" ({self.redrive_count} times)"
        return (
            f"redriven{times} {self.redriven_at.isoformat(timespec='seconds')} "
            f"by {self.redriven_by} -> {self.new_place}"
        )


@dataclass
class RedriveResult:
    """What ``redrive`` did with one selected message."""

    message: DeadLetter
    status: str  # redriven | would redrive | refused | skipped | not delivered
    detail: str = ""
    record: Redrive | None = None  # the row written, or the earlier redrive that refused it
    delivered_to: str | None = None  # topic[partition]@offset of the confirmed copy


# ---------------------------------------------------------------------- reading Kafka


def _reader(settings: Settings) -> Consumer:
    consumer = kafka.reader(settings)
    try:
        kafka.require_reachable(consumer, settings)
    except ProvisioningError:
        consumer.close()
        raise
    return consumer


def _partitions(consumer: Consumer, topic: str) -> list[int] | None:
    """The topic's partitions, or None when it does not exist."""
    deadline = time.monotonic() + KAFKA_TIMEOUT
    while True:
        try:
            entry = consumer.list_topics(topic, timeout=KAFKA_TIMEOUT).topics.get(topic)
        except KafkaException as exc:
            raise DlqError(f"{topic}: cannot read metadata: {exc}") from exc
        error = None if entry is None else entry.error
        if entry is None or (
            error is not None and error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART
        ):
            return None
        if error is None and entry.partitions:
            return sorted(entry.partitions)
        if time.monotonic() > deadline:
            raise DlqError(f"{topic}: metadata unavailable: {error}")
        time.sleep(0.5)


def _watermarks(consumer: Consumer, topic: str, partition: int) -> tuple[int, int]:
    try:
        low, high = consumer.get_watermark_offsets(
            TopicPartition(topic, partition), timeout=KAFKA_TIMEOUT
        )
    except KafkaException as exc:
        raise DlqError(f"{topic}[{partition}]: cannot read offsets: {exc}") from exc
    return int(low), int(high)


def _header_bytes(value: str | bytes | None) -> bytes | None:
    return value.encode() if isinstance(value, str) else value


def _dead_letter(message: Message) -> DeadLetter:
    _, timestamp = message.timestamp()
    return DeadLetter(
        topic=message.topic() or "",
        partition=message.partition() or 0,
        offset=message.offset() or 0,
        timestamp=timestamp if timestamp and timestamp > 0 else None,
        key=message.key(),
        value=message.value(),
        headers=tuple(
            (str(entry[0]), _header_bytes(entry[1])) for entry in message.headers() or []
        ),
    )


def _consume(consumer: Consumer, topic: str, ranges: dict[int, Position]) -> list[DeadLetter]:
    """The messages of ``topic`` with ``start <= offset < end`` for each partition's range."""
    spans = [PartitionRange(p, start, end) for p, (start, end) in ranges.items()]
    range_reader = RangeReader(consumer, topic, spans)
    found: list[DeadLetter] = []
    deadline = time.monotonic() + KAFKA_TIMEOUT
    try:
        while not range_reader.done:
            if time.monotonic() > deadline:
                raise DlqError(
                    f"{topic}: timed out reading partitions {sorted(range_reader.pending)}"
                )
            found += [_dead_letter(message) for message in range_reader.read(500, 0.5)]
    finally:
        consumer.unassign()
    return sorted(found, key=lambda m: m.position)


def read_topic(settings: Settings, topic: str) -> list[DeadLetter] | None:
    """Every message of DLQ ``topic`` up to its high watermark; None if it does not exist."""
    consumer = _reader(settings)
    try:
        partitions = _partitions(consumer, topic)
        if partitions is None:
            return None
        ranges = {p: _watermarks(consumer, topic, p) for p in partitions}
        return _consume(consumer, topic, ranges)
    finally:
        consumer.close()


def read_messages(
    settings: Settings, topic: str, positions: Iterable[Position]
) -> list[DeadLetter]:
    """The messages of DLQ ``topic`` at ``positions``; DlqError names any that is missing."""
    wanted = sorted(set(positions))
    consumer = _reader(settings)
    try:
        partitions = _partitions(consumer, topic)
        if partitions is None:
            raise DlqError(f"topic {topic} does not exist")
        ranges: dict[int, Position] = {}
        for partition, offset in wanted:
            if partition not in partitions:
                raise DlqError(f"{topic} has no partition {partition} (it has {len(partitions)})")
            low, high = _watermarks(consumer, topic, partition)
            if not low <= offset < high:
                raise DlqError(
                    f"no message at {topic}[{partition}]@{offset}: "
                    f"the partition holds offsets {low}..{high - 1}"
                )
            start, end = ranges.get(partition, (offset, offset + 1))
            ranges[partition] = (min(start, offset), max(end, offset + 1))
        found = {m.position: m for m in _consume(consumer, topic, ranges)}
    finally:
        consumer.close()
    missing = [f"{topic}[{p}]@{o}" for p, o in wanted if (p, o) not in found]
    if missing:
        raise DlqError(f"no message at {', '.join(missing)}")
    return [found[position] for position in wanted]


def topic_exists(settings: Settings, topic: str) -> bool:
    """Whether ``topic`` exists (asking never creates it)."""
    consumer = _reader(settings)
    try:
        return _partitions(consumer, topic) is not None
    finally:
        consumer.close()


# ---------------------------------------------------------------------- the redrive record


def _connect(settings: Settings) -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(settings.admin_url(), application_name="provisioning:dlq")
    except psycopg.Error as exc:
        raise DlqError(f"cannot connect to the database: {exc}") from exc


def redrives(conn: psycopg.Connection[Any], dlq_topic: str) -> dict[Position, Redrive]:
    """The recorded redrives of ``dlq_topic``'s messages, by (partition, offset)."""
    with conn.cursor(row_factory=class_row(Redrive)) as cur:
        rows = cur.execute(query("dlq", "redrives_of_topic"), {"dlq_topic": dlq_topic}).fetchall()
    return {(row.partition, row.dlq_offset): row for row in rows}


def recorded_redrives(settings: Settings, dlq_topic: str) -> dict[Position, Redrive]:
    try:
        with _connect(settings) as conn:
            return redrives(conn, dlq_topic)
    except psycopg.Error as exc:
        raise DlqError(f"cannot read the redrive record: {exc}") from exc


# ---------------------------------------------------------------------- redrive


def _cached(known: dict[str, bool], topic: str, settings: Settings) -> bool:
    if topic not in known:
        known[topic] = topic_exists(settings, topic)
    return known[topic]


@dataclass
class _Delivery:
    message: DeadLetter
    error: str | None = None
    partition: int | None = None
    offset: int | None = None

    def __call__(self, err: KafkaError | None, msg: Message) -> None:
        if err is not None:
            self.error = err.str()
        else:
            self.partition, self.offset = msg.partition(), msg.offset()


def redrive(
    settings: Settings,
    dlq_topic: str,
    messages: Sequence[DeadLetter],
    *,
    force: bool = False,
    dry_run: bool = False,
    skip_redriven: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[RedriveResult]:
    """Republish ``messages`` to their original topics and record each confirmed delivery.

    A message redriven before is refused (or, with ``skip_redriven``, skipped)
    unless ``force``. The check, the publishing and the record happen under a
    per-topic advisory lock in one transaction, so concurrent redrives of the same
    message cannot both publish it. ``on_progress(published, to_publish)`` is called
    as each message is handed to the producer.
    """
    results = [RedriveResult(message, "selected") for message in messages]
    existing_topics: dict[str, bool] = {}
    try:
        with _connect(settings) as conn, conn.transaction():
            if not dry_run:
                conn.execute(query("dlq", "lock_topic"), {"dlq_topic": dlq_topic})
            done = redrives(conn, dlq_topic)
            for result in results:
                message = result.message
                target = message.original_topic
                earlier = done.get(message.position)
                if target is None:
                    result.status, result.detail = "refused", "no x-dlq-original-topic header"
                elif earlier is not None and not force:
                    result.status = "skipped" if skip_redriven else "refused"
                    result.detail = f"{earlier.describe()}; --force to redrive it again"
                    result.record = earlier
                elif not _cached(existing_topics, target, settings):
                    result.status, result.detail = "refused", f"topic {target} does not exist"
                elif dry_run:
                    result.status, result.detail = "would redrive", f"-> {target}"
            chosen = [r for r in results if r.status == "selected"]
            if chosen:
                _publish(settings, conn, dlq_topic, chosen, on_progress)
    except psycopg.Error as exc:
        sent = [f"{r.message.place} {r.delivered_to}" for r in results if r.delivered_to]
        lost = f"; published but NOT recorded: {', '.join(sent)}" if sent else ""
        raise DlqError(f"the redrive record failed: {exc}{lost}") from exc
    return results


def _publish(
    settings: Settings,
    conn: psycopg.Connection[Any],
    dlq_topic: str,
    chosen: Sequence[RedriveResult],
    on_progress: Callable[[int, int], None] | None = None,
) -> None:
    producer = kafka.producer(
        settings,
        **{
            "allow.auto.create.topics": False,
            # librdkafka gives up (and reports) before flush() stops waiting
            "message.timeout.ms": int(KAFKA_TIMEOUT * 1000),
            "message.max.bytes": settings.dlq_max_message_bytes,
        },
    )
    deliveries = [_Delivery(result.message) for result in chosen]
    for number, (result, delivery) in enumerate(zip(chosen, deliveries, strict=True), 1):
        message = result.message
        try:
            if message.stored_id is not None:
                message = _original(conn, message, message.stored_id)
            kafka.produce(
                producer,
                message.original_topic or "",
                key=message.key,
                value=message.value,
                headers=message.redrive_headers(),
                on_delivery=delivery,
            )
        except (KafkaException, DlqError) as exc:
            delivery.error = str(exc)
        if on_progress is not None:
            on_progress(number, len(chosen))
    producer.flush(KAFKA_TIMEOUT * 2)
    for result, delivery in zip(chosen, deliveries, strict=True):
        if delivery.error is not None or delivery.partition is None or delivery.offset is None:
            result.status = "not delivered"
            result.detail = delivery.error or "no delivery report (unknown whether it was written)"
            continue
        result.delivered_to = (
            f"{result.message.original_topic}[{delivery.partition}]@{delivery.offset}"
        )
        with conn.cursor(row_factory=class_row(Redrive)) as cur:
            result.record = cur.execute(
                query("dlq", "record_redrive"),
                {
                    "dlq_topic": dlq_topic,
                    "partition": result.message.partition,
                    "dlq_offset": result.message.offset,
                    "original_topic": result.message.original_topic,
                    "new_partition": delivery.partition,
                    "new_offset": delivery.offset,
                },
            ).fetchone()
        result.status, result.detail = "redriven", f"-> {result.delivered_to}"


def _original(conn: psycopg.Connection[Any], message: DeadLetter, row_id: int) -> DeadLetter:
    """``message`` with the key, value and headers kept in ``dead_letter`` row ``row_id``."""
    row = conn.execute(query("consumer", "dead_letter_original"), {"id": row_id}).fetchone()
    if row is None:
        raise DlqError(f"{message.place}: its original (dead_letter {row_id}) is not in the table")
    key, value, headers = row
    original = tuple(
        ((_unb64(name) or b"").decode(errors="replace"), _unb64(data))
        for name, data in headers or []
    )
    # the copy's x-dlq-* headers stay, as on any dead letter: redrive_headers() drops them
    ours = tuple(entry for entry in message.headers if entry[0].startswith(DLQ_PREFIX))
    return dataclasses.replace(
        message,
        key=None if key is None else bytes(key),
        value=None if value is None else bytes(value),
        headers=(*original, *ours),
    )


def _unb64(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text)


# ---------------------------------------------------------------------- printing


def _one_line(text: str, width: int = REASON_WIDTH) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


def _when(ms: int | None) -> str:
    if ms is None:
        return "?"
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")


_PRINTABLE = frozenset(string.printable.encode()) - frozenset(b"\t\n\r\x0b\x0c")


def _printable(data: bytes) -> str:
    return "".join(chr(b) if b in _PRINTABLE else "." for b in data)


def _header_value(value: bytes | None) -> str:
    if value is None:
        return "(null)"
    try:
        text = value.decode()
    except UnicodeDecodeError:
        return "0x" + value.hex()
    return text if text.isprintable() else repr(text)


def hexdump(data: bytes, limit: int = PREVIEW_BYTES) -> list[str]:
    """``offset  hex bytes  |printable|`` lines of the first ``limit`` bytes."""
    lines = []
    for start in range(0, min(len(data), limit), 16):
        chunk = data[start : start + 16]
        lines.append(f"{start:04x}  {chunk.hex(' '):<47}  |{_printable(chunk)}|")
    if len(data) > limit:
        lines.append(f"... {len(data) - limit} more bytes")
    return lines


def list_record(message: DeadLetter, record: Redrive | None) -> dict[str, Any]:
    """What ``dlq list --json`` prints for one message."""
    return {
        "topic": message.topic,
        "partition": message.partition,
        "offset": message.offset,
        "timestamp": _when(message.timestamp) if message.timestamp else None,
        "original_topic": message.original_topic,
        "origin": message.origin,
        "error_class": message.error_class,
        "reason": message.reason,
        "stored_as": message.header(STORED_AS),
        "redrive_count": 0 if record is None else record.redrive_count,
        "redriven_to": None if record is None else record.new_place,
    }


def list_line(message: DeadLetter, record: Redrive | None) -> str:
    redriven = "-" if record is None else f"redriven({record.redrive_count})"
    return (
        f"{message.place}  {message.origin}  {message.error_class}  {redriven}  "
        f"{_one_line(message.reason)}"
    )


def show_lines(message: DeadLetter, record: Redrive | None) -> list[str]:
    lines = [
        f"message    {message.place}  at {_when(message.timestamp)}",
        f"original   {message.origin}  at "
        + _when(_int(message.header(DLQ_PREFIX + "original-timestamp"))),
        f"error      {message.error_class}: {message.reason}",
        f"group      {message.header(DLQ_PREFIX + 'consumer-group') or '?'}",
    ]
    sqlstate = message.header(DLQ_PREFIX + "sqlstate")
    if sqlstate:
        lines.append(f"sqlstate   {sqlstate}")
    if message.stored_id is not None:
        lines.append(
            f"stored     too large for the DLQ: original in dead_letter {message.stored_id}"
        )
    lines.append(f"headers    {len(message.headers)}")
    lines += [f"  {key}: {_header_value(value)}" for key, value in message.headers]
    lines.append("key        " + ("(null)" if message.key is None else _header_value(message.key)))
    if message.value is None:
        lines.append("value      (null)")
    else:
        lines.append(f"value      {len(message.value)} bytes")
        lines += ["  " + line for line in hexdump(message.value)]
    lines.append("redrive    " + ("never redriven" if record is None else record.describe()))
    return lines


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None and int(text) > 0 else None
    except ValueError:
        return None


# ---------------------------------------------------------------------- command line


def _position(text: str) -> Position:
    partition, sep, offset = text.partition(":")
    if not sep or not partition.isdigit() or not offset.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not PARTITION:OFFSET, e.g. 0:42")
    return int(partition), int(offset)


def _natural(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a number >= 0")
    return int(text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(title="actions", metavar="ACTION", dest="dlq_action")
    actions.required = True
    listing = actions.add_parser(
        "list", help="one line per dead-lettered message", description="One line per message."
    )
    listing.add_argument(
        "--topic",
        action="append",
        metavar="DLQ_TOPIC",
        help="a DLQ topic to list (repeatable; default: those of the orders, actions and "
        "outcomes topics)",
    )
    listing.add_argument(
        "--json", action="store_true", help="one JSON object per message (JSON Lines)"
    )
    show = actions.add_parser(
        "show", help="everything about one message", description="Everything about one message."
    )
    show.add_argument("topic", metavar="DLQ_TOPIC")
    show.add_argument("partition", type=_natural, metavar="PARTITION")
    show.add_argument("offset", type=_natural, metavar="OFFSET")
    again = actions.add_parser(
        "redrive",
        help="republish messages to their original topic and record it",
        description="Republish messages to their original topic (x-dlq-original-topic) with "
        "their original key, value and headers, and record each confirmed delivery.",
    )
    again.add_argument("topic", metavar="DLQ_TOPIC")
    which = again.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--offset",
        type=_position,
        nargs="+",
        action="extend",
        metavar="P:O",
        help="the messages at these PARTITION:OFFSET places",
    )
    which.add_argument(
        "--all",
        action="store_true",
        help="every message not redriven yet (the others: skipped); the plan unless --execute",
    )
    mode = again.add_mutually_exclusive_group()
    mode.add_argument(
        "--execute",
        action="store_true",
        help="with --all: redrive (without: print the plan); --offset redrives without it",
    )
    mode.add_argument("--dry-run", action="store_true", help="say what would be done; do nothing")
    again.add_argument("--force", action="store_true", help="redrive messages redriven before")
    parser.set_defaults(func=run)


def _list(settings: Settings, topics: Sequence[str] | None, *, as_json: bool = False) -> int:
    explicit = topics is not None
    names = topics or [
        settings.dlq_topic(t)
        for t in (settings.topic_orders, settings.topic_actions, settings.topic_outcomes)
    ]
    total = redriven = 0
    for topic in names:
        messages = read_topic(settings, topic)
        if messages is None:
            if explicit:
                raise DlqError(f"topic {topic} does not exist")
            continue
        done = recorded_redrives(settings, topic) if messages else {}
        for message in messages:
            record = done.get(message.position)
            if as_json:
                print(json.dumps(list_record(message, record), default=str))
            else:
                print(list_line(message, record))
        total += len(messages)
        redriven += sum(1 for message in messages if message.position in done)
    if not as_json:
        print(f"{total} dead-lettered message(s), {redriven} redriven")
    return 0


def _show(settings: Settings, topic: str, partition: int, offset: int) -> int:
    (message,) = read_messages(settings, topic, [(partition, offset)])
    record = recorded_redrives(settings, topic).get(message.position)
    print("\n".join(show_lines(message, record)))
    return 0


def _redrive(settings: Settings, args: argparse.Namespace) -> int:
    if args.all:
        messages = read_topic(settings, args.topic)
        if messages is None:
            raise DlqError(f"topic {args.topic} does not exist")
    else:
        messages = read_messages(settings, args.topic, args.offset)
    plan_only = args.dry_run or (args.all and not args.execute)
    with Progress("redrive", unit="messages") as bar:
        results = redrive(
            settings,
            args.topic,
            messages,
            force=args.force,
            dry_run=plan_only,
            skip_redriven=args.all,
            on_progress=bar.update,
        )
    for result in results:
        print(f"{result.status}  {result.message.place}  {result.detail}".rstrip())
    counts = {s: sum(1 for r in results if r.status == s) for s in {r.status for r in results}}
    print(", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "nothing to redrive")
    if plan_only and not args.dry_run and "would redrive" in counts:
        print("the plan: nothing was published; run again with --execute", file=sys.stderr)
    failed = {"refused", "not delivered"} & set(counts)
    return 1 if failed else 0


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.dlq_action == "list":
        return _list(settings, args.topic, as_json=args.json)
    if args.dlq_action == "show":
        return _show(settings, args.topic, args.partition, args.offset)
    return _redrive(settings, args)

"""The outcome relay's publish rate against a raw idempotent producer in the same run.

Both sides publish ``ROWS`` messages of the same sizes, with the same keys (spread
over ``KEYS`` order ids), each round to a fresh 4-partition topic, rounds
interleaved (raw producer, relay, raw producer, ...):

- **candidate**: ``Relay(settings, OUTCOMES).run(until_idle=...)`` with its
  defaults (500 rows a transaction: lock, fetch_unsent, encode and produce each
  row, flush and wait for the delivery reports, mark_sent, commit), over
  ``ROWS`` outbox rows inserted in one statement into a fresh clone of a migrated
  database (``bench/relay.sql``: shaped like the executor's outcomes, one plan
  id, a small result_data; then an untimed ``ANALYZE``, the statistics a live
  outbox has). Rows/s from just before ``run`` to the commit of the last batch
  that published anything (a subclass notes that instant; the idle tail of
  ``until_idle`` is not timed). The round then checks that the relay published
  ``ROWS``, that no row is left unsent and that the topic holds ``ROWS`` messages.
- **baseline**: a confluent-kafka ``Producer`` with the relay's settings
  (``enable.idempotence``, ``acks=all``, ``linger.ms=5``, ``message.timeout.ms``
  30,000, librdkafka's batch defaults) producing the same number of values,
  encoded before timing from rows made by the same statement (the same codec and
  record, so the same sizes), with the same keys and the same content-type
  header, then one ``flush``. Messages/s from the first ``produce`` to the end of
  the flush; every delivery report must be clean and the topic must hold ``ROWS``.

Both producers are created before their timing starts (so neither side's
connection to the broker is counted in full: librdkafka connects in the
background from creation), and one untimed idempotent delivery before the first
round waits out a freshly started broker's producer-id coordinator. The ratio
is the price of the outbox: reading and marking rows in PostgreSQL, encoding,
and waiting for each batch's delivery before the next.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
from confluent_kafka import Consumer, KafkaError, Message, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]
from psycopg.rows import dict_row

from bench.harness import Comparison, Services, interleave
from producers.relay import OUTCOME_CONTENT_TYPE, OUTCOMES, BatchResult, Relay
from provisioning.migrations import upgrade
from provisioning.settings import Settings
from provisioning.sqlfiles import named_blocks, query
from schemas.codec import codec_from_settings

SQL = named_blocks(Path(__file__).with_name("relay.sql"))
ROWS = 20_000
KEYS = 1_000
ROUNDS = 3
PARTITIONS = 4
UNTIL_IDLE = 1.0  # seconds without a publication before the relay returns (not timed)
# What Relay configures its producer with (producers/relay.py), besides the common settings.
PRODUCER_CONFIG: dict[str, Any] = {
    "enable.idempotence": True,
    "acks": "all",
    "linger.ms": 5,
    "message.timeout.ms": 30_000,
}
HEADERS: list[tuple[str, str | bytes | None]] = [("content-type", OUTCOME_CONTENT_TYPE.encode())]


class TimedRelay(Relay):
    """The relay, noting (time.monotonic()) when a batch that published anything committed."""

    last_published_at: float | None = None

    def relay_batch(self) -> BatchResult:
        result = super().relay_batch()
        if result.published:
            self.last_published_at = time.monotonic()
        return result


def _topic(bootstrap: str) -> str:
    name = f"bench.relay.{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics(
        [NewTopic(name, num_partitions=PARTITIONS, replication_factor=1)], operation_timeout=30
    )
    futures[name].result(timeout=30)
    return name


def _messages_in(bootstrap: str, topic: str) -> int:
    """How many messages the topic holds (the sum of its partitions' high watermarks)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"bench-{uuid.uuid4().hex}"})
    try:
        return sum(
            consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)[1]
            for partition in range(PARTITIONS)
        )
    finally:
        consumer.close()


def _outbox_database(services: Services, template: str, name: str) -> str:
    """A fresh clone of the template with ROWS unsent outbox rows (not timed)."""
    url = services.create_database(name, template)
    with psycopg.connect(url, autocommit=True) as conn:
        inserted = conn.execute(SQL["insert_outbox"], {"rows": ROWS, "keys": KEYS}).rowcount
        if inserted != ROWS:
            raise RuntimeError(f"inserted {inserted} outbox rows, expected {ROWS}")
        conn.execute(SQL["analyze"])
    return url


def _encoded_messages(services: Services, template: str) -> list[tuple[bytes, bytes]]:
    """(key, value) of ROWS outbox rows, encoded as the relay encodes them (not timed)."""
    url = _outbox_database(services, template, "bench_relay_values")
    settings = Settings(kafka_bootstrap_servers=services.kafka_bootstrap, database_url=url)
    codec = codec_from_settings(settings)
    with psycopg.connect(url, row_factory=dict_row) as conn:
        rows = conn.execute(
            query("outbox", "fetch_unsent"), {"limit": ROWS, "after": None}
        ).fetchall()
    if len(rows) != ROWS:
        raise RuntimeError(f"fetched {len(rows)} outbox rows, expected {ROWS}")
    return [
        (
            str(row["message_key"]).encode(),
            codec.encode(OUTCOMES.record, OUTCOMES.datum(row), settings.topic_outcomes),
        )
        for row in rows
    ]


def relay_round(services: Services, template: str, index: int) -> float:
    url = _outbox_database(services, template, f"bench_relay_{index}")
    topic = _topic(services.kafka_bootstrap)
    settings = Settings(
        kafka_bootstrap_servers=services.kafka_bootstrap, database_url=url, topic_outcomes=topic
    )
    relay = TimedRelay(settings, OUTCOMES)
    start = time.monotonic()
    counts = relay.run(until_idle=UNTIL_IDLE)
    if counts["published"] != ROWS or relay.last_published_at is None:
        raise RuntimeError(f"the relay published {counts['published']}, expected {ROWS}: {counts}")
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(SQL["sent_counts"]).fetchone()
    if row is None or tuple(row) != (ROWS, 0):
        raise RuntimeError(f"outbox rows (sent, unsent) = {row}, expected ({ROWS}, 0)")
    held = _messages_in(services.kafka_bootstrap, topic)
    if held != ROWS:
        raise RuntimeError(f"the relay's topic holds {held} messages, expected {ROWS}")
    return ROWS / (relay.last_published_at - start)


def producer_round(services: Services, messages: list[tuple[bytes, bytes]]) -> float:
    topic = _topic(services.kafka_bootstrap)
    settings = Settings(kafka_bootstrap_servers=services.kafka_bootstrap)
    producer = Producer(settings.kafka_config(**PRODUCER_CONFIG))
    delivered = 0
    errors: list[str] = []

    def report(error: KafkaError | None, _: Message) -> None:
        nonlocal delivered
        if error is None:
            delivered += 1
        else:
            errors.append(str(error))

    start = time.monotonic()
    for key, value in messages:
        while True:
            try:
                producer.produce(topic, key=key, value=value, headers=HEADERS, on_delivery=report)
                break
            except BufferError:
                producer.poll(0.1)
    remaining = producer.flush(60)
    seconds = time.monotonic() - start
    if remaining or errors or delivered != ROWS:
        raise RuntimeError(
            f"raw producer: {delivered} delivered, {remaining} still queued, "
            f"{len(errors)} failed ({errors[:1]}), expected {ROWS} delivered"
        )
    held = _messages_in(services.kafka_bootstrap, topic)
    if held != ROWS:
        raise RuntimeError(f"the raw producer's topic holds {held} messages, expected {ROWS}")
    return ROWS / seconds


def _warm_up(services: Services, messages: list[tuple[bytes, bytes]]) -> None:
    """One idempotent delivery before any round (not timed).

    On a freshly started broker the first producer waits for its producer id
    ("coordinator load in progress"); without this the first round measures that.
    """
    topic = _topic(services.kafka_bootstrap)
    settings = Settings(kafka_bootstrap_servers=services.kafka_bootstrap)
    producer = Producer(settings.kafka_config(**PRODUCER_CONFIG))
    key, value = messages[0]
    producer.produce(topic, key=key, value=value, headers=HEADERS)
    if producer.flush(60):
        raise RuntimeError("the warm-up message was not delivered within 60 s")


def run(services: Services) -> Comparison:
    template = "bench_relay_template"
    upgrade(services.create_database(template))
    messages = _encoded_messages(services, template)
    _warm_up(services, messages)
    comparison = Comparison(
        name=f"relay: outbox rows/s published, {ROWS:,} outcomes, {KEYS:,} keys",
        unit="msg/s",
        candidate_label="outcome relay (fetch, produce, flush, mark sent)",
        baseline_label="raw idempotent producer, pre-encoded, one flush",
    )
    return interleave(
        comparison,
        ROUNDS,
        baseline=lambda index: producer_round(services, messages),
        candidate=lambda index: relay_round(services, template, index),
    )

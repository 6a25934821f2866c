"""Ingest requests/s for one consumer process against a bare consumer's ceiling.

The candidate is `provisioning ingest`'s loop (decode, dedupe, insert through
every trigger, commit offsets after the transaction). The ceiling is a bare
confluent-kafka consumer that decodes the same messages and COPYs the same rows
into an untriggered table, 500 per transaction. Both read the same topic from
the start in fresh consumer groups, each round into a fresh clone of a migrated
database; rates are measured from the first batch to the last commit.

A third figure, in the notes, is the floor the data model sets: the same bare
consumer decoding the same messages, then writing what the trigger chain writes
for each request (the provision row, its job row and its audit row, into
untriggered copies of the three tables with their indexes and constraints) by
the plain multi-row INSERTs of ``db_insert``'s baseline, 500 per transaction.
No ingest that writes those rows can pass it, however cheap its validation.
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from confluent_kafka import Consumer
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]
from psycopg.types.json import Jsonb

from bench import db_insert
from bench.harness import Comparison, Services, interleave
from consumers.ingest import ingest_loop
from producers.requests import RequestProducer
from provisioning.migrations import upgrade
from provisioning.settings import Settings
from provisioning.sqlfiles import named_blocks
from schemas.codec import SingleObjectCodec
from schemas.requests import REQUEST

SQL = named_blocks(Path(__file__).with_name("ingest.sql"))
MESSAGES = 10_000
BATCH = 500
ROUNDS = 3
ALICE = "30000000-0000-4000-8000-000000000001"


def _publish(settings: Settings, topic: str) -> None:
    admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap_servers})
    admin.create_topics([NewTopic(topic, num_partitions=4, replication_factor=1)])[topic].result()
    with RequestProducer(settings) as producer:
        for i in range(MESSAGES):
            producer.send(
                {
                    "action": "provision_domain",
                    "tenant_customer_id": ALICE,
                    "accreditation": "alpha-registry",
                    "payload": {"name": f"bench-{i}.com"},
                    "order_metadata": {"order_id": str(uuid.uuid4())},
                },
                topic=topic,
            )


def run(services: Services) -> Comparison:
    template = "bench_ingest_template"
    template_url = services.create_database(template)
    upgrade(template_url, seed=True)
    topic = f"bench.ingest.{uuid.uuid4().hex[:8]}"
    base = Settings(kafka_bootstrap_servers=services.kafka_bootstrap, database_url=template_url)
    _publish(base, topic)
    bootstrap = services.kafka_bootstrap

    def database(label: str, index: int) -> str:
        return services.create_database(f"bench_ingest_{label}_{index}", template)

    comparison = Comparison(
        name=f"ingest: requests/s, one consumer process, {MESSAGES:,} domain creates",
        unit="req/s",
        candidate_label="provisioning ingest (triggers, dedupe, offsets)",
        baseline_label="bare consumer: decode + COPY, no triggers",
    )
    floor: list[float] = []

    def baseline(index: int) -> float:
        floor.append(_writes_floor_round(bootstrap, topic, database("writes", index)))
        return _ceiling_round(bootstrap, topic, database("ceiling", index))

    def candidate(index: int) -> float:
        return _candidate_round(bootstrap, topic, database("candidate", index))

    interleave(comparison, ROUNDS, baseline=baseline, candidate=candidate)
    writes = statistics.median(floor)
    comparison.figures["writes_floor_req_per_s"] = writes
    comparison.notes.append(
        f"the data model's floor (decode, then the provision, job and audit rows by plain"
        f" INSERTs): {writes:,.0f} req/s (rounds {min(floor):,.0f}..{max(floor):,.0f}),"
        f" {writes / comparison.baseline_median:.3f} of the COPY ceiling;"
        f" ingest at {comparison.candidate_median / writes:.3f} of it"
    )
    return comparison


def _candidate_round(bootstrap: str, topic: str, url: str) -> float:
    settings = Settings(
        kafka_bootstrap_servers=bootstrap,
        database_url=url,
        group_ingest=f"bench-candidate-{uuid.uuid4().hex[:8]}",
    )
    stats = ingest_loop(settings, [topic], batch_size=BATCH, poll_timeout=0.2).run(max_idle_polls=5)
    with psycopg.connect(url) as conn:
        row = conn.execute(SQL["count_provisions"]).fetchone()
    if row is None or row[0] != MESSAGES:
        raise RuntimeError(f"ingest recorded {row and row[0]} provisions, expected {MESSAGES}")
    if stats.first_batch_at is None or stats.last_commit_at is None:
        raise RuntimeError("ingest consumed nothing")
    return MESSAGES / (stats.last_commit_at - stats.first_batch_at)


def _ceiling_round(bootstrap: str, topic: str, url: str) -> float:
    """Decode, and COPY the rows into a table with no trigger, index or constraint."""
    with psycopg.connect(url) as conn:
        conn.execute(SQL["create_plain_table"])
        conn.commit()

        def write(data: list[dict[str, Any]]) -> None:
            with conn.cursor().copy(SQL["copy_plain"]) as copy:
                for datum in data:
                    payload = datum["payload"]
                    copy.write_row(
                        (
                            datum["request_id"],
                            datum["tenant_customer_id"],
                            datum["accreditation"],
                            payload["name"],
                            payload["registration_period"],
                            payload["nameservers"],
                            Jsonb(datum["order_metadata"]),
                            None,
                        )
                    )
            conn.commit()

        return _bare_round(bootstrap, topic, write)


def _writes_floor_round(bootstrap: str, topic: str, url: str) -> float:
    """Decode, and write the rows the trigger chain writes, by plain INSERTs."""
    with psycopg.connect(url) as conn:
        conn.execute(db_insert.SQL["create_plain_tables"])
        cursor = conn.execute(db_insert.SQL["target_ids"])
        columns = [c.name for c in cursor.description or []]
        ids = dict(zip(columns, cursor.fetchone() or (), strict=True))
        conn.commit()

        def write(data: list[dict[str, Any]]) -> None:
            conn.execute(
                db_insert.SQL["insert_plain_writes"],
                {
                    **ids,
                    "names": [datum["payload"]["name"] for datum in data],
                    "request_ids": [datum["request_id"] for datum in data],
                    "job_ids": [uuid.uuid4() for _ in data],
                    "pws": [db_insert.auth_code() for _ in data],
                },
            )
            conn.commit()

        return _bare_round(bootstrap, topic, write)


def _bare_round(bootstrap: str, topic: str, write: Callable[[list[dict[str, Any]]], None]) -> float:
    """A bare consumer reading every message, decoding each batch and handing it to ``write``.

    Messages/s from the first batch to the end of the last ``write``.
    """
    codec = SingleObjectCodec()
    consumer = _bare_consumer(bootstrap, topic)
    seen = 0
    first: float | None = None
    while seen < MESSAGES:
        messages = consumer.consume(BATCH, 1.0)
        if not messages:
            continue
        first = first or time.monotonic()
        write([codec.decode(REQUEST, m.value() or b"", topic) for m in messages])
        seen += len(messages)
    consumer.close()
    return MESSAGES / (time.monotonic() - (first or 0.0))


def _bare_consumer(bootstrap: str, topic: str) -> Consumer:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"bench-bare-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    return consumer

"""Ingest requests/s for one consumer process against a bare consumer's ceiling.

The candidate is `provisioning ingest`'s loop (decode, dedupe, insert through
every trigger, commit offsets after the transaction). The ceiling is a bare
confluent-kafka consumer that decodes the same messages and COPYs the same rows
into an untriggered table, 500 per transaction. Both read the same topic from
the start in fresh consumer groups, each round into a fresh clone of a migrated
database; rates are measured from the first batch to the last commit.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
from confluent_kafka import Consumer
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]
from psycopg.types.json import Jsonb

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

    def candidate(index: int) -> float:
        url = database("candidate", index)
        settings = Settings(
            kafka_bootstrap_servers=bootstrap,
            database_url=url,
            group_ingest=f"bench-candidate-{uuid.uuid4().hex[:8]}",
        )
        stats = ingest_loop(settings, [topic], batch_size=BATCH, poll_timeout=0.2).run(
            max_idle_polls=5
        )
        with psycopg.connect(url) as conn:
            row = conn.execute(SQL["count_provisions"]).fetchone()
        if row is None or row[0] != MESSAGES:
            raise RuntimeError(f"ingest recorded {row and row[0]} provisions, expected {MESSAGES}")
        if stats.first_batch_at is None or stats.last_commit_at is None:
            raise RuntimeError("ingest consumed nothing")
        return MESSAGES / (stats.last_commit_at - stats.first_batch_at)

    def ceiling(index: int) -> float:
        url = database("ceiling", index)
        codec = SingleObjectCodec()
        consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"bench-ceiling-{uuid.uuid4().hex[:8]}",
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
            }
        )
        consumer.subscribe([topic])
        seen = 0
        first: float | None = None
        with psycopg.connect(url) as conn:
            conn.execute(SQL["create_plain_table"])
            conn.commit()
            while seen < MESSAGES:
                messages = consumer.consume(BATCH, 1.0)
                if not messages:
                    continue
                first = first or time.monotonic()
                rows: list[tuple[Any, ...]] = []
                for message in messages:
                    datum = codec.decode(REQUEST, message.value() or b"", topic)
                    payload = datum["payload"]
                    rows.append(
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
                with conn.cursor().copy(SQL["copy_plain"]) as copy:
                    for row in rows:
                        copy.write_row(row)
                conn.commit()
                seen += len(messages)
        consumer.close()
        return MESSAGES / (time.monotonic() - (first or 0.0))

    comparison = Comparison(
        name=f"ingest: requests/s, one consumer process, {MESSAGES:,} domain creates",
        unit="req/s",
        candidate_label="provisioning ingest (triggers, dedupe, offsets)",
        baseline_label="bare consumer: decode + COPY, no triggers",
    )
    return interleave(comparison, ROUNDS, baseline=ceiling, candidate=candidate)

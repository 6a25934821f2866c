"""Latency from order placed to order final, per hop, with every component its own process.

``provisioning run`` starts ingest, the executor, the relay and the order service
as child processes, as in production, on a fresh database and fresh topics; the
sandbox adds no latency. Then:

- **single-stage**: domain orders placed at ``PACE`` (50/s) for ``SECONDS`` (30 s),
  each in its own transaction, as an order service would;
- **two-stage**: ``TWO_STAGE`` orders of a contact and then a domain, at 10/s.

(A burst of orders at once, with its own baseline and each process's peak RSS,
is ``bench/burst.py``.)

Every hop is read from timestamps the pipeline records (``bench/latency.sql``):
placed (the order's transaction) → published (the relay marked the request
sent) → recorded (ingest's transaction) → claimed (``job.claimed_date``) →
completed (``job.end_date``) → outcome (the relay marked the outcome sent) →
applied (the order service's transaction) → final (the order's last update).
Transaction timestamps are the transaction's start, so a hop that ends in a
batch counts from the batch's start.

The baseline, in the same run, is one bare Kafka hop: a message produced with
the same producer settings and consumed by a consumer polling as the consumer
loop does, at the same pace; the ratio is the pipeline's p50 over one hop's p50.
"""

from __future__ import annotations

import itertools
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from confluent_kafka import Consumer
from psycopg.rows import dict_row

from bench.components import ALICE, pipeline_settings, running, wait_final
from bench.harness import Comparison, Services
from producers.orders import Contact, domain_item, place_order
from provisioning import kafka
from provisioning.migrations import upgrade
from provisioning.run import COMPONENTS
from provisioning.settings import Settings
from provisioning.sqlfiles import named_blocks

SQL = named_blocks(Path(__file__).with_name("latency.sql"))
PACE = 50.0
SECONDS = 30
TWO_STAGE = 100
TWO_STAGE_PACE = 10.0
HOPS = ("placed", "published", "recorded", "claimed", "completed", "outcome", "applied", "final")


def _ticks(count: int, pace: float) -> Iterator[int]:
    start = time.monotonic()
    for index in range(count):
        time.sleep(max(0.0, start + index / pace - time.monotonic()))
        yield index


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _place(conn: psycopg.Connection[Any], run: str, name: str, *, two_stage: bool) -> None:
    registrant = (
        Contact(
            handle=f"c{uuid.uuid4().hex[:12]}",
            name="Bench Contact",
            email="bench@example.net",
            city="Springfield",
            country_code="US",
        )
        if two_stage
        else None
    )
    with conn.transaction():
        place_order(
            conn,
            tenant_customer_id=ALICE,
            accreditation="alpha-registry",
            items=[domain_item(name, registrant=registrant)],
            metadata={"run": run},
        )


def _hops(conn: psycopg.Connection[Any], run: str) -> dict[str, list[float]]:
    """Milliseconds of each hop (single plans) and placed -> final per order."""
    rows = conn.cursor(row_factory=dict_row).execute(SQL["hops"], {"run": run}).fetchall()
    found: dict[str, list[float]] = {"total": []}
    finals: dict[Any, tuple[datetime, datetime]] = {}
    for row in rows:
        finals[row["order_id"]] = (row["placed"], row["final"])
        stamps = [(hop, row[hop]) for hop in HOPS if row[hop] is not None]
        for (before, start), (after, end) in itertools.pairwise(stamps):
            found.setdefault(f"{before} -> {after}", []).append(
                (end - start).total_seconds() * 1000
            )
    found["total"] = [(end - start).total_seconds() * 1000 for start, end in finals.values()]
    return found


def _describe(label: str, hops: dict[str, list[float]]) -> list[str]:
    total = hops["total"]
    lines = [
        f"{label}: {len(total)} orders placed -> final: p50 {_percentile(total, 0.5):.0f} ms,"
        f" p99 {_percentile(total, 0.99):.0f} ms, max {max(total):.0f} ms"
    ]
    for hop in (h for h in hops if h != "total"):
        values = hops[hop]
        lines.append(
            f"  {hop:<24} p50 {_percentile(values, 0.5):7.1f} ms"
            f"   p99 {_percentile(values, 0.99):7.1f} ms"
        )
    return lines


def _kafka_hop(settings: Settings, count: int) -> list[float]:
    """One bare hop at PACE: produce (linger 5 ms) -> consume as the loop polls, in ms."""
    topic = f"bench.latency.hop.{uuid.uuid4().hex[:8]}"
    producer = kafka.producer(settings, **{"linger.ms": 5})
    consumer: Consumer = kafka.group_consumer(settings, f"bench-hop-{uuid.uuid4().hex[:8]}")
    consumer.subscribe([topic])
    producer.produce(topic, value=b"warm")
    producer.flush(10)
    while consumer.poll(0.5) is None or not consumer.assignment():
        pass
    latencies = []
    for index in _ticks(count, PACE):
        sent = time.monotonic()
        producer.produce(topic, value=str(index).encode())
        producer.poll(0)
        while (message := consumer.poll(1.0)) is None or message.error() is not None:
            pass
        latencies.append((time.monotonic() - sent) * 1000)
    consumer.close()
    return latencies


def run(services: Services) -> Comparison:
    url = services.create_database("bench_latency")
    upgrade(url, seed=True)
    settings = pipeline_settings(services, url)
    comparison = Comparison(
        name="latency: single-stage domain order placed -> final, ms (lower is better)",
        unit="ms",
        candidate_label=f"p50, {PACE:.0f} orders/s for {SECONDS} s, 4 processes",
        baseline_label="p50 of one bare Kafka hop at the same pace",
        lower_is_better=True,
    )
    log = Path(tempfile.gettempdir()) / f"bench-latency-{uuid.uuid4().hex[:6]}.log"
    with running(settings, *COMPONENTS, log=log):
        with psycopg.connect(url, autocommit=True) as conn:
            _place(conn, "warm-up", "warm-up.com", two_stage=False)
            wait_final(conn, "warm-up", 120)

            run_id = uuid.uuid4().hex
            for index in _ticks(int(PACE * SECONDS), PACE):
                _place(conn, run_id, f"lat-{index}-{run_id[:6]}.com", two_stage=False)
            wait_final(conn, run_id, 120)
            single = _hops(conn, run_id)
            comparison.candidate = [statistics.median(single["total"])]
            comparison.notes += _describe("single-stage", single)

            two = uuid.uuid4().hex
            for index in _ticks(TWO_STAGE, TWO_STAGE_PACE):
                _place(conn, two, f"two-{index}-{two[:6]}.com", two_stage=True)
            wait_final(conn, two, 120)
            comparison.notes += _describe("two-stage", _hops(conn, two))

        comparison.baseline = [statistics.median(_kafka_hop(settings, int(PACE * 10)))]
    return comparison

"""Latency from order placed to order final, per hop, with every component its own process.

``provisioning run`` starts ingest, the executor, the relay and the order service
as child processes, as in production, on a fresh database and fresh topics; the
sandbox adds no latency. Then:

- **single-stage**: domain orders placed at ``PACE`` (50/s) for ``SECONDS`` (30 s),
  each in its own transaction, as an order service would;
- **two-stage**: ``TWO_STAGE`` orders of a contact and then a domain, at 10/s;
- **burst**: ``BURST`` (2,000) single-stage orders committed at once: orders/s
  from the commit to the last order final.

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
The peak RSS (``VmHWM``) of each component process is reported after the burst.
"""

from __future__ import annotations

import itertools
import os
import re
import signal
import statistics
import subprocess
import sys
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

from bench.harness import Comparison, Services
from producers.orders import Contact, domain_item, place_order
from provisioning import kafka
from provisioning.migrations import upgrade
from provisioning.settings import Settings
from provisioning.sqlfiles import named_blocks
from provisioning.topics import ensure_topics

SQL = named_blocks(Path(__file__).with_name("latency.sql"))
ALICE = "30000000-0000-4000-8000-000000000001"
PACE = 50.0
SECONDS = 30
TWO_STAGE = 100
TWO_STAGE_PACE = 10.0
BURST = 2000
HOPS = ("placed", "published", "recorded", "claimed", "completed", "outcome", "applied", "final")
ROOT = Path(__file__).resolve().parent.parent


def _ticks(count: int, pace: float) -> Iterator[int]:
    start = time.monotonic()
    for index in range(count):
        time.sleep(max(0.0, start + index / pace - time.monotonic()))
        yield index


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _settings(services: Services, url: str) -> Settings:
    tag = uuid.uuid4().hex[:8]
    settings = Settings(
        kafka_bootstrap_servers=services.kafka_bootstrap,
        database_url=url,
        topic_orders=f"bench.latency.orders.{tag}",
        topic_actions=f"bench.latency.actions.{tag}",
        topic_outcomes=f"bench.latency.outcomes.{tag}",
        group_ingest=f"bench-latency-ingest-{tag}",
        group_order_service=f"bench-latency-order-service-{tag}",
    )
    ensure_topics(settings, partitions=4)
    return settings


def _env(settings: Settings) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("PROVISIONING_")}
    return {
        **keep,
        "PROVISIONING_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "PROVISIONING_DATABASE_URL": settings.database_url.get_secret_value(),
        "PROVISIONING_TOPIC_ORDERS": settings.topic_orders,
        "PROVISIONING_TOPIC_ACTIONS": settings.topic_actions,
        "PROVISIONING_TOPIC_OUTCOMES": settings.topic_outcomes,
        "PROVISIONING_GROUP_INGEST": settings.group_ingest,
        "PROVISIONING_GROUP_ORDER_SERVICE": settings.group_order_service,
        "PROVISIONING_KAFKA_GROUP_INSTANCE_ID": f"bench-{uuid.uuid4().hex[:8]}",
        "PROVISIONING_LOG_LEVEL": "WARNING",
    }


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


def _wait_final(conn: psycopg.Connection[Any], run: str, timeout: float) -> float:
    """Seconds until every order of ``run`` is final (polled every 20 ms)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        row = conn.execute(SQL["unfinished"], {"run": run}).fetchone()
        if row is not None and row[0] == 0:
            return time.monotonic() - started
        time.sleep(0.02)
    raise RuntimeError(f"orders of run {run} not final after {timeout:.0f} s")


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


def _peak_rss(supervisor: subprocess.Popen[bytes]) -> dict[str, int]:
    """Peak RSS (VmHWM, MiB) of each child of ``supervisor``, by command line."""
    found: dict[str, int] = {}
    children = Path(f"/proc/{supervisor.pid}/task/{supervisor.pid}/children")
    for pid in children.read_text().split():
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        name = command[3].decode() if len(command) > 3 else pid
        match = re.search(r"VmHWM:\s+(\d+) kB", status)
        if match:
            found[f"{name}[{pid}]"] = int(match.group(1)) // 1024
    return found


def run(services: Services) -> Comparison:
    url = services.create_database("bench_latency")
    upgrade(url, seed=True)
    settings = _settings(services, url)
    log = Path(tempfile.gettempdir()) / f"bench-latency-{uuid.uuid4().hex[:6]}.log"
    with log.open("wb") as out:
        supervisor = subprocess.Popen(
            [sys.executable, "-m", "provisioning.cli", "run"],
            env=_env(settings),
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    comparison = Comparison(
        name="latency: single-stage domain order placed -> final, ms (lower is better)",
        unit="ms",
        candidate_label=f"p50, {PACE:.0f} orders/s for {SECONDS} s, 4 processes",
        baseline_label="p50 of one bare Kafka hop at the same pace",
        lower_is_better=True,
    )
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            _place(conn, "warm-up", "warm-up.com", two_stage=False)
            _wait_final(conn, "warm-up", 120)

            run_id = uuid.uuid4().hex
            for index in _ticks(int(PACE * SECONDS), PACE):
                _place(conn, run_id, f"lat-{index}-{run_id[:6]}.com", two_stage=False)
            _wait_final(conn, run_id, 120)
            single = _hops(conn, run_id)
            comparison.candidate = [statistics.median(single["total"])]
            comparison.notes += _describe("single-stage", single)

            two = uuid.uuid4().hex
            for index in _ticks(TWO_STAGE, TWO_STAGE_PACE):
                _place(conn, two, f"two-{index}-{two[:6]}.com", two_stage=True)
            _wait_final(conn, two, 120)
            comparison.notes += _describe("two-stage", _hops(conn, two))

            burst = uuid.uuid4().hex
            with conn.transaction():
                for index in range(BURST):
                    place_order(
                        conn,
                        tenant_customer_id=ALICE,
                        accreditation="alpha-registry",
                        items=[domain_item(f"burst-{index}-{burst[:6]}.com")],
                        metadata={"run": burst},
                    )
            took = _wait_final(conn, burst, 600)
            comparison.notes.append(
                f"burst: {BURST} orders at once, final after {took:.1f} s:"
                f" {BURST / took:,.0f} orders/s"
            )
            rss = _peak_rss(supervisor)
            comparison.notes.append(
                "peak RSS (MiB): " + ", ".join(f"{k} {v}" for k, v in sorted(rss.items()))
            )
        comparison.baseline = [statistics.median(_kafka_hop(settings, int(PACE * 10)))]
    finally:
        supervisor.send_signal(signal.SIGTERM)
        try:
            supervisor.wait(60)
        except subprocess.TimeoutExpired:
            supervisor.kill()
    return comparison

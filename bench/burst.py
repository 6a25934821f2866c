"""A burst of orders with every component its own process, against ingest + executor alone.

Each side starts ``provisioning run`` (child processes, as in production) on a
fresh clone of a migrated database, with fresh topics and consumer groups, sends
one warm-up through (group joins and first connections are not timed), then:

- **candidate**: ``BURST`` (2,000) single-stage domain orders committed in one
  transaction (``place_order`` each); orders/s from that commit until every
  order is final. Every component runs: order-requests relay → ingest →
  executor (sandbox, no latency) → outcome relay → order service.
- **baseline**: ``provisioning run --relay 0 --order-service 0``: the same
  ``BURST`` domain creates published straight to the actions topic
  (``RequestProducer``, flushed after the last); requests/s from the first send
  until every provision is completed. Ingest and the executor only: the ratio is
  the price of the order machinery and of the outcome path.

Rounds alternate (baseline, candidate, ...). The peak RSS (``VmHWM``) of each
candidate component process is reported after its burst (the highest of the
rounds).
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import psycopg

from bench.components import ALICE, peak_rss, pipeline_settings, running, wait_final
from bench.harness import Comparison, Services, interleave
from producers.orders import domain_item, place_order
from producers.requests import RequestProducer
from provisioning.migrations import upgrade
from provisioning.run import COMPONENTS
from provisioning.sqlfiles import named_blocks

SQL = named_blocks(Path(__file__).with_name("burst.sql"))
BURST = 2000
ROUNDS = 3
TIMEOUT = 600.0


def _request(name: str, run: str) -> dict[str, Any]:
    return {
        "action": "provision_domain",
        "tenant_customer_id": ALICE,
        "accreditation": "alpha-registry",
        "payload": {"name": name},
        "order_metadata": {"run": run},
    }


def _place_orders(conn: psycopg.Connection[Any], run: str, names: list[str]) -> None:
    """One single-stage domain order per name, all committed in one transaction."""
    with conn.transaction():
        for name in names:
            place_order(
                conn,
                tenant_customer_id=ALICE,
                accreditation="alpha-registry",
                items=[domain_item(name)],
                metadata={"run": run},
            )


def _wait_completed(conn: psycopg.Connection[Any], run: str, count: int) -> None:
    started = time.monotonic()
    while time.monotonic() - started < TIMEOUT:
        row = conn.execute(SQL["provisions"], {"run": run}).fetchone()
        if row is not None and row[1]:
            raise RuntimeError(f"{row[1]} provision(s) of run {run} failed")
        if row is not None and row[0] == count:
            return
        time.sleep(0.02)
    raise RuntimeError(f"provisions of run {run} not completed after {TIMEOUT:.0f} s")


def run(services: Services) -> Comparison:
    template = "bench_burst_template"
    upgrade(services.create_database(template), seed=True)
    peak: dict[str, int] = {}

    def candidate(index: int) -> float:
        url = services.create_database(f"bench_burst_orders_{index}", template)
        settings = pipeline_settings(services, url)
        with (
            running(settings, *COMPONENTS) as supervisor,
            psycopg.connect(url, autocommit=True) as conn,
        ):
            warm = uuid.uuid4().hex
            _place_orders(conn, warm, [f"warm-{warm[:8]}.com"])
            wait_final(conn, warm, TIMEOUT)
            burst = uuid.uuid4().hex
            _place_orders(conn, burst, [f"burst-{n}-{burst[:8]}.com" for n in range(BURST)])
            took = wait_final(conn, burst, TIMEOUT)
            for process, rss in peak_rss(supervisor).items():
                name = process.split("[")[0]
                peak[name] = max(peak.get(name, 0), rss)
        return BURST / took

    def baseline(index: int) -> float:
        url = services.create_database(f"bench_burst_requests_{index}", template)
        settings = pipeline_settings(services, url)
        with (
            running(settings, "ingest", "executor"),
            psycopg.connect(url, autocommit=True) as conn,
            RequestProducer(settings) as producer,
        ):
            warm = uuid.uuid4().hex
            producer.send(_request(f"warm-{warm[:8]}.com", warm))
            producer.flush()
            _wait_completed(conn, warm, 1)
            burst = uuid.uuid4().hex
            started = time.monotonic()
            for number in range(BURST):
                producer.send(_request(f"burst-{number}-{burst[:8]}.com", burst))
            producer.flush()
            _wait_completed(conn, burst, BURST)
            return BURST / (time.monotonic() - started)

    comparison = Comparison(
        name=f"burst: {BURST:,} single-stage domain orders at once, each component a process",
        unit="orders/s",
        candidate_label="orders placed -> final, the whole pipeline",
        baseline_label="requests -> completed, ingest + executor",
    )
    interleave(comparison, ROUNDS, baseline=baseline, candidate=candidate)
    comparison.notes.append(
        "peak RSS (MiB): " + ", ".join(f"{name} {rss}" for name, rss in sorted(peak.items()))
    )
    comparison.figures.update({f"peak_rss_mib_{name}": float(rss) for name, rss in peak.items()})
    return comparison

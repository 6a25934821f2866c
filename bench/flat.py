"""Flat with history: the trigger chain's insert rate at 0, 100k and 1M provisions of history.

Each level inserts batches of 500 new ``provision_domain`` requests through the
whole chain (validation, job, audit), one transaction each — the statement of
``db_insert`` — and records each batch's rate. The history is 1,000 domain
creates run through the chain and completed through the job API (provisions,
jobs, domains, audit rows, outbox rows), then copied by ``bench/history.py``:
copied 99 times for 100k, then 9 times again for 1M.

``FLAT_LEVELS=100k`` stops at 100k (building the 1M level writes some 7M rows:
about half an hour on this 2-core machine); each level's figure is printed as
soon as it is measured.

History only grows, so the levels cannot be interleaved: the rate at 0 is
measured twice instead, on an empty database before the history is built and
on another one after the 1M level, and both sets of batches form the baseline.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg

from bench.harness import Comparison, Services
from bench.history import grow
from provisioning.migrations import upgrade
from provisioning.sqlfiles import named_blocks, query

SQL = named_blocks(Path(__file__).with_name("db_insert.sql"))
BATCH = 500
BATCHES = 6
TEMPLATE = 1_000


def _insert_batches(conn: psycopg.Connection[Any], ids: dict[str, Any], label: str) -> list[float]:
    rates = []
    for batch in range(BATCHES):
        names = [f"{label}-{batch}-{i}.com" for i in range(BATCH)]
        params = {**ids, "names": names, "request_ids": [uuid.uuid4() for _ in names]}
        started = time.perf_counter()
        with conn.transaction():
            conn.execute(SQL["insert_triggered"], params)
        rates.append(BATCH / (time.perf_counter() - started))
    return rates


def _fresh(services: Services, template: str, name: str) -> psycopg.Connection[Any]:
    return psycopg.connect(services.create_database(name, template), autocommit=True)


def _ids(conn: psycopg.Connection[Any]) -> dict[str, Any]:
    cursor = conn.execute(SQL["target_ids"])
    columns = [c.name for c in cursor.description or []]
    return dict(zip(columns, cursor.fetchone() or (), strict=True))


def _history(conn: psycopg.Connection[Any], ids: dict[str, Any]) -> None:
    """TEMPLATE domain creates, each completed through the job API."""
    for batch in range(TEMPLATE // BATCH):
        names = [f"history-{batch}-{i}.com" for i in range(BATCH)]
        with conn.transaction():
            conn.execute(
                SQL["insert_triggered"],
                {**ids, "names": names, "request_ids": [uuid.uuid4() for _ in names]},
            )
    claim = {"owner": "bench", "limit": TEMPLATE, "lease": timedelta(minutes=5), "types": None}
    jobs = conn.execute(query("job", "claim"), claim).fetchall()
    for index, job in enumerate(jobs):
        result = {"roid": f"D{index}-BENCH", "created_date": "2025-01-01T00:00:00+00:00"}
        conn.execute(
            query("job", "complete"),
            {"job_id": job[0], "owner": "bench", "result": json.dumps(result), "message": None},
        )


def run(services: Services) -> Comparison:
    template = "bench_flat_template"
    upgrade(services.create_database(template), seed=True)
    comparison = Comparison(
        name="flat: provision_domain rows/s through the trigger chain, by history size",
        unit="rows/s",
        candidate_label="with 1M provisions of history",
        baseline_label="with no history (before and after)",
    )
    empty = _fresh(services, template, "bench_flat_empty_before")
    ids = _ids(empty)
    _insert_batches(empty, ids, "warm")  # plans and caches, not recorded
    before = empty.execute(SQL["write_cost"]).fetchone()
    comparison.baseline += _insert_batches(empty, ids, "empty")
    after = empty.execute(SQL["write_cost"]).fetchone()
    if before and after:
        requests = BATCH * BATCHES
        comparison.figures["rows_per_request"] = float(after[0] - before[0]) / requests
        comparison.figures["wal_bytes_per_request"] = float(after[1] - before[1]) / requests
        comparison.notes.append(
            f"write cost per request: {(after[0] - before[0]) / requests:.1f} rows"
            f" (provision, job, audit), {(after[1] - before[1]) / requests:,.0f} WAL bytes"
        )
    empty.close()

    conn = _fresh(services, template, "bench_flat")
    _history(conn, ids)
    levels: dict[str, list[float]] = {}
    wanted = os.environ.get("FLAT_LEVELS", "100k,1M").split(",")
    for label, copies in (("100k", 99), ("1M", 9)):
        if label not in wanted:
            continue
        started = time.perf_counter()
        grown = grow(conn, copies)
        built = time.perf_counter() - started
        _insert_batches(conn, ids, f"warm-{label}")
        levels[label] = _insert_batches(conn, ids, label)
        comparison.notes.append(
            f"{label}: {grown['provision_domain']:,} provision_domain rows copied"
            f" ({sum(grown.values()):,} rows in all, {built:.0f} s);"
            f" median {sorted(levels[label])[BATCHES // 2]:,.0f} rows/s"
        )
        print(f"  {comparison.notes[-1]}", flush=True)
    largest = list(levels)[-1] if levels else None
    if largest is not None:
        comparison.candidate += levels[largest]
        comparison.candidate_label = f"with {largest} provisions of history"
    conn.close()

    empty = _fresh(services, template, "bench_flat_empty_after")
    _insert_batches(empty, ids, "warm")
    after_rates = _insert_batches(empty, ids, "empty")
    comparison.baseline += after_rates
    empty.close()
    if largest is None:  # FLAT_LEVELS named no level: the second empty run stands in
        comparison.candidate = after_rates
        comparison.candidate_label = "no history level (FLAT_LEVELS)"
    return comparison

"""No-op jobs/s for one executor process, against Procrastinate on the same PostgreSQL.

Both sides run in this one benchmark process with the same concurrency
(``CONCURRENCY`` jobs at once), each round in its own fresh database on the same
PostgreSQL server, rounds interleaved (Procrastinate, ours, Procrastinate, ...):

- **candidate**: ``executors.worker.Worker`` with a ``provision_domain`` handler
  that does nothing, over ``JOBS`` jobs inserted in one statement into a database
  migrated by ``upgrade`` (type ``provision_domain``, reference_id NULL, data
  ``{}``: completing one touches no provision row). The worker runs with
  ``run(until_idle=...)``; its default poll and lease settings are kept.
- **raw SQL ceiling** (a note, with its own rounds interleaved too): one
  connection claims ``CONCURRENCY`` jobs and completes them in one statement,
  again and again, with no Python work in between.
- **baseline**: Procrastinate (from PyPI, the ``bench`` extra) with its own
  schema (``schema_manager.apply_schema_async``), an ``async def`` task that
  does nothing (Procrastinate's native task form; a sync task would run in a
  thread per job), ``JOBS`` jobs deferred with ``batch_defer_async``, then
  ``run_worker_async(concurrency=CONCURRENCY, wait=False)``, which returns once
  the queue is empty. Its psycopg pool holds ``CONCURRENCY`` connections
  (psycopg_pool's default is 4), so finishing jobs never wait for one; its
  LISTEN connection is separate, as ours is. Jobs are kept (``delete_jobs="never"``).

Creating the schema and queueing the jobs is not timed; nor is the ``ANALYZE``
that follows the queueing on both sides, which gives the planner the statistics
autovacuum would have on a live queue (without them, in a fresh database,
Procrastinate's fetch query sorts every queued job for each job it takes, about
8 ms a fetch instead of 0.1 ms: 5,000 jobs would measure that, not the queue).
The rate is ``JOBS / (last completion - start)`` on both sides, both instants
read from the database server's clock: the start is ``clock_timestamp()`` read
just before the worker starts; the last completion is ``max(job.end_date)``
(set to ``now()`` by ``job_complete``) for ours and ``max(procrastinate_events.at)``
of the ``succeeded`` events (set to ``now()`` by Procrastinate's status trigger)
for Procrastinate. So worker start-up counts, but our worker's idle tail
(``until_idle``) and Procrastinate's shutdown do not. Each round then checks that
exactly ``JOBS`` jobs completed (ours) or succeeded (Procrastinate).
"""

from __future__ import annotations

import asyncio
import logging
import statistics
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from procrastinate import App, PsycopgConnector

from bench.harness import Comparison, Services
from executors.backends.base import (
    Backend,
    CertificateInfo,
    DeleteInfo,
    DomainInfo,
    ObjectInfo,
    TransferInfo,
    TransferMessage,
)
from executors.handlers import Job
from executors.worker import Worker
from provisioning.migrations import upgrade
from provisioning.settings import Settings
from provisioning.sqlfiles import named_blocks, query

SQL = named_blocks(Path(__file__).with_name("executor.sql"))
JOBS = 5_000
ROUNDS = 3
CONCURRENCY = 8
COMPLETE_BATCH = Settings.model_fields["executor_complete_batch"].default
JOB_TYPE = "provision_domain"
UNTIL_IDLE = 1.0  # seconds without work before our worker returns (not timed)
LEASE = timedelta(seconds=30)  # the raw SQL ceiling's claims


class UnusedBackend:
    """A Backend for handlers that never call it: every operation raises."""

    name = "unused"

    def _unused(self) -> NotImplementedError:
        return NotImplementedError("the no-op benchmark handler calls no backend")

    def check_availability(self, names: Sequence[str]) -> dict[str, bool]:
        raise self._unused()

    def create_domain(
        self,
        *,
        registrar: str,
        client_ref: str,
        name: str,
        period: int,
        auth_info: str,
        contacts: Mapping[str, str | None],
        nameservers: Sequence[str],
    ) -> DomainInfo:
        raise self._unused()

    def renew_domain(
        self,
        *,
        registrar: str,
        client_ref: str,
        name: str,
        period: int,
        current_expiry_date: date | None,
    ) -> DomainInfo:
        raise self._unused()

    def transfer_domain(
        self, *, registrar: str, client_ref: str, name: str, auth_info: str, period: int
    ) -> DomainInfo:
        raise self._unused()

    def restore_domain(
        self, *, registrar: str, client_ref: str, name: str, report: Mapping[str, Any] | None
    ) -> DomainInfo:
        raise self._unused()

    def delete_domain(self, *, registrar: str, client_ref: str, name: str) -> DeleteInfo:
        raise self._unused()

    def update_domain(
        self, *, registrar: str, client_ref: str, name: str, changes: Mapping[str, Any]
    ) -> DomainInfo:
        raise self._unused()

    def create_contact(
        self, *, registrar: str, client_ref: str, contact: Mapping[str, Any]
    ) -> ObjectInfo:
        raise self._unused()

    def create_host(
        self, *, registrar: str, client_ref: str, name: str, addresses: Sequence[str]
    ) -> ObjectInfo:
        raise self._unused()

    def update_host(
        self, *, registrar: str, client_ref: str, name: str, addresses: Sequence[str]
    ) -> ObjectInfo:
        raise self._unused()

    def delete_host(self, *, registrar: str, client_ref: str, name: str) -> ObjectInfo:
        raise self._unused()

    def update_contact(
        self, *, registrar: str, client_ref: str, handle: str, contact: Mapping[str, Any]
    ) -> ObjectInfo:
        raise self._unused()

    def delete_contact(self, *, registrar: str, client_ref: str, handle: str) -> ObjectInfo:
        raise self._unused()

    def issue_certificate(
        self,
        *,
        registrar: str,
        client_ref: str,
        common_name: str,
        sans: Sequence[str],
        csr_pem: str | None,
        key_type: str | None,
        validity_days: int,
    ) -> CertificateInfo:
        raise self._unused()

    def transfer_domain_action(
        self, *, registrar: str, client_ref: str, name: str, op: str
    ) -> TransferInfo:
        raise self._unused()

    def poll_transfers(self, *, registrar: str) -> list[TransferMessage]:
        return []  # the benchmark's worker claims only its no-op job type: never polls

    def ack_transfer_message(self, *, registrar: str, message_id: str) -> None:
        raise self._unused()

    def close(self) -> None:
        pass


def noop(job: Job, backend: Backend) -> dict[str, Any]:
    """Our no-op handler: completes the job with an empty result."""
    return {}


def _clock(url: str) -> datetime:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(SQL["clock"]).fetchone()
    if row is None:
        raise RuntimeError("no clock_timestamp() from the database")
    start: datetime = row[0]
    return start


def _span_rate(url: str, query: str, start: datetime, side: str) -> float:
    """JOBS / (last completion - start), after checking exactly JOBS jobs finished."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(query).fetchone()
    if row is None or row[0] != JOBS or row[1] is None:
        raise RuntimeError(f"{side}: {row and row[0]} jobs finished, expected {JOBS}")
    last: datetime = row[1]
    seconds = (last - start).total_seconds()
    if seconds <= 0:
        raise RuntimeError(f"{side}: last completion {last} is not after the start {start}")
    return JOBS / seconds


def candidate_round(services: Services, index: int) -> float:
    url = services.create_database(f"bench_executor_ours_{index}")
    upgrade(url)
    with psycopg.connect(url, autocommit=True) as conn:
        inserted = conn.execute(SQL["insert_jobs"], {"jobs": JOBS, "type": JOB_TYPE}).rowcount
        if inserted != JOBS:
            raise RuntimeError(f"inserted {inserted} jobs, expected {JOBS}")
        conn.execute(SQL["analyze"])
    settings = Settings(database_url=url, executor_concurrency=CONCURRENCY)
    worker = Worker(settings, UnusedBackend(), handlers={JOB_TYPE: noop})
    start = _clock(url)
    stats = worker.run(until_idle=UNTIL_IDLE)
    if stats.counts["completed"] != JOBS:
        raise RuntimeError(f"our worker completed {stats.counts['completed']}, expected {JOBS}")
    return _span_rate(url, SQL["completed_span"], start, "our executor")


async def _procrastinate_round(url: str) -> datetime:
    app = App(connector=PsycopgConnector(conninfo=url, min_size=CONCURRENCY, max_size=CONCURRENCY))

    @app.task(name="noop")
    async def noop_task() -> None:
        return None

    async with app.open_async():
        await app.schema_manager.apply_schema_async()
        deferred = await noop_task.batch_defer_async(*({} for _ in range(JOBS)))
        if len(deferred) != JOBS:
            raise RuntimeError(f"Procrastinate deferred {len(deferred)} jobs, expected {JOBS}")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(SQL["analyze"])
        start = _clock(url)
        await app.run_worker_async(
            concurrency=CONCURRENCY,
            wait=False,
            install_signal_handlers=False,
            delete_jobs="never",
        )
    return start


def baseline_round(services: Services, index: int) -> float:
    url = services.create_database(f"bench_executor_procrastinate_{index}")
    start = asyncio.run(_procrastinate_round(url))
    return _span_rate(url, SQL["procrastinate_succeeded_span"], start, "Procrastinate")


def ceiling_round(services: Services, index: int) -> float:
    """The raw SQL ceiling: the worker's statements with no Python work between them.

    On one connection: claim CONCURRENCY jobs, again and again, writing the
    completions in one statement per COMPLETE_BATCH (or when a claim comes back
    short), as the worker batches them while the queue is busy: what the
    database allows one executor process.
    """
    url = services.create_database(f"bench_executor_ceiling_{index}")
    upgrade(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SQL["insert_jobs"], {"jobs": JOBS, "type": JOB_TYPE})
        conn.execute(SQL["analyze"])
        start = _clock(url)
        claim = {"owner": "ceiling", "limit": CONCURRENCY, "lease": LEASE, "types": None}
        held: list[Any] = []
        while True:
            jobs = conn.execute(query("job", "claim"), claim).fetchall()
            held.extend(job[0] for job in jobs)
            if held and (len(held) >= COMPLETE_BATCH or len(jobs) < CONCURRENCY):
                conn.execute(
                    query("job", "complete_many"),
                    {"owner": "ceiling", "job_ids": held, "results": ["{}"] * len(held)},
                )
                held = []
            if not jobs:
                break
    return _span_rate(url, SQL["completed_span"], start, "raw SQL ceiling")


def run(services: Services) -> Comparison:
    logging.getLogger("procrastinate").setLevel(logging.WARNING)
    comparison = Comparison(
        name=f"executor: no-op jobs/s, one process, concurrency {CONCURRENCY}",
        unit="jobs/s",
        candidate_label="our executor (job_claim / job_complete)",
        baseline_label="Procrastinate worker, async no-op task",
    )
    ceiling: list[float] = []
    for index in range(ROUNDS):
        comparison.baseline.append(baseline_round(services, index))
        comparison.candidate.append(candidate_round(services, index))
        ceiling.append(ceiling_round(services, index))
    top = statistics.median(ceiling)
    comparison.figures["raw_sql_ceiling"] = top
    comparison.notes.append(
        f"raw SQL ceiling (claim {CONCURRENCY} at a time, complete up to {COMPLETE_BATCH} in one"
        " statement, no Python work):"
        f" {top:,.0f} jobs/s (rounds {min(ceiling):,.0f}..{max(ceiling):,.0f});"
        f" our executor at {comparison.candidate_median / top:.3f} of it"
    )
    return comparison

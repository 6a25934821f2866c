"""The job executor: claim jobs, run their handlers, report exactly one result each.

    claim (SKIP LOCKED, with a lease) → handler in a thread → one of
        job_complete | job_fail(retryable) → retry with backoff | job_fail(final)

- Woken by LISTEN/NOTIFY on ``job_runnable``, with a poll every
  ``executor_poll_seconds`` in case a notification is missed (or a retry's
  backoff ends, which notifies nobody).
- Runs up to ``executor_concurrency`` handlers at once and heartbeats their
  leases; an executor that dies stops heartbeating, its leases expire, and any
  executor reclaims the jobs (``job_reclaim_expired``).
- A handler's return is ``complete``; a retryable backend error or any
  unexpected exception (logged with its traceback) is ``retry``, which the
  database turns into a final failure once the attempts are spent; a
  non-retryable backend error or an invalid job is a final ``fail``.
- SIGTERM stops claiming, lets the handlers in flight finish, reports them, and
  exits.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

import psycopg
from psycopg.rows import dict_row

from executors.backends import backend_from_settings
from executors.backends.base import Backend, BackendError
from executors.handlers import HANDLERS, Handler, InvalidJob, Job
from provisioning import observability
from provisioning.settings import Settings, load_settings
from provisioning.sqlfiles import query

log = logging.getLogger(__name__)

Connection = psycopg.Connection[dict[str, Any]]


@dataclass(frozen=True)
class Result:
    """What became of one run of a job: exactly one of these is reported."""

    kind: Literal["complete", "retry", "fail"]
    data: dict[str, Any] | None = None
    message: str | None = None


def run_handler(job: Job, handler: Handler, backend: Backend) -> Result:
    """Run ``handler`` in the job's log context, timed; never raises: every outcome is a Result."""
    fields = observability.job_log_fields(job.id, job.data)
    with observability.log_context(**fields), observability.JOB_DURATION.labels(job.type).time():
        return _run_handler(job, handler, backend)


def _run_handler(job: Job, handler: Handler, backend: Backend) -> Result:
    try:
        return Result("complete", handler(job, backend))
    except BackendError as exc:
        data = {"code": exc.code, "error": type(exc).__name__}
        return Result("retry" if exc.retryable else "fail", data, f"{type(exc).__name__}: {exc}")
    except InvalidJob as exc:
        return Result("fail", {"error": "InvalidJob"}, str(exc))
    except Exception as exc:  # a bug or an unexpected failure: recorded, retried, never lost
        log.exception("job %s (%s): handler raised", job.id, job.type)
        return Result(
            "retry", {"error": type(exc).__name__}, f"unexpected {type(exc).__name__}: {exc}"
        )


@dataclass
class WorkerStats:
    counts: Counter[str] = field(default_factory=Counter)


class Worker:
    """One executor process's worth of job running."""

    def __init__(
        self,
        settings: Settings,
        backend: Backend,
        *,
        handlers: Mapping[str, Handler] = HANDLERS,
        owner: str | None = None,
        types: Sequence[str] | None = None,
    ) -> None:
        self.settings = settings
        self.backend = backend
        self.handlers = dict(handlers)
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.types = list(types) if types is not None else sorted(self.handlers)
        self.concurrency = settings.executor_concurrency
        self.lease = timedelta(seconds=settings.executor_lease_seconds)
        self.backoff = timedelta(seconds=settings.executor_backoff_seconds)
        self.stats = WorkerStats()
        self.liveness = observability.Liveness()  # /healthz: the claim loop is turning
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._conn: Connection | None = None
        self._queued_at: dict[uuid.UUID, datetime] = {}  # job id -> created (latency metric)

    def stop(self) -> None:
        """Stop claiming; finish and report what is in flight; then ``run`` returns."""
        self._stop.set()
        self._wake.set()

    # ------------------------------------------------------------------ the loop

    def run(self, *, until_idle: float | None = None) -> WorkerStats:
        """Run until stopped, or (tests, benchmarks) until idle for ``until_idle`` seconds."""
        listener = threading.Thread(target=self._listen, name="job-listener", daemon=True)
        listener.start()
        inflight: dict[Future[Result], Job] = {}
        unreported: list[tuple[Job, Result]] = []
        heartbeat_every = self.lease.total_seconds() / 3
        next_heartbeat = next_reclaim = time.monotonic()
        idle_since = time.monotonic()
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="job") as pool:
            while not (self._stop.is_set() and not inflight and not unreported):
                self.liveness.beat()
                for future in [f for f in inflight if f.done()]:
                    unreported.append((inflight.pop(future), future.result()))
                claimed = 0
                try:
                    while unreported:
                        job, result = unreported[0]
                        with observability.log_context(
                            **observability.job_log_fields(job.id, job.data)
                        ):
                            self._report(job, result)
                        unreported.pop(0)
                    now = time.monotonic()
                    if inflight and now >= next_heartbeat:
                        self._heartbeat([job.id for job in inflight.values()])
                        next_heartbeat = now + heartbeat_every
                    if not self._stop.is_set():
                        if now >= next_reclaim:
                            self._reclaim()
                            next_reclaim = now + self.settings.executor_poll_seconds
                        free = self.concurrency - len(inflight)
                        for job in self._claim(free) if free else []:
                            claimed += 1
                            future = pool.submit(
                                run_handler, job, self.handlers[job.type], self.backend
                            )
                            future.add_done_callback(lambda _: self._wake.set())
                            inflight[future] = job
                except psycopg.OperationalError as exc:
                    log.warning("database unavailable (%s); retrying", exc)
                    self._drop_connection()
                    self._stop.wait(1.0)
                    continue
                if inflight or claimed or unreported:
                    idle_since = time.monotonic()
                elif until_idle is not None and time.monotonic() - idle_since >= until_idle:
                    break
                if claimed and claimed == self.concurrency - (len(inflight) - claimed):
                    continue  # took all it could: there may be more right away
                self._wake.wait(self._sleep_seconds(next_heartbeat, bool(inflight)))
                self._wake.clear()
        self._stop.set()
        listener.join(timeout=5)
        self._drop_connection()
        return self.stats

    def _sleep_seconds(self, next_heartbeat: float, busy: bool) -> float:
        poll = self.settings.executor_poll_seconds
        if busy:
            return max(0.0, min(poll, next_heartbeat - time.monotonic()))
        return poll

    # ------------------------------------------------------------------ database

    def _connection(self) -> Connection:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = psycopg.connect(
                self.settings.database_url.get_secret_value(),
                autocommit=True,
                row_factory=dict_row,
                application_name=f"provisioning-executor:{self.owner}",
            )
        return self._conn

    def _drop_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None

    def _claim(self, limit: int) -> list[Job]:
        rows = (
            self._connection()
            .execute(
                query("job", "claim"),
                {"owner": self.owner, "limit": limit, "lease": self.lease, "types": self.types},
            )
            .fetchall()
        )
        self.stats.counts["claimed"] += len(rows)
        self._queued_at.update((row["id"], row["created_date"]) for row in rows)
        return [
            Job(row["id"], row["type_name"], row["data"], row["attempts"], row["max_attempts"])
            for row in rows
        ]

    def _report(self, job: Job, result: Result) -> None:
        """The one place a run of a job becomes a database state change."""
        conn = self._connection()
        if result.kind == "complete":
            done = conn.execute(
                query("job", "complete"),
                {
                    "job_id": job.id,
                    "owner": self.owner,
                    "message": None,
                    "result": json.dumps(result.data or {}),
                },
            ).fetchone()
            outcome = "completed" if done and done["completed"] else "lost"
        else:
            row = conn.execute(
                query("job", "fail"),
                {
                    "job_id": job.id,
                    "owner": self.owner,
                    "message": result.message,
                    "data": json.dumps(result.data),
                    "retryable": result.kind == "retry",
                    "backoff_base": self.backoff,
                    "backoff_max": timedelta(minutes=5),
                },
            ).fetchone()
            outcome = str(row["outcome"]) if row else "lost"
        if outcome == "lost":
            log.warning(
                "job %s (%s): lease lost before reporting; another run owns it", job.id, job.type
            )
        elif result.kind != "complete":
            log.info(
                "job %s (%s) attempt %d: %s (%s)",
                job.id,
                job.type,
                job.attempts,
                outcome,
                result.message,
            )
        self.stats.counts[outcome] += 1
        observability.record_job(job.type, outcome, self._queued_at.pop(job.id, None))

    def _heartbeat(self, job_ids: list[uuid.UUID]) -> None:
        self._connection().execute(
            query("job", "heartbeat"),
            {"owner": self.owner, "job_ids": job_ids, "lease": self.lease},
        )

    def _reclaim(self) -> None:
        row = (
            self._connection()
            .execute(query("job", "reclaim_expired"), {"backoff_base": self.backoff})
            .fetchone()
        )
        if row and row["reclaimed"]:
            log.warning("reclaimed %d job(s) whose lease expired", row["reclaimed"])
            self.stats.counts["reclaimed"] += int(row["reclaimed"])

    def _listen(self) -> None:
        """Set the wake event on every NOTIFY job_runnable; reconnect if the link drops."""
        while not self._stop.is_set():
            try:
                with psycopg.connect(
                    self.settings.database_url.get_secret_value(), autocommit=True
                ) as conn:
                    conn.execute(query("job", "listen"))
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=1.0, stop_after=1):
                            self._wake.set()
            except psycopg.OperationalError as exc:
                log.warning("LISTEN connection lost (%s); polling until it is back", exc)
                self._stop.wait(self.settings.executor_poll_seconds)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--concurrency",
        type=int,
        help="jobs run at once (default: PROVISIONING_EXECUTOR_CONCURRENCY)",
    )
    parser.add_argument(
        "--types",
        nargs="+",
        choices=sorted(HANDLERS),
        metavar="TYPE",
        help="only claim these job types (default: all): " + ", ".join(sorted(HANDLERS)),
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.concurrency is not None:
        settings = settings.model_copy(update={"executor_concurrency": args.concurrency})
    backend = backend_from_settings(settings)  # PROVISIONING_BACKEND
    worker = Worker(settings, backend, types=args.types)
    observability.start_component(settings, "executor", worker.liveness)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: worker.stop())
    log.info(
        "executor %s: %s backend, concurrency %d",
        worker.owner,
        settings.backend,
        worker.concurrency,
    )
    try:
        stats = worker.run()
    finally:
        backend.close()
    log.info("stopped: %s", dict(stats.counts))
    return 0


__all__ = [
    "Result",
    "Worker",
    "WorkerStats",
    "add_arguments",
    "backend_from_settings",
    "run",
    "run_handler",
]

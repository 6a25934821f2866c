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
- Only what :func:`provisioning.failures.is_transient` calls the infrastructure
  failing (the database unreachable, a serialization failure, ...) is retried:
  the connection is dropped and the pass tried again after an exponential
  backoff, with the results not yet reported kept in hand. Any other exception
  stops the executor (its leases expire and any executor reclaims the jobs).
- Every ``executor_registry_poll_seconds`` it reads the registries' poll queues
  (a pending transfer approved, rejected or cancelled settles its provision) and
  ends the redemption periods that are over (``executors/registry_poll.py``).
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
import time
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from psycopg.rows import dict_row

from executors import registry_poll
from executors.backends import backend_from_settings
from executors.backends.base import Backend, BackendError
from executors.handlers import HANDLERS, Handler, InvalidJob, Job
from provisioning import observability
from provisioning.failures import describe, is_transient
from provisioning.service import COMPONENT_ROLES, Service
from provisioning.settings import Settings, load_settings
from provisioning.sqlfiles import query

log = logging.getLogger(__name__)


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
class _LoopState:
    """What the executor loop holds between passes."""

    next_heartbeat: float  # also when the first reclaim and registry poll are due
    inflight: dict[Future[Result], Job] = field(default_factory=dict)
    unreported: list[tuple[Job, Result]] = field(default_factory=list)
    held_since: float = 0.0  # when the oldest result in unreported came in
    drained: bool = True  # the last claim got fewer jobs than it asked for
    next_reclaim: float = 0.0
    next_registry_poll: float = 0.0

    def __post_init__(self) -> None:
        self.next_reclaim = self.next_registry_poll = self.next_heartbeat

    def collect_done(self) -> None:
        """Move the finished handlers' results from ``inflight`` to ``unreported``."""
        for future in [f for f in self.inflight if f.done()]:
            if not self.unreported:
                self.held_since = time.monotonic()
            self.unreported.append((self.inflight.pop(future), future.result()))

    def held_job_ids(self) -> list[uuid.UUID]:
        """Every job whose lease this executor holds: running, or finished and not reported."""
        return [job.id for job in self.inflight.values()] + [job.id for job, _ in self.unreported]


@dataclass
class WorkerStats:
    counts: Counter[str] = field(default_factory=Counter)


class Worker(Service[dict[str, Any]]):
    """One executor process's worth of job running.

    Its connection, LISTEN thread, stop and wake events and backoff are the
    :class:`~provisioning.service.Service` base's. That backoff paces retries of
    the database; a failed job's retry backoff is ``job_backoff``. ``stop()``
    stops claiming; the jobs in flight are finished and reported, then ``run``
    returns.
    """

    def __init__(
        self,
        settings: Settings,
        backend: Backend,
        *,
        handlers: Mapping[str, Handler] = HANDLERS,
        owner: str | None = None,
        types: Sequence[str] | None = None,
    ) -> None:
        owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        super().__init__(
            settings,
            f"provisioning-executor:{owner}",
            row_factory=dict_row,
            role=COMPONENT_ROLES["executor"],
        )
        self.backend = backend
        self.handlers = dict(handlers)
        self.owner = owner
        self.types = list(types) if types is not None else sorted(self.handlers)
        self.concurrency = settings.executor_concurrency
        self.lease = timedelta(seconds=settings.executor_lease_seconds)
        self.job_backoff = timedelta(seconds=settings.executor_backoff_seconds)
        self.complete_batch = settings.executor_complete_batch
        self.complete_delay = settings.executor_complete_delay_seconds
        self.stats = WorkerStats()
        self._queued_at: dict[uuid.UUID, datetime] = {}  # job id -> created (latency metric)

    # ------------------------------------------------------------------ the loop

    def run(self, *, until_idle: float | None = None) -> WorkerStats:
        """Run until stopped, or (tests, benchmarks) until idle for ``until_idle`` seconds.

        Either way the worker is stopped when ``run`` returns (that ends its LISTEN
        thread); a worker runs once.
        """
        listener = self.start_listener(query("job", "listen"), self.settings.executor_poll_seconds)
        try:
            self._loop(until_idle)
        finally:
            self.stop_event.set()  # ends the LISTEN thread
            listener.join(timeout=5)
            self.drop_connection()
        return self.stats

    def _loop(self, until_idle: float | None) -> None:
        state = _LoopState(time.monotonic())
        idle_since = time.monotonic()
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="job") as pool:
            while not (self.stopping and not state.inflight and not state.unreported):
                self.liveness.beat()
                state.collect_done()
                claimed = 0
                try:
                    self._periodic(state)
                    if not self.stopping:
                        claimed = self._claim_into(state, pool)
                    if state.unreported and self._report_due(state):
                        self._report_all(state.unreported)
                except Exception as exc:
                    if not is_transient(exc):
                        raise
                    self._retry_later(exc)
                    continue
                self.backoff.reset()
                if state.inflight or claimed or state.unreported:
                    idle_since = time.monotonic()
                elif until_idle is not None and time.monotonic() - idle_since >= until_idle:
                    break
                if claimed and not state.drained:
                    continue  # took all it could: there may be more right away
                sleep = self._sleep_seconds(state.next_heartbeat, bool(state.inflight))
                if state.unreported:
                    sleep = min(sleep, state.held_since + self.complete_delay - time.monotonic())
                self.wait(sleep)

    def _periodic(self, state: _LoopState) -> None:
        """Heartbeat the leases held; reclaim expired ones; read the registries' poll queues."""
        now = time.monotonic()
        if (state.inflight or state.unreported) and now >= state.next_heartbeat:
            self._heartbeat(state.held_job_ids())
            state.next_heartbeat = now + self.lease.total_seconds() / 3
        if self.stopping:
            return
        if now >= state.next_reclaim:
            self._reclaim()
            state.next_reclaim = now + self.settings.executor_poll_seconds
        if now >= state.next_registry_poll:
            self._registry_poll()
            state.next_registry_poll = (
                time.monotonic() + self.settings.executor_registry_poll_seconds
            )

    def _claim_into(self, state: _LoopState, pool: ThreadPoolExecutor) -> int:
        """Claim jobs for the free handler slots and start them; how many were claimed."""
        free = self.concurrency - len(state.inflight)
        if not free:
            return 0
        jobs = self._claim(free)
        state.drained = len(jobs) < free
        for job in jobs:
            future = pool.submit(run_handler, job, self.handlers[job.type], self.backend)
            future.add_done_callback(lambda _: self.wake_event.set())
            state.inflight[future] = job
        return len(jobs)

    def _report_due(self, state: _LoopState) -> bool:
        """Whether to report the results in hand now, or hold completions for a bigger batch.

        As River's completer does, completions are written in batches while the
        queue is busy: held until ``executor_complete_batch`` of them are in
        hand, or the oldest has waited ``executor_complete_delay_seconds``
        (the loop wakes for that). They go at once when the queue ran dry (the
        last claim came back short: light load, where latency counts), when no
        handler is running, when stopping, and whenever a result is a failure
        or a retry.
        """
        unreported = state.unreported
        return (
            state.drained
            or not state.inflight
            or self.stopping
            or len(unreported) >= self.complete_batch
            or time.monotonic() - state.held_since >= self.complete_delay
            or any(result.kind != "complete" for _, result in unreported)
        )

    def _retry_later(self, exc: Exception) -> None:
        """The base's ``retry_later``, but a real pause while draining.

        Once stopping, the base's backoff wait returns at once; the results in
        hand still have to be reported, so sleep the delay instead of
        reconnecting in a tight loop until the database is back.
        """
        if not self.stopping:
            self.retry_later(exc, "database unavailable")
            return
        delay = self.backoff.next()
        log.warning(
            "%s: database unavailable while draining (%s); retrying in %.1fs", self.name, exc, delay
        )
        self.reconnects += 1
        self.drop_connection()
        time.sleep(delay)

    def _sleep_seconds(self, next_heartbeat: float, busy: bool) -> float:
        poll = self.settings.executor_poll_seconds
        if busy:
            return max(0.0, min(poll, next_heartbeat - time.monotonic()))
        return poll

    # ------------------------------------------------------------------ database

    def _claim(self, limit: int) -> list[Job]:
        rows = (
            self.connection()
            .execute(
                query("job", "claim_to_run"),
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

    def _report_all(self, unreported: list[tuple[Job, Result]]) -> None:
        """Report every result in hand, removing each from ``unreported`` once it is recorded.

        Completions go in one statement when there are several (River's batch
        completion); failures, retries and a batch the database refuses go one
        by one. A transient failure leaves the rest in ``unreported`` for the retry.
        """
        completes = [pair for pair in unreported if pair[1].kind == "complete"]
        if len(completes) > 1 and self._complete_many(completes):
            done = {id(pair) for pair in completes}
            unreported[:] = [pair for pair in unreported if id(pair) not in done]
        while unreported:
            job, result = unreported[0]
            with observability.log_context(**observability.job_log_fields(job.id, job.data)):
                self._report(job, result)
            unreported.pop(0)

    def _complete_many(self, completes: list[tuple[Job, Result]]) -> bool:
        """Complete ``completes`` in one statement; False when the database refused one."""
        try:
            rows = (
                self.connection()
                .execute(
                    query("job", "complete_many"),
                    {
                        "owner": self.owner,
                        "job_ids": [job.id for job, _ in completes],
                        "results": [json.dumps(result.data or {}) for _, result in completes],
                    },
                )
                .fetchall()
            )
        except Exception as exc:
            if is_transient(exc) or self.connection().broken:
                raise
            return False
        now = datetime.now(UTC)
        for (job, _), row in zip(completes, rows, strict=True):
            outcome = "completed" if row["completed"] else "lost"
            if outcome == "lost":
                log.warning(
                    "job %s (%s): lease lost before reporting; another run owns it",
                    job.id,
                    job.type,
                )
            self.stats.counts[outcome] += 1
            observability.record_job(job.type, outcome, self._queued_at.pop(job.id, None), now)
        self.stats.counts["batched_completions"] += len(completes)
        self.stats.counts["completion_statements"] += 1
        return True

    def _report(self, job: Job, result: Result) -> None:
        """The one place a run of a job becomes a database state change.

        A result the database refuses for a reason of its own (not the
        infrastructure's: say a string it cannot store) must not stop the
        executor, or the job would come back after its lease and stop the next
        one: it is recorded as the job's final failure instead.
        """
        try:
            self._record(job, result)
        except Exception as exc:
            if is_transient(exc) or self.connection().broken:
                raise
            log.error("job %s (%s): its result was refused: %s", job.id, job.type, describe(exc))
            self._record(
                job,
                Result(
                    "fail",
                    {"error": "UnrecordableResult"},
                    f"the result could not be recorded: {describe(exc)}",
                ),
            )

    def _record(self, job: Job, result: Result) -> None:
        conn = self.connection()
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
                    "backoff_base": self.job_backoff,
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

    def _registry_poll(self) -> None:
        """The periodic registry work (``executors/registry_poll.py``): the poll queues'
        transfer messages when this executor runs transfers, the end of redemption
        periods when it runs deletes."""
        conn = self.connection()
        if "provision_domain_transfer" in self.types:
            for registrar in registry_poll.accreditations(conn):
                registry_poll.poll_transfers(conn, self.backend, registrar, self.stats.counts)
        if "provision_domain_delete" in self.types:
            registry_poll.end_redemptions(conn, self.stats.counts)

    def _heartbeat(self, job_ids: list[uuid.UUID]) -> None:
        self.connection().execute(
            query("job", "heartbeat"),
            {"owner": self.owner, "job_ids": job_ids, "lease": self.lease},
        )

    def _reclaim(self) -> None:
        row = (
            self.connection()
            .execute(query("job", "reclaim_expired"), {"backoff_base": self.job_backoff})
            .fetchone()
        )
        if row and row["reclaimed"]:
            log.warning("reclaimed %d job(s) whose lease expired", row["reclaimed"])
            self.stats.counts["reclaimed"] += int(row["reclaimed"])


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

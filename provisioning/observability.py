"""Metrics, health endpoints and structured logs shared by every component.

- Metrics: module-level prometheus_client objects (see docs/operations.md for the
  list). The consumer loop labels its metrics with the *component* running it
  (ingest, order-service, ...); the executor's and the relay's metric families
  are named after their component and labelled by job type or outbox instead.
- :func:`serve`: ``GET /metrics`` and ``GET /healthz`` on a small threaded HTTP
  server in a daemon thread.
- :func:`configure_logging` and :func:`log_context`: one log line per record,
  JSON when stderr is not a terminal, each carrying the component and whatever
  ``request_id``/``job_id``/``order_id``/``traceparent`` the code around it set.

The ``record_*`` helpers keep the instrumentation in the components to one line
each; none of them raises on a Kafka or database error.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import MappingProxyType
from typing import Any, TextIO

from confluent_kafka import KafkaException, Message, TopicPartition
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

log = logging.getLogger(__name__)

# ---------------------------------------------------------------------- metrics

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)

CONSUMED = Counter(
    "provisioning_consumer_messages_consumed",
    "Messages polled from Kafka by a consumer loop (before decoding).",
    ["component", "topic"],
)
HANDLED = Counter(
    "provisioning_consumer_messages_handled",
    "Decoded messages recorded in the database, by the handler's result "
    "(ingest: inserted, duplicates, rejected; order-service: applied, duplicates, without_plans).",
    ["component", "result"],
)
DEAD_LETTERED = Counter(
    "provisioning_consumer_messages_dead_lettered",
    "Messages produced to the topic's DLQ (undecodable, or refused and not rejectable).",
    ["component", "topic"],
)
COMMIT_FAILURES = Counter(
    "provisioning_consumer_commit_failures",
    "Offset commits that failed (partitions moved during the batch): the batch is replayed.",
    ["component"],
)
BATCH_DURATION = Histogram(
    "provisioning_consumer_batch_duration_seconds",
    "One batch: decode, database transaction(s), DLQ, offset commit.",
    ["component"],
    buckets=DURATION_BUCKETS,
)
CONSUMER_LAG = Gauge(
    "provisioning_consumer_lag",
    "Messages behind the partition's end: cached high watermark minus the offset this "
    "process last committed. Set after each commit; removed when the partition is revoked.",
    ["component", "topic", "partition"],
)
EVENT_AGE = Histogram(
    "provisioning_consumer_event_age_seconds",
    "From the record's own event time to its batch's database commit: order-service, an "
    "outcome's occurred_at (its outbox row) to applied on the order; ingest, a request's "
    "requested_at (the requester's clock) to recorded as a provision row.",
    ["component"],
    buckets=LATENCY_BUCKETS,
)

JOBS = Counter(
    "provisioning_executor_jobs",
    "Runs of jobs reported, by job type and outcome (completed, retried, failed, lost).",
    ["type", "outcome"],
)
JOB_DURATION = Histogram(
    "provisioning_executor_job_duration_seconds",
    "One run of a job's handler (one backend call), by job type.",
    ["type"],
    buckets=DURATION_BUCKETS,
)
JOB_LATENCY = Histogram(
    "provisioning_executor_job_latency_seconds",
    "From the job's creation (queued) to the executor reporting it completed, retries "
    "included; database clock to executor clock.",
    ["type"],
    buckets=LATENCY_BUCKETS,
)

PUBLISHED = Counter(
    "provisioning_relay_published",
    "Outbox rows delivered to Kafka and marked sent.",
    ["outbox"],
)
RELAY_FAILED_BATCHES = Counter(
    "provisioning_relay_failed_batches",
    "Relay batches where a row could not be encoded or delivered (the rest wait, in order).",
    ["outbox"],
)
RELAY_PARKED = Counter(
    "provisioning_relay_parked",
    "Outbox rows parked: they failed PROVISIONING_RELAY_MAX_ATTEMPTS times for a reason of "
    "their own; the later rows of their key wait (provisioning outbox list).",
    ["outbox"],
)
RELAY_ACTIVE = Gauge(
    "provisioning_relay_active",
    "1 while this process holds the outbox's relay lock (last batch), 0 while standing by.",
    ["outbox"],
)
OUTBOX_BACKLOG = Gauge(
    "provisioning_outbox_backlog",
    "Unsent outbox rows after the active relay's last batch (absent on standbys).",
    ["outbox"],
)

# Counts the consumer loop keeps for itself, not results of the handler.
_LOOP_COUNTS = frozenset({"batches", "fallbacks", "dead_lettered", "commit_failures"})
# The record's event time: first of these fields present in the decoded datum.
_EVENT_TIME_FIELDS = ("occurred_at", "requested_at")
_JOB_OUTCOMES = {"retry": "retried"}


def handler_component(func: Callable[..., object]) -> str:
    """The component of a consumer handler: its module's name (order_service -> order-service)."""
    while isinstance(func, functools.partial):
        func = func.func
    return func.__module__.rpartition(".")[2].replace("_", "-")


def record_consumed(component: str, messages: Sequence[Message]) -> None:
    topics: dict[str, int] = {}
    for message in messages:
        topic = message.topic() or ""
        topics[topic] = topics.get(topic, 0) + 1
    for topic, count in topics.items():
        CONSUMED.labels(component, topic).inc(count)


def record_handled(
    component: str, counts: Mapping[str, int], data: Sequence[Mapping[str, Any]]
) -> None:
    """A batch's handler results and, per record, its event age (now - occurred/requested_at)."""
    for result, count in counts.items():
        if result not in _LOOP_COUNTS and count:
            HANDLED.labels(component, result).inc(count)
    now = datetime.now(UTC)
    histogram = EVENT_AGE.labels(component)
    for datum in data:
        at = next((datum[f] for f in _EVENT_TIME_FIELDS if f in datum), None)
        if isinstance(at, datetime) and at.tzinfo is not None:
            histogram.observe(max(0.0, (now - at).total_seconds()))


def record_lag(component: str, consumer: Any, committed: Mapping[tuple[str, int], int]) -> None:
    """Lag of just-committed partitions from the consumer's cached watermarks (no broker call)."""
    for (topic, partition), offset in committed.items():
        try:
            marks = consumer.get_watermark_offsets(TopicPartition(topic, partition), cached=True)
        except KafkaException:
            continue
        if marks is not None and marks[1] >= 0:
            CONSUMER_LAG.labels(component, topic, str(partition)).set(max(0, marks[1] - offset))


def forget_lag(component: str, partitions: Sequence[TopicPartition]) -> None:
    """Partitions this process no longer owns: their lag is another member's to report."""
    for tp in partitions:
        with contextlib.suppress(KeyError):
            CONSUMER_LAG.remove(component, tp.topic, str(tp.partition))


def job_log_fields(job_id: object, data: Mapping[str, Any]) -> dict[str, object]:
    """The log context of a job: its id, and request_id, order_id, traceparent from its data."""
    metadata = data.get("order_metadata")
    order_id = metadata.get("order_id") if isinstance(metadata, Mapping) else None
    return {
        "job_id": job_id,
        "request_id": data.get("request_id"),
        "order_id": order_id,
        "traceparent": data.get("traceparent"),
    }


def record_job(
    job_type: str, outcome: str, queued_at: datetime | None = None, now: datetime | None = None
) -> None:
    """One reported run of a job; a completed one also observes its queued → completed time.

    ``now``: the time of the report, when a batch of them shares one.
    """
    _job_counter(job_type, _JOB_OUTCOMES.get(outcome, outcome)).inc()
    if outcome == "completed" and queued_at is not None:
        latency = ((now or datetime.now(UTC)) - queued_at).total_seconds()
        _job_latency(job_type).observe(max(0.0, latency))


@functools.cache
def _job_counter(job_type: str, outcome: str) -> Any:
    return JOBS.labels(job_type, outcome)


@functools.cache
def _job_latency(job_type: str) -> Any:
    return JOB_LATENCY.labels(job_type)


def record_relay_batch(outbox: str, *, published: int, failed: bool, backlog: int | None) -> None:
    """``backlog`` None: not counted this time, the gauge keeps its last value."""
    RELAY_ACTIVE.labels(outbox).set(1)
    if backlog is not None:
        OUTBOX_BACKLOG.labels(outbox).set(backlog)
    if published:
        PUBLISHED.labels(outbox).inc(published)
    if failed:
        RELAY_FAILED_BATCHES.labels(outbox).inc()


def record_relay_parked(outbox: str) -> None:
    RELAY_PARKED.labels(outbox).inc()


def record_relay_standby(outbox: str) -> None:
    RELAY_ACTIVE.labels(outbox).set(0)
    with contextlib.suppress(KeyError):
        OUTBOX_BACKLOG.remove(outbox)  # the active relay reports it


# ---------------------------------------------------------------------- HTTP

Health = Callable[[], bool]


def serve(
    port: int,
    component: str,
    health: Health,
    *,
    host: str = "127.0.0.1",
    registry: CollectorRegistry = REGISTRY,
) -> ThreadingHTTPServer:
    """Serve ``/metrics`` and ``/healthz`` on ``host:port`` from a daemon thread.

    ``port`` 0 picks a free port: read it from the returned server's ``server_port``.
    ``/healthz`` answers 200 ``ok`` when ``health()`` is true, else 503 with the
    reason (the exception ``health`` raised, or that it returned false). Stop
    with ``server.shutdown(); server.server_close()``.
    """

    class Endpoints(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.partition("?")[0]
            if path == "/metrics":
                self._reply(200, generate_latest(registry), CONTENT_TYPE_LATEST)
            elif path == "/healthz":
                ok, reason = _check(health)
                status, text = (200, "ok") if ok else (503, f"{component}: {reason}")
                self._reply(status, f"{text}\n".encode(), "text/plain; charset=utf-8")
            else:
                self._reply(404, b"not found: try /metrics or /healthz\n", "text/plain")

        def _reply(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("%s: " + format, self.address_string(), *args)

    server = ThreadingHTTPServer((host, port), Endpoints)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name=f"metrics-{component}", daemon=True)
    thread.start()
    log.info("serving /metrics and /healthz on %s:%d", host, server.server_port)
    return server


def _check(health: Health) -> tuple[bool, str]:
    try:
        return (True, "") if health() else (False, "not healthy")
    except Exception as exc:  # the reason is the answer: report it, never crash the server
        log.warning("health check raised: %s", exc, exc_info=True)
        return False, f"{type(exc).__name__}: {exc}"


# ---------------------------------------------------------------------- logging

CONTEXT_FIELDS = ("request_id", "job_id", "order_id", "traceparent")
_context: ContextVar[Mapping[str, str]] = ContextVar(
    "provisioning_log_context", default=MappingProxyType({})
)


@contextlib.contextmanager
def log_context(**fields: object) -> Iterator[None]:
    """Add ``fields`` (None values skipped) to every log record inside the block.

    Nests (inner values win) and follows contextvars: a thread or task started
    elsewhere does not inherit it, so set it where the work runs.
    """
    merged = {**_context.get(), **{k: str(v) for k, v in fields.items() if v is not None}}
    token = _context.set(MappingProxyType(merged))
    try:
        yield
    finally:
        _context.reset(token)


def current_log_context() -> Mapping[str, str]:
    return _context.get()


class _ContextFilter(logging.Filter):
    """Stamps each record with the component and the current log context."""

    def __init__(self, component: str) -> None:
        super().__init__()
        self.component = component

    def filter(self, record: logging.LogRecord) -> bool:
        context = dict(_context.get())
        record.component = self.component
        record.context = context
        record.context_text = "".join(f" {k}={v}" for k, v in context.items())
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, component, context, exception."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "component": getattr(record, "component", None),
            **getattr(record, "context", {}),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(component)s %(name)s %(message)s%(context_text)s"


class _ComponentHandler(logging.StreamHandler[TextIO]):
    """The handler configure_logging installs (and replaces when called again)."""


def configure_logging(
    component: str,
    level: str | int = "INFO",
    json_output: bool | None = None,
    *,
    stream: TextIO | None = None,
) -> logging.Handler:
    """Log to ``stream`` (stderr) from the root logger: JSON lines, or text on a terminal.

    ``json_output`` None means JSON unless the stream is a terminal. Calling it
    again replaces the handler it installed before; other handlers are left alone.
    """
    target = stream if stream is not None else sys.stderr
    if json_output is None:
        json_output = not (hasattr(target, "isatty") and target.isatty())
    handler = _ComponentHandler(target)
    handler.addFilter(_ContextFilter(component))
    handler.setFormatter(JsonFormatter() if json_output else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _ComponentHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    # the Kafka clients' own lines too (an operator command holds them back: cli.main)
    logging.getLogger("kafka").setLevel(logging.NOTSET)
    return handler


class Liveness:
    """A component's /healthz: healthy while its loop keeps beating."""

    def __init__(self, max_age: float = 60.0) -> None:
        self.max_age = max_age
        self._last = time.monotonic()

    def beat(self) -> None:
        self._last = time.monotonic()

    def __call__(self) -> bool:
        age = time.monotonic() - self._last
        if age > self.max_age:
            raise RuntimeError(f"main loop silent for {age:.0f}s (limit {self.max_age:.0f}s)")
        return True


def start_component(
    settings: Any, component: str, health: Health | None = None
) -> ThreadingHTTPServer | None:
    """What every command does first: logging as configured, and /metrics + /healthz
    when ``PROVISIONING_METRICS_PORT`` is set. Returns the server, if any."""
    json_output = {"auto": None, "json": True, "text": False}[settings.log_format]
    configure_logging(component, settings.log_level, json_output)
    if settings.metrics_port is None:
        return None
    server = serve(
        settings.metrics_port, component, health or (lambda: True), host=settings.metrics_host
    )
    logging.getLogger(__name__).info(
        "%s: /metrics and /healthz on %s:%d", component, settings.metrics_host, server.server_port
    )
    return server


__all__ = [
    "BATCH_DURATION",
    "COMMIT_FAILURES",
    "CONSUMED",
    "CONSUMER_LAG",
    "CONTEXT_FIELDS",
    "DEAD_LETTERED",
    "EVENT_AGE",
    "HANDLED",
    "JOBS",
    "JOB_DURATION",
    "JOB_LATENCY",
    "OUTBOX_BACKLOG",
    "PUBLISHED",
    "RELAY_ACTIVE",
    "RELAY_FAILED_BATCHES",
    "RELAY_PARKED",
    "JsonFormatter",
    "Liveness",
    "configure_logging",
    "current_log_context",
    "forget_lag",
    "handler_component",
    "job_log_fields",
    "log_context",
    "record_consumed",
    "record_handled",
    "record_job",
    "record_lag",
    "record_relay_batch",
    "record_relay_parked",
    "record_relay_standby",
    "serve",
    "start_component",
]

"""The outbox relay: publish the rows of a transactional outbox to Kafka, in id order.

Four outboxes, one relay each (all by default, each in its own thread):
  outcomes         table outbox                 -> ProvisionOutcome on PROVISIONING_TOPIC_OUTCOMES
  order-requests   table orders.request_outbox  -> ProvisionRequest on PROVISIONING_TOPIC_ORDERS
  action-requests  table action_request_outbox  -> ProvisionRequest on PROVISIONING_TOPIC_ACTIONS
                   (any component's requests: producers/outbox.py enqueue_request)
  order-status     table orders.status_outbox   -> OrderStatus on PROVISIONING_TOPIC_ORDER_STATUS
                   (one event per order that reached a final status)

Each window is one database transaction:

  try_lock_relay → (fetch_unsent the next --batch-size rows in id order →
  encode and produce each row)… until a short fetch or --window rows → flush,
  wait for the delivery reports → mark_sent the delivered prefix → commit

While Python fetches and encodes the next rows, librdkafka is already sending
the ones before: the database, the encoding and the broker work side by side,
and a window waits for its deliveries once, not every 500 rows. A trickle of
rows is a short first fetch: it is sent and marked at once.

- At least once: a row is marked sent only after Kafka acknowledged it (acks=all,
  idempotent producer). A crash or a lost connection re-sends; consumers dedupe
  by event_id (outcomes) or request_id (requests).
- Per-key order: rows are produced in id order, keyed by message_key; when a
  delivery fails, only the rows before it are marked, so the failed row and
  every row after it are sent again, in order, after a backoff.
- A row that fails for a reason of its own (too big for the broker, not
  encodable) has its attempts counted in outbox_parked; after
  PROVISIONING_RELAY_MAX_ATTEMPTS it is parked: it and the later rows of its
  key wait for an operator (`provisioning outbox list|retry|drop`), every other
  key flows on. Failures of the broker, the network or the schema registry
  (RegistryUnavailableError) are never counted: the window is retried after a backoff.
- One active relay per outbox: the others find the advisory lock taken and
  stand by; run as many processes as you like for availability.
- Woken by NOTIFY, with a poll every --poll-seconds in case one is missed; keeps
  going without waiting while batches are full.
- Only what :func:`provisioning.failures.is_transient` calls the infrastructure
  failing (the database unreachable, a serialization failure, ...) is retried:
  the connection is dropped and the batch tried again after an exponential
  backoff. Any other exception stops the relay.
- SIGTERM/SIGINT: the batch in hand is finished and committed, then it exits 0.

Examples:
  provisioning relay                      # every outbox
  provisioning relay --outbox outcomes    # only the provisioning outbox
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import psycopg
from confluent_kafka import KafkaError, KafkaException, Message
from psycopg.rows import dict_row

from producers.requests import CONTENT_TYPE as REQUEST_CONTENT_TYPE
from provisioning import kafka, observability
from provisioning.errors import ProvisioningError, RegistryUnavailableError
from provisioning.failures import is_transient
from provisioning.service import COMPONENT_ROLES, Service
from provisioning.settings import Settings, load_settings
from provisioning.sqlfiles import query
from schemas.codec import Codec, close_codec, codec_from_settings
from schemas.requests import ORDER_STATUS, OUTCOME, REQUEST, build_request, to_avro

log = logging.getLogger(__name__)

OUTCOME_CONTENT_TYPE = "application/vnd.provisioning.outcome+avro"
ORDER_STATUS_CONTENT_TYPE = "application/vnd.provisioning.order-status+avro"

Row = dict[str, Any]


@dataclass(frozen=True)
class Outbox:
    """One outbox table and how its rows become messages."""

    name: str  # what --outbox calls it
    group: str  # db/queries/<group>.sql: listen, try_lock_relay, fetch_unsent, mark_sent
    record: str  # the Avro record of the messages
    topic: Callable[[Settings], str]
    datum: Callable[[Row], dict[str, Any]]  # a fetched row -> the record's datum
    content_type: str


def outcome_datum(row: Row) -> dict[str, Any]:
    """A ``ProvisionOutcome`` from a row of ``outbox`` as ``fetch_unsent`` reads it: the
    ids, the plan ids and result_data already text, as the message carries them."""
    return {
        "event_id": row["event_id"],
        "request_id": row["request_id"],
        "provision_id": row["provision_id"],
        "action": row["action"],
        "status": row["status"],
        "order_item_plan_ids": row["order_item_plan_ids"] or [],
        "result_message": row["result_message"],
        "result_data": row["result_data"],
        "occurred_at": row["created_date"],
    }


def order_request_datum(row: Row) -> dict[str, Any]:
    """A ``ProvisionRequest`` from a row of ``orders.request_outbox`` or
    ``action_request_outbox``.

    The row's request_id wins over the stored request's; ``requested_at``
    defaults to when the row was written, so a re-sent request is the same.
    """
    request = {"requested_at": row["created_date"], **row["request"]}
    request["request_id"] = row["request_id"]
    return to_avro(build_request(request))


def order_status_datum(row: Row) -> dict[str, Any]:
    """An ``OrderStatus`` from a row of ``orders.status_outbox``: the event the trigger
    stored, with the row's ids and time (so a re-sent event is the same)."""
    event = row["event"]
    return {
        "event_id": str(row["event_id"]),
        "order_id": str(row["order_id"]),
        "tenant_customer_id": event["tenant_customer_id"],
        "status": event["status"],
        "metadata": {str(k): str(v) for k, v in (event.get("metadata") or {}).items()},
        "plans": [
            {
                "plan_id": plan["plan_id"],
                "order_item_id": plan["order_item_id"],
                "product": plan["product"],
                "item_action": plan["item_action"],
                "object_name": plan["object_name"],
                "action": plan["action"],
                "stage": plan["stage"],
                "status": plan["status"],
                "request_id": plan.get("request_id"),
                "message": plan.get("message"),
            }
            for plan in event.get("plans") or []
        ],
        "occurred_at": row["created_date"],
    }


OUTCOMES = Outbox(
    name="outcomes",
    group="outbox",
    record=OUTCOME,
    topic=lambda settings: settings.topic_outcomes,
    datum=outcome_datum,
    content_type=OUTCOME_CONTENT_TYPE,
)
ORDER_REQUESTS = Outbox(
    name="order-requests",
    group="order_outbox",
    record=REQUEST,
    topic=lambda settings: settings.topic_orders,
    datum=order_request_datum,
    content_type=REQUEST_CONTENT_TYPE,
)
ACTION_REQUESTS = Outbox(
    name="action-requests",
    group="action_outbox",
    record=REQUEST,
    topic=lambda settings: settings.topic_actions,
    datum=order_request_datum,  # the same stored-request form (producers/outbox.py)
    content_type=REQUEST_CONTENT_TYPE,
)
ORDER_STATUSES = Outbox(
    name="order-status",
    group="order_status_outbox",
    record=ORDER_STATUS,
    topic=lambda settings: settings.topic_order_status,
    datum=order_status_datum,
    content_type=ORDER_STATUS_CONTENT_TYPE,
)
OUTBOXES: dict[str, Outbox] = {
    outbox.name: outbox for outbox in (OUTCOMES, ORDER_REQUESTS, ACTION_REQUESTS, ORDER_STATUSES)
}


@dataclass(frozen=True)
class BatchResult:
    """What one window (one transaction) did."""

    standby: bool = False  # another relay holds the lock: nothing was read
    fetched: int = 0
    published: int = 0  # delivered and marked sent
    failed: bool = False  # a row could not be encoded or delivered: back off
    full: bool = False  # the window ended at its size, not at the outbox's end: more may wait


class Relay(Service[Row]):
    """Publishes one outbox; ``run`` in a thread or process, ``stop`` from anywhere.

    Its connection, LISTEN thread, stop and wake events and backoff are the
    :class:`~provisioning.service.Service` base's; ``counts`` adds up what it did
    (``batches``, ``published``, ``standby``, ``reconnects``, ``delivery_failures``,
    ``encode_failures``).
    """

    def __init__(
        self,
        settings: Settings,
        outbox: Outbox,
        *,
        codec: Codec | None = None,
        batch_size: int = 500,
        window: int = 5000,
        poll_seconds: float = 1.0,
        delivery_timeout: float = 30.0,
        backoff_seconds: float = 0.5,
        producer_overrides: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(
            settings,
            f"provisioning-relay:{outbox.name}",
            row_factory=dict_row,
            backoff_seconds=backoff_seconds,
            role=COMPONENT_ROLES["relay"],
        )
        self.outbox = outbox
        self.topic = outbox.topic(settings)
        self._own_codec = codec is None  # closed when the relay stops
        self.codec = codec if codec is not None else codec_from_settings(settings)
        self.batch_size = batch_size
        self.window = max(window, batch_size)
        self._content_type = ("content-type", outbox.content_type.encode())
        self._backlog_counted_at = 0.0
        self.poll_seconds = poll_seconds
        self.delivery_timeout = delivery_timeout
        self.backoff_seconds = backoff_seconds
        self.counts: Counter[str] = Counter()
        self._failed_ids: set[int] = set()  # rows with counted failures, not published yet
        self._producer_overrides: dict[str, Any] = {
            "linger.ms": 5,
            "message.timeout.ms": int(delivery_timeout * 1000),
            **(producer_overrides or {}),
        }
        self._producer = kafka.producer(settings, **self._producer_overrides)
        self._producer_fatal = False

    # ------------------------------------------------------------------ the loop

    def run(self, *, until_idle: float | None = None) -> Counter[str]:
        """Relay until stopped, or (tests) until nothing was published for ``until_idle`` s.

        Either way the relay is stopped when ``run`` returns (that ends its LISTEN
        thread); a relay runs once.
        """
        listener = self.start_listener(query(self.outbox.group, "listen"), self.poll_seconds)
        idle_since = time.monotonic()
        try:
            while not self.stopping:
                self.liveness.beat()
                self.wake_event.clear()  # a NOTIFY from now on means "look again"
                try:
                    result = self.relay_batch()
                except Exception as exc:
                    if not is_transient(exc):
                        raise
                    self.counts["reconnects"] += 1
                    self.retry_later(exc, "database unavailable")
                    continue
                if result.published:
                    idle_since = time.monotonic()
                if result.failed:  # back off; a NOTIFY does not cut a backoff short
                    wait, wakeable = self.backoff.next(), False
                else:
                    self.backoff.reset()
                    if result.full:
                        continue  # a full window: there may be more right away
                    wait, wakeable = self.poll_seconds, True
                if until_idle is not None:
                    left = until_idle - (time.monotonic() - idle_since)
                    if left <= 0:
                        break
                    wait = min(wait, left)
                self.wait(wait, wakeable=wakeable)
        finally:
            self.stop_event.set()  # ends the LISTEN thread
            self._producer.flush(self.delivery_timeout)
            listener.join(timeout=5)
            self.drop_connection()
            if self._own_codec:
                close_codec(self.codec)
        return self.counts

    def relay_batch(self) -> BatchResult:
        """One window, one transaction: lock, fetch and produce, wait, mark the delivered prefix."""
        conn = self.connection()
        group = self.outbox.group
        result = BatchResult(standby=True)
        with conn.transaction() as tx:
            locked = conn.execute(query(group, "try_lock_relay")).fetchone()
            if not locked or not locked["locked"]:
                raise psycopg.Rollback(tx)  # another relay is active: stand by
            window = _Window()
            after = 0
            while True:
                rows = conn.execute(
                    query(group, "fetch_unsent"), {"limit": self.batch_size, "after": after}
                ).fetchall()
                window.fetched += len(rows)
                if not self._produce_rows(rows, window):
                    break  # a row could not be produced: it and the rows after it wait
                if len(rows) < self.batch_size:
                    break  # the end of the outbox
                if window.fetched >= self.window:
                    window.full = True
                    break
                after = rows[-1]["id"]
            sent = self._delivered(window) if window.produced else []
            if sent:
                conn.execute(query(group, "mark_sent"), {"ids": sent})
                self._forget_failures(conn, sent)
            if window.failure is not None:
                self._count_failure(conn, window.failure)
            result = BatchResult(
                fetched=window.fetched,
                published=len(sent),
                failed=len(sent) < window.fetched,
                full=window.full and len(sent) == window.fetched,
            )
        if result.standby:
            self.counts["standby"] += 1
            observability.record_relay_standby(self.outbox.name)
            return result
        if result.fetched:
            self.counts["batches"] += 1
            self.counts["published"] += result.published
        observability.record_relay_batch(
            self.outbox.name,
            published=result.published,
            failed=result.failed,
            backlog=self._backlog(conn, result),
        )
        return result

    def _count_failure(self, conn: psycopg.Connection[Row], failure: _Failure) -> None:
        """One more failed attempt of a row, in the window's transaction; parked at the limit."""
        row = conn.execute(
            query("outbox_parked", "record_failure"),
            {
                "outbox": self.outbox.name,
                "row_id": failure.row_id,
                "message_key": failure.message_key,
                "reason": failure.reason,
                "max_attempts": self.settings.relay_max_attempts,
            },
        ).fetchone()
        self._failed_ids.add(failure.row_id)
        if row is not None and row["parked"]:
            self.counts["parked"] += 1
            observability.record_relay_parked(self.outbox.name)
            log.error(
                "%s: row %s parked after %d attempts (%s); the later rows of key %r wait "
                "with it, the other keys go on (provisioning outbox list|retry|drop)",
                self.outbox.name,
                failure.row_id,
                row["attempts"],
                failure.reason,
                failure.message_key[:100],
            )

    def _forget_failures(self, conn: psycopg.Connection[Row], sent: Sequence[int]) -> None:
        """Rows published after failing before: their count of failures is dropped."""
        again = self._failed_ids.intersection(sent)
        if again:
            conn.execute(
                query("outbox_parked", "forget"),
                {"outbox": self.outbox.name, "row_ids": sorted(again)},
            )
            self._failed_ids -= again

    def _backlog(self, conn: psycopg.Connection[Row], result: BatchResult) -> int | None:
        """Unsent rows: a window that was not full read them all; a full one counts them,
        at most once a second (a count of a long backlog is not free)."""
        if not result.full:
            return result.fetched - result.published
        now = time.monotonic()
        if now - self._backlog_counted_at < 1.0:
            return None  # not counted this time: the gauge keeps its value
        self._backlog_counted_at = now
        row = conn.execute(query(self.outbox.group, "count_unsent")).fetchone()
        return int(row["unsent"]) if row else 0

    # ------------------------------------------------------------------ Kafka

    def _produce_rows(self, rows: Sequence[Row], window: _Window) -> bool:
        """Encode and produce ``rows`` in order (no waiting); False when one could not be."""
        for row in rows:
            try:
                value = self.codec.encode(self.outbox.record, self.outbox.datum(row), self.topic)
            except RegistryUnavailableError as exc:  # not the row's fault: never counted
                log.warning(
                    "%s: row %s waits: %s; retrying after a backoff",
                    self.outbox.name,
                    row["id"],
                    exc,
                )
                self.counts["registry_unavailable"] += 1
                return False
            except (ProvisioningError, LookupError, TypeError, ValueError) as exc:
                log.error(
                    "%s: row %s cannot be encoded (%s): it and the rows after it wait",
                    self.outbox.name,
                    row["id"],
                    exc,
                )
                self.counts["encode_failures"] += 1
                window.failure = _Failure(row["id"], row["message_key"], f"not encodable: {exc}")
                return False
            if not self._produce(
                row, value, partial(_record_report, window.reports, row["id"]), window
            ):
                return False
            window.produced.append(row["id"])
            window.keys[row["id"]] = row["message_key"]
        return True

    def _delivered(self, window: _Window) -> list[int]:
        """Wait for the window's delivery reports; the ids of the delivered prefix, in id order."""
        remaining = self._producer.flush(self.delivery_timeout + 5)
        sent: list[int] = []
        for row_id in window.produced:
            error = window.reports.get(row_id, _NO_REPORT)
            if error is not None:
                reason = "no delivery report" if error is _NO_REPORT else error
                if _about_the_message(error):
                    window.failure = _Failure(row_id, window.keys[row_id], str(error))
                log.warning(
                    "%s: row %s not delivered (%s); %d row(s) from it on will be sent again",
                    self.outbox.name,
                    row_id,
                    reason,
                    window.fetched - len(sent),
                )
                self.counts["delivery_failures"] += 1
                break
            sent.append(row_id)
        if remaining:
            log.warning("%s: %d message(s) still queued after flush", self.outbox.name, remaining)
        if self._producer_fatal or any(
            isinstance(e, KafkaError) and e.fatal() for e in window.reports.values()
        ):
            self._renew_producer()
        return sent

    def _produce(
        self, row: Row, value: bytes, on_delivery: Callable[..., None], window: _Window
    ) -> bool:
        headers: kafka.Headers = [self._content_type]
        if row["traceparent"]:
            headers.append(("traceparent", str(row["traceparent"]).encode()))
        try:
            kafka.produce(
                self._producer,
                self.topic,
                key=str(row["message_key"]).encode(),
                value=value,
                headers=headers,
                on_delivery=on_delivery,
            )
        except KafkaException as exc:
            log.warning("%s: row %s refused by the producer: %s", self.outbox.name, row["id"], exc)
            error = exc.args[0] if exc.args else None
            self._producer_fatal = isinstance(error, KafkaError) and error.fatal()
            self.counts["delivery_failures"] += 1
            if _about_the_message(error):
                window.failure = _Failure(row["id"], row["message_key"], str(error))
            return False
        return True

    def _renew_producer(self) -> None:
        log.error("%s: the Kafka producer hit a fatal error; starting a new one", self.outbox.name)
        self._producer = kafka.producer(self.settings, **self._producer_overrides)
        self._producer_fatal = False


_NO_REPORT: Any = object()

# Kafka errors about one message, not the broker or the network: publishing that
# message again fails the same way.
_MESSAGE_ERRORS = frozenset(
    {
        KafkaError.MSG_SIZE_TOO_LARGE,
        KafkaError.INVALID_MSG,
        KafkaError.INVALID_MSG_SIZE,
        KafkaError.INVALID_RECORD,
        KafkaError.RECORD_LIST_TOO_LARGE,
        KafkaError._INVALID_ARG,
        KafkaError._BAD_MSG,
    }
)


def _about_the_message(error: object) -> bool:
    return isinstance(error, KafkaError) and error.code() in _MESSAGE_ERRORS


@dataclass(frozen=True)
class _Failure:
    """A row that could not be published for a reason of its own."""

    row_id: int
    message_key: str
    reason: str


@dataclass
class _Window:
    """The rows of one transaction: how many were fetched, which were produced, their reports."""

    fetched: int = 0
    produced: list[int] = field(default_factory=list)
    reports: dict[int, KafkaError | None] = field(default_factory=dict)
    keys: dict[int, str] = field(default_factory=dict)
    failure: _Failure | None = None
    full: bool = False


def _record_report(
    reports: dict[int, KafkaError | None], row_id: int, error: KafkaError | None, _: Message
) -> None:
    reports[row_id] = error


def run_together(relays: Sequence[Relay], *, until_idle: float | None = None) -> list[Counter[str]]:
    """Run ``relays`` in threads until all return; if one fails, stop the others and raise."""
    results: list[Counter[str]] = [Counter() for _ in relays]
    errors: list[BaseException] = []

    def target(index: int, relay: Relay) -> None:
        try:
            results[index] = relay.run(until_idle=until_idle)
        except BaseException as exc:
            log.exception("%s relay failed", relay.outbox.name)
            errors.append(exc)
            for other in relays:
                other.stop()

    threads = [
        threading.Thread(target=target, args=(i, r), name=f"relay-{r.outbox.name}")
        for i, r in enumerate(relays)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():  # a timed join keeps the main thread responsive to signals
            thread.join(0.5)
    if errors:
        raise errors[0]
    return results


# ---------------------------------------------------------------------- command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--outbox",
        choices=[*OUTBOXES, "all", "both"],
        default="all",
        help="which outbox to relay (default: all, each in its own thread; "
        "both is the old name of all)",
    )
    parser.add_argument("--batch-size", type=int, default=500, help="rows per fetch (default: 500)")
    parser.add_argument(
        "--window",
        type=int,
        default=5000,
        help="rows per transaction at most, sent before waiting for their delivery (default: 5000)",
    )
    parser.add_argument(
        "--poll-seconds",
        type=float,
        default=1.0,
        help="look for rows this often when no NOTIFY arrives (default: 1)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    every = args.outbox in ("all", "both")
    outboxes = list(OUTBOXES.values()) if every else [OUTBOXES[args.outbox]]
    relays = [
        Relay(
            settings,
            outbox,
            batch_size=args.batch_size,
            window=args.window,
            poll_seconds=args.poll_seconds,
        )
        for outbox in outboxes
    ]
    observability.start_component(
        settings, "relay", lambda: all(relay.liveness() for relay in relays)
    )

    def stop(*_: object) -> None:
        for relay in relays:
            relay.stop()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)
    for relay in relays:
        log.info("relaying %s to %s", relay.outbox.name, relay.topic)
    counts = run_together(relays)
    for relay, result in zip(relays, counts, strict=True):
        log.info("%s stopped: %s", relay.outbox.name, dict(result))
    return 0


__all__ = [
    "ACTION_REQUESTS",
    "ORDER_REQUESTS",
    "ORDER_STATUSES",
    "ORDER_STATUS_CONTENT_TYPE",
    "OUTBOXES",
    "OUTCOMES",
    "OUTCOME_CONTENT_TYPE",
    "BatchResult",
    "Outbox",
    "Relay",
    "add_arguments",
    "order_request_datum",
    "order_status_datum",
    "outcome_datum",
    "run",
    "run_together",
]

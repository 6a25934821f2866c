"""End to end: orders/s and latency from order placed to order final, every component running.

All components run in this one benchmark process, each in a thread, as
``tests/test_pipeline.py`` runs them, on the local stack; the sandbox registry
adds no latency (``latency_ms=0``). Each round gets a fresh clone of a migrated
and seeded database, fresh 4-partition topics and fresh consumer groups. The
executor runs ``CONCURRENCY`` (8) jobs at once and polls every 0.1 s (NOTIFY
wakes it sooner); the consumers (ingest, order service) consume with a 0.2 s
timeout and the relays poll every 0.2 s (NOTIFY wakes them sooner), as in the
tests (the CLI's consumers use 0.5 s).

- **candidate**: the whole pipeline. ``place_order`` (the order and its request
  in the request outbox) → order-requests relay → orders topic → ingest →
  provision_domain + job → executor (sandbox) → outbox → outcomes relay →
  outcomes topic → order service → order final. ``ORDERS`` (1,000) orders of one
  item with one plan each (``domain_item(f"bench-{i}.com")``: a single stage, so
  the release of a next stage is not what is measured).
- **baseline**: the same ``ORDERS`` domain creates published straight to the
  actions topic with ``RequestProducer`` and processed by ingest and the
  executor only: no order service, no request outbox, no outcome relay (the
  outcome rows are still written to the outbox, not relayed). Requests/s to a
  completed provision: the ratio is the cost of the order machinery and of the
  outcome path.

In the interleaved rounds the work arrives all at once, after a warm-up order /
request has gone all the way through (so group joins and first connections are
not timed). The candidate's ``place_order`` calls run in one outer transaction
(each order in its own savepoint), so every order is committed, and becomes
visible to the relay, in one commit; *placed* is when that commit returned, for
every order. (One client cannot place orders fast enough to load the pipeline:
about 110 orders/s on an idle machine, ~70-100/s beside the running components,
most of it the ``SingleObjectCodec()`` that every ``place_order`` builds anew;
the placing rate is printed too.) The baseline's requests are sent back to back
from one thread (one ``RequestProducer.send`` each, >10,000/s, flushed after the
last); *placed* is when each ``send`` returned (the request queued in the
producer). Both on the client's monotonic clock. *Final* is read on the same
clock: a thread polls every ``POLL_SECONDS`` (50 ms) on its own connection and
stamps each order (provision) the first time it sees it final, with the instant
just before that poll. So a latency is whole (it includes commit visibility)
and is late by up to 50 ms of poll granularity (~25 ms on average). Every order
must end ``successful`` and every provision ``completed``, or the round fails.

Rate = count / (last final - first placed). With everything arriving at once
the latency is mostly queueing (the p50 is about half the drain time, the max
about all of it), so three more runs follow the rounds, outside the ratio:
``LIGHT_LOAD`` (100) requests and as many orders placed at ``LIGHT_LOAD_PACE``
(20/s, one transaction per order), the latency of an unloaded pipeline; and
``TWO_STAGE_ORDERS`` (200) orders of a contact and a domain, at once (the domain
is requested once the contact completed), what a second stage adds. Each run's
rate, latency percentiles and placing rate are printed before the comparison.
"""

from __future__ import annotations

import gc
import math
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from bench.harness import Comparison, Services, interleave
from consumers.ingest import ingest_loop
from consumers.order_service import order_service_loop
from executors.backends.sandbox import SandboxBackend
from executors.worker import Worker
from producers.orders import Contact, Item, domain_item, place_order
from producers.relay import ORDER_REQUESTS, OUTCOMES, Relay
from producers.requests import RequestProducer
from provisioning.migrations import upgrade
from provisioning.settings import Settings
from provisioning.sqlfiles import named_blocks

SQL = named_blocks(Path(__file__).with_name("pipeline.sql"))
ORDERS = 1_000
TWO_STAGE_ORDERS = 200
LIGHT_LOAD = 100
LIGHT_LOAD_PACE = 20.0  # per second: well below what either side drains
ROUNDS = 3
PARTITIONS = 4
CONCURRENCY = 8
EXECUTOR_POLL_SECONDS = 0.1
CONSUMER_POLL_SECONDS = 0.2
RELAY_POLL_SECONDS = 0.2
POLL_SECONDS = 0.05  # how often the client looks for final orders / provisions
TIMEOUT_SECONDS = 300.0
ALICE = "30000000-0000-4000-8000-000000000001"
ACCREDITATION = "alpha-registry"
WARM_UP = "bench-warm-up.com"


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of values already sorted ascending."""
    if not ordered:
        raise RuntimeError("no values to take a percentile of")
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


@dataclass(frozen=True)
class RoundResult:
    """One round: when each order (request) was placed and seen final, client monotonic clock."""

    placed: dict[str, float]
    final: dict[str, float]
    placing_rate: float  # how fast the one client placed (sent) them, per second

    def __post_init__(self) -> None:
        if not self.placed or set(self.placed) != set(self.final):
            missing = len(set(self.placed) ^ set(self.final))
            raise RuntimeError(
                f"{len(self.placed)} placed, {len(self.final)} final, {missing} not matched"
            )

    @property
    def rate(self) -> float:
        """count / (last final - first placed)."""
        return len(self.placed) / (max(self.final.values()) - min(self.placed.values()))

    def latencies_ms(self) -> list[float]:
        latencies = sorted((self.final[key] - self.placed[key]) * 1000 for key in self.placed)
        if latencies[0] < 0:
            early = -latencies[0]
            raise RuntimeError(f"an item was seen final {early:.0f} ms before it was placed")
        return latencies

    def describe(self) -> str:
        latencies = self.latencies_ms()
        return (
            f"{self.rate:>7,.0f}/s   p50 {percentile(latencies, 0.50):>6,.0f}"
            f"   p99 {percentile(latencies, 0.99):>6,.0f}   max {latencies[-1]:>6,.0f} ms"
            f"   (one client placed them at {self.placing_rate:,.0f}/s)"
        )


@dataclass
class Components:
    """Pipeline components, each running in a thread of this process until ``stop_all``."""

    stops: list[Callable[[], None]] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)

    def start(self, name: str, run: Callable[[], object], stop: Callable[[], None]) -> None:
        def target() -> None:
            try:
                run()
            except BaseException as exc:  # noqa: BLE001 - raised by check() and stop_all()
                self.errors.append(exc)

        thread = threading.Thread(target=target, name=f"bench-{name}", daemon=True)
        thread.start()
        self.threads.append(thread)
        self.stops.append(stop)

    def check(self) -> None:
        """Raise if a component failed."""
        if self.errors:
            error = self.errors[0]
            raise RuntimeError(f"a pipeline component failed: {error!r}") from error

    def stop_all(self) -> None:
        for stop in self.stops:
            stop()
        for thread in self.threads:
            thread.join(30)
        alive = [thread.name for thread in self.threads if thread.is_alive()]
        if alive:
            raise RuntimeError(f"components still running 30 s after stop: {', '.join(alive)}")
        self.check()


class FinalPoller:
    """Stamps each id the first time ``sql`` returns it, polling every POLL_SECONDS.

    ``sql`` returns (id, status) rows of final items; ids in ``ignore`` are skipped.
    Done once ``expected`` ids were seen; any status other than ``success`` fails.
    """

    def __init__(
        self, url: str, sql: str, *, expected: int, success: str, ignore: Collection[str] = ()
    ) -> None:
        self.url = url
        self.sql = sql
        self.expected = expected
        self.success = success
        self.ignore = frozenset(ignore)
        self.final: dict[str, float] = {}
        self.unsuccessful: dict[str, str] = {}
        self._stop = threading.Event()
        self._done = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="bench-final-poller", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            with psycopg.connect(self.url, autocommit=True) as conn:
                while not self._stop.is_set():
                    stamp = time.monotonic()  # the rows returned were final by then
                    for key, status in conn.execute(self.sql).fetchall():
                        if key in self.ignore or key in self.final:
                            continue
                        self.final[key] = stamp
                        if status != self.success:
                            self.unsuccessful[key] = status
                    if len(self.final) >= self.expected:
                        break
                    self._stop.wait(POLL_SECONDS)
        except BaseException as exc:  # noqa: BLE001 - raised by wait()
            self._error = exc
        finally:
            self._done.set()

    def wait(self, components: Components) -> dict[str, float]:
        """The final instants by id, once all ``expected`` are final; raise on failure."""
        deadline = time.monotonic() + TIMEOUT_SECONDS
        try:
            while not self._done.wait(1.0):
                components.check()
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{len(self.final)} of {self.expected} final after {TIMEOUT_SECONDS:.0f} s"
                    )
        finally:
            self._stop.set()
            self._thread.join(10)
        if self._error is not None:
            raise RuntimeError(f"polling for final items failed: {self._error!r}") from self._error
        if self.unsuccessful:
            key, status = next(iter(self.unsuccessful.items()))
            raise RuntimeError(
                f"{len(self.unsuccessful)} item(s) ended other than {self.success}: {key} {status}"
            )
        if len(self.final) != self.expected:
            raise RuntimeError(f"{len(self.final)} final, expected {self.expected}")
        return dict(self.final)


def _topic(admin: AdminClient, kind: str) -> str:
    name = f"bench.pipeline.{kind}.{uuid.uuid4().hex[:8]}"
    futures = admin.create_topics(
        [NewTopic(name, num_partitions=PARTITIONS, replication_factor=1)], operation_timeout=30
    )
    futures[name].result(timeout=30)
    return name


def _settings(services: Services, url: str, *, whole_pipeline: bool) -> Settings:
    admin = AdminClient({"bootstrap.servers": services.kafka_bootstrap})
    topics: dict[str, Any] = {"topic_actions": _topic(admin, "actions")}
    if whole_pipeline:
        topics["topic_orders"] = _topic(admin, "orders")
        topics["topic_outcomes"] = _topic(admin, "outcomes")
    tag = uuid.uuid4().hex[:8]
    return Settings(
        kafka_bootstrap_servers=services.kafka_bootstrap,
        database_url=url,
        group_ingest=f"bench-ingest-{tag}",
        group_order_service=f"bench-order-service-{tag}",
        executor_concurrency=CONCURRENCY,
        executor_poll_seconds=EXECUTOR_POLL_SECONDS,
        executor_backoff_seconds=0.1,
        kafka_session_timeout_ms=6000,
        **topics,
    )


def _start(settings: Settings, backend: SandboxBackend, *, whole_pipeline: bool) -> Components:
    components = Components()
    topics = [settings.topic_actions]
    if whole_pipeline:
        topics.insert(0, settings.topic_orders)
    ingest = ingest_loop(settings, topics, poll_timeout=CONSUMER_POLL_SECONDS)
    components.start("ingest", ingest.run, ingest.stop)
    worker = Worker(settings, backend)
    components.start("executor", worker.run, worker.stop)
    if whole_pipeline:
        service = order_service_loop(settings, poll_timeout=CONSUMER_POLL_SECONDS)
        components.start("order-service", service.run, service.stop)
        for outbox in (ORDER_REQUESTS, OUTCOMES):
            relay = Relay(settings, outbox, poll_seconds=RELAY_POLL_SECONDS)
            components.start(f"relay-{outbox.name}", relay.run, relay.stop)
    return components


def _ticks(count: int, pace: float) -> Iterator[int]:
    """0 .. count-1, yielding index i no earlier than i / pace seconds after the first."""
    start = time.monotonic()
    for index in range(count):
        time.sleep(max(0.0, start + index / pace - time.monotonic()))
        yield index


def _span_rate(placed: dict[str, float]) -> float:
    return len(placed) / (max(placed.values()) - min(placed.values()))


def order_round(
    services: Services, template: str, database: str, items: list[Item], pace: float | None = None
) -> RoundResult:
    """The whole pipeline: ``items`` as one-item orders, until all are final.

    All committed at once (``pace`` None) or one transaction each, ``pace`` a second.
    """
    url = services.create_database(database, template)
    settings = _settings(services, url, whole_pipeline=True)
    backend = SandboxBackend(url, latency_ms=0, max_connections=CONCURRENCY)
    components = _start(settings, backend, whole_pipeline=True)
    try:
        with psycopg.connect(url, autocommit=True) as conn:

            def place(item: Item) -> str:
                order = place_order(
                    conn, tenant_customer_id=ALICE, accreditation=ACCREDITATION, items=[item]
                )
                return str(order.order_id)

            poller = FinalPoller(url, SQL["final_orders"], expected=1, success="successful")
            warm_up = place(domain_item(WARM_UP))
            poller.wait(components)
            poller = FinalPoller(
                url,
                SQL["final_orders"],
                expected=len(items),
                success="successful",
                ignore={warm_up},
            )
            placed: dict[str, float] = {}
            if pace is None:
                with conn.transaction():  # all at once: every order visible from one commit
                    start = time.monotonic()
                    order_ids = [place(item) for item in items]
                    placing_rate = len(items) / (time.monotonic() - start)
                placed = dict.fromkeys(order_ids, time.monotonic())
            else:
                for index in _ticks(len(items), pace):
                    order_id = place(items[index])
                    placed[order_id] = time.monotonic()
                placing_rate = _span_rate(placed)
            final = poller.wait(components)
    finally:
        try:
            components.stop_all()
        finally:
            backend.close()
            gc.collect()  # the stopped components' Kafka clients, held in cycles
    return RoundResult(placed, final, placing_rate)


def _request(name: str) -> dict[str, Any]:
    return {
        "action": "provision_domain",
        "tenant_customer_id": ALICE,
        "accreditation": ACCREDITATION,
        "payload": {"name": name},
    }


def request_round(
    services: Services, template: str, database: str, names: list[str], pace: float | None = None
) -> RoundResult:
    """Ingest + executor only: domain creates sent to the actions topic, until all completed.

    Sent back to back (``pace`` None) or ``pace`` a second; flushed after the last.
    """
    url = services.create_database(database, template)
    settings = _settings(services, url, whole_pipeline=False)
    backend = SandboxBackend(url, latency_ms=0, max_connections=CONCURRENCY)
    components = _start(settings, backend, whole_pipeline=False)
    try:
        with RequestProducer(settings) as producer:
            poller = FinalPoller(url, SQL["final_provisions"], expected=1, success="completed")
            warm_up = producer.send(_request(WARM_UP))
            producer.flush()
            poller.wait(components)
            poller = FinalPoller(
                url,
                SQL["final_provisions"],
                expected=len(names),
                success="completed",
                ignore={warm_up},
            )
            placed: dict[str, float] = {}
            indexes = range(len(names)) if pace is None else _ticks(len(names), pace)
            for index in indexes:
                request_id = producer.send(_request(names[index]))
                placed[request_id] = time.monotonic()
            producer.flush()
            final = poller.wait(components)
    finally:
        try:
            components.stop_all()
        finally:
            backend.close()
            gc.collect()  # the stopped components' Kafka clients, held in cycles
    return RoundResult(placed, final, _span_rate(placed))


def run(services: Services) -> Comparison:
    template = "bench_pipeline_template"
    upgrade(services.create_database(template), seed=True)
    names = [f"bench-{i}.com" for i in range(ORDERS)]
    orders: list[RoundResult] = []
    requests: list[RoundResult] = []

    def candidate(index: int) -> float:
        result = order_round(
            services, template, f"bench_pipeline_orders_{index}", [domain_item(n) for n in names]
        )
        orders.append(result)
        return result.rate

    def baseline(index: int) -> float:
        result = request_round(services, template, f"bench_pipeline_requests_{index}", names)
        requests.append(result)
        return result.rate

    comparison = Comparison(
        name=f"pipeline: domains/s end to end, {ORDERS:,} domain creates at once",
        unit="domains/s",
        candidate_label="orders: placed -> order final, every component",
        baseline_label="requests: actions topic -> provision completed",
    )
    interleave(comparison, ROUNDS, baseline=baseline, candidate=candidate)

    light = names[:LIGHT_LOAD]
    light_requests = request_round(
        services, template, "bench_pipeline_light_requests", light, LIGHT_LOAD_PACE
    )
    light_orders = order_round(
        services,
        template,
        "bench_pipeline_light_orders",
        [domain_item(n) for n in light],
        LIGHT_LOAD_PACE,
    )
    owner = "Bench Owner", "owner@example.net", "Springfield", "US"
    two_stage = order_round(
        services,
        template,
        "bench_pipeline_two_stage",
        [
            domain_item(f"bench-two-{i}.com", registrant=Contact(f"bench-c{i}", *owner))
            for i in range(TWO_STAGE_ORDERS)
        ],
    )
    rows = [(f"requests, ingest + executor only, round {i}", r) for i, r in enumerate(requests, 1)]
    rows += [(f"orders, whole pipeline, round {i}", r) for i, r in enumerate(orders, 1)]
    rows += [
        (f"two-stage orders (contact, then domain), {TWO_STAGE_ORDERS}", two_stage),
        (f"light load: {LIGHT_LOAD} requests at {LIGHT_LOAD_PACE:g}/s", light_requests),
        (f"light load: {LIGHT_LOAD} orders at {LIGHT_LOAD_PACE:g}/s", light_orders),
    ]
    print(
        "pipeline: rate and latency placed -> final (client clock, final seen by 50 ms polling);"
        f" {ORDERS:,} (two-stage: {TWO_STAGE_ORDERS}) at once unless paced:"
    )
    for label, result in rows:
        print(f"  {label:<46} {result.describe()}")
    print(flush=True)
    return comparison

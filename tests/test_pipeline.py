"""The whole pipeline, every component running, on the real Kafka and PostgreSQL.

order placed → relay → orders topic → ingest → provision rows → executor (sandbox)
→ outbox → relay → outcomes topic → order service → order_item_plan → order.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from confluent_kafka import Consumer, TopicPartition

from consumers.ingest import ingest_loop
from consumers.loop import ConsumerLoop
from consumers.order_service import order_service_loop
from executors.backends import Backend
from executors.backends.sandbox import SandboxBackend
from executors.worker import Worker
from producers.orders import Contact, domain_item, order_status, place_order
from producers.relay import ORDER_REQUESTS, OUTCOMES, Outbox, Relay
from provisioning.settings import Settings
from schemas.codec import SingleObjectCodec
from schemas.requests import OUTCOME
from tests.conftest import TopicFactory, unique_name
from tests.db.helpers import ALICE, Conn, fetch_all, scalar
from tests.services import Services

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
OWNER = Contact("pipe-1", "Pipe Owner", "owner@example.net", "Springfield", "US")


@dataclass
class Components:
    """ingest, executor, order service (and the relays, unless run elsewhere) in threads."""

    settings: Settings
    order_service: ConsumerLoop | None = None
    stops: list[Callable[[], None]] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)

    def start(self, name: str, run: Callable[[], object], stop: Callable[[], None]) -> None:
        def target() -> None:
            try:
                run()
            except BaseException as exc:  # noqa: BLE001 - surfaced at teardown
                self.errors.append(exc)

        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self.threads.append(thread)
        self.stops.append(stop)

    def stop_all(self) -> None:
        for stop in self.stops:
            stop()
        for thread in self.threads:
            thread.join(30)
        assert not [t.name for t in self.threads if t.is_alive()]
        assert self.errors == []


@pytest.fixture
def settings(services: Services, provisioning_db: str, make_topic: TopicFactory) -> Settings:
    return Settings(
        kafka_bootstrap_servers=services.kafka_bootstrap,
        database_url=provisioning_db,  # pydantic coerces to SecretStr
        topic_orders=make_topic(partitions=4, prefix="orders"),
        topic_actions=make_topic(partitions=4, prefix="actions"),
        topic_outcomes=make_topic(partitions=4, prefix="outcomes"),
        group_ingest=unique_name("ingest"),
        group_order_service=unique_name("orders"),
        executor_poll_seconds=0.2,
        executor_backoff_seconds=0.1,
        kafka_session_timeout_ms=6000,
    )


def start_pipeline(
    settings: Settings,
    backend: Backend,
    *,
    relays: Sequence[Outbox] = (ORDER_REQUESTS, OUTCOMES),
) -> Components:
    components = Components(settings)
    ingest = ingest_loop(
        settings, [settings.topic_orders, settings.topic_actions], poll_timeout=0.2
    )
    components.start("ingest", ingest.run, ingest.stop)
    worker = Worker(settings, backend)
    components.start("executor", worker.run, worker.stop)
    service = order_service_loop(settings, poll_timeout=0.2)
    components.start("order-service", service.run, service.stop)
    components.order_service = service
    for outbox in relays:
        relay = Relay(settings, outbox, poll_seconds=0.2)
        components.start(f"relay-{outbox.name}", relay.run, relay.stop)
    return components


@pytest.fixture
def sandbox(provisioning_db: str) -> Iterator[SandboxBackend]:
    backend = SandboxBackend(provisioning_db)
    yield backend
    backend.close()


@pytest.fixture
def pipeline(settings: Settings, sandbox: SandboxBackend) -> Iterator[Components]:
    components = start_pipeline(settings, sandbox)
    yield components
    components.stop_all()


def wait_final(db: Conn, order_ids: list[uuid.UUID], timeout: float = 90.0) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    statuses: dict[str, str] = {}
    while time.monotonic() < deadline:
        statuses = {
            str(row["id"]): row["status"]
            for row in fetch_all(
                db,
                'SELECT o.id, s.name AS status FROM orders."order" o'
                " JOIN orders.order_status s ON s.id = o.status_id WHERE o.id = ANY(%(ids)s)",
                {"ids": order_ids},
            )
        }
        if len(statuses) == len(order_ids) and all(
            s in {"successful", "failed"} for s in statuses.values()
        ):
            return statuses
        time.sleep(0.2)
    raise AssertionError(f"orders not final after {timeout}s: {statuses}")


def test_a_domain_order_with_contact_and_nameservers_ends_successful(
    db: Conn, pipeline: Components
) -> None:
    item = domain_item(
        "whole-way.com",
        period=2,
        registrant=OWNER,
        nameservers=["ns1.hosting.info", "ns2.hosting.info"],
        create_hosts=True,
    )
    order = place_order(db, tenant_customer_id=ALICE, accreditation="alpha-registry", items=[item])
    assert wait_final(db, [order.order_id]) == {str(order.order_id): "successful"}
    status = order_status(db, order.order_id)
    assert [p["status"] for p in status["plans"]] == ["completed"] * 4
    domain = fetch_all(db, "SELECT * FROM domain WHERE name = 'whole-way.com'")[0]
    assert sorted(domain["nameservers"]) == ["ns1.hosting.info", "ns2.hosting.info"]
    assert domain["roid"].endswith("-SANDBOX")
    assert scalar(db, "SELECT count(*) FROM sandbox.domain WHERE name = 'whole-way.com'") == 1


def test_an_order_failing_validation_ends_failed_with_the_reason(
    db: Conn, pipeline: Components
) -> None:
    order = place_order(
        db,
        tenant_customer_id=ALICE,
        accreditation="alpha-registry",
        items=[domain_item("no_underscores!.com")],
    )
    assert wait_final(db, [order.order_id]) == {str(order.order_id): "failed"}
    (plan,) = order_status(db, order.order_id)["plans"]
    assert plan["status"] == "failed"
    assert "no_underscores!.com" in plan["result_message"]
    assert scalar(db, "SELECT count(*) FROM provision_domain") == 0  # refused, never written


def test_outcomes_of_one_order_arrive_in_order(
    db: Conn, pipeline: Components, services: Services, settings: Settings
) -> None:
    item = domain_item(
        "in-order.com", registrant=OWNER, nameservers=["ns1.hosting.info"], create_hosts=True
    )
    order = place_order(db, tenant_customer_id=ALICE, accreditation="alpha-registry", items=[item])
    wait_final(db, [order.order_id])
    expected = [
        str(row["event_id"])
        for row in fetch_all(
            db,
            "SELECT event_id FROM outbox WHERE message_key = %(k)s ORDER BY id",
            {"k": str(order.order_id)},
        )
    ]
    assert len(expected) == 3
    consumer = Consumer(
        {
            "bootstrap.servers": services.kafka_bootstrap,
            "group.id": unique_name("reader"),
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([settings.topic_outcomes])
    codec = SingleObjectCodec()
    seen: list[str] = []
    partitions = set()
    deadline = time.monotonic() + 30
    try:
        while len(seen) < len(expected) and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None or message.error() or message.key() != str(order.order_id).encode():
                continue
            partitions.add(message.partition())
            seen.append(str(codec.decode(OUTCOME, message.value() or b"")["event_id"]))
    finally:
        consumer.close()
    assert seen == expected
    assert len(partitions) == 1


def _relay_process(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    """The outcome relay as its own process, five rows a window (one transaction each)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVISIONING_")}
    env.update(
        {
            "PROVISIONING_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
            "PROVISIONING_DATABASE_URL": settings.database_url.get_secret_value(),
            "PROVISIONING_TOPIC_ORDERS": settings.topic_orders,
            "PROVISIONING_TOPIC_OUTCOMES": settings.topic_outcomes,
        }
    )
    with log.open("ab") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "provisioning.cli",
                "relay",
                "--outbox",
                "outcomes",
                "--poll-seconds",
                "0.2",
                "--batch-size",
                "5",
                "--window",
                "5",
            ],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_until(predicate: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def outcome_events(bootstrap: str, topic: str, partitions: int = 4) -> list[str]:
    """The event_id of every message on the outcome topic (up to its high watermarks)."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": unique_name("count"),
            "enable.auto.commit": False,
        }
    )
    codec = SingleObjectCodec()
    events: list[str] = []
    try:
        total = sum(
            consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in range(partitions)
        )
        consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
        deadline = time.monotonic() + 30
        while len(events) < total and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None:
                continue
            assert message.error() is None, message.error()
            events.append(str(codec.decode(OUTCOME, message.value() or b"")["event_id"]))
    finally:
        consumer.close()
    assert len(events) == total, f"read {len(events)} of the {total} messages of {topic}"
    return events


def test_the_relay_killed_mid_stream_loses_no_outcome_and_changes_no_plan_twice(
    db: Conn, settings: Settings, sandbox: SandboxBackend, services: Services, tmp_path: Path
) -> None:
    """The outcome relay dies with a window delivered to Kafka but not yet marked sent: the
    next relay sends that window again, and the order service, given those outcomes twice,
    applies each once."""
    components = start_pipeline(settings, sandbox, relays=[ORDER_REQUESTS])
    assert components.order_service is not None
    log = tmp_path / "relay.log"
    relay: subprocess.Popen[bytes] | None = None
    try:
        orders = [
            place_order(
                db,
                tenant_customer_id=ALICE,
                accreditation="alpha-registry",
                items=[domain_item(f"relayed-{i}.com")],
            ).order_id
            for i in range(40)
        ]
        # every outcome is in the outbox before the outcome relay starts: its windows of
        # five rows are rows 1-5, 6-10, 11-15, ...
        wait_until(lambda: scalar(db, "SELECT count(*) FROM outbox") == 40, "the 40 outcomes", 90)
        rows = fetch_all(db, "SELECT id, event_id::TEXT AS event_id FROM outbox ORDER BY id")
        ids, events = [row["id"] for row in rows], [row["event_id"] for row in rows]
        with psycopg.connect(settings.database_url.get_secret_value()) as holder:
            # while this transaction holds row 13, the third window cannot be marked sent
            holder.execute("SELECT id FROM outbox WHERE id = %s FOR UPDATE", [ids[12]])
            relay = _relay_process(settings, log)
            wait_until(
                lambda: (
                    scalar(
                        db,
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE %(pid)s = ANY(pg_blocking_pids(pid))"
                        " AND application_name = 'provisioning-relay:outcomes'",
                        {"pid": holder.info.backend_pid},
                    )
                    == 1
                ),
                "the relay marking its third window sent",
            )
            # mid-stream: two windows sent and marked, the third delivered but not marked
            sent = scalar(
                db, "SELECT array_agg(id ORDER BY id) FROM outbox WHERE sent_date IS NOT NULL"
            )
            assert sent == ids[:10]
            assert sorted(
                outcome_events(services.kafka_bootstrap, settings.topic_outcomes)
            ) == sorted(events[:15])
            relay.send_signal(signal.SIGKILL)
            assert relay.wait(10) == -signal.SIGKILL, log.read_text()
            holder.rollback()
        relay = _relay_process(settings, log)
        statuses = wait_final(db, orders)
        wait_until(
            lambda: scalar(db, "SELECT count(*) FROM outbox WHERE sent_date IS NULL") == 0,
            "every outcome marked sent",
        )
        delivered = outcome_events(services.kafka_bootstrap, settings.topic_outcomes)
        counts = components.order_service.stats.counts
        wait_until(
            lambda: counts["applied"] + counts["duplicates"] >= len(delivered),
            "the order service to handle every delivered outcome",
        )
        relay.send_signal(signal.SIGTERM)
        assert relay.wait(30) == 0, log.read_text()
    finally:
        if relay is not None and relay.poll() is None:
            relay.kill()
            relay.wait(10)
        components.stop_all()
    assert set(statuses.values()) == {"successful"}
    # nothing lost, and the third window was delivered twice...
    assert set(delivered) == set(events)
    twice = {event for event in events if delivered.count(event) >= 2}
    assert twice >= set(events[10:15]), twice
    # ...yet each outcome was applied once: the plans last changed where it was first applied
    plans = fetch_all(
        db,
        "SELECT p.id, p.updated_date = e.processed_date AS changed_once"
        " FROM orders.order_item_plan p JOIN orders.processed_event e ON p.id = ANY(e.plan_ids)",
    )
    assert len(plans) == 40
    assert [plan["id"] for plan in plans if not plan["changed_once"]] == []
    # and the order service told the copies from the originals
    assert counts["applied"] == 40
    assert counts["duplicates"] >= len(delivered) - len(events) >= 5

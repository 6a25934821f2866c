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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from confluent_kafka import Consumer

from consumers.ingest import ingest_loop
from consumers.order_service import order_service_loop
from executors.backends.sandbox import SandboxBackend
from executors.worker import Worker
from producers.orders import Contact, domain_item, order_status, place_order
from producers.relay import ORDER_REQUESTS, OUTCOMES, Relay
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


def start_pipeline(settings: Settings, backend: SandboxBackend, *, relays: bool) -> Components:
    components = Components(settings)
    ingest = ingest_loop(
        settings, [settings.topic_orders, settings.topic_actions], poll_timeout=0.2
    )
    components.start("ingest", ingest.run, ingest.stop)
    worker = Worker(settings, backend)
    components.start("executor", worker.run, worker.stop)
    service = order_service_loop(settings, poll_timeout=0.2)
    components.start("order-service", service.run, service.stop)
    if relays:
        for outbox in (ORDER_REQUESTS, OUTCOMES):
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
    components = start_pipeline(settings, sandbox, relays=True)
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
                "--poll-seconds",
                "0.2",
                "--batch-size",
                "5",
            ],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_the_relay_killed_mid_stream_loses_no_outcome_and_changes_no_plan_twice(
    db: Conn, settings: Settings, sandbox: SandboxBackend, tmp_path: Path
) -> None:
    components = start_pipeline(settings, sandbox, relays=False)
    relay = _relay_process(settings, tmp_path / "relay.log")
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
        deadline = time.monotonic() + 60
        while scalar(db, "SELECT count(*) FROM outbox WHERE sent_date IS NOT NULL") < 5:
            assert time.monotonic() < deadline, (tmp_path / "relay.log").read_text()
            time.sleep(0.05)
        relay.send_signal(signal.SIGKILL)  # mid-stream: some outcomes sent, most not
        relay.wait(10)
        relay = _relay_process(settings, tmp_path / "relay.log")
        statuses = wait_final(db, orders)
    finally:
        relay.send_signal(signal.SIGTERM)
        relay.wait(30)
        components.stop_all()
    assert set(statuses.values()) == {"successful"}
    with psycopg.connect(settings.database_url.get_secret_value()) as conn:
        applied = conn.execute("SELECT count(*) FROM orders.processed_event").fetchone()
        unsent = conn.execute("SELECT count(*) FROM outbox WHERE sent_date IS NULL").fetchone()
    assert applied == (40,)  # one outcome applied per plan, however often it was delivered
    assert unsent == (0,)

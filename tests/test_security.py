"""Tenant isolation on the real services: a request can never change another order."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer

from consumers.ingest import ingest_loop
from consumers.order_service import order_service_loop
from executors.backends.sandbox import SandboxBackend
from executors.worker import Worker
from producers.orders import domain_item, place_order
from producers.relay import ORDER_REQUESTS, OUTCOMES, Relay
from producers.requests import RequestProducer
from provisioning import status
from provisioning.settings import Settings
from tests.conftest import TopicFactory, unique_name
from tests.db.helpers import ALICE, BOB, Conn, fetch_all, fetch_one, scalar
from tests.services import Services
from tests.test_pipeline import Components, wait_final

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def settings(services: Services, provisioning_db: str, make_topic: TopicFactory) -> Settings:
    return Settings(
        kafka_bootstrap_servers=services.kafka_bootstrap,
        database_url=provisioning_db,
        topic_orders=make_topic(partitions=2, prefix="orders"),
        topic_actions=make_topic(partitions=2, prefix="actions"),
        topic_outcomes=make_topic(partitions=2, prefix="outcomes"),
        group_ingest=unique_name("ingest"),
        group_order_service=unique_name("orders"),
        executor_poll_seconds=0.2,
        executor_backoff_seconds=0.1,
    )


@pytest.fixture
def sandbox(provisioning_db: str) -> Iterator[SandboxBackend]:
    backend = SandboxBackend(provisioning_db)
    yield backend
    backend.close()


def _order_rows(db: Conn, order_id: uuid.UUID) -> list[dict[str, Any]]:
    """Everything the order service keeps of an order: order, items, plans."""
    return fetch_all(
        db,
        "SELECT o.status_id AS order_status, o.updated_date AS order_updated,"
        " i.id AS item, i.status_id AS item_status, p.id AS plan, p.status_id AS plan_status,"
        " p.result_message, p.result_data"
        ' FROM orders."order" o JOIN orders.order_item i ON i.order_id = o.id'
        " JOIN orders.order_item_plan p ON p.order_item_id = i.id"
        " WHERE o.id = %(id)s ORDER BY p.id",
        {"id": order_id},
    )


def _wait(condition: Any, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"not in time: {what}")


def test_a_request_naming_another_tenants_plans_never_changes_that_order(
    db: Conn, settings: Settings, sandbox: SandboxBackend
) -> None:
    victim_name = f"victim-{uuid.uuid4().hex[:8]}.com"
    victim = place_order(
        db,
        tenant_customer_id=BOB,
        accreditation="alpha-registry",
        items=[domain_item(victim_name)],
    )
    (victim_plan,) = victim.plan_ids
    before = _order_rows(db, victim.order_id)

    # ALICE names BOB's plan: once on the actions topic (anyone's), once on the orders
    # topic as if she could write there; both requests fail, so their outcomes, if
    # applied, would fail BOB's order for good.
    forged = {
        "action": "provision_domain",
        "tenant_customer_id": ALICE,
        "accreditation": "alpha-registry",
        "order_item_plan_ids": [victim_plan],
        "payload": {"name": f"forged-{uuid.uuid4().hex[:8]}.com", "registration_period": 99},
    }
    with RequestProducer(settings) as producer:
        on_actions = uuid.UUID(producer.send(forged))
        on_orders = uuid.UUID(producer.send(forged, topic=settings.topic_orders))
        producer.flush()

    components = Components(settings)
    try:
        ingest = ingest_loop(
            settings, [settings.topic_orders, settings.topic_actions], poll_timeout=0.2
        )
        components.start("ingest", ingest.run, ingest.stop)
        worker = Worker(settings, sandbox)
        components.start("executor", worker.run, worker.stop)
        service = order_service_loop(settings, poll_timeout=0.2)
        components.start("order-service", service.run, service.stop)
        outcomes = Relay(settings, OUTCOMES, poll_seconds=0.2)
        components.start("relay-outcomes", outcomes.run, outcomes.stop)

        # both forged outcomes are published, and the one naming plans applied, before
        # BOB's own request is sent
        def forged_events() -> dict[uuid.UUID, dict[str, Any]]:
            rows = fetch_all(
                db,
                "SELECT o.request_id, o.order_item_plan_ids, o.result_message,"
                " o.sent_date IS NOT NULL AS sent,"
                " EXISTS (SELECT 1 FROM orders.processed_event e WHERE e.event_id = o.event_id)"
                " AS applied"
                " FROM outbox o WHERE o.request_id = ANY(%(ids)s)",
                {"ids": [on_actions, on_orders]},
            )
            return {row["request_id"]: row for row in rows}

        _wait(
            lambda: (
                (events := forged_events()).get(on_actions, {}).get("sent")
                and events.get(on_orders, {}).get("applied")
            ),
            "the forged outcomes published and applied",
        )
        events = forged_events()
        # the actions topic may not name plans: refused there, its outcome names none
        assert events[on_actions]["order_item_plan_ids"] is None
        assert "accepted only on the order service's topic" in events[on_actions]["result_message"]
        # the orders topic's outcome names BOB's plan, and is refused for it
        assert events[on_orders]["order_item_plan_ids"] == [victim_plan]
        assert service.stats.counts["refused_plans"] == 1

        # BOB's order is exactly as it was
        assert _order_rows(db, victim.order_id) == before

        # and BOB's real outcome still applies
        requests = Relay(settings, ORDER_REQUESTS, poll_seconds=0.2)
        components.start("relay-requests", requests.run, requests.stop)
        assert wait_final(db, [victim.order_id]) == {str(victim.order_id): "successful"}
        plan = fetch_one(
            db,
            "SELECT result_data FROM orders.order_item_plan WHERE id = %(id)s",
            {"id": victim_plan},
        )
        assert plan["result_data"]["name"] == victim_name
    finally:
        components.stop_all()


CODES = {
    "create": "Sekret-Create-7f3a",
    "contact": "Sekret-Contact-1b9c",
    "transfer": "Sekret-Transfer-5d2e",
    "wrong": "Sekret-Wrong-3c8f",
    "update": "Sekret-Update-9a4b",
    "invalid": "Sekret Invalid 6e1d",  # a space: refused by validation
}


def _everything_on(services: Services, topics: list[str]) -> list[Any]:
    consumer = Consumer(
        {
            "bootstrap.servers": services.kafka_bootstrap,
            "group.id": unique_name("secrets-reader"),
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe(topics)
    found: list[Any] = []
    idle = 0
    try:
        while idle < 10:
            message = consumer.poll(0.5)
            if message is None:
                idle += 1
            elif message.error() is None:
                found.append(message)
                idle = 0
    finally:
        consumer.close()
    return found


def test_auth_codes_reach_no_log_header_outcome_or_audit_row(
    db: Conn,
    settings: Settings,
    sandbox: SandboxBackend,
    services: Services,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    suffix = uuid.uuid4().hex[:8]
    domain, away, elsewhere = f"secret-{suffix}.com", f"away-{suffix}.com", f"far-{suffix}.com"
    expiry = datetime.now(UTC) + timedelta(days=200)
    sandbox.seed_foreign_domain(away, "other-registrar", CODES["transfer"], expiry)
    sandbox.seed_foreign_domain(elsewhere, "other-registrar", "Not-The-Wrong-One", expiry)

    def request(action: str, payload: dict[str, Any]) -> dict[str, Any]:
        return {
            "action": action,
            "tenant_customer_id": ALICE,
            "accreditation": "alpha-registry",
            "payload": payload,
        }

    first = [
        request(
            "provision_contact",
            {
                "handle": f"sc-{suffix}",
                "name": "Secret Keeper",
                "email": "keeper@example.net",
                "city": "Springfield",
                "country_code": "US",
                "pw": CODES["contact"],
            },
        ),
        request("provision_domain", {"name": domain, "pw": CODES["create"]}),
        request("provision_domain_transfer", {"name": away, "pw": CODES["transfer"]}),
        request("provision_domain_transfer", {"name": elsewhere, "pw": CODES["wrong"]}),
        request("provision_domain_transfer", {"name": f"odd-{suffix}.com", "pw": CODES["invalid"]}),
    ]
    with RequestProducer(settings) as producer:
        ids = [uuid.UUID(producer.send(r)) for r in first]
        producer.flush()
    # a message that does not decode, carrying a code in its bytes: a DLQ copy
    raw = Producer({"bootstrap.servers": services.kafka_bootstrap})
    raw.produce(settings.topic_actions, key=b"junk", value=b"\x00" + CODES["wrong"].encode())
    assert raw.flush(30) == 0

    def published(request_ids: list[uuid.UUID]) -> bool:
        rows = fetch_all(
            db,
            "SELECT count(*) AS n FROM outbox WHERE request_id = ANY(%(ids)s)"
            " AND sent_date IS NOT NULL",
            {"ids": request_ids},
        )
        return bool(rows[0]["n"] == len(request_ids))

    components = Components(settings)
    try:
        ingest = ingest_loop(
            settings, [settings.topic_orders, settings.topic_actions], poll_timeout=0.2
        )
        components.start("ingest", ingest.run, ingest.stop)
        worker = Worker(settings, sandbox)
        components.start("executor", worker.run, worker.stop)
        outcomes = Relay(settings, OUTCOMES, poll_seconds=0.2)
        components.start("relay-outcomes", outcomes.run, outcomes.stop)
        _wait(lambda: published(ids), "the first requests' outcomes published", timeout=90)
        statuses = {
            row["request_id"]: row["status"]
            for row in fetch_all(
                db,
                "SELECT request_id, status FROM outbox WHERE request_id = ANY(%(ids)s)",
                {"ids": ids},
            )
        }
        # the scenario happened: created, transferred, refused by the registry, refused
        # by validation
        assert [statuses[i] for i in ids] == [
            "completed",
            "completed",
            "completed",
            "failed",
            "failed",
        ]
        with RequestProducer(settings) as producer:
            update = uuid.UUID(
                producer.send(
                    request("provision_domain_update", {"name": domain, "pw": CODES["update"]})
                )
            )
            producer.flush()
        _wait(lambda: published([update]), "the update's outcome published", timeout=90)
        assert ingest.stats.counts["dead_lettered"] == 1
    finally:
        components.stop_all()

    # the codes are where they belong (the requests, the registry's objects) ...
    assert (
        scalar(db, "SELECT auth_info FROM domain WHERE name = %(n)s", {"n": domain})
        == (CODES["update"])
    )
    # ... and nowhere else
    places: dict[str, str] = {
        "logs": "\n".join(f"{record.getMessage()} {record.__dict__}" for record in caplog.records),
        "audit log": str(fetch_all(db, "SELECT old_value, new_value FROM audit_trail_log")),
        "outbox": str(fetch_all(db, "SELECT * FROM outbox")),
        "rejections": str(fetch_all(db, "SELECT * FROM provision_rejection")),
        "jobs' results": str(fetch_all(db, "SELECT result_message, result_data FROM job")),
        "status": json.dumps(status.collect(settings), default=str),
    }
    for message in _everything_on(services, [settings.topic_outcomes]):
        places["outcomes"] = places.get("outcomes", "") + repr(message.value())
        places["outcomes"] += repr(message.key()) + repr(message.headers())
    dead = _everything_on(services, [settings.dlq_topic(settings.topic_actions)])
    assert len(dead) == 1
    places["DLQ headers"] = repr(dead[0].headers())
    assert len(places["audit log"]) > 1000
    assert "outcomes" in places
    leaks = {
        where: [name for name, code in CODES.items() if code in text]
        for where, text in places.items()
    }
    assert leaks == {where: [] for where in places}


def test_each_component_works_as_its_own_role(settings: Settings, sandbox: SandboxBackend) -> None:
    """Every component switches to its role (db/roles.sql) on connecting; the whole suite
    runs them so, which shows each works with its grants only."""
    ingest = ingest_loop(settings, [settings.topic_actions])
    worker = Worker(settings, sandbox)
    relays = [Relay(settings, outbox) for outbox in (OUTCOMES, ORDER_REQUESTS)]
    service = order_service_loop(settings)
    try:
        found = {
            name: component.connection().execute("SELECT current_user::TEXT AS who").fetchall()
            for name, component in [
                ("ingest", ingest),
                ("executor", worker),
                ("relay", relays[0]),
                ("order relay", relays[1]),
                ("order service", service),
            ]
        }
    finally:
        for component in (ingest, worker, *relays, service):
            component.drop_connection()
    assert {
        name: [row[0] if isinstance(row, tuple) else row["who"] for row in rows]
        for name, rows in found.items()
    } == {
        "ingest": ["provisioning_ingest"],
        "executor": ["provisioning_executor"],
        "relay": ["provisioning_relay"],
        "order relay": ["provisioning_relay"],
        "order service": ["provisioning_order_service"],
    }
    # switched off: the login role itself
    off = ingest_loop(
        settings.model_copy(update={"database_set_role": False}), [settings.topic_actions]
    )
    try:
        assert off.connection().execute("SELECT current_user").fetchone() == ("postgres",)
    finally:
        off.drop_connection()

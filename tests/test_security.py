"""Tenant isolation on the real services: a request can never change another order."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from consumers.ingest import ingest_loop
from consumers.order_service import order_service_loop
from executors.backends.sandbox import SandboxBackend
from executors.worker import Worker
from producers.orders import domain_item, place_order
from producers.relay import ORDER_REQUESTS, OUTCOMES, Relay
from producers.requests import RequestProducer
from provisioning.settings import Settings
from tests.conftest import TopicFactory, unique_name
from tests.db.helpers import ALICE, BOB, Conn, fetch_all, fetch_one
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

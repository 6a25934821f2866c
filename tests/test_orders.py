"""Placing orders and the order service's outcome consumer, on the real services."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from confluent_kafka import Producer

from consumers.order_service import order_service_loop
from producers.orders import Contact, Item, Plan, domain_item, order_status, place_order
from provisioning.errors import InvalidRequest
from provisioning.settings import Settings
from provisioning.sqlfiles import query
from schemas.codec import SingleObjectCodec
from schemas.requests import OUTCOME
from tests.conftest import TopicFactory, unique_name
from tests.db.helpers import ALICE, Conn, fetch_all, scalar
from tests.services import Services

pytestmark = [pytest.mark.postgres]

OWNER = Contact("reg-1", "Registrant One", "reg@example.net", "Springfield", "US")


def place(db: Conn, *items: Item) -> Any:
    return place_order(
        db, tenant_customer_id=ALICE, accreditation="alpha-registry", items=list(items)
    )


def outbox_actions(db: Conn) -> list[str]:
    return [
        row["action"]
        for row in fetch_all(
            db,
            "SELECT p.action FROM orders.request_outbox o"
            " JOIN orders.order_item_plan p ON p.id = o.order_item_plan_id ORDER BY o.id",
        )
    ]


def finish(db: Conn, plan_id: uuid.UUID, status: str, message: str | None = None) -> bool:
    """The outcome of the plan's own request."""
    request_id = scalar(
        db, "SELECT request_id FROM orders.order_item_plan WHERE id = %(id)s", {"id": plan_id}
    )
    row = db.execute(
        query("orders", "apply_outcome"),
        {
            "event_id": uuid.uuid4(),
            "request_id": request_id,
            "plan_ids": [plan_id],
            "status": status,
            "message": message,
            "data": None,
        },
    ).fetchone()
    return bool(row and row[0])


def test_an_order_is_recorded_with_its_first_stage_of_requests(db: Conn) -> None:
    order = place(
        db,
        domain_item(
            "placed.com", registrant=OWNER, nameservers=["ns1.hosting.info"], create_hosts=True
        ),
    )
    assert order.released == 2  # the contact and the host; the domain waits for them
    assert outbox_actions(db) == ["provision_contact", "provision_host"]
    status = order_status(db, order.order_id)
    assert status["status"] == "processing"
    assert [p["status"] for p in status["plans"]] == ["processing", "processing", "new"]
    request = fetch_all(db, "SELECT request, message_key FROM orders.request_outbox ORDER BY id")
    contact = request[0]
    assert contact["message_key"] == "contact:reg-1"
    assert contact["request"]["order_item_plan_ids"] == [str(order.plan_ids[0])]
    assert contact["request"]["order_metadata"]["order_id"] == str(order.order_id)


def test_a_completed_stage_releases_the_next(db: Conn) -> None:
    order = place(
        db,
        domain_item(
            "staged.com", registrant=OWNER, nameservers=["ns1.hosting.info"], create_hosts=True
        ),
    )
    contact, host, domain = order.plan_ids
    assert finish(db, contact, "completed")
    assert outbox_actions(db) == ["provision_contact", "provision_host"]  # host still running
    assert finish(db, host, "completed")
    assert outbox_actions(db) == ["provision_contact", "provision_host", "provision_domain"]
    assert finish(db, domain, "completed")
    assert order_status(db, order.order_id)["status"] == "successful"


def test_a_failed_plan_fails_the_order_and_the_plans_never_requested(db: Conn) -> None:
    order = place(db, domain_item("doomed.com", registrant=OWNER))
    contact, _ = order.plan_ids
    assert finish(db, contact, "failed", "email: not an address")
    status = order_status(db, order.order_id)
    assert status["status"] == "failed"
    plans = {p["action"]: p for p in status["plans"]}
    assert plans["provision_contact"]["result_message"] == "email: not an address"
    assert plans["provision_domain"]["status"] == "failed"
    assert plans["provision_domain"]["result_message"].startswith(
        f"not requested: plan {contact} (provision_contact) failed"
    )
    assert outbox_actions(db) == ["provision_contact"]


def test_an_order_with_an_unencodable_request_records_nothing(db: Conn) -> None:
    bad = Item("domain", "create", "x.com", [Plan("provision_domain", {"nam": "x.com"})])
    with pytest.raises(InvalidRequest):
        place(db, bad)
    assert scalar(db, 'SELECT count(*) FROM orders."order"') == 0
    assert scalar(db, "SELECT count(*) FROM orders.request_outbox") == 0


@pytest.mark.kafka
def test_the_order_service_applies_each_outcome_once(
    db: Conn, provisioning_db: str, services: Services, make_topic: TopicFactory
) -> None:
    order = place(db, domain_item("served.com"))
    (plan,) = order.plan_ids
    settings = Settings(
        kafka_bootstrap_servers=services.kafka_bootstrap,
        database_url=provisioning_db,  # pydantic coerces to SecretStr
        topic_outcomes=make_topic(partitions=2),
        group_order_service=unique_name("orders"),
    )
    codec = SingleObjectCodec()
    outcome = {
        "event_id": str(uuid.uuid4()),
        "request_id": str(order.request_ids[0]),
        "provision_id": str(uuid.uuid4()),
        "action": "provision_domain",
        "status": "completed",
        "order_item_plan_ids": [str(plan)],
        "result_message": None,
        "result_data": '{"roid": "D1-SANDBOX"}',
        "occurred_at": datetime.now(UTC),
    }
    unplanned = {**outcome, "event_id": str(uuid.uuid4()), "order_item_plan_ids": []}
    producer = Producer({"bootstrap.servers": services.kafka_bootstrap})
    for datum in (outcome, outcome, unplanned, outcome):  # a duplicate publish and a replay
        producer.produce(
            settings.topic_outcomes,
            key=str(order.order_id).encode(),
            value=codec.encode(OUTCOME, datum),
        )
    assert producer.flush(30) == 0

    stats = order_service_loop(settings, poll_timeout=0.25).run(max_idle_polls=4)

    assert stats.counts["applied"] == 1
    assert stats.counts["duplicates"] == 2
    assert stats.counts["without_plans"] == 1
    status = order_status(db, order.order_id)
    assert status["status"] == "successful"
    assert status["plans"][0]["result_data"] == {"roid": "D1-SANDBOX"}
    with psycopg.connect(provisioning_db) as conn:
        assert conn.execute("SELECT count(*) FROM orders.processed_event").fetchone() == (1,)

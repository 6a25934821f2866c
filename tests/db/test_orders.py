"""Order roll-up: outcomes applied to plans roll up into items and the order, once per
event."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

from tests.db.helpers import (
    ALICE,
    Conn,
    Row,
    claim_job,
    complete,
    fail,
    fetch_all,
    insert_provision,
    named,
    outbox,
    scalar,
)

pytestmark = [pytest.mark.postgres]


@dataclass
class Order:
    id: uuid.UUID
    items: list[uuid.UUID]
    plans: dict[uuid.UUID, list[uuid.UUID]]  # item -> its plans


def create_order(conn: Conn, plans_per_item: list[list[str]]) -> Order:
    """An order with one item per entry of ``plans_per_item``, each with plans of those actions."""
    order_id = named(
        conn, "orders", "create_order", tenant_customer_id=ALICE, metadata={"channel": "test"}
    )[0]["id"]
    order = Order(order_id, [], {})
    for index, actions in enumerate(plans_per_item):
        item_id = named(
            conn,
            "orders",
            "create_order_item",
            order_id=order_id,
            product="domain",
            action="create",
            object_name=f"item{index}.com",
        )[0]["id"]
        order.items.append(item_id)
        order.plans[item_id] = [
            named(
                conn,
                "orders",
                "create_order_item_plan",
                order_item_id=item_id,
                action=action,
                request_id=uuid.uuid4(),
            )[0]["id"]
            for action in actions
        ]
    return order


def apply(
    conn: Conn,
    plan_ids: list[uuid.UUID],
    status: str | None,
    *,
    event_id: uuid.UUID | None = None,
    message: str | None = None,
    data: dict[str, Any] | None = None,
) -> bool:
    rows = named(
        conn,
        "orders",
        "apply_outcome",
        event_id=event_id or uuid.uuid4(),
        plan_ids=plan_ids,
        status=status,
        message=message,
        data=data,
    )
    return bool(rows[0]["applied"])


def order_status(conn: Conn, order_id: uuid.UUID) -> str:
    return str(named(conn, "orders", "get_order_status", order_id=order_id)[0]["status"])


def item_statuses(conn: Conn, order: Order) -> list[str]:
    return [i["status"] for i in named(conn, "orders", "get_order_items", order_id=order.id)]


def plans(conn: Conn, order: Order) -> dict[uuid.UUID, Row]:
    rows = named(conn, "orders", "get_order_item_plans", order_id=order.id)
    return {p["id"]: p for p in rows}


def snapshot(conn: Conn, order: Order) -> list[Row]:
    """Every row of the order, with its updated_date."""
    return fetch_all(
        conn,
        "SELECT 'order' AS kind, id, status_id, updated_date FROM orders.\"order\" WHERE id = %(o)s"
        " UNION ALL SELECT 'item', id, status_id, updated_date FROM orders.order_item"
        " WHERE order_id = %(o)s"
        " UNION ALL SELECT 'plan', p.id, p.status_id, p.updated_date FROM orders.order_item_plan p"
        " JOIN orders.order_item i ON i.id = p.order_item_id WHERE i.order_id = %(o)s"
        " ORDER BY 1, 2",
        {"o": order.id},
    )


def test_completed_plans_complete_items_and_the_order(db: Conn) -> None:
    order = create_order(db, [["provision_contact", "provision_domain"], ["provision_ssl"]])
    first_item, second_item = order.items
    assert order_status(db, order.id) == "created"
    assert item_statuses(db, order) == ["new", "new"]

    # one plan of the first item: that item and the order are under way
    assert apply(db, [order.plans[first_item][0]], "completed", data={"roid": "C-1"})
    assert item_statuses(db, order) == ["processing", "new"]
    assert order_status(db, order.id) == "processing"
    plan = plans(db, order)[order.plans[first_item][0]]
    assert (plan["status"], plan["result_data"]) == ("completed", {"roid": "C-1"})

    # a pending outcome moves a plan to processing only
    assert apply(db, order.plans[second_item], "pending")
    assert plans(db, order)[order.plans[second_item][0]]["status"] == "processing"
    assert item_statuses(db, order) == ["processing", "processing"]

    # the rest: every item complete, the order successful
    assert apply(db, [order.plans[first_item][1], *order.plans[second_item]], "completed")
    assert {p["status"] for p in plans(db, order).values()} == {"completed"}
    assert item_statuses(db, order) == ["complete", "complete"]
    assert order_status(db, order.id) == "successful"


def test_a_failed_plan_fails_its_item_and_the_order(db: Conn) -> None:
    order = create_order(db, [["provision_contact", "provision_domain"], ["provision_ssl"]])
    first_item, second_item = order.items
    assert apply(db, order.plans[second_item], "completed")
    assert apply(db, [order.plans[first_item][0]], "completed")

    assert apply(db, [order.plans[first_item][1]], "failed", message="2302 object exists")

    failed = plans(db, order)[order.plans[first_item][1]]
    assert (failed["status"], failed["result_message"]) == ("failed", "2302 object exists")
    assert item_statuses(db, order) == ["failed", "complete"]
    assert order_status(db, order.id) == "failed"
    # a final plan stays as it is, whatever comes later
    assert apply(db, [order.plans[first_item][1]], "completed")
    assert plans(db, order)[order.plans[first_item][1]]["status"] == "failed"
    assert order_status(db, order.id) == "failed"


def test_the_same_event_applied_twice_changes_nothing_the_second_time(db: Conn) -> None:
    order = create_order(db, [["provision_domain"]])
    (item,) = order.items
    event_id = uuid.uuid4()
    assert apply(db, order.plans[item], "failed", event_id=event_id, message="first")
    before = snapshot(db, order)
    processed = scalar(db, "SELECT count(*) FROM orders.processed_event")

    again = apply(db, order.plans[item], "completed", event_id=event_id, message="second")

    assert again is False
    assert snapshot(db, order) == before
    assert scalar(db, "SELECT count(*) FROM orders.processed_event") == processed
    assert plans(db, order)[order.plans[item][0]]["result_message"] == "first"
    assert order_status(db, order.id) == "failed"


def test_outcomes_from_the_outbox_roll_up_the_order(db: Conn) -> None:
    """End to end: provisions carry the plan ids, their outbox rows complete the order."""
    order = create_order(db, [["provision_domain"], ["provision_domain"]])
    requests = []
    for index, item in enumerate(order.items):
        row = insert_provision(
            db,
            "provision_domain",
            name=f"ordered{index}.com",
            order_item_plan_ids=order.plans[item],
            order_metadata={"order_id": str(order.id)},
        )
        claim_job(db, row["job_id"])
        requests.append(row)
    assert complete(db, requests[0]["job_id"], result={"roid": "D-0"})
    assert fail(db, requests[1]["job_id"], message="registry down", retryable=False) == "failed"

    for row in requests:
        (event,) = outbox(db, row["request_id"])
        assert event["message_key"] == str(order.id)
        assert apply(
            db,
            event["order_item_plan_ids"],
            event["status"],
            event_id=event["event_id"],
            message=event["result_message"],
            data=event["result_data"],
        )
        # a redelivery of the same event is ignored
        assert not apply(
            db, event["order_item_plan_ids"], event["status"], event_id=event["event_id"]
        )

    assert item_statuses(db, order) == ["complete", "failed"]
    assert order_status(db, order.id) == "failed"


@pytest.mark.parametrize("status", ["done", None])
def test_an_unknown_status_is_refused(db: Conn, status: str | None) -> None:
    order = create_order(db, [["provision_domain"]])
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="unknown status"):
        apply(db, order.plans[order.items[0]], status)

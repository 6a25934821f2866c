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
    BOB,
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
    request_id: uuid.UUID | None = None,
    message: str | None = None,
    data: dict[str, Any] | None = None,
) -> bool:
    """Apply an outcome of ``request_id`` (by default the request of the first plan)."""
    if request_id is None and plan_ids:
        request_id = scalar(
            conn,
            "SELECT request_id FROM orders.order_item_plan WHERE id = %(id)s",
            {"id": plan_ids[0]},
        )
    rows = named(
        conn,
        "orders",
        "apply_outcome",
        event_id=event_id or uuid.uuid4(),
        request_id=request_id,
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

    # the rest (each plan its own request's outcome): every item complete, the order successful
    for plan_id in [order.plans[first_item][1], *order.plans[second_item]]:
        assert apply(db, [plan_id], "completed")
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
        (plan_id,) = order.plans[item]
        row = insert_provision(
            db,
            "provision_domain",
            request_id=scalar(
                db,
                "SELECT request_id FROM orders.order_item_plan WHERE id = %(id)s",
                {"id": plan_id},
            ),
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
            request_id=event["request_id"],
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


def _plan_request(conn: Conn, plan_id: uuid.UUID) -> uuid.UUID:
    return uuid.UUID(
        str(
            scalar(
                conn,
                "SELECT request_id FROM orders.order_item_plan WHERE id = %(id)s",
                {"id": plan_id},
            )
        )
    )


def _plan_status(conn: Conn, plan_id: uuid.UUID) -> str:
    return str(
        scalar(
            conn,
            "SELECT s.name FROM orders.order_item_plan p"
            " JOIN orders.order_item_plan_status s ON s.id = p.status_id WHERE p.id = %(id)s",
            {"id": plan_id},
        )
    )


def test_an_outcome_of_another_request_leaves_the_named_plans_alone(db: Conn) -> None:
    """A request (of any tenant) that names another order's plans gets an outcome that
    names them too: it is refused for those plans, and their own outcome still applies."""
    victim = create_order(db, [["provision_domain"]])
    (victim_plan,) = victim.plans[victim.items[0]]
    attacker = insert_provision(db, "provision_domain", tenant_customer_id=BOB, name="attacker.com")
    rows = named(
        db,
        "orders",
        "apply_outcome",
        event_id=uuid.uuid4(),
        request_id=attacker["request_id"],
        plan_ids=[victim_plan],
        status="failed",
        message="forged",
    )
    assert rows[0]["applied"] is True  # the event is recorded (a replay is a duplicate) ...
    assert rows[0]["refused"] == [victim_plan]  # ... but changes nothing
    assert _plan_status(db, victim_plan) == "new"
    assert order_status(db, victim.id) == "created"

    # the victim's real outcome still applies
    assert apply(db, [victim_plan], "completed")
    assert _plan_status(db, victim_plan) == "completed"
    assert order_status(db, victim.id) == "successful"


def test_an_outcome_for_a_plans_request_id_recorded_for_another_tenant_is_refused(
    db: Conn,
) -> None:
    """Someone who learnt a plan's request_id and got it recorded first, as another
    tenant_customer, cannot complete that plan with it."""
    victim = create_order(db, [["provision_domain"]])  # ALICE's order
    (victim_plan,) = victim.plans[victim.items[0]]
    stolen = _plan_request(db, victim_plan)
    insert_provision(
        db, "provision_domain", tenant_customer_id=BOB, request_id=stolen, name="stolen.com"
    )
    rows = named(
        db,
        "orders",
        "apply_outcome",
        event_id=uuid.uuid4(),
        request_id=stolen,
        plan_ids=[victim_plan],
        status="completed",
    )
    assert rows[0]["refused"] == [victim_plan]
    assert _plan_status(db, victim_plan) == "new"

    # a rejection keeps the tenant its request named: same rule
    other = create_order(db, [["provision_domain"]])
    (other_plan,) = other.plans[other.items[0]]
    rejected = _plan_request(db, other_plan)
    named(
        db,
        "provision",
        "reject",
        request_id=rejected,
        tenant_customer_id=BOB,
        action="provision_domain",
        message="bad name",
    )
    rows = named(
        db,
        "orders",
        "apply_outcome",
        event_id=uuid.uuid4(),
        request_id=rejected,
        plan_ids=[other_plan],
        status="failed",
    )
    assert rows[0]["refused"] == [other_plan]
    assert _plan_status(db, other_plan) == "new"


def test_an_outcome_applies_to_the_plan_of_its_own_tenants_request(db: Conn) -> None:
    order = create_order(db, [["provision_domain"]])
    (plan,) = order.plans[order.items[0]]
    insert_provision(
        db,
        "provision_domain",
        tenant_customer_id=ALICE,
        request_id=_plan_request(db, plan),
        name="mine.com",
    )
    rows = named(
        db,
        "orders",
        "apply_outcome",
        event_id=uuid.uuid4(),
        request_id=_plan_request(db, plan),
        plan_ids=[plan],
        status="completed",
    )
    assert (rows[0]["applied"], rows[0]["refused"]) == (True, [])
    assert _plan_status(db, plan) == "completed"

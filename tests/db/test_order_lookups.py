"""The order service's lookups are index lookups once its tables hold history.

One order is placed, its rows (order, items, plans, its status event) are
copied thousands of times without triggers and analyzed, then an order is
placed, fails at a plan (the never-requested plans failed, the order-status
event written) and its event is fetched by the relay, with ``auto_explain``
logging the plan of every statement. A sequential scan of a table holding
history is a lookup whose cost grows with it: the test names it and its query.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from producers.order_items import Contact, domain_item
from producers.orders import place_order
from provisioning.sqlfiles import query
from tests.db.helpers import ALICE, Conn, named, scalar
from tests.db.test_hot_lookups import _SEQ_SCAN, BIG, capture_plans

pytestmark = [pytest.mark.postgres]

COPIES = 3000

# Copies of every order row, ids derived from the copy number so that the
# references between the copies hold; names made distinct per copy.
_GROW = [
    """INSERT INTO orders."order" (id, tenant_customer_id, status_id, metadata)
       SELECT md5('o' || g || o.id)::UUID, o.tenant_customer_id, o.status_id, o.metadata
         FROM orders."order" o, generate_series(1, %(copies)s) g""",
    """INSERT INTO orders.order_item (id, order_id, product, action, object_name, status_id)
       SELECT md5('i' || g || i.id)::UUID, md5('o' || g || i.order_id)::UUID, i.product,
              i.action, 'h' || g || '-' || i.object_name, i.status_id
         FROM orders.order_item i, generate_series(1, %(copies)s) g""",
    """INSERT INTO orders.order_item_plan (id, order_item_id, action, status_id, stage,
                                          position, request, message_key)
       SELECT md5('p' || g || p.id)::UUID, md5('i' || g || p.order_item_id)::UUID, p.action,
              p.status_id, p.stage, p.position, p.request, p.message_key
         FROM orders.order_item_plan p, generate_series(1, %(copies)s) g""",
    # one sent event per copied order (the template order, not final, has none)
    """INSERT INTO orders.status_outbox (order_id, message_key, event, sent_date)
       SELECT o.id, 'order:' || o.id, '{}', now()
         FROM orders."order" o
        WHERE NOT EXISTS (SELECT 1 FROM orders.order_item i WHERE i.order_id = o.id
                                                             AND i.object_name = 'template.com')""",
]


def place(db: Conn, name: str, handle: str) -> Any:
    owner = Contact(handle, f"Owner {handle}", f"{handle}@example.net", "Springfield", "US")
    return place_order(
        db,
        tenant_customer_id=ALICE,
        accreditation="alpha-registry",
        items=[domain_item(name, registrant=owner)],
    )


def test_placing_failing_and_relaying_an_order_are_index_lookups_with_history(
    db: Conn,
) -> None:
    place(db, "template.com", "tmpl-1")
    with db.transaction():
        db.execute("SET LOCAL session_replication_role = replica")
        for statement in _GROW:
            db.execute(statement, {"copies": COPIES})
    db.execute("ANALYZE")
    sizes = {
        str(name): int(rows)
        for name, rows in db.execute(
            "SELECT c.relname, c.reltuples FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind = 'r' AND n.nspname = 'orders'"
        ).fetchall()
    }
    big = {name for name, rows in sizes.items() if rows >= BIG}
    assert {"order", "order_item", "order_item_plan", "status_outbox"} <= big, sizes

    watch = [True]
    plans = capture_plans(db, watch)
    order = place(db, "fresh.com", "fresh-1")  # the name checked against every order
    held = place(db, "fresh.com", "fresh-2")  # refused at placing: being registered
    contact_plan = order.plan_ids[0]
    request_id = scalar(
        db,
        "SELECT request_id FROM orders.order_item_plan WHERE id = %(id)s",
        {"id": contact_plan},
    )
    db.execute(
        query("orders", "apply_outcome"),
        {
            "event_id": uuid.uuid4(),
            "request_id": request_id,
            "plan_ids": [contact_plan],
            "status": "failed",
            "message": "email: not an address",
            "data": None,
        },
    )
    named(db, "order_status_outbox", "fetch_unsent", limit=500)
    watch[0] = False

    assert held.status == "failed"
    assert scalar(db, "SELECT count(*) FROM orders.status_outbox WHERE sent_date IS NULL") == 2
    assert len(plans) > 10  # the statements were observed
    scans = [
        f"{table} ({sizes[table]} rows) in: {plan.query[:160]}"
        for plan in plans
        for table in _SEQ_SCAN.findall(plan.text)
        if table in big
    ]
    assert scans == [], "\n".join(sorted(set(scans)))

"""Placing orders: the order service's side of the pipeline.

An order has items (``create domain example.com``), and each item has plans, one
provision request each (the registrant contact, the name servers, the domain);
``producers/order_items.py`` builds the items of every kind. :func:`place_order`
records the order, its items and plans in the ``orders`` schema and, **in the
same transaction**, puts the first stage of each item's requests into the order
service's outbox (``orders.request_outbox``). The relay publishes them to the
orders topic. So an order is never recorded without its requests, nor a request
sent for an order that was not recorded.

Plans run in stages: stage n+1 is requested when every plan of stage n completed
(the database does it when the outcome arrives), because a domain can only
name contacts and hosts that exist. A failed plan fails the whole order: every
plan not yet requested fails with it, naming the plan that failed and why.

Up-front failure: a domain to register that is not available (held in the
database, a request for it pending, another order registering it; or, given
``check_availability``, taken at the registry) fails the order at placing. It is
recorded failed with the reason, nothing is requested (no contact or host is
created), and its order-status event is written at once.

Example:

    with psycopg.connect(url) as conn:
        item = domain_item("example.com", registrant=contact, nameservers=[...])
        order = place_order(conn, tenant_customer_id=..., accreditation="alpha-registry",
                            items=[item])
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from producers.order_items import (
    Contact,
    Item,
    Plan,
    contact_item,
    delete_item,
    domain_item,
    renew_item,
    restore_item,
    ssl_item,
    transfer_item,
    update_item,
)
from provisioning.errors import InvalidRequest
from provisioning.sqlfiles import query
from schemas.codec import SingleObjectCodec
from schemas.requests import ACTIONS, REQUEST, build_request, object_key, to_avro


@dataclass(frozen=True)
class PlacedOrder:
    order_id: uuid.UUID
    item_ids: list[uuid.UUID]
    plan_ids: list[uuid.UUID]
    request_ids: list[uuid.UUID]
    released: int  # requests put in the outbox now (the first stage)
    status: str = "processing"  # or failed: refused at placing, nothing requested
    reason: str | None = None  # why it failed at placing


Availability = Callable[[Sequence[str]], Mapping[str, bool]]


def _json(value: object) -> str:
    def default(item: object) -> str:
        if isinstance(item, datetime):
            return item.isoformat()
        return str(item)

    return json.dumps(value, default=default)


def unavailable(conn: psycopg.Connection[Any], names: Sequence[str]) -> dict[str, str]:
    """The names of ``names`` the database says cannot be registered now, with the
    reason (``orders.unavailable_domains``: held, pending, another order's)."""
    if not names:
        return {}
    return {
        str(row[0]): str(row[1])
        for row in conn.execute(query("orders", "unavailable_domains"), {"names": list(names)})
    }


def taken_at_registry(check_availability: Availability, names: Sequence[str]) -> dict[str, str]:
    """The names of ``names`` the registry's availability check answers taken."""
    if not names:
        return {}
    answers = check_availability(list(names))
    return {
        name: f"domain {name} is not available: the registry answers it is taken"
        for name in names
        if not answers.get(name, False)
    }


def place_order(
    conn: psycopg.Connection[Any],
    *,
    tenant_customer_id: uuid.UUID | str,
    accreditation: str,
    items: Sequence[Item],
    metadata: Mapping[str, str] | None = None,
    traceparent: str | None = None,
    check_availability: Availability | None = None,
) -> PlacedOrder:
    """Record the order and the requests of its first stage, in one transaction.

    Every request is built and encoded before anything is written, so a request
    that cannot be a valid message (InvalidRequest) leaves nothing behind. A domain
    to register that is not available fails the order here: recorded failed, with
    the reason on every plan, nothing requested (see the module's doc).
    """
    if not items:
        raise InvalidRequest("an order needs at least one item")
    codec = SingleObjectCodec()
    order_id = uuid.uuid4()
    item_ids, plan_ids, request_ids = [], [], []
    rows: list[tuple[uuid.UUID, Item, list[dict[str, Any]]]] = []
    for item in items:
        item_id = uuid.uuid4()
        plans: list[dict[str, Any]] = []
        for position, plan in enumerate(item.plans):
            plan_id, request_id = uuid.uuid4(), uuid.uuid4()
            request = build_request(
                {
                    "action": plan.action,
                    "request_id": request_id,
                    "tenant_customer_id": tenant_customer_id,
                    "accreditation": item.accreditation or accreditation,
                    "payload": plan.payload,
                    "order_item_plan_ids": [plan_id],
                    "order_metadata": {
                        "order_id": str(order_id),
                        "order_item_id": str(item_id),
                        **(metadata or {}),
                    },
                }
            )
            codec.encode(REQUEST, to_avro(request))  # refuses what the schema would
            key = object_key(ACTIONS[plan.action], request["payload"], request_id)
            plans.append(
                {
                    "id": plan_id,
                    "order_item_id": item_id,
                    "action": plan.action,
                    "request_id": request_id,
                    "stage": plan.stage,
                    "position": position,
                    "message_key": key,
                    "request": _json({**request, "traceparent": traceparent}),
                }
            )
            plan_ids.append(plan_id)
            request_ids.append(request_id)
        item_ids.append(item_id)
        rows.append((item_id, item, plans))

    registering = [i.object_name for i in items if (i.product, i.action) == ("domain", "create")]
    if len(set(registering)) < len(registering):
        raise InvalidRequest("an order registers each domain once")
    # the registry is asked before the transaction (a round trip), the database in it
    at_registry = taken_at_registry(check_availability, registering) if check_availability else {}
    released = 0
    with conn.transaction():
        taken = {**at_registry, **unavailable(conn, registering)}
        conn.execute(
            query("orders", "create_order"),
            {
                "id": order_id,
                "tenant_customer_id": tenant_customer_id,
                "metadata": _json(dict(metadata or {})),
            },
        )
        for item_id, item, plans in rows:
            conn.execute(
                query("orders", "create_order_item"),
                {
                    "id": item_id,
                    "order_id": order_id,
                    "product": item.product,
                    "action": item.action,
                    "object_name": item.object_name,
                },
            )
            for plan_row in plans:
                conn.execute(query("orders", "create_order_item_plan"), plan_row)
        if taken:
            reason = "; ".join(taken[name] for name in registering if name in taken)
            conn.execute(
                query("orders", "fail_unrequested"),
                {"order_id": order_id, "message": f"order failed at placing: {reason}"},
            )
            return PlacedOrder(
                order_id, item_ids, plan_ids, request_ids, 0, status="failed", reason=reason
            )
        for item_id, _, _ in rows:
            row = conn.execute(
                query("orders", "release_plans"), {"order_item_id": item_id}
            ).fetchone()
            released += int(row[0]) if row else 0
    return PlacedOrder(order_id, item_ids, plan_ids, request_ids, released)


def order_status(conn: psycopg.Connection[Any], order_id: uuid.UUID | str) -> dict[str, Any]:
    """The order's status with its items and plans (plans with their reasons), and its
    order-status event (``event``: None until the order ended, with ``sent_date`` None
    until the relay published it)."""
    params = {"order_id": order_id}
    with conn.cursor(row_factory=dict_row) as cur:
        order = cur.execute(query("orders", "get_order_status"), params).fetchone()
        if order is None:
            raise InvalidRequest(f"no order {order_id}")
        items = cur.execute(query("orders", "get_order_items"), params).fetchall()
        plans = cur.execute(query("orders", "get_order_item_plans"), params).fetchall()
        event = cur.execute(query("orders", "get_order_status_event"), params).fetchone()
    summary = None
    if event is not None:
        summary = {
            "event_id": event["event_id"],
            "created_date": event["created_date"],
            "sent_date": event["sent_date"],
        }
    return {**order, "items": items, "plans": plans, "event": summary}


__all__ = [
    "Availability",
    "Contact",
    "Item",
    "PlacedOrder",
    "Plan",
    "contact_item",
    "delete_item",
    "domain_item",
    "order_status",
    "place_order",
    "renew_item",
    "restore_item",
    "ssl_item",
    "taken_at_registry",
    "transfer_item",
    "unavailable",
    "update_item",
]

"""Placing orders: the order service's side of the pipeline.

An order has items (``create domain example.com``), and each item has plans, one
provision request each (the registrant contact, the name servers, the domain).
:func:`place_order` records the order, its items and plans in the ``orders``
schema and, **in the same transaction**, puts the first stage of each item's
requests into the order service's outbox (``orders.request_outbox``). The relay
publishes them to the orders topic. So an order is never recorded without its
requests, nor a request sent for an order that was not recorded.

Plans run in stages: stage n+1 is requested when every plan of stage n completed
(the database does it when the outcome arrives), because a domain can only
name contacts and hosts that exist. A failed plan fails its item and order, and
the plans never requested fail with it, naming the plan that failed.

Example:

    with psycopg.connect(url) as conn:
        item = domain_item("example.com", registrant=contact, nameservers=[...])
        order = place_order(conn, tenant_customer_id=..., accreditation="alpha-registry",
                            items=[item])
"""

from __future__ import annotations

import argparse
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from provisioning.errors import InvalidRequest
from provisioning.settings import load_settings
from provisioning.sqlfiles import query
from schemas.codec import SingleObjectCodec
from schemas.requests import ACTIONS, REQUEST, build_request, object_key, to_avro


@dataclass(frozen=True)
class Plan:
    """One provision request of an item, and the stage it runs in."""

    action: str  # the provision table
    payload: Mapping[str, Any]
    stage: int = 1


@dataclass(frozen=True)
class Item:
    product: str  # domain, ssl, ...
    action: str  # create, renew, transfer_in, ...
    object_name: str
    plans: Sequence[Plan]


@dataclass(frozen=True)
class PlacedOrder:
    order_id: uuid.UUID
    item_ids: list[uuid.UUID]
    plan_ids: list[uuid.UUID]
    request_ids: list[uuid.UUID]
    released: int  # requests put in the outbox now (the first stage)


@dataclass(frozen=True)
class Contact:
    """A registrant/admin/tech/billing contact to create with the domain."""

    handle: str
    name: str
    email: str
    city: str
    country_code: str
    extra: Mapping[str, Any] = field(default_factory=dict)  # organization, phone, street1, ...

    def payload(self) -> dict[str, Any]:
        return {
            "handle": self.handle,
            "name": self.name,
            "email": self.email,
            "city": self.city,
            "country_code": self.country_code,
            **self.extra,
        }


def domain_item(
    name: str,
    *,
    period: int = 1,
    registrant: Contact | None = None,
    nameservers: Sequence[str] = (),
    create_hosts: bool = False,
) -> Item:
    """Register ``name``: first its contact and (optionally) its hosts, then the domain."""
    first: list[Plan] = []
    if registrant is not None:
        first.append(Plan("provision_contact", registrant.payload()))
    if create_hosts:
        first += [Plan("provision_host", {"name": host}) for host in nameservers]
    handle = registrant.handle if registrant is not None else None
    domain = {
        "name": name,
        "registration_period": period,
        "registrant": handle,
        "admin_contact": handle,
        "tech_contact": handle,
        "billing_contact": handle,
        "nameservers": list(nameservers),
    }
    stage = 2 if first else 1
    return Item("domain", "create", name, [*first, Plan("provision_domain", domain, stage)])


def _json(value: object) -> str:
    def default(item: object) -> str:
        if isinstance(item, datetime):
            return item.isoformat()
        return str(item)

    return json.dumps(value, default=default)


def place_order(
    conn: psycopg.Connection[Any],
    *,
    tenant_customer_id: uuid.UUID | str,
    accreditation: str,
    items: Sequence[Item],
    metadata: Mapping[str, str] | None = None,
    traceparent: str | None = None,
) -> PlacedOrder:
    """Record the order and the requests of its first stage, in one transaction.

    Every request is built and encoded before anything is written, so a request
    that cannot be a valid message (InvalidRequest) leaves nothing behind.
    """
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
                    "accreditation": accreditation,
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

    released = 0
    with conn.transaction():
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
            row = conn.execute(
                query("orders", "release_plans"), {"order_item_id": item_id}
            ).fetchone()
            released += int(row[0]) if row else 0
    return PlacedOrder(order_id, item_ids, plan_ids, request_ids, released)


def order_status(conn: psycopg.Connection[Any], order_id: uuid.UUID | str) -> dict[str, Any]:
    """The order's status with its items and plans (plans with their reasons)."""
    params = {"order_id": order_id}
    with conn.cursor(row_factory=dict_row) as cur:
        order = cur.execute(query("orders", "get_order_status"), params).fetchone()
        if order is None:
            raise InvalidRequest(f"no order {order_id}")
        items = cur.execute(query("orders", "get_order_items"), params).fetchall()
        plans = cur.execute(query("orders", "get_order_item_plans"), params).fetchall()
    return {**order, "items": items, "plans": plans}


# --------------------------------------------------------------------------- CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    domain = actions.add_parser(
        "domain", help="order the registration of a domain (with its contact and hosts)"
    )
    domain.add_argument("name", help="the domain name, e.g. example.com")
    domain.add_argument("--tenant-customer", required=True, help="tenant_customer id (UUID)")
    domain.add_argument("--accreditation", required=True, help="accreditation name")
    domain.add_argument("--period", type=int, default=1, help="years (default 1)")
    domain.add_argument("--nameserver", action="append", default=[], help="repeat for each")
    domain.add_argument(
        "--create-hosts", action="store_true", help="create the name servers as host objects first"
    )
    contact = domain.add_argument_group("registrant (created with the domain when given)")
    contact.add_argument("--registrant-handle")
    contact.add_argument("--registrant-name")
    contact.add_argument("--registrant-email")
    contact.add_argument("--registrant-city")
    contact.add_argument("--registrant-country", help="ISO 3166-1 alpha-2")
    domain.set_defaults(func=_order_domain)
    show = actions.add_parser("show", help="an order's status, items and plans")
    show.add_argument("order_id")
    show.set_defaults(func=_show)


def _order_domain(args: argparse.Namespace) -> int:
    registrant = None
    fields = (
        args.registrant_handle,
        args.registrant_name,
        args.registrant_email,
        args.registrant_city,
        args.registrant_country,
    )
    if any(fields):
        if not all(fields):
            raise InvalidRequest(
                "a registrant needs --registrant-handle, -name, -email, -city and -country"
            )
        registrant = Contact(*fields)
    item = domain_item(
        args.name,
        period=args.period,
        registrant=registrant,
        nameservers=args.nameserver,
        create_hosts=args.create_hosts,
    )
    url = load_settings().admin_url()
    with psycopg.connect(url) as conn:
        order = place_order(
            conn,
            tenant_customer_id=args.tenant_customer,
            accreditation=args.accreditation,
            items=[item],
        )
    print(f"order {order.order_id}: {len(order.plan_ids)} plan(s), {order.released} requested now")
    return 0


def _show(args: argparse.Namespace) -> int:
    url = load_settings().admin_url()
    with psycopg.connect(url) as conn:
        status = order_status(conn, args.order_id)
    print(f"order {status['id']}: {status['status']}")
    for item in status["items"]:
        print(f"  item {item['product']} {item['action']} {item['object_name']}: {item['status']}")
    for plan in status["plans"]:
        reason = f" - {plan['result_message']}" if plan["result_message"] else ""
        print(f"    plan stage {plan['stage']} {plan['action']}: {plan['status']}{reason}")
    return 0


__all__ = [
    "Contact",
    "Item",
    "PlacedOrder",
    "Plan",
    "add_arguments",
    "domain_item",
    "order_status",
    "place_order",
]

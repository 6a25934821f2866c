"""Ingest: consume provision requests and record them as provision_* rows.

Reads the orders and actions topics (both by default) as one consumer group:
run as many `provisioning ingest` processes as there are partitions to share.

For each batch, in one transaction: requests already recorded (same request_id)
are counted as duplicates and skipped; the rest are inserted with one statement
per run of same-action requests, in offset order, so requests for one object
apply in the order they were published. The database's triggers validate each
row and create its job.

Only the order service's topic (PROVISIONING_TOPIC_ORDERS) may name
order_item_plan_ids: a request that names plans on any other topic is refused,
so no requester can fail or complete another order's plans.

A request the database refuses (SQLSTATE class PV, a bad value) becomes a
*failed outcome* the requester sees on the outcomes topic; a message that does
not decode goes to <topic>.dlq with the reason in its headers. Nothing is
dropped and one bad message never blocks the others.

Examples:
  provisioning ingest                      # both topics
  provisioning ingest --topics orders      # only the order service's requests
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime
from functools import partial
from itertools import groupby
from typing import Any
from uuid import UUID

import psycopg

from consumers.loop import ConsumerLoop, Handler, Item, group_loop
from provisioning import observability
from provisioning.errors import InvalidRequest
from provisioning.failures import clip, describe
from provisioning.settings import Settings, load_settings
from provisioning.sqlfiles import query
from schemas.registry import current
from schemas.requests import ACTIONS, REQUEST, Action, object_key

log = logging.getLogger(__name__)


def _payload_fields() -> dict[str, frozenset[str]]:
    request = current(REQUEST)
    union = next(f["type"] for f in request["fields"] if f["name"] == "payload")
    return {branch["name"]: frozenset(f["name"] for f in branch["fields"]) for branch in union}


_FIELDS = _payload_fields()


def _action(item: Item) -> Action:
    action = ACTIONS[item.datum["action"]]
    payload = item.datum["payload"]
    if frozenset(payload) != _FIELDS[action.record_full_name]:
        raise InvalidRequest(
            f"the payload is not a {action.record}, which action {action.table} needs"
        )
    return action


def _json_default(value: object) -> str:
    if isinstance(value, UUID | datetime | date):
        return str(value) if isinstance(value, UUID) else value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _row(ord_: int, item: Item) -> dict[str, Any]:
    datum = item.datum
    payload = dict(datum["payload"])
    report = payload.get("restore_report")
    if isinstance(report, str):
        try:
            payload["restore_report"] = json.loads(report)
        except json.JSONDecodeError:
            raise InvalidRequest("restore_report must be a JSON object") from None
    return {
        "ord": ord_,
        "request_id": datum["request_id"],
        "tenant_customer_id": datum["tenant_customer_id"],
        "accreditation": datum["accreditation"],
        "order_item_plan_ids": datum["order_item_plan_ids"] or None,
        "order_metadata": datum["order_metadata"] or None,
        "traceparent": item.traceparent(),
        **payload,
    }


def _check_plans(item: Item, orders_topic: str) -> None:
    if item.datum["order_item_plan_ids"] and item.message.topic() != orders_topic:
        raise InvalidRequest(
            f"order_item_plan_ids are accepted only on the order service's topic "
            f"{orders_topic}, not on {item.message.topic()}"
        )


def apply_requests(
    conn: psycopg.Connection[Any], items: Sequence[Item], *, orders_topic: str
) -> Counter[str]:
    """Record a batch of requests: skip the known ones, insert the rest in offset order.

    ``orders_topic`` is the one topic whose requests may name order_item_plan_ids."""
    counts: Counter[str] = Counter()
    ids = [item.datum["request_id"] for item in items]
    known = {
        row[0]
        for row in conn.execute(query("ingest", "existing_request_ids"), {"request_ids": ids})
    }
    fresh: list[Item] = []
    for item in items:
        request_id = item.datum["request_id"]
        if request_id in known:
            counts["duplicates"] += 1
            continue
        known.add(request_id)  # the same request twice in one batch
        _check_plans(item, orders_topic)
        fresh.append(item)
    rows = [(_action(item), _row(index, item)) for index, item in enumerate(fresh)]
    for action, run in groupby(rows, key=lambda pair: pair[0]):
        batch = [row for _, row in run]
        conn.execute(
            query("ingest", f"insert_{action.table}"),
            {"rows": json.dumps(batch, default=_json_default)},
        )
        counts["inserted"] += len(batch)
    return counts


def _storable(text: str, limit: int | None = None) -> str:
    """Text PostgreSQL can store (no NUL), at most ``limit`` UTF-8 bytes."""
    text = text.replace("\x00", "\ufffd")
    return text if limit is None else clip(text, limit)


def reject_request(
    conn: psycopg.Connection[Any], item: Item, error: Exception, *, orders_topic: str
) -> Counter[str]:
    """A request the database refused: a duplicate is counted, anything else is a failed outcome.

    Whatever the request holds (NUL characters, megabytes of text), the rejection
    stores only what PostgreSQL can hold: the reason and the key are cut short. Its
    outcome names the request's plans only when it came from ``orders_topic``.
    """
    state = getattr(error, "sqlstate", None)
    if state == "23505":
        return Counter({"duplicates": 1})
    datum = item.datum
    action = ACTIONS[datum["action"]]
    message = describe(error)
    metadata = {_storable(k): _storable(v) for k, v in (datum["order_metadata"] or {}).items()}
    key = metadata.get("order_id") or object_key(action, datum["payload"], datum["request_id"])
    conn.execute(
        query("ingest", "reject"),
        {
            "request_id": datum["request_id"],
            "tenant_customer_id": datum["tenant_customer_id"],
            "action": action.table,
            "message": message,
            "sqlstate": state or "PV008",
            "message_key": _storable(key, 1000),
            "order_item_plan_ids": (
                datum["order_item_plan_ids"] or None
                if item.message.topic() == orders_topic
                else None
            ),
            "order_metadata": json.dumps(metadata or None),
            "traceparent": item.traceparent(),
        },
    )
    log.info("rejected request %s (%s): %s", datum["request_id"], action.table, message)
    return Counter({"rejected": 1})


def request_handler(settings: Settings) -> Handler:
    """How ingest (and a replay) records requests, with the settings' orders topic."""
    return Handler(
        record=REQUEST,
        apply=partial(apply_requests, orders_topic=settings.topic_orders),
        reject=partial(reject_request, orders_topic=settings.topic_orders),
    )


def ingest_loop(settings: Settings, topics: Sequence[str], **options: Any) -> ConsumerLoop:
    """The ingest consumer for ``topics``, in the ingest consumer group."""
    handler = request_handler(settings)
    return group_loop(settings, handler, topics=topics, group_id=settings.group_ingest, **options)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--topics",
        choices=["orders", "actions", "both"],
        default="both",
        help="which request topics to consume (default: both)",
    )
    parser.add_argument(
        "--batch-size", type=int, default=500, help="messages per poll and transaction"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    topics = {
        "orders": [settings.topic_orders],
        "actions": [settings.topic_actions],
        "both": [settings.topic_orders, settings.topic_actions],
    }[args.topics]
    loop = ingest_loop(settings, topics, batch_size=args.batch_size)
    observability.start_component(settings, "ingest", loop.liveness)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: loop.stop())
    log.info("ingesting %s as group %s", ", ".join(topics), settings.group_ingest)
    stats = loop.run()
    log.info("stopped: %s", dict(stats.counts))
    return 0


__all__ = [
    "add_arguments",
    "apply_requests",
    "ingest_loop",
    "reject_request",
    "request_handler",
    "run",
]

"""The order service's outcome consumer: apply each outcome to its order_item_plan rows once.

Consumes the outcomes topic as the consumer group PROVISIONING_GROUP_ORDER_SERVICE
on the shared consumer loop. Each outcome (`completed` or `failed`) is applied to
the plans it names through `orders.apply_outcome`, once per event_id: a replayed
or duplicated outcome changes nothing. A plan's status rolls up into its item
and its order, and a completed plan releases the item's next stage of requests.

When an outcome ends an order (final, no plan still running), the database
writes the order's one OrderStatus event into orders.status_outbox in the same
transaction (trigger trg_50_order_status); the relay publishes it to
PROVISIONING_TOPIC_ORDER_STATUS. A duplicate outcome changes no plan, so it
never writes a second one.

Outcomes without plans (requests from other components than the order service)
are counted and skipped. An outcome changes only plans that asked for its
request (same request_id, same tenant_customer); any other plan it names is
refused: counted, logged, never changed. An outcome the order schema refuses
goes to the DLQ.

Example:
  provisioning order-service
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
from collections import Counter
from collections.abc import Sequence
from typing import Any

import psycopg

from consumers.loop import ConsumerLoop, Handler, Item, group_loop
from provisioning import observability
from provisioning.settings import Settings, load_settings
from provisioning.sqlfiles import query
from schemas.requests import OUTCOME

log = logging.getLogger(__name__)


def apply_outcomes(conn: psycopg.Connection[Any], items: Sequence[Item]) -> Counter[str]:
    counts: Counter[str] = Counter()
    rows = []
    for index, item in enumerate(items):
        outcome = item.datum
        if not outcome["order_item_plan_ids"]:
            counts["without_plans"] += 1
            continue
        data = outcome["result_data"]
        rows.append(
            {
                "ord": index,
                "event_id": str(outcome["event_id"]),
                "request_id": str(outcome["request_id"]),
                "plan_ids": [str(plan) for plan in outcome["order_item_plan_ids"]],
                "status": outcome["status"],
                "message": outcome["result_message"],
                "data": json.loads(data) if data else None,
            }
        )
    if rows:
        for event_id, request_id, applied, refused in conn.execute(
            query("orders", "apply_outcomes"), {"rows": json.dumps(rows)}
        ):
            counts["applied" if applied else "duplicates"] += 1
            if refused:
                counts["refused_plans"] += len(refused)
                log.warning(
                    "outcome %s of request %s names plans that did not ask for it; "
                    "left unchanged: %s",
                    event_id,
                    request_id,
                    ", ".join(map(str, refused)),
                )
    return counts


def refuse_outcome(conn: psycopg.Connection[Any], item: Item, error: Exception) -> Counter[str]:
    """An outcome the order schema refuses cannot be answered: it goes to the DLQ."""
    raise error


HANDLER = Handler(record=OUTCOME, apply=apply_outcomes, reject=refuse_outcome)


def order_service_loop(settings: Settings, **options: Any) -> ConsumerLoop:
    return group_loop(
        settings,
        HANDLER,
        topics=[settings.topic_outcomes],
        group_id=settings.group_order_service,
        **options,
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--batch-size", type=int, default=500, help="messages per poll and transaction"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    loop = order_service_loop(settings, batch_size=args.batch_size)
    observability.start_component(settings, "order-service", loop.liveness)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: loop.stop())
    log.info(
        "applying outcomes from %s as group %s",
        settings.topic_outcomes,
        settings.group_order_service,
    )
    stats = loop.run()
    log.info("stopped: %s", dict(stats.counts))
    return 0


__all__ = ["HANDLER", "add_arguments", "apply_outcomes", "order_service_loop", "run"]

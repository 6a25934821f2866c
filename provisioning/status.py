"""Show where work is waiting: consumer lag, outbox backlog, jobs, provisions, orders.

Reads, changes nothing:
  consumer groups  ingest and order-service: members, and per partition the
                   committed offset, the end offset (read_committed) and the lag;
                   a partition without a committed offset lags by all it retains
  outboxes         unsent rows of the outcome outbox, the order service's request
                   outbox and the components' request outbox (action-requests),
                   the age of the oldest, and the rows parked
                   because they cannot be published (`provisioning outbox list`)
  jobs             by type and status
  provisions       by type (provision table) and status, and requests refused
                   by validation (no provision row, a failed outcome)
  orders           by status

With --max-lag N the exit status is 3 when a group lags by more than N messages
(in all its partitions together), and stderr names it: for a monitoring check.

Examples:
  provisioning status
  provisioning status --json | jq '.consumer_groups[].lag'
  provisioning status --max-lag 1000 > /dev/null || echo "lagging or unreachable"
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

import psycopg
from confluent_kafka import (
    ConsumerGroupTopicPartitions,
    IsolationLevel,
    KafkaException,
    TopicPartition,
)
from confluent_kafka.admin import (  # type: ignore[attr-defined]  # re-export untyped
    AdminClient,
    OffsetSpec,
)
from psycopg.rows import dict_row

from provisioning import kafka
from provisioning.errors import EXIT_FOUND, EXIT_OK, ProvisioningError
from provisioning.settings import Settings, load_settings
from provisioning.sqlfiles import query


class StatusError(ProvisioningError):
    """Kafka or PostgreSQL could not be read for the status."""


Status = dict[str, Any]


def collect(settings: Settings, *, timeout: float = 10.0) -> Status:
    """Everything ``provisioning status`` shows, as plain JSON-ready data."""
    groups = [
        ("ingest", settings.group_ingest, [settings.topic_orders, settings.topic_actions]),
        ("order-service", settings.group_order_service, [settings.topic_outcomes]),
    ]
    admin = kafka.admin(settings)
    try:
        lag = [group_lag(admin, name, group, topics, timeout) for name, group, topics in groups]
    except (KafkaException, TimeoutError) as exc:
        raise StatusError(f"Kafka: {exc or 'timed out'}") from None
    try:
        with psycopg.connect(
            settings.admin_url(),
            autocommit=True,
            row_factory=dict_row,
            application_name="provisioning-status",
            connect_timeout=max(1, int(timeout)),
        ) as conn:

            def rows(name: str) -> list[dict[str, Any]]:
                return [dict(row) for row in conn.execute(query("status", name))]

            database = {
                "outboxes": rows("outbox_backlog"),
                "jobs": rows("jobs_by_type_and_status"),
                "provisions": rows("provisions_by_type_and_status"),
                "rejections": rows("rejections_by_action"),
                "orders": rows("orders_by_status"),
            }
    except psycopg.OperationalError as exc:
        raise StatusError(f"PostgreSQL: {exc}") from None
    return {"consumer_groups": lag, **database}


def group_lag(
    admin: AdminClient, component: str, group: str, topics: Sequence[str], timeout: float
) -> dict[str, Any]:
    """One consumer group: its state, members and per-partition lag on ``topics``."""
    metadata = admin.list_topics(timeout=timeout)
    partitions: list[TopicPartition] = []
    errors: list[str] = []
    for topic in topics:
        meta = metadata.topics.get(topic)
        if meta is None or meta.error is not None:
            errors.append(f"{topic}: {meta.error if meta is not None else 'no such topic'}")
            continue
        partitions += [TopicPartition(topic, p) for p in sorted(meta.partitions)]
    description = admin.describe_consumer_groups([group], request_timeout=timeout)[group]
    described = description.result(timeout=timeout)
    committed: dict[tuple[str, int], int] = {}
    if partitions:
        request = [ConsumerGroupTopicPartitions(group, partitions)]
        answer = admin.list_consumer_group_offsets(request, request_timeout=timeout)[group]
        for tp in answer.result(timeout=timeout).topic_partitions or []:
            if tp.error is None and tp.offset >= 0:
                committed[(tp.topic, tp.partition)] = tp.offset
    ends = _offsets(admin, partitions, OffsetSpec.latest(), timeout)  # type: ignore[no-untyped-call]
    starts = _offsets(admin, partitions, OffsetSpec.earliest(), timeout)  # type: ignore[no-untyped-call]
    rows = []
    for tp in partitions:
        key = (tp.topic, tp.partition)
        offset = committed.get(key)
        lag = ends[key] - (offset if offset is not None else starts[key])
        rows.append(
            {
                "topic": tp.topic,
                "partition": tp.partition,
                "committed": offset,
                "end": ends[key],
                "lag": max(0, lag),
            }
        )
    return {
        "component": component,
        "group": group,
        "state": described.state.name.lower(),
        "members": len(described.members),
        "lag": sum(row["lag"] for row in rows),
        "partitions": rows,
        "errors": errors,
    }


def _offsets(
    admin: AdminClient, partitions: list[TopicPartition], spec: Any, timeout: float
) -> dict[tuple[str, int], int]:
    if not partitions:
        return {}
    futures = admin.list_offsets(
        dict.fromkeys(partitions, spec),
        isolation_level=IsolationLevel.READ_COMMITTED,  # what the consumers read up to
        request_timeout=timeout,
    )
    return {(tp.topic, tp.partition): f.result(timeout=timeout).offset for tp, f in futures.items()}


# ---------------------------------------------------------------------- output


def render(status: Status) -> str:
    """The status as aligned plain-text tables."""
    lines: list[str] = []
    for group in status["consumer_groups"]:
        lines.append(
            f"consumer group {group['group']} ({group['component']}): {group['state']}, "
            f"{group['members']} member(s), lag {group['lag']}"
        )
        cells = [
            [p["topic"], p["partition"], _cell(p["committed"]), p["end"], p["lag"]]
            for p in group["partitions"]
        ]
        lines += _table(["topic", "partition", "committed", "end", "lag"], cells)
        lines += [f"  ! {error}" for error in group["errors"]]
        lines.append("")
    sections: list[tuple[str, str, list[str]]] = [
        ("outboxes", "outboxes", ["outbox", "unsent", "oldest_unsent_seconds", "parked"]),
        ("jobs", "jobs", ["type", "status", "count"]),
        ("provisions", "provisions", ["type", "status", "count"]),
        ("rejections", "requests refused by validation", ["type", "count"]),
        ("orders", "orders", ["status", "count"]),
    ]
    for key, title, columns in sections:
        lines.append(title)
        rows = [[row[c] for c in columns] for row in status[key]]
        lines += _table(columns, rows) if rows else ["  (none)"]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    cells = [list(headers), *[[_cell(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return [
        ("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))).rstrip()
        for row in cells
    ]


# ---------------------------------------------------------------------- command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the status as one JSON object")
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds to wait for Kafka (default: 10)"
    )
    parser.add_argument(
        "--max-lag",
        type=int,
        metavar="N",
        help="exit status 3 when a consumer group lags by more than N messages",
    )
    parser.set_defaults(func=run)


def over_limit(status: Status, max_lag: int | None) -> list[str]:
    """The consumer groups lagging by more than ``max_lag``, described."""
    if max_lag is None:
        return []
    return [
        f"{group['component']} ({group['group']}) lags by {group['lag']} > {max_lag}"
        for group in status["consumer_groups"]
        if group["lag"] > max_lag
    ]


def run(args: argparse.Namespace) -> int:
    status = collect(load_settings(), timeout=args.timeout)
    if args.json:
        print(json.dumps(status, indent=2, default=str))
    else:
        print(render(status), end="")
    lagging = over_limit(status, args.max_lag)
    for line in lagging:
        print(f"provisioning: lag: {line}", file=sys.stderr)
    return EXIT_FOUND if lagging else EXIT_OK


__all__ = ["StatusError", "add_arguments", "collect", "group_lag", "over_limit", "render", "run"]

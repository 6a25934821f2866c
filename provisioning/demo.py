"""The whole pipeline, end to end, on the local stack: what `make demo` runs.

Migrates the database, creates the topics, starts every component (as
`provisioning run` does), then places a mix of work:

  - domain orders with a registrant contact and two name servers (stages:
    contact and hosts first, then the domain);
  - orders that fail validation (a name with a bad character);
  - orders the sandbox registry refuses (the name is registered elsewhere);
  - direct actions from "another component": SSL certificates and a contact;
  - one corrupt message on the actions topic (it goes to the DLQ).

It shows progress while they flow and ends with a summary: orders by status,
provisions by type and status, DLQ messages, wall time. Exit code 0 when every
order and action reached a final status, 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from executors.backends.sandbox import SandboxBackend
from producers.orders import Contact, domain_item, place_order
from producers.requests import RequestProducer
from provisioning import kafka
from provisioning.migrations import upgrade
from provisioning.progress import Progress, is_terminal
from provisioning.run import supervisor
from provisioning.settings import Settings, load_settings
from provisioning.sqlfiles import query
from provisioning.topics import ensure_topics

ALICE = "30000000-0000-4000-8000-000000000001"  # db/seed/demo.sql: alpha / alice
REGISTRY, CA = "alpha-registry", "alpha-ssl"


def _dlq_end(settings: Settings) -> int:
    """How many messages the actions DLQ holds (sum of its partitions' high watermarks)."""
    consumer = kafka.reader(settings)
    try:
        topic = settings.dlq_topic(settings.topic_actions)
        metadata = consumer.list_topics(topic, timeout=10).topics.get(topic)
        partitions = list(metadata.partitions) if metadata and not metadata.error else []
        return sum(_high_watermark(consumer, TopicPartition(topic, p)) for p in partitions)
    finally:
        consumer.close()


_LEADER_ELECTION = {
    KafkaError.NOT_LEADER_FOR_PARTITION,
    KafkaError.LEADER_NOT_AVAILABLE,
    KafkaError.UNKNOWN_TOPIC_OR_PART,
}


def _high_watermark(consumer: Consumer, partition: TopicPartition, timeout: float = 30.0) -> int:
    """The partition's high watermark, waiting out a leader election of a new topic."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return int(consumer.get_watermark_offsets(partition, timeout=10)[1])
        except KafkaException as exc:
            error = exc.args[0] if exc.args else None
            electing = isinstance(error, KafkaError) and (
                error.retriable() or error.code() in _LEADER_ELECTION
            )
            if not electing or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _place_work(settings: Settings, orders: int, run: str) -> tuple[list[uuid.UUID], list[str]]:
    url = settings.admin_url()
    order_ids: list[uuid.UUID] = []
    sandbox = SandboxBackend(url)
    try:
        with psycopg.connect(url) as conn:
            for i in range(orders):
                name = f"demo-{run}-{i}.com"
                if i % 7 == 3:  # fails validation: '!' is not allowed in a name
                    item = domain_item(f"demo-{run}-{i}!.com")
                elif i % 7 == 5:  # the registry refuses: registered at another registrar
                    sandbox.seed_foreign_domain(
                        name,
                        "other-registrar",
                        "s3cret-Code",
                        datetime.now(UTC) + timedelta(days=300),
                    )
                    item = domain_item(name)
                else:
                    contact = Contact(
                        f"c-{run}-{i}",
                        f"Customer {i}",
                        f"owner{i}@example.net",
                        "Springfield",
                        "US",
                    )
                    hosts = [f"ns1.demo-{run}-{i}.info", f"ns2.demo-{run}-{i}.info"]
                    item = domain_item(
                        name, registrant=contact, nameservers=hosts, create_hosts=True
                    )
                placed = place_order(
                    conn, tenant_customer_id=ALICE, accreditation=REGISTRY, items=[item]
                )
                order_ids.append(placed.order_id)
    finally:
        sandbox.close()
    action_ids = []
    with RequestProducer(settings) as producer:
        action_ids.append(
            producer.send(
                {
                    "action": "provision_contact",
                    "tenant_customer_id": ALICE,
                    "accreditation": REGISTRY,
                    "payload": {
                        "handle": f"support-{run}",
                        "name": "Support Desk",
                        "email": "support@example.net",
                        "city": "Springfield",
                        "country_code": "US",
                    },
                }
            )
        )
    corrupt = kafka.producer(settings)
    corrupt.produce(settings.topic_actions, key=b"demo:corrupt", value=b"\x00 not an Avro message")
    corrupt.flush(30)
    return order_ids, action_ids


def _request_certificates(settings: Settings, orders: int, run: str) -> list[str]:
    """Certificates for domains the demo registered: a certificate authority here issues
    only for names the tenant_customer holds, so these wait for the orders."""
    with RequestProducer(settings) as producer:
        return [
            producer.send(
                {
                    "action": "provision_ssl",
                    "tenant_customer_id": ALICE,
                    "accreditation": CA,
                    "payload": {
                        "common_name": f"www.demo-{run}-{i}.com",
                        "sans": [f"demo-{run}-{i}.com"],
                    },
                }
            )
            for i in range(max(1, orders // 4))
            if i % 7 not in (3, 5)  # the orders that register their domain
        ]


def _rows(conn: psycopg.Connection[Any], name: str, **params: Any) -> list[tuple[Any, ...]]:
    return conn.execute(query("demo", name), params).fetchall()


def _wait(
    settings: Settings, order_ids: list[uuid.UUID], action_ids: list[str], timeout: float
) -> bool:
    """Until every order and action is final: a bar on a terminal, a line a second otherwise."""
    url = settings.admin_url()
    deadline = time.monotonic() + timeout
    terminal = is_terminal(sys.stdout)
    total = len(order_ids) + len(action_ids)
    with (
        psycopg.connect(url, autocommit=True) as conn,
        Progress("orders and actions final", total, stream=sys.stdout) as bar,
    ):
        while True:
            by_status = dict(_rows(conn, "orders_by_status", order_ids=order_ids))
            final = by_status.get("successful", 0) + by_status.get("failed", 0)
            (unfinished,) = _rows(conn, "unfinished_requests", request_ids=action_ids)[0]
            if terminal:
                bar.update(final + len(action_ids) - unfinished)
            else:
                print(
                    f"  orders final {final}/{len(order_ids)} "
                    f"(successful {by_status.get('successful', 0)}, "
                    f"failed {by_status.get('failed', 0)}); "
                    f"actions pending {unfinished}/{len(action_ids)}",
                    flush=True,
                )
            if final == len(order_ids) and unfinished == 0:
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(1.0)


def _summary(
    settings: Settings,
    order_ids: list[uuid.UUID],
    action_ids: list[str],
    dead_lettered: int,
    seconds: float,
) -> None:
    with psycopg.connect(settings.admin_url()) as conn:
        request_ids = [str(r[0]) for r in _rows(conn, "order_request_ids", order_ids=order_ids)]
        orders = _rows(conn, "orders_by_status", order_ids=order_ids)
        provisions = _rows(
            conn, "provisions_by_type_and_status", request_ids=request_ids + action_ids
        )
    print("\nsummary")
    print(f"  {'orders':<34}{'count':>7}")
    for status, count in orders:
        print(f"    {status:<32}{count:>7}")
    print(f"  {'provisions by type and status':<34}")
    for table, status, count in provisions:
        print(f"    {table + ' ' + status:<32}{count:>7}")
    print(f"  {'DLQ messages (this run)':<34}{dead_lettered:>7}")
    print(f"  {'wall time':<34}{seconds:>6.1f}s")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--orders", type=int, default=20, help="orders to place (default 20)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    settings = load_settings()
    url = settings.admin_url()
    print("migrating the database ...", flush=True)
    print("  " + upgrade(url, seed=True).summary(), flush=True)
    ensure_topics(settings)
    dlq_before = _dlq_end(settings)
    sup = supervisor({}, stop_timeout=30)
    runner = threading.Thread(target=sup.run, name="supervisor")
    runner.start()
    try:
        run_id = uuid.uuid4().hex[:6]
        print(f"placing {args.orders} orders and some actions (run {run_id}) ...", flush=True)
        order_ids, action_ids = _place_work(settings, args.orders, run_id)
        done = _wait(settings, order_ids, action_ids, args.timeout)
        if done:
            print("requesting certificates for the registered domains ...", flush=True)
            certificates = _request_certificates(settings, args.orders, run_id)
            action_ids += certificates
            done = _wait(settings, order_ids, certificates, args.timeout)
    finally:
        sup.stop()
        runner.join(60)
    _summary(
        settings, order_ids, action_ids, _dlq_end(settings) - dlq_before, time.monotonic() - started
    )
    if not done:
        print(f"not every order and action reached a final status within {args.timeout:.0f}s")
        return 1
    return 0


__all__ = ["add_arguments", "run"]

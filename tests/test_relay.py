"""The outbox relay against the real Kafka and PostgreSQL: once each, in order, woken by
NOTIFY, one active relay at a time, crash-safe, and the order service's request outbox."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from confluent_kafka import Consumer, Message, TopicPartition
from confluent_kafka.admin import (  # type: ignore[attr-defined]  # re-export untyped
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewTopic,
)
from fastavro import schemaless_reader
from fastavro.schema import load_schema

from producers.relay import (
    ORDER_REQUESTS,
    OUTCOME_CONTENT_TYPE,
    OUTCOMES,
    Relay,
    run_together,
)
from producers.requests import CONTENT_TYPE as REQUEST_CONTENT_TYPE
from provisioning.settings import Settings
from schemas.codec import SingleObjectCodec
from schemas.requests import OUTCOME
from tests.conftest import TopicFactory
from tests.db.helpers import (
    ALICE,
    ALPHA_REGISTRY,
    TRACEPARENT,
    Conn,
    Row,
    claim_job,
    fail,
    fetch_all,
    insert_provision,
    named,
    provision_and_complete,
    scalar,
)
from tests.services import Services

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parent.parent
CODEC = SingleObjectCodec()
# the schema file itself, read by fastavro alone: not the codec the relay writes with
REQUEST_SCHEMA = load_schema(str(ROOT / "schemas" / "provisioning.ProvisionRequest.avsc"))


@dataclass(frozen=True)
class Record:
    """A consumed message, as the tests look at it."""

    key: str
    value: bytes
    partition: int
    offset: int
    headers: dict[str, bytes]

    @classmethod
    def of(cls, message: Message) -> Record:
        key, value = message.key(), message.value()
        partition, offset = message.partition(), message.offset()
        assert isinstance(key, bytes)
        assert isinstance(value, bytes)
        assert partition is not None
        assert offset is not None
        raw_headers = message.headers() or []
        items = raw_headers.items() if isinstance(raw_headers, dict) else raw_headers
        headers = {
            str(name): raw.encode() if isinstance(raw, str) else raw or b"" for name, raw in items
        }
        return cls(key.decode(), value, partition, offset, headers)

    def outcome(self) -> dict[str, Any]:
        return CODEC.decode(OUTCOME, self.value)


@dataclass(frozen=True)
class Env:
    settings: Settings
    database_url: str
    bootstrap: str
    partitions: int

    def outcomes(self) -> list[Record]:
        return read_topic(self.bootstrap, self.settings.topic_outcomes, self.partitions)

    def relay(self, **options: Any) -> Relay:
        options.setdefault("poll_seconds", 0.2)
        return Relay(self.settings, OUTCOMES, **options)


PARTITIONS = 4


@pytest.fixture
def env(services: Services, provisioning_db: str, make_topic: TopicFactory) -> Env:
    settings = Settings(
        kafka_bootstrap_servers=services.kafka_bootstrap,
        database_url=provisioning_db,  # pydantic coerces to SecretStr
        topic_outcomes=make_topic(partitions=PARTITIONS, prefix="outcomes"),
        topic_orders=make_topic(partitions=2, prefix="orders"),
    )
    return Env(settings, provisioning_db, services.kafka_bootstrap, PARTITIONS)


def read_topic(bootstrap: str, topic: str, partitions: int, timeout: float = 30.0) -> list[Record]:
    """Every message of ``topic`` (as many as its high watermarks say), in offset order."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"read-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    try:
        total = sum(
            consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in range(partitions)
        )
        consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
        records: list[Record] = []
        deadline = time.monotonic() + timeout
        while len(records) < total and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None:
                continue
            assert message.error() is None, message.error()
            records.append(Record.of(message))
    finally:
        consumer.close()
    assert len(records) == total, f"read {len(records)} of {total} messages of {topic}"
    return sorted(records, key=lambda r: (r.partition, r.offset))


def reject(
    db: Conn, order_id: str | None = None, message: str = "bad period", **params: Any
) -> Row:
    """A failed outcome through provision_reject (ingest's path for a refused request)."""
    request_id = uuid.uuid4()
    named(
        db,
        "provision",
        "reject",
        request_id=request_id,
        action="provision_domain",
        message=message,
        sqlstate="PV004",
        message_key=f"domain:{request_id.hex[:8]}.com",
        order_metadata={"order_id": order_id} if order_id else None,
        **params,
    )
    (row,) = outbox_rows(db, "WHERE request_id = %(request_id)s", request_id=request_id)
    return row


def outbox_rows(db: Conn, where: str = "", **params: Any) -> list[Row]:
    return fetch_all(db, f"SELECT * FROM outbox {where} ORDER BY id", params)  # noqa: S608


def unsent(db: Conn) -> int:
    return int(scalar(db, "SELECT count(*) FROM outbox WHERE sent_date IS NULL"))


def wait_for(predicate: Any, timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def millis(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def read_request(value: bytes) -> dict[str, Any]:
    """A ProvisionRequest as any Avro reader sees it: C3 01, an 8-byte fingerprint, the body."""
    assert value[:2] == b"\xc3\x01"
    datum = schemaless_reader(io.BytesIO(value[10:]), REQUEST_SCHEMA, None)
    assert isinstance(datum, dict)
    return datum


def between_batches(db: Conn, relay: Relay) -> bool:
    """The relay's connection is idle outside a transaction and no wake-up is pending:
    it waits for its poll (or is a few statements away from it)."""
    idle = scalar(
        db,
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = %(name)s"
        " AND state = 'idle' AND datname = current_database()",
        {"name": relay.name},
    )
    return bool(idle) and not relay.wake_event.is_set()


def topic_config(admin: AdminClient, topic: str, name: str) -> str | None:
    resource = ConfigResource("topic", topic)
    entries = admin.describe_configs([resource])[resource].result(timeout=30)
    entry = entries.get(name)
    return None if entry is None else str(entry.value)


# ---------------------------------------------------------------------- outcomes


def test_outcomes_are_published_once_each_decodable_keyed_and_marked_sent(
    env: Env, db: Conn
) -> None:
    plan_ids = [uuid.uuid4(), uuid.uuid4()]
    provision_and_complete(
        db,
        "provision_domain",
        {"roid": "D-one.com"},
        name="one.com",
        order_item_plan_ids=plan_ids,
        order_metadata={"order_id": "order-1"},
        traceparent=TRACEPARENT,
    )
    provision_and_complete(db, "provision_domain", {"roid": "D-two.com"}, name="two.com")
    failing = insert_provision(db, "provision_domain", name="three.com")
    claim_job(db, failing["job_id"])
    fail(db, failing["job_id"], message="2302 object exists", data={"code": 2302}, retryable=False)
    reject(db, order_id="order-2", order_item_plan_ids=[uuid.uuid4()], traceparent=TRACEPARENT)
    rows = outbox_rows(db)
    assert len(rows) == 4

    counts = env.relay().run(until_idle=1.0)

    assert counts["published"] == 4
    assert unsent(db) == 0
    records = env.outcomes()
    assert len(records) == 4  # once each
    by_event = {record.outcome()["event_id"]: record for record in records}
    for row in rows:
        record = by_event[row["event_id"]]
        assert record.key == row["message_key"]
        expected_headers = {"content-type": OUTCOME_CONTENT_TYPE.encode()}
        if row["traceparent"]:
            expected_headers["traceparent"] = row["traceparent"].encode()
        assert record.headers == expected_headers
        outcome = record.outcome()
        data = outcome.pop("result_data")
        assert (json.loads(data) if data is not None else None) == row["result_data"]
        assert outcome == {
            "event_id": row["event_id"],
            "request_id": row["request_id"],
            "provision_id": row["provision_id"],
            "action": row["action"],
            "status": row["status"],
            "order_item_plan_ids": row["order_item_plan_ids"] or [],
            "result_message": row["result_message"],
            "occurred_at": millis(row["created_date"]),
        }
    statuses = sorted(record.outcome()["status"] for record in records)
    assert statuses == ["completed", "completed", "failed", "failed"]
    first = by_event[rows[0]["event_id"]]
    assert (first.key, first.outcome()["order_item_plan_ids"]) == ("order-1", plan_ids)
    assert json.loads(by_event[rows[3]["event_id"]].outcome()["result_data"])["reason"] == (
        "validation"
    )


def test_rows_of_one_key_arrive_in_id_order_on_one_partition(env: Env, db: Conn) -> None:
    orders = [f"order-{n}" for n in range(5)]
    for index in range(60):
        reject(db, order_id=orders[index % len(orders)])

    counts = env.relay(batch_size=7, window=21).run(until_idle=1.0)

    assert counts["published"] == 60
    assert counts["batches"] == 3  # 60 rows: windows of 21, 21 and 18, fetched 7 at a time
    id_of = {row["event_id"]: row["id"] for row in outbox_rows(db)}
    records = env.outcomes()
    assert len(records) == 60
    partitions: dict[str, set[int]] = {}
    ids: dict[str, list[int]] = {}
    for record in records:  # offset order within each partition
        partitions.setdefault(record.key, set()).add(record.partition)
        ids.setdefault(record.key, []).append(id_of[record.outcome()["event_id"]])
    assert sorted(ids) == orders
    assert all(len(found) == 1 for found in partitions.values())
    assert all(found == sorted(found) and len(found) == 12 for found in ids.values())


def test_notify_wakes_an_idle_relay_well_before_its_poll(env: Env, db: Conn) -> None:
    relay = env.relay(poll_seconds=3600.0)  # unwoken, a row would wait an hour
    thread = threading.Thread(target=relay.run)
    thread.start()
    try:
        assert relay.listening.wait(30)
        first = reject(db)
        wait_for(lambda: unsent(db) == 0, timeout=30, what="the first row to be sent")
        wait_for(lambda: between_batches(db, relay), timeout=30, what="the relay to wait")
        row = reject(db)
        wait_for(lambda: unsent(db) == 0, timeout=30, what="the row to be sent")
        published = {record.outcome()["event_id"] for record in env.outcomes()}
        assert published == {first["event_id"], row["event_id"]}
    finally:
        relay.stop()
        thread.join(30)
    assert not thread.is_alive()  # stop cut the hour's wait short


def test_two_relays_publish_every_row_with_one_active_at_a_time(env: Env, db: Conn) -> None:
    for _ in range(100):
        reject(db, order_id=f"order-{uuid.uuid4().hex[:4]}")
    relays = [env.relay(batch_size=10, poll_seconds=0.05) for _ in range(2)]
    results: list[Any] = []
    runner = threading.Thread(target=lambda: results.extend(run_together(relays, until_idle=1.5)))
    runner.start()
    assert all(relay.listening.wait(30) for relay in relays)
    for _ in range(150):  # more rows while both run: each NOTIFY wakes both
        reject(db, order_id=f"order-{uuid.uuid4().hex[:4]}")
    runner.join(60)
    assert not runner.is_alive()

    assert unsent(db) == 0
    events = {row["event_id"] for row in outbox_rows(db)}
    published = [record.outcome()["event_id"] for record in env.outcomes()]
    assert set(published) == events
    assert len(published) == 250  # no row went out twice
    assert sum(r["published"] for r in results) == 250
    assert sum(r["standby"] for r in results) > 0  # they met at the lock


def _relay_process(env: Env, log: Path) -> subprocess.Popen[bytes]:
    variables = {
        "PROVISIONING_KAFKA_BOOTSTRAP_SERVERS": env.settings.kafka_bootstrap_servers,
        "PROVISIONING_DATABASE_URL": env.database_url,
        "PROVISIONING_TOPIC_OUTCOMES": env.settings.topic_outcomes,
    }
    keep = {k: v for k, v in os.environ.items() if not k.startswith("PROVISIONING_")}
    argv = ["relay", "--outbox", "outcomes", "--batch-size", "20", "--poll-seconds", "0.2"]
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "provisioning.cli", *argv],
            env={**keep, **variables},
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


@pytest.mark.slow
def test_a_relay_killed_mid_stream_and_restarted_loses_nothing(
    env: Env, db: Conn, processes: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    log = tmp_path / "relay.log"
    processes.append(_relay_process(env, log))
    for index in range(600):
        reject(db, order_id=f"order-{index % 17}")
        if index == 300:  # mid-stream: once some rows went out, SIGKILL the relay...
            wait_for(lambda: unsent(db) < 300, what="the relay to publish")
            processes[0].send_signal(signal.SIGKILL)
            processes[0].wait(10)
            processes.append(_relay_process(env, log))  # ...and start it again
    wait_for(lambda: unsent(db) == 0, what="every row to be sent")
    processes[1].send_signal(signal.SIGTERM)
    assert processes[1].wait(30) == 0, log.read_text()

    rows = outbox_rows(db)
    assert len(rows) == 600
    assert all(row["sent_date"] is not None for row in rows)
    published = [record.outcome()["event_id"] for record in env.outcomes()]
    assert set(published) == {row["event_id"] for row in rows}  # duplicates allowed


def test_a_failed_delivery_marks_only_the_rows_before_it(
    env: Env, db: Conn, kafka_admin: AdminClient
) -> None:
    topic = f"small.{uuid.uuid4().hex}"
    kafka_admin.create_topics(
        [
            NewTopic(
                topic, num_partitions=1, replication_factor=1, config={"max.message.bytes": "1000"}
            )
        ]
    )[topic].result(timeout=30)
    settings = env.settings.model_copy(update={"topic_outcomes": topic})
    small = [reject(db, order_id="order-1") for _ in range(3)]
    big = reject(db, order_id="order-2", message="x" * 3000)
    after = [reject(db, order_id="order-1") for _ in range(3)]
    # one message per request, so the rows around the big one are delivered on their own
    overrides = {"compression.type": "none", "linger.ms": 0, "batch.num.messages": 1}

    # fetched 2 at a time: the window's second fetch holds the big row, its fourth the last
    relay = Relay(
        settings,
        OUTCOMES,
        batch_size=2,
        poll_seconds=0.2,
        delivery_timeout=5.0,
        producer_overrides=overrides,
    )
    counts = relay.run(until_idle=2.0)

    assert counts["delivery_failures"] >= 1
    sent = [row["id"] for row in outbox_rows(db, "WHERE sent_date IS NOT NULL")]
    assert sent == [row["id"] for row in small]  # the prefix: nothing from the big row on

    raise_limit = ConfigEntry(
        "max.message.bytes", "1048576", incremental_operation=AlterConfigOpType.SET
    )
    future = kafka_admin.incremental_alter_configs(
        [ConfigResource("topic", topic, incremental_configs=[raise_limit])]
    )
    for done in future.values():
        done.result(timeout=30)
    wait_for(  # the broker applies topic configs asynchronously
        lambda: topic_config(kafka_admin, topic, "max.message.bytes") == "1048576",
        timeout=30,
        what="the topic's new limit",
    )
    counts = Relay(settings, OUTCOMES, poll_seconds=0.2, producer_overrides=overrides).run(
        until_idle=1.0
    )

    assert unsent(db) == 0
    published = [r.outcome()["event_id"] for r in read_topic(env.bootstrap, topic, 1)]
    assert set(published) == {row["event_id"] for row in [*small, big, *after]}
    after_ids = [row["event_id"] for row in after]
    copies = [e for e in published if e in after_ids]
    assert len(copies) >= 6  # delivered by the failing batches too, yet not marked then
    assert copies[-3:] == after_ids  # and sent again after the big row, in id order


def test_a_lost_database_connection_is_reconnected_and_nothing_is_lost(env: Env, db: Conn) -> None:
    for index in range(200):
        reject(db, order_id=f"order-{index % 7}")
    relay = env.relay(batch_size=10)
    stop = threading.Event()
    killed: list[int] = []

    def kill_relay_connections() -> None:
        with psycopg.connect(env.database_url, autocommit=True) as admin:
            while not stop.is_set() and len(killed) < 3:
                row = admin.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE application_name LIKE 'provisioning-relay%%'"
                    " AND datname = current_database()"
                ).fetchone()
                if row and row[0]:
                    killed.append(int(row[0]))
                time.sleep(0.05)

    killer = threading.Thread(target=kill_relay_connections)
    killer.start()
    counts = relay.run(until_idle=2.0)
    stop.set()
    killer.join(10)

    assert killed
    assert counts["reconnects"] >= 1
    assert unsent(db) == 0
    published = [record.outcome()["event_id"] for record in env.outcomes()]
    assert set(published) == {row["event_id"] for row in outbox_rows(db)}


# ---------------------------------------------------------------------- order requests


def test_an_order_request_is_published_as_the_stored_request(env: Env, db: Conn) -> None:
    order_id = named(db, "orders", "create_order", tenant_customer_id=ALICE, metadata={})[0]["id"]
    item_id = named(
        db,
        "orders",
        "create_order_item",
        order_id=order_id,
        product="domain",
        action="create",
        object_name="ordered.com",
    )[0]["id"]
    plan_id, request_id = uuid.uuid4(), uuid.uuid4()
    request = {
        "action": "provision_domain",
        "tenant_customer_id": str(ALICE),
        "accreditation": ALPHA_REGISTRY,
        "payload": {"name": "ordered.com", "registration_period": 2},
        "order_item_plan_ids": [str(plan_id)],
        "order_metadata": {"order_id": str(order_id)},
        "traceparent": TRACEPARENT,
    }
    named(
        db,
        "orders",
        "create_order_item_plan",
        id=plan_id,
        order_item_id=item_id,
        action="provision_domain",
        request_id=request_id,
        request=request,
        message_key="domain:ordered.com",
    )
    assert named(db, "orders", "release_plans", order_item_id=item_id)[0]["released"] == 1
    (row,) = fetch_all(db, "SELECT * FROM orders.request_outbox")

    relays = [
        Relay(env.settings, outbox, poll_seconds=0.2) for outbox in (OUTCOMES, ORDER_REQUESTS)
    ]
    outcomes, requests = run_together(relays, until_idle=1.0)  # what `--outbox both` runs

    assert (outcomes["published"], requests["published"]) == (0, 1)
    assert scalar(db, "SELECT count(*) FROM orders.request_outbox WHERE sent_date IS NULL") == 0
    (record,) = read_topic(env.bootstrap, env.settings.topic_orders, 2)
    assert record.key == "domain:ordered.com"
    assert record.headers == {
        "content-type": REQUEST_CONTENT_TYPE.encode(),
        "traceparent": TRACEPARENT.encode(),
    }
    assert read_request(record.value) == {
        "request_id": request_id,
        "tenant_customer_id": ALICE,
        "accreditation": "alpha-registry",
        "action": "provision_domain",
        "payload": {
            "name": "ordered.com",
            "registration_period": 2,
            "pw": None,
            "registrant": None,
            "admin_contact": None,
            "tech_contact": None,
            "billing_contact": None,
            "nameservers": [],
        },
        "order_item_plan_ids": [plan_id],
        "order_metadata": {"order_id": str(order_id)},
        "requested_at": millis(row["created_date"]),  # when the plan was released
    }

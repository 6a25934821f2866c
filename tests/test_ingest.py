"""Ingest against the real Kafka and PostgreSQL: exactly once, bad input, order."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from confluent_kafka import Consumer, Producer
from fastavro import schemaless_writer

from consumers.ingest import ingest_loop
from consumers.loop import LoopStats
from producers.requests import RequestProducer
from provisioning.settings import Settings
from schemas.codec import MAGIC, SingleObjectCodec, schema_fingerprint
from schemas.registry import released
from schemas.requests import REQUEST, build_request, to_avro
from tests.builders import domain_create
from tests.conftest import TopicFactory, unique_name
from tests.services import Services

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

ALICE = "30000000-0000-4000-8000-000000000001"
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Pipeline:
    """Fresh topics, group and database for one test, and ways to drive them."""

    settings: Settings
    database_url: str

    def producer(self) -> RequestProducer:
        return RequestProducer(self.settings)

    def scalar(self, sql: str, *params: object) -> Any:
        with psycopg.connect(self.database_url) as conn:
            row = conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def ingest(self, idle_polls: int = 4, **options: Any) -> LoopStats:
        """Run one in-process ingest consumer until the topics are drained."""
        loop = ingest_loop(
            self.settings,
            [self.settings.topic_orders, self.settings.topic_actions],
            poll_timeout=0.25,
            **options,
        )
        return loop.run(max_idle_polls=idle_polls)

    def env(self) -> dict[str, str]:
        values = {
            "PROVISIONING_KAFKA_BOOTSTRAP_SERVERS": self.settings.kafka_bootstrap_servers,
            "PROVISIONING_DATABASE_URL": self.database_url,
            "PROVISIONING_TOPIC_ORDERS": self.settings.topic_orders,
            "PROVISIONING_TOPIC_ACTIONS": self.settings.topic_actions,
            "PROVISIONING_GROUP_INGEST": self.settings.group_ingest,
            # a SIGKILLed member's partitions move after 6 s instead of 45 s
            "PROVISIONING_KAFKA_SESSION_TIMEOUT_MS": "6000",
        }
        keep = {k: v for k, v in os.environ.items() if not k.startswith("PROVISIONING_")}
        return {**keep, **values}

    def wait_for(self, sql: str, expected: object, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            value = self.scalar(sql)
            if value == expected:
                return
            time.sleep(0.2)
        raise AssertionError(f"{sql!r} stayed {value!r}, expected {expected!r}")


@pytest.fixture
def pipeline(services: Services, provisioning_db: str, make_topic: TopicFactory) -> Pipeline:
    settings = Settings(
        kafka_bootstrap_servers=services.kafka_bootstrap,
        database_url=provisioning_db,  # pydantic coerces to SecretStr
        topic_orders=make_topic(partitions=4, prefix="orders"),
        topic_actions=make_topic(partitions=4, prefix="actions"),
        group_ingest=unique_name("ingest"),
    )
    return Pipeline(settings, provisioning_db)


def dlq_messages(services: Services, topic: str, expected: int) -> list[Any]:
    consumer = Consumer(
        {
            "bootstrap.servers": services.kafka_bootstrap,
            "group.id": unique_name("dlq-reader"),
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([topic])
    found: list[Any] = []
    deadline = time.monotonic() + 30
    try:
        while len(found) < expected and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                found.append(message)
    finally:
        consumer.close()
    return found


def wait_until(
    predicate: Callable[[], bool], describe: Callable[[], str], timeout: float = 60.0
) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, describe()
        time.sleep(0.2)


def test_a_batch_of_requests_becomes_provisions_with_jobs(pipeline: Pipeline) -> None:
    with pipeline.producer() as producer:
        ids = [producer.send(domain_create(f"batch-{i}.com")) for i in range(50)]
    stats = pipeline.ingest()
    assert stats.counts["inserted"] == 50
    assert stats.counts["fallbacks"] == 0
    assert pipeline.scalar("SELECT count(*) FROM provision_domain") == 50
    assert pipeline.scalar("SELECT count(*) FROM job") == 50
    stored = pipeline.scalar("SELECT array_agg(request_id::text) FROM provision_domain")
    assert sorted(stored) == sorted(ids)


def test_the_same_request_published_twice_is_one_provision(pipeline: Pipeline) -> None:
    request = domain_create("twice.com", request_id=str(uuid.uuid4()))
    with pipeline.producer() as producer:
        producer.send(request)
        producer.send(request)
    first = pipeline.ingest()
    with pipeline.producer() as producer:  # and once more, in a later batch
        producer.send(request)
    second = pipeline.ingest()
    assert first.counts["inserted"] == 1
    assert first.counts["duplicates"] + second.counts["duplicates"] == 2
    assert pipeline.scalar("SELECT count(*) FROM provision_domain") == 1
    assert pipeline.scalar("SELECT count(*) FROM job") == 1
    assert pipeline.scalar("SELECT count(*) FROM outbox") == 0  # nothing was rejected


def test_bad_messages_are_handled_while_the_good_around_them_are_ingested(
    pipeline: Pipeline, services: Services
) -> None:
    topic = pipeline.settings.topic_orders  # the order service's: its requests name plans
    raw = Producer({"bootstrap.servers": services.kafka_bootstrap})
    codec = SingleObjectCodec()

    def good(name: str) -> bytes:
        return codec.encode(REQUEST, to_avro(build_request(domain_create(name))))

    unknown = MAGIC + b"\x01\x02\x03\x04\x05\x06\x07\x08" + good("x.com")[10:]
    invalid = build_request(domain_create("bad_name!.com", order_metadata={"order_id": "o-1"}))
    plan = str(uuid.uuid4())
    invalid["order_item_plan_ids"] = [plan]
    messages = [
        (b"domain:good-1.com", good("good-1.com")),
        (b"domain:corrupt", b"\x00not avro at all"),
        (b"domain:good-2.com", good("good-2.com")),
        (b"domain:unknown", unknown),
        (b"domain:bad_name!.com", codec.encode(REQUEST, to_avro(invalid))),
        (b"domain:good-3.com", good("good-3.com")),
    ]
    for key, value in messages:  # one partition: the bad ones sit between good ones
        raw.produce(topic, key=key, value=value, partition=0, headers=[("origin", b"test")])
    assert raw.flush(30) == 0

    stats = pipeline.ingest()

    names = pipeline.scalar("SELECT array_agg(name::text ORDER BY name) FROM provision_domain")
    assert names == ["good-1.com", "good-2.com", "good-3.com"]
    assert stats.counts["rejected"] == 1
    assert stats.counts["dead_lettered"] == 2
    # The request that failed validation is a failed outcome for its order's plan.
    with psycopg.connect(pipeline.database_url) as conn:
        outcome = conn.execute(
            "SELECT status, result_message, order_item_plan_ids, message_key, request_id"
            " FROM outbox"
        ).fetchall()
    assert len(outcome) == 1
    status, message, plans, key, request_id = outcome[0]
    assert status == "failed"
    assert "bad_name!.com" in message
    assert [str(p) for p in plans] == [plan]
    assert key == "o-1"
    assert str(request_id) == invalid["request_id"]
    # The undecodable ones are in the DLQ, with the original bytes and the reason.
    dead = dlq_messages(services, pipeline.settings.dlq_topic(topic), 2)
    assert [m.value() for m in dead] == [b"\x00not avro at all", unknown]
    first = {k: bytes(v) for k, v in dead[0].headers()}
    assert first["x-dlq-error-class"] == b"DecodeError"
    assert first["x-dlq-original-topic"] == topic.encode()
    assert first["x-dlq-original-offset"] == b"1"
    assert first["origin"] == b"test"
    second = {k: bytes(v) for k, v in dead[1].headers()}
    assert second["x-dlq-error-class"] == b"UnknownSchemaError"
    assert b"0102030405060708" in second["x-dlq-error-message"]


def test_requests_for_one_object_apply_in_publish_order(pipeline: Pipeline) -> None:
    # For each name, two creates that differ only in their period, published in
    # that order and interleaved with other names' over 4 partitions: the first one
    # must be the one recorded, and the second refused because the first is pending.
    names = [f"ordered-{i}.com" for i in range(30)]
    second: dict[str, str] = {}
    with pipeline.producer() as producer:
        for name in names:
            producer.send(
                {**domain_create(name), "payload": {"name": name, "registration_period": 2}}
            )
        for name in names:
            second[name] = producer.send(
                {**domain_create(name), "payload": {"name": name, "registration_period": 3}}
            )
    stats = pipeline.ingest()
    with psycopg.connect(pipeline.database_url) as conn:
        periods: dict[str, int] = dict(
            conn.execute("SELECT name::text, registration_period FROM provision_domain")
        )
        refused: dict[str, str] = dict(
            conn.execute("SELECT request_id::text, result_message FROM outbox")
        )
    assert periods == dict.fromkeys(names, 2)
    assert stats.counts["rejected"] == len(names)
    assert set(refused) == set(second.values())
    assert all("pending" in message for message in refused.values()), refused


def test_a_message_written_with_the_previous_schema_is_ingested(
    pipeline: Pipeline, services: Services
) -> None:
    v1 = released(REQUEST)[1]
    datum = to_avro(build_request(domain_create("from-v1.com")))
    body = io.BytesIO()
    schemaless_writer(body, v1, datum)
    raw = Producer({"bootstrap.servers": services.kafka_bootstrap})
    raw.produce(
        pipeline.settings.topic_actions,
        key=b"domain:from-v1.com",
        value=MAGIC + schema_fingerprint(v1) + body.getvalue(),
    )
    assert raw.flush(30) == 0
    stats = pipeline.ingest()
    assert stats.counts["inserted"] == 1
    assert pipeline.scalar("SELECT name::text FROM provision_domain") == "from-v1.com"


def test_a_database_outage_mid_stream_retries_the_batch_and_loses_nothing(
    pipeline: Pipeline,
) -> None:
    loop = ingest_loop(
        pipeline.settings, [pipeline.settings.topic_actions], poll_timeout=0.25, batch_size=5
    )
    runs: list[LoopStats] = []
    runner = threading.Thread(target=lambda: runs.append(loop.run()))
    runner.start()
    try:
        with pipeline.producer() as producer:
            before = {producer.send(domain_create(f"outage-{i}.com")) for i in range(10)}
        pipeline.wait_for("SELECT count(*) FROM provision_domain", 10)
        with (
            psycopg.connect(pipeline.database_url) as holder,
            psycopg.connect(pipeline.database_url, autocommit=True) as admin,
        ):
            # ingest's next batch will wait for the table this transaction holds...
            holder.execute("LOCK TABLE provision_domain IN SHARE MODE")
            with pipeline.producer() as producer:
                after = {producer.send(domain_create(f"outage-{i}.com")) for i in range(10, 20)}

            def waiting() -> list[int]:
                sql = (
                    "SELECT pid FROM pg_stat_activity"
                    " WHERE %s = ANY(pg_blocking_pids(pid)) AND application_name = %s"
                )
                return [pid for (pid,) in admin.execute(sql, [holder.info.backend_pid, loop.name])]

            wait_until(lambda: bool(waiting()), lambda: "ingest's batch never reached the table")
            # ...and the database drops ingest's session in the middle of that batch
            (pid,) = waiting()
            assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone() == (True,)
            holder.rollback()
        pipeline.wait_for("SELECT count(*) FROM provision_domain", 20)
    finally:
        loop.stop()
        runner.join(30)
    assert not runner.is_alive()
    (stats,) = runs
    assert loop.reconnects >= 1  # the outage hit the consumer, which reconnected
    stored = pipeline.scalar("SELECT array_agg(request_id::text) FROM provision_domain")
    assert sorted(stored) == sorted(before | after)
    assert stats.counts["inserted"] == 20


def _start_ingest(pipeline: Pipeline, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "provisioning.cli",
                "ingest",
                "--topics",
                "actions",
                "--batch-size",
                "100",
            ],
            env=pipeline.env(),
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


@pytest.mark.slow
@pytest.mark.parametrize("kill_one", [False, True], ids=["steady", "sigkill-and-restart"])
def test_two_processes_ingest_a_thousand_requests_exactly_once(
    pipeline: Pipeline,
    processes: list[subprocess.Popen[bytes]],
    tmp_path: Path,
    kill_one: bool,
) -> None:
    logs: list[Path] = []

    def start() -> subprocess.Popen[bytes]:
        logs.append(tmp_path / f"ingest-{len(logs)}.log")
        return _start_ingest(pipeline, logs[-1])

    def all_logs() -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()}" for log in logs)

    processes += [start(), start()]
    # both members in the group, each with its share of the partitions, before any request
    assigned = f"assigned {pipeline.settings.topic_actions}["
    wait_until(lambda: all(assigned in log.read_text() for log in logs), all_logs)
    ids: list[str] = []
    with pipeline.producer() as producer:
        for i in range(1000):
            ids.append(producer.send(domain_create(f"group-{i}.com")))
            if kill_one and i == 400:
                producer.flush()
                # mid-stream: once the first rows land, SIGKILL one member...
                pipeline.wait_for("SELECT count(*) > 0 FROM provision_domain", True)
                processes[0].send_signal(signal.SIGKILL)
                processes[0].wait(10)
                processes.append(start())  # ...and start it again
    pipeline.wait_for("SELECT count(*) FROM provision_domain", 1000, timeout=90)
    # a process still importing has no SIGTERM handler yet: wait until each one said so
    running = [
        (proc, log) for proc, log in zip(processes, logs, strict=True) if proc.poll() is None
    ]
    wait_until(lambda: all("ingesting " in log.read_text() for _, log in running), all_logs)

    for proc, _ in running:  # SIGTERM drains and leaves the group cleanly
        proc.send_signal(signal.SIGTERM)
    for proc in processes:
        proc.wait(30)
    exits = [proc.returncode for proc in processes]
    assert exits == ([-signal.SIGKILL, 0, 0] if kill_one else [0, 0]), all_logs()
    if not kill_one:  # each process ingested its share
        shares = [sum(map(int, re.findall(r"'inserted': (\d+)", log.read_text()))) for log in logs]
        assert all(shares), shares
        assert sum(shares) == 1000, shares
    stored = pipeline.scalar("SELECT array_agg(request_id::text) FROM provision_domain")
    assert sorted(stored) == sorted(ids)  # every request once, none twice
    assert pipeline.scalar("SELECT count(*) FROM job") == 1000
    assert pipeline.scalar("SELECT count(*) FROM outbox") == 0  # no request was refused

"""No message can stop the pipeline: poison pills, kills, and static group membership.

Against the real Kafka and PostgreSQL, with ingest as separate processes.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from producers.requests import RequestProducer
from provisioning.settings import Settings
from tests.builders import domain_create
from tests.conftest import TopicFactory, unique_name
from tests.corpus import DEAD_LETTER, RECORDED, generate
from tests.crashing_ingest import CRASH_EXIT_CODE
from tests.services import Services

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]

ALICE = "30000000-0000-4000-8000-000000000001"
ROOT = Path(__file__).resolve().parent.parent
# below librdkafka's default max.poll.interval.ms (300 s), which it must not exceed
SESSION_TIMEOUT_MS = 240_000


@dataclass
class World:
    settings: Settings
    database_url: str
    log: Path

    def env(self, **extra: str) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if not k.startswith("PROVISIONING_")}
        return {
            **keep,
            "PROVISIONING_KAFKA_BOOTSTRAP_SERVERS": self.settings.kafka_bootstrap_servers,
            "PROVISIONING_DATABASE_URL": self.database_url,
            "PROVISIONING_TOPIC_ORDERS": self.settings.topic_orders,
            "PROVISIONING_TOPIC_ACTIONS": self.settings.topic_actions,
            "PROVISIONING_GROUP_INGEST": self.settings.group_ingest,
            "PROVISIONING_LOG_FORMAT": "text",
            **extra,
        }

    def start(self, *args: str, **env: str) -> subprocess.Popen[bytes]:
        with self.log.open("ab") as out:
            return subprocess.Popen(
                [sys.executable, *args],
                env=self.env(**env),
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def scalar(self, sql: str) -> Any:
        with psycopg.connect(self.database_url) as conn:
            row = conn.execute(sql).fetchone()
        return None if row is None else row[0]

    def wait_for(self, sql: str, expected: object, timeout: float = 60.0) -> float:
        """Poll ``sql`` until it returns ``expected``; the seconds it took."""
        started = time.monotonic()
        value = None
        while time.monotonic() - started < timeout:
            value = self.scalar(sql)
            if value == expected:
                return time.monotonic() - started
            time.sleep(0.1)
        raise AssertionError(f"{sql!r} stayed {value!r}, expected {expected!r}\n{self.text()}")

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@pytest.fixture
def world(
    services: Services, provisioning_db: str, make_topic: TopicFactory, tmp_path: Path
) -> World:
    settings = Settings(
        kafka_bootstrap_servers=services.kafka_bootstrap,
        database_url=provisioning_db,  # pydantic coerces to SecretStr
        topic_orders=make_topic(partitions=1, prefix="orders"),
        topic_actions=make_topic(partitions=4, prefix="actions"),
        group_ingest=unique_name("ingest"),
    )
    return World(settings, provisioning_db, tmp_path / "processes.log")


def dlq_messages(services: Services, topic: str) -> list[Any]:
    """Every message of ``topic`` up to its end now (an assigned reader, no group)."""
    consumer = Consumer(
        {
            "bootstrap.servers": services.kafka_bootstrap,
            "group.id": unique_name("dlq-reader"),
            "enable.partition.eof": True,
            "enable.auto.commit": False,
        }
    )
    try:
        metadata = consumer.list_topics(topic, timeout=10).topics[topic]
        partitions = sorted(metadata.partitions)
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        found: list[Any] = []
        ended: set[int] = set()
        deadline = time.monotonic() + 30
        while len(ended) < len(partitions) and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None:
                continue
            if message.error() is not None:
                ended.add(message.partition() or 0)
                continue
            found.append(message)
    finally:
        consumer.close()
    return found


def test_a_message_that_kills_the_process_is_quarantined_after_k_crashes(
    world: World, services: Services, processes: list[subprocess.Popen[bytes]]
) -> None:
    """os._exit while handling "poison.com": K deaths, then it is dead-lettered unhandled."""
    raw = Producer({"bootstrap.servers": services.kafka_bootstrap})
    names = [f"before-{i}.com" for i in range(5)] + ["poison.com"]
    names += [f"after-{i}.com" for i in range(5)]
    with RequestProducer(world.settings) as producer:
        encoded = [producer.encode(domain_create(name)) for name in names]
    for message in encoded:  # one partition, in this order: the poison sits in the middle
        raw.produce(
            world.settings.topic_actions, key=message.key.encode(), value=message.value, partition=0
        )
    assert raw.flush(30) == 0

    exits: list[int] = []
    deadline = time.monotonic() + 150
    member = f"crashing-{uuid.uuid4().hex[:8]}"  # as `provisioning run` gives each child
    while time.monotonic() < deadline:
        proc = world.start(
            "-m", "tests.crashing_ingest", PROVISIONING_KAFKA_GROUP_INSTANCE_ID=member
        )
        processes.append(proc)
        try:
            exits.append(proc.wait(20))  # a crash comes within seconds of the start
        except subprocess.TimeoutExpired:
            break  # it stays up: past the poison
    assert exits == [CRASH_EXIT_CODE] * 3, world.text()  # max_crashes = 3 by default

    world.wait_for("SELECT count(*) FROM provision_domain", 10)
    recorded = world.scalar("SELECT array_agg(name::text ORDER BY name) FROM provision_domain")
    assert recorded == sorted(n for n in names if n != "poison.com")
    survivor = processes[-1]
    assert survivor.poll() is None, world.text()

    dead = dlq_messages(services, world.settings.dlq_topic(world.settings.topic_actions))
    assert len(dead) == 1
    headers = {key: bytes(value) for key, value in dead[0].headers()}
    assert dead[0].value() == encoded[5].value  # the poison, untouched
    assert headers["x-dlq-error-class"] == b"QuarantinedMessage"
    assert b"crashed the consumer 3 times" in headers["x-dlq-error-message"]
    assert headers["x-dlq-original-offset"] == b"5"

    survivor.send_signal(signal.SIGTERM)
    assert survivor.wait(30) == 0, world.text()
    # a clean stop leaves no suspicion behind
    assert world.scalar("SELECT count(*) FROM consumer_inflight") == 0


def assignments(services: Services, group: str) -> dict[str, int]:
    """``{group.instance.id: number of partitions}`` of the group's members now."""
    admin = AdminClient({"bootstrap.servers": services.kafka_bootstrap})
    try:
        description = admin.describe_consumer_groups([group])[group].result(timeout=10)
    except KafkaException:
        return {}
    return {
        str(member.group_instance_id): len(member.assignment.topic_partitions)
        for member in description.members
    }


def test_a_killed_member_restarted_by_run_takes_its_partitions_back_at_once(
    world: World, services: Services, processes: list[subprocess.Popen[bytes]]
) -> None:
    """Static membership: kill -9 of one of two ingest members under `provisioning run`.

    The session timeout is four minutes: without static membership the killed member's
    partitions would sit idle until it expired, far longer than the wait for the requests
    sent to them (no stopwatch needed: the wait itself is the proof).
    """
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    supervisor = world.start(
        "-m",
        "provisioning.cli",
        "run",
        "--ingest",
        "2",
        "--executor",
        "0",
        "--relay",
        "0",
        "--order-service",
        "0",
        PROVISIONING_KAFKA_GROUP_INSTANCE_ID=prefix,
        PROVISIONING_KAFKA_SESSION_TIMEOUT_MS=str(SESSION_TIMEOUT_MS),
    )
    processes.append(supervisor)
    members = [f"{prefix}-ingest-1", f"{prefix}-ingest-2"]
    deadline = time.monotonic() + 60
    group = world.settings.group_ingest
    while sorted(m for m, n in assignments(services, group).items() if n) != members:
        assert time.monotonic() < deadline, world.text()
        time.sleep(0.2)
    owned = assignments(services, group)[members[0]]

    pids = [int(pid) for pid in re.findall(r"started ingest-1 \(pid (\d+)\)", world.text())]
    assert len(pids) == 1, world.text()
    os.kill(pids[0], signal.SIGKILL)
    killed_at = time.monotonic()
    with RequestProducer(world.settings) as producer:
        for i in range(40):  # keys spread over every partition, the killed member's too
            producer.send(domain_create(f"after-kill-{i}.com"))
    # 60 s: well inside the session timeout a dynamic member's partitions would wait
    world.wait_for("SELECT count(*) FROM provision_domain", 40, timeout=60)
    took = time.monotonic() - killed_at
    print(f"the killed member's {owned} partition(s) were consumed again after {took:.1f} s")
    # it is the restarted member that holds them: no rebalance moved them
    assert assignments(services, group)[members[0]] == owned
    assert len(re.findall(r"started ingest-1 ", world.text())) == 2, world.text()

    while world.text().count("ingesting ") < 3:  # the restarted one handles SIGTERM now
        assert time.monotonic() < deadline + 60, world.text()
        time.sleep(0.2)
    supervisor.send_signal(signal.SIGTERM)
    assert supervisor.wait(60) == 0, world.text()


CORPUS_SIZE = 1200


def _corpus_seed() -> int:
    """CORPUS_SEED=N reproduces (or explores) a corpus; CI uses the fixed default."""
    return int(os.environ.get("CORPUS_SEED", "20261201"))


def _lag(services: Services, group: str, topic: str) -> dict[int, tuple[int, int]]:
    """``{partition: (committed, end)}`` of ``group`` on ``topic``, for the partitions behind."""
    consumer = Consumer({"bootstrap.servers": services.kafka_bootstrap, "group.id": group})
    try:
        partitions = sorted(consumer.list_topics(topic, timeout=10).topics[topic].partitions)
        try:
            committed = consumer.committed(
                [TopicPartition(topic, p) for p in partitions], timeout=10
            )
        except KafkaException as exc:  # the coordinator is moving: ask again
            return {-1: (-1, -1)} if exc.args else {}
        behind = {}
        for tp in committed:
            _, high = consumer.get_watermark_offsets(tp, timeout=10, cached=False)
            if tp.offset < high:
                behind[tp.partition] = (tp.offset, high)
        return behind
    finally:
        consumer.close()


def test_a_generated_stream_of_poison_never_stops_ingest(
    world: World, services: Services, processes: list[subprocess.Popen[bytes]]
) -> None:
    """The seeded corpus (tests/corpus.py) through two `provisioning ingest` processes.

    Every good request is recorded exactly once; every undecodable message is in the
    DLQ once, with a reason; every hostile-but-decodable one is recorded, rejected
    with a failed outcome, or dead-lettered — exactly one of them; no process exits.
    """
    seed = _corpus_seed()
    corpus = generate(seed, CORPUS_SIZE)
    topic = world.settings.topic_actions
    for copy in (1, 2):
        processes.append(
            world.start(
                "-m",
                "provisioning.cli",
                "ingest",
                "--topics",
                "actions",
                PROVISIONING_KAFKA_GROUP_INSTANCE_ID=f"corpus-{copy}-{uuid.uuid4().hex[:6]}",
            )
        )
    places: dict[int, tuple[int, int]] = {}  # corpus index -> (partition, offset)
    raw = Producer({"bootstrap.servers": services.kafka_bootstrap, "linger.ms": 20})

    errors: list[str] = []

    def delivered(index: int) -> Callable[[Any, Any], None]:
        def report(err: Any, msg: Any) -> None:
            if err is not None:
                errors.append(f"message {index}: {err}")
            places[index] = (msg.partition(), msg.offset())

        return report

    for index, message in enumerate(corpus):
        headers: list[tuple[str, str | bytes | None]] = list(message.headers)
        raw.produce(
            topic,
            key=message.key,
            value=message.value,
            headers=headers,
            on_delivery=delivered(index),
        )
        raw.poll(0)
    assert raw.flush(60) == 0
    assert errors == []
    assert len(places) == len(corpus)

    deadline = time.monotonic() + 240
    while behind := _lag(services, world.settings.group_ingest, topic):
        alive = [proc.poll() is None for proc in processes]
        assert all(alive), f"seed {seed}: an ingest process exited\n{world.text()[-5000:]}"
        assert time.monotonic() < deadline, f"seed {seed}: behind {behind}; log {world.log}"
        time.sleep(0.5)
    assert all(proc.poll() is None for proc in processes), world.text()[-5000:]

    with psycopg.connect(world.database_url) as conn:
        provisions = Counter(
            str(row[0]) for row in conn.execute("SELECT request_id FROM class.provision")
        )
        rejections = {
            str(row[0]) for row in conn.execute("SELECT request_id FROM provision_rejection")
        }
        failed_outcomes = {
            str(row[0])
            for row in conn.execute("SELECT request_id FROM outbox WHERE status = 'failed'")
        }
    dead = dlq_messages(services, world.settings.dlq_topic(topic))
    dead_at: Counter[tuple[int, int]] = Counter()
    for message in dead:
        found: dict[str, bytes] = dict(message.headers() or [])
        origin = (
            int(found["x-dlq-original-partition"]),
            int(found["x-dlq-original-offset"]),
        )
        dead_at[origin] += 1
        assert found["x-dlq-error-message"], f"seed {seed}: no reason at {origin}"
        assert found["x-dlq-original-topic"] == topic.encode()
        if "x-dlq-stored-as" in found:  # too large for the DLQ topic: the original is kept
            assert found["x-dlq-stored-as"].startswith(b"dead_letter:")
            assert message.value() is None
    assert [place for place, n in dead_at.items() if n > 1] == [], f"seed {seed}: DLQ duplicates"
    assert provisions, f"seed {seed}: nothing recorded"
    assert max(provisions.values()) == 1, f"seed {seed}: a request twice"
    assert rejections <= failed_outcomes, f"seed {seed}: a rejection without its outcome"

    fates: Counter[str] = Counter()
    for index, message in enumerate(corpus):
        where = f"seed {seed}, message {index} ({message.kind}) at {places[index]}"
        in_dlq = dead_at[places[index]]
        if message.expect == RECORDED:
            assert message.request_id is not None
            assert provisions[message.request_id] == 1, where
            assert in_dlq == 0, where
        elif message.expect == DEAD_LETTER:
            assert in_dlq == 1, where
        else:
            assert message.request_id is not None
            recorded = provisions[message.request_id]
            rejected = int(message.request_id in rejections)
            assert recorded + rejected + in_dlq == 1, (where, recorded, rejected, in_dlq)
            fates["recorded" if recorded else "rejected" if rejected else "dead-lettered"] += 1
    print(f"seed {seed}: hostile but decodable messages: {dict(fates)}; DLQ {len(dead)}")

    for proc in processes:
        proc.send_signal(signal.SIGTERM)
    assert [proc.wait(30) for proc in processes] == [0, 0], world.text()[-5000:]

"""The real broker and the real database answer: the ground every other test stands on."""

from __future__ import annotations

import time
import uuid

import psycopg
import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from tests.conftest import TopicFactory
from tests.services import Services

pytestmark = [pytest.mark.kafka]


def _consumer(services: Services, group: str, **extra: object) -> Consumer:
    return Consumer(
        {
            "bootstrap.servers": services.kafka_bootstrap,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            **extra,
        }
    )


def test_produced_message_is_consumed_back(
    services: Services, make_topic: TopicFactory, group_id: str
) -> None:
    topic = make_topic()
    payload = uuid.uuid4().bytes
    producer = Producer(
        {"bootstrap.servers": services.kafka_bootstrap, "acks": "all", "enable.idempotence": True}
    )
    delivered = []
    producer.produce(
        topic,
        key=b"domain:example.com",
        value=payload,
        headers=[("traceparent", b"00-abc-def-01")],
        on_delivery=lambda err, msg: delivered.append((err, msg)),
    )
    assert producer.flush(30) == 0
    assert delivered[0][0] is None

    consumer = _consumer(services, group_id)
    consumer.subscribe([topic])
    try:
        message = None
        deadline = time.monotonic() + 30
        while message is None and time.monotonic() < deadline:
            message = consumer.poll(0.5)
        assert message is not None
        assert message.error() is None
        assert message.key() == b"domain:example.com"
        assert message.value() == payload
        assert dict(message.headers() or [])["traceparent"] == b"00-abc-def-01"
    finally:
        consumer.close()


def test_two_group_members_split_four_partitions(
    services: Services, make_topic: TopicFactory, group_id: str
) -> None:
    topic = make_topic(partitions=4)
    members = [
        _consumer(services, group_id, **{"partition.assignment.strategy": "cooperative-sticky"})
        for _ in range(2)
    ]
    for member in members:
        member.subscribe([topic])
    try:
        deadline = time.monotonic() + 60
        assignments: list[set[int]] = [set(), set()]
        while time.monotonic() < deadline:
            for member in members:
                member.poll(0.2)
            assignments = [{tp.partition for tp in m.assignment()} for m in members]
            if all(len(a) == 2 for a in assignments):
                break
        assert all(len(a) == 2 for a in assignments), assignments
        assert assignments[0].isdisjoint(assignments[1])
        assert assignments[0] | assignments[1] == {0, 1, 2, 3}
        committed = members[0].committed([TopicPartition(topic, 0)], timeout=10)
        assert committed[0].offset < 0  # nothing consumed yet: no offset committed
    finally:
        for member in members:
            member.close()


@pytest.mark.postgres
def test_sql_round_trip(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        conn.execute("CREATE TABLE note (id UUID PRIMARY KEY, body JSONB NOT NULL)")
        note_id = uuid.uuid4()
        conn.execute("INSERT INTO note VALUES (%s, %s::jsonb)", (note_id, '{"fqdn": "a.com"}'))
        row = conn.execute("SELECT id, body FROM note").fetchone()
        version = conn.execute("SHOW server_version_num").fetchone()
    assert row == (note_id, {"fqdn": "a.com"})
    assert version is not None
    assert int(version[0]) >= 150000

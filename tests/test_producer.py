"""RequestProducer against the real Kafka broker."""

from __future__ import annotations

import io
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, Message, TopicPartition
from confluent_kafka.admin import (  # type: ignore[attr-defined]  # re-export untyped
    AdminClient,
    NewTopic,
)
from fastavro import schemaless_reader
from fastavro.schema import load_schema

from producers.requests import CONTENT_TYPE, RequestProducer
from provisioning.errors import DeliveryError, InvalidRequest
from provisioning.settings import Settings
from tests.conftest import TopicFactory, unique_name
from tests.services import Services

pytestmark = [pytest.mark.kafka]

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
# the schema file itself, read by fastavro alone: not the codec the producer writes with
REQUEST_SCHEMA = load_schema(
    str(Path(__file__).resolve().parent.parent / "schemas" / "provisioning.ProvisionRequest.avsc")
)


def request(name: str = "example.com", **extra: Any) -> dict[str, Any]:
    return {
        "action": "provision_domain",
        "tenant_customer_id": "30000000-0000-4000-8000-000000000001",
        "accreditation": "alpha-registry",
        "payload": {"name": name, "registration_period": 1},
        "requested_at": datetime(2026, 5, 4, 3, 2, 1, 123000, tzinfo=UTC),  # whole ms
        **extra,
    }


@dataclass(frozen=True)
class Record:
    """What a test looks at in a consumed message."""

    key: str
    value: bytes
    partition: int
    headers: dict[str, bytes]

    @classmethod
    def of(cls, message: Message) -> Record:
        key, value, partition = message.key(), message.value(), message.partition()
        assert isinstance(key, bytes)
        assert isinstance(value, bytes)
        assert partition is not None
        raw_headers = message.headers() or []
        items = raw_headers.items() if isinstance(raw_headers, dict) else raw_headers
        headers = {
            name: raw.encode() if isinstance(raw, str) else raw or b"" for name, raw in items
        }
        return cls(key.decode(), value, partition, headers)


def consume(bootstrap: str, topic: str, count: int, timeout: float = 30.0) -> list[Record]:
    """Read ``count`` messages of ``topic`` from the beginning."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": unique_name("read"),
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    messages: list[Record] = []
    deadline = time.monotonic() + timeout
    try:
        while len(messages) < count and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None:
                continue
            assert message.error() is None, message.error()
            messages.append(Record.of(message))
    finally:
        consumer.close()
    assert len(messages) == count, f"read {len(messages)} of {count} messages from {topic}"
    return messages


def message_count(bootstrap: str, topic: str, partitions: int = 1) -> int:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": unique_name("count")})
    try:
        return sum(
            consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in range(partitions)
        )
    finally:
        consumer.close()


def read_request(value: bytes) -> dict[str, Any]:
    """A ProvisionRequest as any Avro reader sees it: C3 01, an 8-byte fingerprint, the body."""
    assert value[:2] == b"\xc3\x01"
    datum = schemaless_reader(io.BytesIO(value[10:]), REQUEST_SCHEMA, None)
    assert isinstance(datum, dict)
    return datum


def test_sent_request_is_consumed_back(
    services: Services, settings: Settings, make_topic: TopicFactory
) -> None:
    topic = make_topic()
    with RequestProducer(settings) as producer:
        request_id = producer.send(request(), topic=topic, traceparent=TRACEPARENT)

    (message,) = consume(services.kafka_bootstrap, topic, 1)
    assert message.key == "domain:example.com"
    assert message.headers == {
        "traceparent": TRACEPARENT.encode(),
        "content-type": CONTENT_TYPE.encode(),
    }
    assert read_request(message.value) == {
        "request_id": uuid.UUID(request_id),
        "tenant_customer_id": uuid.UUID("30000000-0000-4000-8000-000000000001"),
        "accreditation": "alpha-registry",
        "action": "provision_domain",
        "payload": {
            "name": "example.com",
            "registration_period": 1,
            "pw": None,
            "registrant": None,
            "admin_contact": None,
            "tech_contact": None,
            "billing_contact": None,
            "nameservers": [],
        },
        "order_item_plan_ids": [],
        "order_metadata": {},
        "requested_at": datetime(2026, 5, 4, 3, 2, 1, 123000, tzinfo=UTC),
    }


def test_default_topic_and_new_traceparent(services: Services, settings: Settings) -> None:
    actions = unique_name("actions").replace("_", ".")  # auto-created by the broker
    with RequestProducer(settings.model_copy(update={"topic_actions": actions})) as producer:
        producer.send(request())
    (message,) = consume(services.kafka_bootstrap, actions, 1)
    traceparent = message.headers["traceparent"].decode()
    version, trace_id, span_id, flags = traceparent.split("-")
    assert (version, len(trace_id), len(span_id), flags) == ("00", 32, 16, "01")
    int(trace_id + span_id, 16)


def test_same_object_lands_in_the_same_partition(
    services: Services, settings: Settings, make_topic: TopicFactory
) -> None:
    topic = make_topic(partitions=4)
    names = ["example.com", "Example.COM.", "other.example", "third.example", "example.com"]
    with RequestProducer(settings) as producer:
        for name in names:
            producer.send(request(name), topic=topic)

    messages = consume(services.kafka_bootstrap, topic, len(names))
    partitions: dict[str, set[int]] = {}
    for message in messages:
        partitions.setdefault(message.key, set()).add(message.partition)
    assert sorted(partitions) == [
        "domain:example.com",
        "domain:other.example",
        "domain:third.example",
    ]
    assert len(partitions["domain:example.com"]) == 1
    assert sum(1 for m in messages if m.key == "domain:example.com") == 3


def test_full_local_queue_is_waited_out_not_dropped(
    services: Services, settings: Settings, make_topic: TopicFactory
) -> None:
    topic = make_topic()
    overrides: dict[str, Any] = {"queue.buffering.max.messages": 1, "linger.ms": 50}
    with RequestProducer(settings, **overrides) as producer:
        for number in range(20):
            producer.send(request(f"d{number}.example"), topic=topic)
    assert message_count(services.kafka_bootstrap, topic) == 20


def test_invalid_request_is_never_produced(
    services: Services, settings: Settings, make_topic: TopicFactory
) -> None:
    topic = make_topic()
    with RequestProducer(settings) as producer:
        with pytest.raises(InvalidRequest, match="tenant_customer_id"):
            producer.send(request(tenant_customer_id="nope"), topic=topic)
        with pytest.raises(InvalidRequest, match="ProvisionRequest does not fit"):
            producer.send({**request(), "payload": {"nam": "example.com"}}, topic=topic)
        with pytest.raises(InvalidRequest, match="traceparent"):
            producer.send(request(), topic=topic, traceparent="not-a-trace")
    assert message_count(services.kafka_bootstrap, topic) == 0


def test_delivery_failure_is_a_delivery_error(
    services: Services, settings: Settings, kafka_admin: AdminClient
) -> None:
    topic = unique_name("small").replace("_", ".")
    kafka_admin.create_topics(
        [
            NewTopic(
                topic, num_partitions=1, replication_factor=1, config={"max.message.bytes": "1000"}
            )
        ]
    )[topic].result(timeout=30)
    too_big = request(action="provision_domain_restore")
    too_big["payload"] = {"name": "example.com", "restore_report": "x" * 5000}
    overrides: dict[str, Any] = {"message.timeout.ms": 5000, "compression.type": "none"}
    producer = RequestProducer(settings, **overrides)

    producer.send(too_big, topic=topic)
    with pytest.raises(DeliveryError, match=rf"{topic}: domain:example\.com: .*too large"):
        producer.flush(15)

    producer.send(too_big, topic=topic)  # the failure is also raised by the next send
    deadline = time.monotonic() + 15
    with pytest.raises(DeliveryError, match=topic):  # noqa: PT012 - poll until it surfaces
        while time.monotonic() < deadline:
            producer.send(request(), topic=topic)
            time.sleep(0.2)

    producer.flush(15)  # failures are reported once; the producer stays usable
    assert message_count(services.kafka_bootstrap, topic) >= 1

"""RequestProducer against the real Kafka broker."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from confluent_kafka import Consumer, Message, TopicPartition
from confluent_kafka.admin import (  # type: ignore[attr-defined]  # re-export untyped
    AdminClient,
    NewTopic,
)

from producers.requests import CONTENT_TYPE, RequestProducer
from provisioning.errors import DeliveryError, InvalidRequest
from provisioning.settings import Settings
from schemas.codec import SingleObjectCodec
from schemas.requests import REQUEST, build_request
from tests.conftest import TopicFactory
from tests.services import Services

pytestmark = [pytest.mark.kafka]

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


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
            "group.id": f"read-{topic}",
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
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"count-{topic}"})
    try:
        return sum(
            consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in range(partitions)
        )
    finally:
        consumer.close()


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
    decoded = SingleObjectCodec().decode(REQUEST, message.value, topic)
    expected = build_request(request(request_id=request_id))
    normalized = {
        **decoded,
        "request_id": str(decoded["request_id"]),  # fastavro reads uuid as uuid.UUID
        "tenant_customer_id": str(decoded["tenant_customer_id"]),
        "payload": {k: decoded["payload"][k] for k in expected["payload"]},
    }
    assert normalized == expected


def test_default_topic_and_new_traceparent(services: Services, settings: Settings) -> None:
    actions = f"actions.{time.monotonic_ns()}"  # auto-created by the broker
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
    topic = f"small.{time.monotonic_ns()}"
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

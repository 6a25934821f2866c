"""Queueing a message with confluent-kafka without ever dropping it.

librdkafka queues messages locally and delivers them in the background; when the
local queue is full, ``produce`` raises ``BufferError``. Every producer of this
project (requests, the relay, the DLQ writer) answers that the same way: serve
delivery reports until there is room, then queue the message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from confluent_kafka import Producer

Headers = list[tuple[str, str | bytes | None]]


def produce_waiting(
    producer: Producer,
    topic: str,
    *,
    key: bytes | None,
    value: bytes | None,
    headers: Headers,
    on_delivery: Callable[..., Any],
    wait_seconds: float = 0.1,
) -> None:
    """Queue one message, waiting out a full local queue; KafkaException propagates."""
    while True:
        try:
            producer.produce(topic, key=key, value=value, headers=headers, on_delivery=on_delivery)
        except BufferError:
            producer.poll(wait_seconds)
            continue
        producer.poll(0)
        return


__all__ = ["Headers", "produce_waiting"]

"""The request producer any component uses to ask for a provision action.

    with RequestProducer(load_settings()) as producer:
        request_id = producer.send({"action": "provision_domain", ...})

Each request is checked and encoded before anything is sent (InvalidRequest),
keyed by its object (``domain:example.com``) so one object's requests stay in
order on one partition, and produced idempotently with ``acks=all``. A delivery
that librdkafka gives up on is raised as DeliveryError on the next ``send`` or on
``flush``; a full local queue is waited out, never dropped.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from confluent_kafka import KafkaException

from provisioning import kafka
from provisioning.errors import DeliveryError, InvalidRequest
from provisioning.settings import Settings
from schemas.codec import Codec, close_codec, codec_from_settings
from schemas.requests import ACTIONS, REQUEST, build_request, object_key, to_avro

CONTENT_TYPE = "application/vnd.provisioning.request+avro"
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")


def new_traceparent() -> str:
    """A fresh W3C trace context: version 00, random trace and span ids, sampled."""
    return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


@dataclass(frozen=True)
class EncodedRequest:
    """A request checked and encoded, ready to produce."""

    request_id: str
    action: str
    topic: str
    key: str
    value: bytes
    headers: tuple[tuple[str, bytes], ...]


class RequestProducer:
    """Publishes ``ProvisionRequest`` messages; one instance per process is enough."""

    def __init__(
        self, settings: Settings, *, codec: Codec | None = None, **librdkafka_overrides: Any
    ) -> None:
        self._settings = settings
        self._own_codec = codec is None  # closed on leaving the ``with`` block
        self._codec = codec if codec is not None else codec_from_settings(settings)
        self._producer = kafka.producer(settings, **{"linger.ms": 5, **librdkafka_overrides})
        self._failures: list[str] = []

    def encode(
        self,
        request: Mapping[str, Any],
        *,
        topic: str | None = None,
        traceparent: str | None = None,
    ) -> EncodedRequest:
        """Check and encode ``request`` without sending it; raise InvalidRequest if it is bad."""
        if traceparent is not None and not _TRACEPARENT.match(traceparent):
            raise InvalidRequest(f"traceparent {traceparent!r} is not a W3C trace context")
        datum = build_request(request)
        target = topic or self._settings.topic_actions
        value = self._codec.encode(REQUEST, to_avro(datum), target)
        key = object_key(ACTIONS[datum["action"]], datum["payload"], datum["request_id"])
        headers = (
            ("traceparent", (traceparent or new_traceparent()).encode()),
            ("content-type", CONTENT_TYPE.encode()),
        )
        return EncodedRequest(datum["request_id"], datum["action"], target, key, value, headers)

    def produce(self, message: EncodedRequest) -> str:
        """Queue an encoded request for delivery; returns its request_id."""
        self._raise_failures()
        try:
            kafka.produce(
                self._producer,
                message.topic,
                key=message.key.encode(),
                value=message.value,
                headers=list(message.headers),
                on_delivery=self._on_delivery,
            )
        except KafkaException as exc:
            raise DeliveryError(f"{message.topic}: {message.key}: {exc}") from exc
        return message.request_id

    def send(
        self,
        request: Mapping[str, Any],
        *,
        topic: str | None = None,
        traceparent: str | None = None,
    ) -> str:
        """Check, encode and queue one request (to the actions topic by default)."""
        return self.produce(self.encode(request, topic=topic, traceparent=traceparent))

    def flush(self, timeout: float = 30.0) -> None:
        """Wait for every queued message; raise DeliveryError if any failed or is still queued."""
        remaining = self._producer.flush(timeout)
        if remaining:
            self._failures.append(f"{remaining} message(s) still undelivered after {timeout:g} s")
        self._raise_failures()

    def _on_delivery(self, err: Any, msg: Any) -> None:
        if err is not None:
            key = msg.key().decode(errors="replace") if msg.key() else "?"
            self._failures.append(f"{msg.topic()}: {key}: {err.str()}")

    def _raise_failures(self) -> None:
        if self._failures:
            failures, self._failures = self._failures, []
            more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
            raise DeliveryError(f"not delivered: {failures[0]}{more}")

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                self.flush()
            else:  # still deliver what was sent, without hiding the error in flight
                self._producer.flush(30.0)
        finally:
            if self._own_codec:
                close_codec(self._codec)


__all__ = ["CONTENT_TYPE", "EncodedRequest", "RequestProducer", "new_traceparent"]

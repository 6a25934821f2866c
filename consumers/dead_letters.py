"""Where a consumer loop puts the messages it cannot handle: a DLQ topic, or only a count.

- :class:`KafkaDeadLetters` writes each message to ``<topic><PROVISIONING_DLQ_SUFFIX>``
  with its original key, value and headers plus ``x-dlq-*`` headers saying why
  and where it came from (docs/ingest.md). The write cannot fail on the
  message's size or content:

  * the reason headers are cut to a bounded size and never carry a NUL;
  * a message too large for the DLQ topic (above
    ``PROVISIONING_DLQ_MAX_MESSAGE_BYTES``, or refused by the broker as too large)
    keeps its key, value and headers in the ``dead_letter`` table, and its DLQ
    copy carries the header ``x-dlq-stored-as: dead_letter:<id>`` instead;
  * each dead letter is recorded in ``dead_letter`` before it is produced and
    marked once Kafka acknowledged it, so a consumer that reads the same message
    again after a restart does not dead-letter it twice.

  A broker that does not acknowledge is the infrastructure failing: ``flush``
  raises :class:`~provisioning.errors.DeliveryError`, the loop retries, and
  nothing is committed meanwhile.
- :class:`CountedDeadLetters` only counts (dry runs).
"""

from __future__ import annotations

import base64
import json
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import psycopg
from confluent_kafka import KafkaError, KafkaException, Message, Producer

from provisioning import kafka, observability
from provisioning.errors import DecodeError, DeliveryError
from provisioning.failures import clip, describe, sqlstate
from provisioning.settings import Settings
from provisioning.sqlfiles import query

log = logging.getLogger(__name__)

DLQ_PREFIX = "x-dlq-"
STORED_AS = DLQ_PREFIX + "stored-as"
ENVELOPE_BYTES = 4096  # room for the x-dlq-* headers and the record's framing
DELIVERY_TIMEOUT = 30.0


@dataclass(frozen=True)
class Letter:
    message: Message
    error: BaseException


class DeadLetters(Protocol):
    counts: Counter[str]

    def add(self, message: Message, error: BaseException) -> None: ...

    def flush(self, conn: psycopg.Connection[Any]) -> Counter[str]: ...

    def close(self) -> None: ...


def _count(counts: Counter[str], letter: Letter) -> None:
    counts["dead_lettered"] += 1
    if isinstance(letter.error, DecodeError):
        counts["undecodable"] += 1


@dataclass
class CountedDeadLetters:
    """Counts what would be dead-lettered; writes nothing (dry runs)."""

    counts: Counter[str] = field(default_factory=Counter)
    _pending: Counter[str] = field(default_factory=Counter)

    def add(self, message: Message, error: BaseException) -> None:
        _count(self._pending, Letter(message, error))

    def flush(self, conn: psycopg.Connection[Any]) -> Counter[str]:
        done, self._pending = self._pending, Counter()
        self.counts.update(done)
        return done

    def close(self) -> None:
        pass


def dlq_headers(message: Message, error: BaseException, group_id: str) -> kafka.Headers:
    """The ``x-dlq-*`` headers of a dead letter: why, and where it came from."""
    _, timestamp = message.timestamp()
    headers: kafka.Headers = [
        (DLQ_PREFIX + "error-class", clip(type(error).__name__, 200).encode()),
        (DLQ_PREFIX + "error-message", describe(error).encode(errors="replace")),
        (DLQ_PREFIX + "original-topic", (message.topic() or "").encode()),
        (DLQ_PREFIX + "original-partition", str(message.partition()).encode()),
        (DLQ_PREFIX + "original-offset", str(message.offset()).encode()),
        (DLQ_PREFIX + "original-timestamp", str(timestamp).encode()),
        (DLQ_PREFIX + "consumer-group", group_id.encode()),
    ]
    state = sqlstate(error)
    if state:
        headers.append((DLQ_PREFIX + "sqlstate", clip(state, 16).encode()))
    return headers


def original_headers(message: Message) -> kafka.Headers:
    return [(str(entry[0]), entry[1]) for entry in message.headers() or []]


def record_size(key: bytes | None, value: bytes | None, headers: kafka.Headers) -> int:
    size = len(key or b"") + len(value or b"")
    for name, content in headers:
        size += len(name.encode(errors="replace")) + len(content or b"")
    return size


def _b64(data: str | bytes | None) -> str | None:
    if data is None:
        return None
    raw = data.encode(errors="surrogatepass") if isinstance(data, str) else data
    return base64.b64encode(raw).decode()


@dataclass
class _Sent:
    letter: Letter
    row_id: int
    stored: bool
    error: KafkaError | None = None
    delivered: bool = False

    def __call__(self, err: KafkaError | None, _: Message) -> None:
        self.error, self.delivered = err, err is None


class KafkaDeadLetters:
    """Writes dead letters to the DLQ topics, recorded in ``dead_letter`` (see the module doc)."""

    def __init__(self, settings: Settings, group_id: str, component: str = "consumer") -> None:
        self.settings = settings
        self.group_id = group_id
        self.component = component
        self.max_bytes = settings.dlq_max_message_bytes
        self.counts: Counter[str] = Counter()
        self._pending: list[Letter] = []
        self._producer: Producer | None = None

    def add(self, message: Message, error: BaseException) -> None:
        self._pending.append(Letter(message, error))

    def flush(self, conn: psycopg.Connection[Any]) -> Counter[str]:
        """Record, produce and confirm every pending dead letter; raises DeliveryError.

        Returns the counts of this flush (``dead_lettered``, ``undecodable``,
        ``dead_letter_repeats``); a retried flush records nothing twice.
        """
        done: Counter[str] = Counter()
        if not self._pending:
            return done
        sends = [self._record(conn, letter, done) for letter in self._pending]
        fresh = [sent for sent in sends if sent is not None]
        for sent in fresh:
            self._produce(conn, sent)
        self._wait(fresh)
        refused = [s for s in fresh if s.error is not None and _too_large(s.error)]
        for sent in refused:  # the topic allows less than we thought: keep it in the table
            self._store(conn, sent)
            self._produce(conn, sent)
        self._wait(refused)
        failed = [s for s in fresh if not s.delivered]
        if failed:
            reasons = sorted({str(s.error or "no delivery report") for s in failed})
            raise DeliveryError(f"could not write {len(failed)} message(s) to the DLQ: {reasons}")
        conn.execute(query("consumer", "dead_letter_produced"), {"ids": [s.row_id for s in fresh]})
        for sent in fresh:
            self._log(sent)
        self._pending.clear()
        self.counts.update(done)
        return done

    def close(self) -> None:
        if self._producer is not None:
            self._producer.flush(10)

    # ------------------------------------------------------------------ steps

    def _record(
        self, conn: psycopg.Connection[Any], letter: Letter, done: Counter[str]
    ) -> _Sent | None:
        message = letter.message
        _, timestamp = message.timestamp()
        row = conn.execute(
            query("consumer", "dead_letter_record"),
            {
                "group_id": self.group_id,
                "topic": message.topic() or "",
                "partition": message.partition() or 0,
                "offset": message.offset() or 0,
                "timestamp": timestamp,
                "error_class": type(letter.error).__name__,
                "reason": describe(letter.error),
            },
        ).fetchone()
        assert row is not None
        row_id, produced, stored = row
        if produced:
            done["dead_letter_repeats"] += 1
            log.info(
                "%s[%s]@%s was dead-lettered before; not again",
                message.topic(),
                message.partition(),
                message.offset(),
            )
            return None
        _count(done, letter)
        observability.DEAD_LETTERED.labels(self.component, message.topic() or "").inc()
        return _Sent(letter, int(row_id), bool(stored))

    def _produce(self, conn: psycopg.Connection[Any], sent: _Sent) -> None:
        message = sent.letter.message
        headers = original_headers(message)
        key, value = message.key(), message.value()
        size = record_size(key, value, headers) + ENVELOPE_BYTES
        if not sent.stored and size > self.max_bytes:
            self._store(conn, sent)
        envelope = dlq_headers(message, sent.letter.error, self.group_id)
        if sent.stored:  # the original lives in the table; the copy points to it
            headers, value = [(STORED_AS, f"dead_letter:{sent.row_id}".encode())], None
            key = clip(key.decode(errors="replace"), 1000).encode() if key else key
        sent.error, sent.delivered = None, False
        try:
            kafka.produce(
                self._client(),
                self.settings.dlq_topic(message.topic() or ""),
                key=key,
                value=value,
                headers=[*headers, *envelope],
                on_delivery=sent,
            )
        except KafkaException as exc:
            error = exc.args[0] if exc.args else None
            if not isinstance(error, KafkaError) or not _too_large(error) or sent.stored:
                raise
            self._store(conn, sent)
            self._produce(conn, sent)

    def _store(self, conn: psycopg.Connection[Any], sent: _Sent) -> None:
        message = sent.letter.message
        conn.execute(
            query("consumer", "dead_letter_store"),
            {
                "id": sent.row_id,
                "key": message.key(),
                "value": message.value(),
                "headers": json.dumps(
                    [[_b64(name), _b64(value)] for name, value in original_headers(message)]
                ),
            },
        )
        sent.stored = True

    def _wait(self, sends: Sequence[_Sent]) -> None:
        if sends and self._producer is not None:
            self._producer.flush(DELIVERY_TIMEOUT)

    def _client(self) -> Producer:
        if self._producer is None:
            self._producer = kafka.producer(
                self.settings,
                **{
                    "message.max.bytes": self.max_bytes,
                    "message.timeout.ms": int(DELIVERY_TIMEOUT * 1000) - 1000,
                },
            )
        return self._producer

    def _log(self, sent: _Sent) -> None:
        message = sent.letter.message
        log.warning(
            "dead-lettered %s[%s]@%s%s: %s",
            message.topic(),
            message.partition(),
            message.offset(),
            f" (original kept as dead_letter {sent.row_id})" if sent.stored else "",
            describe(sent.letter.error, 300),
        )


def _too_large(error: KafkaError) -> bool:
    return error.code() in (
        KafkaError.MSG_SIZE_TOO_LARGE,
        KafkaError.RECORD_LIST_TOO_LARGE,
        KafkaError.INVALID_RECORD,
    )


__all__ = [
    "DLQ_PREFIX",
    "STORED_AS",
    "CountedDeadLetters",
    "DeadLetters",
    "KafkaDeadLetters",
    "dlq_headers",
    "record_size",
]

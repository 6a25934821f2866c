"""An outbox row that can never be published is parked; the other keys flow on.

On the real Kafka: the outcomes topic takes messages of at most 1000 bytes, so a
failed outcome with a long message is refused by the broker every time.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import (  # type: ignore[attr-defined]  # re-export untyped
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewTopic,
)

from producers import parked
from producers.relay import OUTCOMES, Relay
from provisioning.cli import main
from provisioning.settings import Settings
from tests.conftest import unique_name
from tests.db.helpers import Conn, fetch_all, named
from tests.services import Services

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


@pytest.fixture
def topic(kafka_admin: AdminClient) -> str:
    name = unique_name("outcomes-small").replace("_", ".")
    kafka_admin.create_topics(
        [
            NewTopic(
                name, num_partitions=1, replication_factor=1, config={"max.message.bytes": "1000"}
            )
        ]
    )[name].result(timeout=30)
    return name


@pytest.fixture
def settings(services: Services, provisioning_db: str, topic: str) -> Settings:
    return Settings(
        kafka_bootstrap_servers=services.kafka_bootstrap,
        database_url=provisioning_db,
        topic_outcomes=topic,
        relay_max_attempts=3,
    )


@pytest.fixture
def relay(settings: Settings) -> Iterator[Relay]:
    relay = Relay(
        settings,
        OUTCOMES,
        poll_seconds=0.2,
        backoff_seconds=0.05,
        delivery_timeout=5.0,
        producer_overrides={"linger.ms": 0, "batch.num.messages": 1},
    )
    thread = threading.Thread(target=relay.run, name="relay", daemon=True)
    thread.start()
    yield relay
    relay.stop()
    thread.join(30)
    assert not thread.is_alive()


def outcome(db: Conn, order_id: str, message: str = "bad period") -> uuid.UUID:
    """A failed outcome keyed by ``order_id`` (provision_reject, ingest's path)."""
    request_id = uuid.uuid4()
    named(
        db,
        "provision",
        "reject",
        request_id=request_id,
        action="provision_domain",
        message=message,
        sqlstate="PV004",
        order_metadata={"order_id": order_id},
    )
    return request_id


def rows(db: Conn) -> dict[uuid.UUID, dict[str, Any]]:
    return {
        row["request_id"]: row
        for row in fetch_all(db, "SELECT id, request_id, sent_date FROM outbox ORDER BY id")
    }


def published(bootstrap: str, topic: str) -> list[tuple[bytes, bytes]]:
    """(key, value) of every message on the topic, in offset order."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": unique_name("read"),
            "enable.auto.commit": False,
        }
    )
    try:
        end = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)[1]
        consumer.assign([TopicPartition(topic, 0, 0)])
        keys: list[tuple[bytes, bytes]] = []
        deadline = time.monotonic() + 30
        while len(keys) < end and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                keys.append((message.key() or b"", message.value() or b""))
        return keys
    finally:
        consumer.close()


def wait_for(condition: Any, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_row_the_broker_always_refuses_is_parked_and_the_other_keys_flow_on(
    db: Conn,
    settings: Settings,
    relay: Relay,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PROVISIONING_DATABASE_URL", settings.database_url.get_secret_value())
    first = outcome(db, "order-1")
    big = outcome(db, "order-2", message="x" * 1500)  # over the topic's 1000 bytes
    behind = outcome(db, "order-2")  # same key: waits behind the big one
    others = [outcome(db, f"order-{n}") for n in (3, 4, 1)]
    wait_for(
        lambda: all(rows(db)[r]["sent_date"] for r in [first, *others]),
        "the other keys published",
    )
    state = rows(db)
    assert state[big]["sent_date"] is None
    assert state[behind]["sent_date"] is None
    assert relay.counts["parked"] == 1
    (row,) = parked.parked(settings)
    assert (row["outbox"], row["row_id"], row["message_key"], row["attempts"]) == (
        "outcomes",
        state[big]["id"],
        "order-2",
        3,
    )
    assert "MSG_SIZE_TOO_LARGE" in row["reason"] or "too large" in row["reason"]
    (outcomes,) = [o for o in named(db, "status", "outbox_backlog") if o["outbox"] == "outcomes"]
    assert (outcomes["unsent"], outcomes["parked"]) == (2, 1)

    # the operator: `outbox list` says so (exit 3, a check found something); a drop
    # without --execute changes nothing
    assert main(["outbox", "list"]) == 3
    assert f"{state[big]['id']}" in capsys.readouterr().out
    assert main(["outbox", "drop", "outcomes", str(state[big]["id"])]) == 0
    assert "would drop" in capsys.readouterr().out
    assert rows(db)[behind]["sent_date"] is None

    # dropped: the big row is never published, the row behind it now is
    assert main(["outbox", "drop", "outcomes", str(state[big]["id"]), "--execute"]) == 0
    wait_for(lambda: rows(db)[behind]["sent_date"] is not None, "the row behind published")
    assert parked.parked(settings) == []
    messages = published(settings.kafka_bootstrap_servers, settings.topic_outcomes)
    # at least once (rows after a failed one in a window may be delivered before the
    # failure is known, and are sent again): every other row arrived, the big one never
    assert {key for key, _ in messages} == {b"order-1", b"order-2", b"order-3", b"order-4"}
    assert not [value for _, value in messages if b"x" * 1000 in value]


def test_a_parked_row_retried_after_its_cause_is_fixed_is_published_before_its_key(
    db: Conn, settings: Settings, kafka_admin: AdminClient, relay: Relay
) -> None:
    topic = settings.topic_outcomes
    big = outcome(db, "order-9", message="y" * 1500)
    behind = outcome(db, "order-9")
    wait_for(lambda: relay.counts["parked"] == 1, "the big row parked")
    with pytest.raises(parked.ParkedError, match="not parked"):
        parked.retry(settings, "outcomes", rows(db)[behind]["id"])

    raise_limit = ConfigEntry(
        "max.message.bytes", "1048576", incremental_operation=AlterConfigOpType.SET
    )
    for done in kafka_admin.incremental_alter_configs(
        [ConfigResource("topic", topic, incremental_configs=[raise_limit])]
    ).values():
        done.result(timeout=30)
    parked.retry(settings, "outcomes", rows(db)[big]["id"])
    # the broker applies a topic's config asynchronously: the row may fail (and be
    # parked) again meanwhile; an operator would retry once more
    deadline = time.monotonic() + 60
    while rows(db)[behind]["sent_date"] is None and time.monotonic() < deadline:
        if parked.parked(settings):
            parked.retry(settings, "outcomes", rows(db)[big]["id"])
        time.sleep(0.2)
    state = rows(db)
    assert state[big]["sent_date"] is not None
    assert state[behind]["sent_date"] is not None
    assert fetch_all(db, "SELECT * FROM outbox_parked") == []  # published: failures forgotten
    messages = published(settings.kafka_bootstrap_servers, topic)
    assert [key for key, _ in messages[-2:]] == [b"order-9", b"order-9"]
    assert b"y" * 1500 in messages[-2][1]  # the last copies in id order: the big one first

"""Where a message goes when handling it fails: the promises of docs/ingest.md,
docs/dlq.md and docs/orders.md for the paths that are not the happy one.

- a request whose payload is not its action's record is a failed outcome;
- a refused request whose rejection cannot be recorded either goes to the DLQ
  with the SQLSTATE of the database error that put it there;
- an outcome the order schema refuses goes to the outcomes DLQ with its reason.

Each test runs the real consumer loop in-process against the real Kafka and
PostgreSQL, and reads the DLQ back from Kafka.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from confluent_kafka import Producer

from consumers.dlq import DeadLetter, read_topic
from consumers.ingest import ingest_loop
from consumers.loop import LoopStats
from consumers.order_service import order_service_loop
from producers.orders import domain_item, order_status, place_order
from provisioning.settings import Settings
from schemas.codec import SingleObjectCodec
from schemas.requests import OUTCOME, REQUEST, build_request, to_avro
from tests.builders import ALICE, domain_create
from tests.conftest import TopicFactory, unique_name
from tests.services import Services

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

CODEC = SingleObjectCodec()


@dataclass
class Env:
    """Fresh one-partition topics, consumer groups and database for one test."""

    settings: Settings
    database_url: str

    def publish(self, topic: str, *messages: tuple[bytes, bytes]) -> None:
        """``(key, value)`` pairs to partition 0 of ``topic``, in this order."""
        producer = Producer({"bootstrap.servers": self.settings.kafka_bootstrap_servers})
        for key, value in messages:
            producer.produce(topic, key=key, value=value, partition=0)
        assert producer.flush(30) == 0

    def ingest(self) -> LoopStats:
        topics = [self.settings.topic_orders, self.settings.topic_actions]
        loop = ingest_loop(self.settings, topics, poll_timeout=0.25)
        return loop.run(max_idle_polls=4)

    def dead_letters(self, topic: str) -> list[DeadLetter]:
        return read_topic(self.settings, self.settings.dlq_topic(topic)) or []

    def rows(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.database_url) as conn:
            return conn.execute(sql, params).fetchall()


@pytest.fixture
def env(services: Services, provisioning_db: str, make_topic: TopicFactory) -> Env:
    settings = Settings(
        kafka_bootstrap_servers=services.kafka_bootstrap,
        database_url=provisioning_db,  # pydantic coerces to SecretStr
        topic_orders=make_topic(prefix="orders"),
        topic_actions=make_topic(prefix="actions"),
        topic_outcomes=make_topic(prefix="outcomes"),
        group_ingest=unique_name("ingest"),
        group_order_service=unique_name("orders"),
    )
    return Env(settings, provisioning_db)


def encoded(request: dict[str, Any], **replace: Any) -> bytes:
    """``request`` as ingest reads it, with envelope fields replaced after it was built
    (so the payload keeps its own record while ``action`` may name another)."""
    return CODEC.encode(REQUEST, {**to_avro(build_request(request)), **replace})


def a_create_with_a_renew_payload(plan: uuid.UUID) -> tuple[str, bytes]:
    """A request for ``provision_domain`` whose payload is a DomainRenew record."""
    renew = {
        "action": "provision_domain_renew",
        "tenant_customer_id": ALICE,
        "accreditation": "alpha-registry",
        "payload": {"name": "mismatch.com", "period": 2, "current_expiry_date": None},
        "order_item_plan_ids": [str(plan)],
        "order_metadata": {"order_id": "order-mismatch"},
    }
    request_id = str(uuid.uuid4())
    return request_id, encoded(
        {**renew, "request_id": request_id},
        action="provision_domain",  # the envelope says create; the payload is a renew
    )


# ---------------------------------------------------------------------- ingest


def test_a_payload_that_is_not_its_actions_record_is_a_failed_outcome(env: Env) -> None:
    """docs/ingest.md, "What happens to a bad request": a request that decodes but whose
    payload does not match its action gets a failed outcome (``provision_reject``)."""
    plan = uuid.uuid4()
    mismatched, value = a_create_with_a_renew_payload(plan)
    good = encoded(domain_create("after-the-mismatch.com"))
    env.publish(  # the order service's topic: its requests may name plans
        env.settings.topic_orders,
        (b"domain:mismatch.com", value),
        (b"domain:after-the-mismatch.com", good),
    )

    stats = env.ingest()  # returns: the mismatch did not stop the loop

    assert (stats.counts["rejected"], stats.counts["inserted"]) == (1, 1)
    assert stats.counts["dead_lettered"] == 0
    # nothing was provisioned for it: no create recorded from a renew's fields
    assert env.rows("SELECT name::text FROM provision_domain") == [("after-the-mismatch.com",)]
    assert env.rows("SELECT count(*) FROM class.provision WHERE request_id = %s", mismatched) == [
        (0,)
    ]
    # the requester is answered: one failed outcome for its plan, keyed by its order
    ((status, provision_id, action, message, plans, key),) = env.rows(
        "SELECT status, provision_id, action, result_message, order_item_plan_ids, message_key"
        " FROM outbox WHERE request_id = %s",
        mismatched,
    )
    assert (status, provision_id, action) == ("failed", None, "provision_domain")
    assert message == "the payload is not a DomainCreate, which action provision_domain needs"
    assert plans == [plan]
    assert key == "order-mismatch"
    assert env.rows(
        "SELECT action, sqlstate FROM provision_rejection WHERE request_id = %s", mismatched
    ) == [("provision_domain", "PV008")]
    assert env.dead_letters(env.settings.topic_orders) == []


def test_a_refusal_that_cannot_be_recorded_goes_to_the_dlq_with_its_sqlstate(env: Env) -> None:
    """docs/dlq.md, "What lands there": "decodes, but even recording the rejection fails"
    → ``<topic>.dlq``, "the database error's class, with ``x-dlq-sqlstate``"."""
    with psycopg.connect(env.database_url, autocommit=True) as conn:
        # every rejection the database is asked to record now breaks a constraint
        conn.execute(
            "ALTER TABLE provision_rejection ADD CONSTRAINT test_refuses_every_rejection"
            " CHECK (request_id IS NULL) NOT VALID"
        )
    invalid = encoded(domain_create("bad_name!.com"))  # refused by validation (class PV)
    _, mismatched = a_create_with_a_renew_payload(uuid.uuid4())  # refused before any SQL
    env.publish(
        env.settings.topic_actions,
        (b"domain:bad_name!.com", invalid),
        (b"domain:between.com", encoded(domain_create("between.com"))),
        (b"domain:mismatch.com", mismatched),
    )

    stats = env.ingest()

    assert (stats.counts["inserted"], stats.counts["rejected"]) == (1, 0)
    assert stats.counts["dead_lettered"] == 2
    assert env.rows("SELECT name::text FROM provision_domain") == [("between.com",)]
    assert env.rows("SELECT count(*) FROM outbox") == [(0,)]  # no answer could be recorded
    dead = env.dead_letters(env.settings.topic_actions)
    assert [(d.header("x-dlq-original-offset"), d.value) for d in dead] == [
        ("0", invalid),
        ("2", mismatched),
    ]
    for letter in dead:
        assert letter.header("x-dlq-sqlstate") == "23514", letter.headers
        assert letter.error_class == "CheckViolation"
        assert "test_refuses_every_rejection" in letter.reason
        assert letter.header("x-dlq-original-topic") == env.settings.topic_actions
        assert letter.header("x-dlq-consumer-group") == env.settings.group_ingest


# ---------------------------------------------------------------------- order service


def test_an_outcome_the_order_schema_refuses_goes_to_the_outcomes_dlq_with_its_reason(
    env: Env,
) -> None:
    """docs/dlq.md: "an outcome the order schema refuses (order-service consumer)" →
    ``provisioning.outcomes.dlq``, "the error's class, with ``x-dlq-sqlstate``"
    (docs/orders.md: "one the order schema refuses goes to the DLQ")."""
    with psycopg.connect(env.database_url) as conn:
        refused_order, applied_order = (
            place_order(
                conn,
                tenant_customer_id=ALICE,
                accreditation="alpha-registry",
                items=[domain_item(name)],
            )
            for name in ("refused-outcome.com", "applied-outcome.com")
        )

    def outcome(order: Any, result_data: str) -> bytes:
        return CODEC.encode(
            OUTCOME,
            {
                "event_id": str(uuid.uuid4()),
                "request_id": str(order.request_ids[0]),
                "provision_id": str(uuid.uuid4()),
                "action": "provision_domain",
                "status": "completed",
                "order_item_plan_ids": [str(order.plan_ids[0])],
                "result_message": None,
                "result_data": result_data,
                "occurred_at": datetime.now(UTC),
            },
        )

    # valid JSON, but a NUL character no JSONB can hold (SQLSTATE 22P05)
    refused = outcome(refused_order, json.dumps({"registry_message": "ok\x00"}))
    env.publish(
        env.settings.topic_outcomes,
        (str(refused_order.order_id).encode(), refused),
        (str(applied_order.order_id).encode(), outcome(applied_order, '{"roid": "D1-SANDBOX"}')),
    )

    loop = order_service_loop(env.settings, poll_timeout=0.25)
    stats = loop.run(max_idle_polls=4)

    assert (stats.counts["applied"], stats.counts["dead_lettered"]) == (1, 1)
    with psycopg.connect(env.database_url) as conn:
        assert order_status(conn, applied_order.order_id)["status"] == "successful"
        untouched = order_status(conn, refused_order.order_id)
    assert untouched["status"] == "processing"  # the refused outcome changed nothing
    assert [plan["status"] for plan in untouched["plans"]] == ["processing"]
    (letter,) = env.dead_letters(env.settings.topic_outcomes)
    assert letter.value == refused
    assert letter.key == str(refused_order.order_id).encode()
    assert letter.error_class == "UntranslatableCharacter"
    assert letter.header("x-dlq-sqlstate") == "22P05"
    assert "Unicode" in letter.reason
    assert letter.header("x-dlq-original-topic") == env.settings.topic_outcomes
    assert letter.header("x-dlq-original-offset") == "0"
    assert letter.header("x-dlq-consumer-group") == env.settings.group_order_service

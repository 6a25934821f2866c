"""Host and contact update/delete, and domain steps run as child jobs, through the
pipeline on the real Kafka and PostgreSQL with the sandbox registry.

Requests are published to the actions topic (schema v3); ingest records them,
the executor runs their jobs (children first) on the sandbox, the relay
publishes every outcome, read back from the outcomes topic at the end.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from confluent_kafka import Consumer, TopicPartition

from executors.backends.sandbox import SandboxBackend
from producers.relay import OUTCOMES
from producers.requests import RequestProducer
from provisioning.settings import Settings
from schemas.codec import codec_from_settings
from schemas.requests import OUTCOME
from tests.conftest import TopicFactory, unique_name
from tests.db.helpers import ALICE, Conn, fetch_all, fetch_one, scalar
from tests.services import Services
from tests.test_pipeline import Components, start_pipeline

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]

REGISTRAR = "alpha-registry"


@pytest.fixture
def settings(services: Services, provisioning_db: str, make_topic: TopicFactory) -> Settings:
    return Settings(
        kafka_bootstrap_servers=services.kafka_bootstrap,
        database_url=provisioning_db,  # pydantic coerces to SecretStr
        topic_orders=make_topic(partitions=1, prefix="orders"),
        topic_actions=make_topic(partitions=2, prefix="actions"),
        topic_outcomes=make_topic(partitions=2, prefix="outcomes"),
        group_ingest=unique_name("ingest"),
        group_order_service=unique_name("orders"),
        executor_poll_seconds=0.1,
        executor_backoff_seconds=0.05,
        kafka_session_timeout_ms=6000,
    )


@pytest.fixture
def sandbox(provisioning_db: str) -> Iterator[SandboxBackend]:
    backend = SandboxBackend(provisioning_db)
    yield backend
    backend.close()


@pytest.fixture
def pipeline(settings: Settings, sandbox: SandboxBackend) -> Iterator[Components]:
    components = start_pipeline(settings, sandbox, relays=(OUTCOMES,))
    yield components
    components.stop_all()


class Requester:
    """Publishes one request at a time and waits for its outcome in the outbox."""

    def __init__(self, settings: Settings, db: Conn) -> None:
        self.producer = RequestProducer(settings)
        self.db = db
        self.sent: list[str] = []

    def __call__(self, action: str, **payload: Any) -> dict[str, Any]:
        request_id = self.producer.send(
            {
                "action": action,
                "tenant_customer_id": ALICE,
                "accreditation": REGISTRAR,
                "payload": payload,
            }
        )
        self.producer.flush()
        self.sent.append(request_id)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            rows = fetch_all(
                self.db,
                "SELECT status, result_message FROM outbox WHERE request_id = %(r)s",
                {"r": request_id},
            )
            if rows:
                return rows[0]
            time.sleep(0.05)
        raise AssertionError(f"no outcome for {action} {payload} within 60 s")


def published_outcomes(settings: Settings, partitions: int = 2) -> dict[str, str]:
    """request_id -> status of every outcome on the outcomes topic."""
    codec = codec_from_settings(settings)
    consumer = Consumer(
        {"bootstrap.servers": settings.kafka_bootstrap_servers, "group.id": unique_name("read")}
    )
    topic = settings.topic_outcomes
    try:
        ends = [
            consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in range(partitions)
        ]
        consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
        found: dict[str, str] = {}
        read = 0
        deadline = time.monotonic() + 30
        while read < sum(ends) and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None or message.error():
                continue
            read += 1
            outcome = codec.decode(OUTCOME, message.value() or b"", topic)
            found[str(outcome["request_id"])] = str(outcome["status"])
        return found
    finally:
        consumer.close()


def host_rows(db: Conn) -> list[str]:
    return [r["name"] for r in fetch_all(db, "SELECT name FROM host ORDER BY name")]


def sandbox_hosts(db: Conn) -> list[str]:
    return [r["name"] for r in fetch_all(db, "SELECT name FROM sandbox.host ORDER BY name")]


def test_object_actions_and_child_jobs_end_to_end(
    pipeline: Components, settings: Settings, db: Conn, sandbox: SandboxBackend
) -> None:
    send = Requester(settings, db)
    contact = {"name": "Obj Owner", "email": "obj@example.net", "city": "Springfield"}
    for handle in ("obj-owner", "obj-spare"):
        assert (
            send("provision_contact", handle=handle, country_code="US", **contact)["status"]
            == "completed"
        )
    assert send("provision_host", name="ns1.objects.example")["status"] == "completed"
    created = send(
        "provision_domain",
        name="objects.com",
        registrant="obj-owner",
        nameservers=["ns1.objects.example"],
    )
    assert created["status"] == "completed"

    # a domain update adding glue: the in-zone host is created first (a child job)
    glue = send(
        "provision_domain_update",
        name="objects.com",
        nameservers=["ns1.objects.com", "ns1.objects.example"],
        new_hosts={"ns1.objects.com": ["192.0.2.1"]},
    )
    assert glue["status"] == "completed", glue
    assert sandbox_hosts(db) == ["ns1.objects.com", "ns1.objects.example"]
    assert scalar(db, "SELECT nameservers FROM sandbox.domain WHERE name = 'objects.com'") == [
        "ns1.objects.com",
        "ns1.objects.example",
    ]
    assert (
        send("provision_host", name="ns2.objects.com", addresses=["192.0.2.2"])["status"]
        == "completed"
    )

    # host update: the registry and the database get the new addresses
    assert (
        send(
            "provision_host_update",
            name="ns2.objects.com",
            addresses=["192.0.2.22", "2001:db8::22"],
        )["status"]
        == "completed"
    )
    addresses = "SELECT ARRAY(SELECT host(a) FROM unnest(addresses) a) FROM {} WHERE name = %(n)s"
    for table in ("host", "sandbox.host"):
        assert scalar(db, addresses.format(table), {"n": "ns2.objects.com"}) == [
            "192.0.2.22",
            "2001:db8::22",
        ]

    # contact update; the new auth code reaches neither the outcome nor the audit log
    updated = send(
        "provision_contact_update", handle="obj-owner", email="new@example.net", pw="N3w!secret"
    )
    assert updated["status"] == "completed"
    assert fetch_one(db, "SELECT email FROM contact WHERE handle = 'obj-owner'") == {
        "email": "new@example.net"
    }
    fields = scalar(db, "SELECT fields FROM sandbox.contact WHERE handle = 'obj-owner'")
    assert fields["email"] == "new@example.net"
    leaked = "SELECT count(*) FROM {} WHERE {}::TEXT LIKE '%%N3w!secret%%'"
    assert scalar(db, leaked.format("outbox", "outbox")) == 0
    assert scalar(db, leaked.format("audit_trail_log", "audit_trail_log")) == 0

    # in use: refused by validation, with the reason in the outcome
    refused = send("provision_contact_delete", handle="obj-owner")
    assert refused["status"] == "failed"
    assert "is in use: domain objects.com names it" in refused["result_message"]
    refused = send("provision_host_delete", name="ns1.objects.example")
    assert refused["status"] == "failed"
    assert "is in use: domain objects.com names it" in refused["result_message"]
    assert send("provision_contact_delete", handle="obj-spare")["status"] == "completed"
    assert fetch_all(db, "SELECT 1 FROM contact WHERE handle = 'obj-spare'") == []
    assert fetch_all(db, "SELECT 1 FROM sandbox.contact WHERE handle = 'obj-spare'") == []

    # a domain of another registrar names ns2.objects.com: only the registry knows
    sandbox.seed_foreign_domain(
        "foreign.net", "beta-registrar", "F0reign!pw", datetime.now(UTC) + timedelta(days=365)
    )
    db.execute(
        "UPDATE sandbox.domain SET nameservers = '{ns2.objects.com}' WHERE name = 'foreign.net'"
    )
    refused = send("provision_host_delete", name="ns2.objects.com")
    assert refused["status"] == "failed"
    assert "domain foreign.net names it" in refused["result_message"]

    # so deleting the domain fails at the step deleting that host: the domain stays
    failed = send("provision_domain_delete", name="objects.com")
    assert failed["status"] == "failed"
    assert failed["result_message"].startswith("delete host ns2.objects.com failed: ")
    assert "domain foreign.net names it" in failed["result_message"]
    assert scalar(db, "SELECT status FROM domain WHERE name = 'objects.com'") == "ok"
    assert scalar(db, "SELECT status FROM sandbox.domain WHERE name = 'objects.com'") == "ok"
    assert "ns2.objects.com" in host_rows(db)
    assert "ns2.objects.com" in sandbox_hosts(db)

    # once the other domain lets go, the delete goes through: hosts first, then the domain
    db.execute("UPDATE sandbox.domain SET nameservers = '{}' WHERE name = 'foreign.net'")
    deleted = send("provision_domain_delete", name="objects.com")
    assert deleted["status"] == "completed", deleted
    assert scalar(db, "SELECT status FROM domain WHERE name = 'objects.com'") == "redemption"
    assert scalar(db, "SELECT status FROM sandbox.domain WHERE name = 'objects.com'") == (
        "redemption"
    )
    assert host_rows(db) == ["ns1.objects.example"]
    assert sandbox_hosts(db) == ["ns1.objects.example"]

    # a domain in redemption still names its name servers: they stay in use
    refused = send("provision_host_delete", name="ns1.objects.example")
    assert refused["status"] == "failed"
    assert "domain objects.com names it" in refused["result_message"]

    outcomes = published_outcomes(settings)
    assert {request_id: outcomes.get(request_id) for request_id in send.sent} == {
        request_id: fetch_one(
            db, "SELECT status FROM outbox WHERE request_id = %(r)s", {"r": request_id}
        )["status"]
        for request_id in send.sent
    }

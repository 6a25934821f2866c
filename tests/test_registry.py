"""The registry codec against a real schema registry (Apicurio Registry, its
Confluent-compatible API, compatibility BACKWARD), started once per session.

The whole pipeline on the Confluent wire format; a message written with a released
schema version read by the current reader; an incompatible schema refused with one
clear line; and the registry down, at the start and mid-stream: a clear error,
nothing dead-lettered or parked, and the work resumes when it is back.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import re
import signal
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

from executors.backends.sandbox import SandboxBackend
from producers.orders import domain_item, place_order
from producers.requests import RequestProducer
from provisioning.cli import main
from provisioning.errors import EXIT_FAILURE, IncompatibleSchemaError
from provisioning.localstack import SchemaRegistry, free_port
from provisioning.settings import Settings
from schemas.codec import RegistryCodec
from schemas.registry import expanded, released
from schemas.requests import OUTCOME, REQUEST, build_request, to_avro
from tests.conftest import TopicFactory, unique_name
from tests.db.helpers import ALICE, Conn, fetch_all, scalar
from tests.services import Services
from tests.test_pipeline import OWNER, start_pipeline, wait_final, wait_until

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.registry, pytest.mark.slow]

TENANT = "30000000-0000-4000-8000-000000000001"


def raw_renew(name: str) -> dict[str, Any]:
    """A request every released ProvisionRequest version can carry (v1 has the domain actions)."""
    return {
        "action": "provision_domain_renew",
        "tenant_customer_id": TENANT,
        "accreditation": "alpha-registry",
        "payload": {"name": name, "period": 1, "current_expiry_date": "2027-03-01"},
    }


def renew_request(name: str) -> dict[str, Any]:
    return build_request(raw_renew(name))


def create_request(name: str) -> dict[str, Any]:
    return build_request(
        {
            "action": "provision_domain",
            "tenant_customer_id": TENANT,
            "accreditation": "alpha-registry",
            "payload": {"name": name, "registration_period": 1},
        }
    )


def request_file(tmp_path: Path, request: dict[str, Any]) -> str:
    path = tmp_path / "requests.jsonl"
    path.write_text(json.dumps(request) + "\n")
    return str(path)


def registry_get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our registry
        return json.loads(response.read())


def subject_versions(registry_url: str, topic: str) -> list[int]:
    versions = registry_get(f"{registry_url}/subjects/{topic}-value/versions")
    assert isinstance(versions, list)
    return [int(v) for v in versions]


def message_count(bootstrap: str, topic: str, partitions: int = 1) -> int:
    """Messages ever written to ``topic``; 0 when it does not exist (a DLQ never used)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": unique_name("count")})
    try:
        metadata = consumer.list_topics(topic, timeout=10).topics.get(topic)
        if metadata is None or metadata.error is not None:
            return 0
        return sum(
            consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in range(partitions)
        )
    except KafkaException:
        return 0
    finally:
        consumer.close()


def first_values(bootstrap: str, topic: str, partitions: int) -> list[bytes]:
    """Every value of ``topic`` (up to its high watermarks)."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": unique_name("read"),
            "enable.auto.commit": False,
        }
    )
    values: list[bytes] = []
    try:
        total = message_count(bootstrap, topic, partitions)
        consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
        deadline = time.monotonic() + 30
        while len(values) < total and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                values.append(message.value() or b"")
    finally:
        consumer.close()
    assert len(values) == total
    return values


@pytest.fixture
def settings(
    services: Services,
    provisioning_db: str,
    make_topic: TopicFactory,
    schema_registry: SchemaRegistry,
) -> Settings:
    """The pipeline's settings on fresh topics, with the session's registry."""
    return Settings(
        kafka_bootstrap_servers=services.kafka_bootstrap,
        database_url=provisioning_db,  # pydantic coerces to SecretStr
        topic_orders=make_topic(partitions=2, prefix="orders"),
        topic_actions=make_topic(partitions=2, prefix="actions"),
        topic_outcomes=make_topic(partitions=2, prefix="outcomes"),
        group_ingest=unique_name("ingest"),
        group_order_service=unique_name("orders"),
        executor_poll_seconds=0.2,
        executor_backoff_seconds=0.1,
        kafka_session_timeout_ms=6000,
        schema_registry_url=schema_registry.url,
        schema_registry_timeout_seconds=1.0,
    )


@pytest.fixture
def sandbox(provisioning_db: str) -> Iterator[SandboxBackend]:
    backend = SandboxBackend(provisioning_db)
    yield backend
    backend.close()


CodecFactory = Callable[..., RegistryCodec]


@pytest.fixture
def make_codec(schema_registry: SchemaRegistry) -> Iterator[CodecFactory]:
    """RegistryCodecs on the session's registry (or ``url``), closed after the test."""
    made: list[RegistryCodec] = []

    def make(url: str | None = None, **options: Any) -> RegistryCodec:
        made.append(RegistryCodec(url or schema_registry.url, **options))
        return made[-1]

    yield make
    for codec in made:
        codec.close()


@pytest.fixture
def cli_env(services: Services, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The command line pointed at the session's Kafka; the test sets the registry."""
    monkeypatch.setenv("PROVISIONING_KAFKA_BOOTSTRAP_SERVERS", services.kafka_bootstrap)
    return monkeypatch


@pytest.fixture
def registry_cli_env(cli_env: pytest.MonkeyPatch, schema_registry: SchemaRegistry) -> str:
    """The command line pointed at the session's Kafka and registry; the registry's URL."""
    cli_env.setenv("PROVISIONING_SCHEMA_REGISTRY_URL", schema_registry.url)
    return schema_registry.url


def logged(caplog: pytest.LogCaptureFixture, text: str) -> Callable[[], bool]:
    return lambda: any(text in record.getMessage() for record in caplog.records)


# --------------------------------------------------------------------- (a) end to end


def test_the_whole_pipeline_runs_on_the_registry_codec(
    db: Conn, settings: Settings, sandbox: SandboxBackend, make_codec: CodecFactory
) -> None:
    """An order and an action in, outcomes out, every message in the Confluent wire format
    with its schema registered under ``<topic>-value``."""
    assert settings.schema_registry_url is not None
    components = start_pipeline(settings, sandbox)
    try:
        item = domain_item(
            "through-registry.com",
            registrant=OWNER,
            nameservers=["ns1.hosting.info"],
            create_hosts=True,
        )
        order = place_order(
            db, tenant_customer_id=ALICE, accreditation="alpha-registry", items=[item]
        )
        with RequestProducer(settings) as producer:
            action_id = producer.send(
                {
                    "action": "provision_host",
                    "tenant_customer_id": TENANT,
                    "accreditation": "alpha-registry",
                    "payload": {"name": "ns9.hosting.info"},
                }
            )
        assert wait_final(db, [order.order_id]) == {str(order.order_id): "successful"}
        wait_until(
            lambda: (
                scalar(
                    db,
                    "SELECT count(*) FROM outbox WHERE sent_date IS NOT NULL"
                    " AND message_key <> %(order)s",
                    {"order": str(order.order_id)},
                )
                == 1
            ),
            "the action's outcome published",
        )
    finally:
        components.stop_all()
    bootstrap = settings.kafka_bootstrap_servers
    codec = make_codec(settings.schema_registry_url)
    outcomes = [
        codec.decode(OUTCOME, value, settings.topic_outcomes)
        for value in first_values(bootstrap, settings.topic_outcomes, 2)
    ]
    assert str(action_id) in {str(outcome["request_id"]) for outcome in outcomes}
    assert {outcome["status"] for outcome in outcomes} == {"completed"}
    for topic in (settings.topic_orders, settings.topic_actions, settings.topic_outcomes):
        values = first_values(bootstrap, topic, 2)
        assert values
        assert {value[0] for value in values} == {0}  # magic byte 0, then the schema id
        assert subject_versions(settings.schema_registry_url, topic) == [1]
        assert message_count(bootstrap, topic + settings.dlq_suffix, 2) == 0
    assert registry_get(f"{settings.schema_registry_url}/config") == {
        "compatibilityLevel": "BACKWARD"
    }


def test_the_codec_asks_the_registry_for_the_topic_subject_only(
    schema_registry: SchemaRegistry, make_topic: TopicFactory, make_codec: CodecFactory
) -> None:
    """The TOPIC subject name strategy, set explicitly: no "associations" lookup (the
    default strategy's first request, an endpoint Apicurio does not have), only
    ``<topic>-value`` and the schema id; the registry's access log shows each request."""
    topic = make_topic()
    logged_before = schema_registry.log.stat().st_size
    codec = make_codec()
    data = codec.encode(REQUEST, to_avro(renew_request("subject.com")), topic)
    make_codec().decode(REQUEST, data, topic)  # a fresh reader: it must look the id up
    with schema_registry.log.open("rb") as log:
        log.seek(logged_before)
        paths = re.findall(r'path="([^"]*)"', log.read().decode(errors="replace"))
    requests = [path.split("?")[0] for path in paths]
    assert len(requests) == 2, paths
    assert requests[0] == f"/apis/ccompat/v7/subjects/{topic}-value/versions"  # registered
    assert re.fullmatch(r"/apis/ccompat/v7/schemas/ids/\d+", requests[1]), paths  # looked up


# ----------------------------------------------------------- (b) an old writer, a new reader


def test_a_request_written_with_released_v1_is_read_with_the_current_schema(
    schema_registry: SchemaRegistry, make_topic: TopicFactory, make_codec: CodecFactory
) -> None:
    topic = make_topic()
    v1 = released(REQUEST)[1]
    assert "provision_contact" not in json.dumps(v1)  # v1 really is the older schema
    old = make_codec(schemas={REQUEST: v1})
    datum = renew_request("old-writer.com")
    data = old.encode(REQUEST, to_avro(datum), topic)

    new = make_codec()
    decoded = new.decode(REQUEST, data, topic)
    assert decoded["action"] == "provision_domain_renew"
    assert decoded["payload"]["name"] == "old-writer.com"
    assert str(decoded["payload"]["current_expiry_date"]) == "2027-03-01"
    assert str(decoded["request_id"]) == datum["request_id"]
    # the current schema is accepted as the subject's next version: BACKWARD from v1
    new.encode(REQUEST, to_avro(renew_request("new-writer.com")), topic)
    assert subject_versions(schema_registry.url, topic) == [1, 2]
    # and a reader of the current schema still reads the first message
    assert make_codec().decode(REQUEST, data, topic)["action"] == ("provision_domain_renew")


# ---------------------------------------------------------------- (c) an incompatible schema


def test_an_incompatible_schema_is_refused_in_one_line(
    schema_registry: SchemaRegistry, make_topic: TopicFactory, make_codec: CodecFactory
) -> None:
    """A field added without a default: the current reader cannot read the registered data."""
    topic = make_topic()
    make_codec().encode(REQUEST, to_avro(renew_request("a.com")), topic)
    changed = copy.deepcopy(expanded(REQUEST))
    changed["fields"].append({"name": "priority", "type": "int"})
    codec = make_codec(schemas={REQUEST: changed})
    with pytest.raises(IncompatibleSchemaError) as caught:
        codec.encode(REQUEST, {**to_avro(renew_request("b.com")), "priority": 1}, topic)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(
        f"the schema registry refused the ProvisionRequest schema for subject {topic}-value "
        "(incompatible with the versions it has, HTTP 409)"
    )
    assert "priority" in message  # the registry's own reason
    assert subject_versions(schema_registry.url, topic) == [1]


def test_submit_to_a_subject_holding_an_incompatible_schema_sends_nothing(
    registry_cli_env: str,
    make_topic: TopicFactory,
    make_codec: CodecFactory,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """The subject already holds a newer schema the current one cannot read (a field
    removed): ``provisioning submit`` says so in one line, exit 1, and sends nothing."""
    topic = make_topic()
    newer = copy.deepcopy(expanded(REQUEST))
    newer["fields"] = [f for f in newer["fields"] if f["name"] != "accreditation"]
    datum = {k: v for k, v in to_avro(renew_request("newer.com")).items() if k != "accreditation"}
    make_codec(schemas={REQUEST: newer}).encode(REQUEST, datum, topic)
    requests = request_file(tmp_path, raw_renew("x.com"))

    code = main(["submit", "--topic", topic, "--file", requests])

    assert code == EXIT_FAILURE
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(
        "provisioning: error: the schema registry refused the ProvisionRequest schema for "
        f"subject {topic}-value (incompatible with the versions it has, HTTP 409)"
    )
    assert message_count(os.environ["PROVISIONING_KAFKA_BOOTSTRAP_SERVERS"], topic) == 0


# --------------------------------------------------------------------- (d) the registry down


def test_submit_with_the_registry_down_says_so_and_sends_nothing(
    make_topic: TopicFactory,
    cli_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    topic = make_topic()
    down = f"http://127.0.0.1:{free_port()}/apis/ccompat/v7"  # nothing listens there
    cli_env.setenv("PROVISIONING_SCHEMA_REGISTRY_URL", down)
    cli_env.setenv("PROVISIONING_SCHEMA_REGISTRY_TIMEOUT_SECONDS", "1")
    requests = request_file(tmp_path, raw_renew("x.com"))

    started = time.monotonic()
    code = main(["submit", "--topic", topic, "--file", requests])

    assert time.monotonic() - started < 30
    assert code == EXIT_FAILURE
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(
        f"provisioning: error: the schema registry at {down} is unavailable "
        f"(encoding a ProvisionRequest for {topic}): ConnectError"
    ), err
    assert message_count(os.environ["PROVISIONING_KAFKA_BOOTSTRAP_SERVERS"], topic) == 0


def test_the_registry_down_at_start_holds_the_orders_until_it_is_back(
    db: Conn,
    settings: Settings,
    sandbox: SandboxBackend,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The registry is not running when the pipeline starts: the relay says why the order
    requests wait, counts no failure against them (nothing parked), and they all go
    through once the registry answers."""
    caplog.set_level(logging.WARNING)
    registry = SchemaRegistry(tmp_path / "registry", free_port())  # not started: down
    settings = settings.model_copy(update={"schema_registry_url": registry.url})
    components = start_pipeline(settings, sandbox)
    try:
        orders = [
            place_order(
                db,
                tenant_customer_id=ALICE,
                accreditation="alpha-registry",
                items=[domain_item(f"waits-{i}.com")],
            ).order_id
            for i in range(3)
        ]
        wait_until(
            logged(caplog, f"the schema registry at {registry.url} is unavailable"),
            "the relay to report the registry unavailable",
        )
        time.sleep(2)  # several backoffs: none may count against the rows
        assert scalar(db, "SELECT count(*) FROM orders.request_outbox WHERE sent_date IS NULL") > 0
        assert scalar(db, "SELECT count(*) FROM outbox_parked") == 0
        registry.start()
        assert set(wait_final(db, orders).values()) == {"successful"}
    finally:
        try:
            components.stop_all()
        finally:
            registry.stop()
    assert scalar(db, "SELECT count(*) FROM outbox_parked") == 0
    assert message_count(settings.kafka_bootstrap_servers, settings.topic_orders + ".dlq", 2) == 0


def test_the_registry_hanging_mid_stream_holds_ingest_until_it_answers(
    db: Conn,
    settings: Settings,
    sandbox: SandboxBackend,
    schema_registry: SchemaRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The registry stops answering (the process frozen: connections open, no answer)
    while ingest has a message whose schema id it has not seen: ingest times out, says
    so, retries, dead-letters nothing and commits nothing, and records the request once
    the registry answers again."""
    caplog.set_level(logging.WARNING)
    assert settings.schema_registry_url is not None
    components = start_pipeline(settings, sandbox)
    pid = schema_registry.pid()
    assert pid is not None
    frozen = False
    try:
        # an older producer registers its schema (v1) while the registry is up...
        datum = create_request("mid-stream.com")
        with RegistryCodec(schema_registry.url, schemas={REQUEST: released(REQUEST)[1]}) as old:
            value = old.encode(REQUEST, to_avro(datum), settings.topic_actions)
        # ... then the registry hangs, and the message reaches ingest
        os.kill(pid, signal.SIGSTOP)
        frozen = True
        producer = Producer({"bootstrap.servers": settings.kafka_bootstrap_servers})
        producer.produce(settings.topic_actions, key=b"domain:mid-stream.com", value=value)
        assert producer.flush(10) == 0
        wait_until(
            logged(caplog, "is unavailable (decoding a ProvisionRequest"),
            "ingest to report the registry unavailable",
        )
        time.sleep(2)
        assert scalar(db, "SELECT count(*) FROM provision_domain") == 0
        assert (
            message_count(settings.kafka_bootstrap_servers, settings.topic_actions + ".dlq", 2) == 0
        )
        os.kill(pid, signal.SIGCONT)
        frozen = False
        wait_until(
            lambda: (
                scalar(
                    db,
                    "SELECT count(*) FROM provision_domain WHERE request_id = %(id)s",
                    {"id": datum["request_id"]},
                )
                == 1
            ),
            "the request recorded once the registry answers",
        )
    finally:
        if frozen:
            os.kill(pid, signal.SIGCONT)
        components.stop_all()
    assert message_count(settings.kafka_bootstrap_servers, settings.topic_actions + ".dlq", 2) == 0
    rows = fetch_all(db, "SELECT request_id::TEXT AS id FROM provision_domain")
    assert [row["id"] for row in rows] == [datum["request_id"]]

"""`provisioning status` against the real Kafka and PostgreSQL."""

from __future__ import annotations

import argparse
import json
from typing import Any

import pytest

from consumers.ingest import ingest_loop
from executors.backends.sandbox import SandboxBackend
from executors.worker import Worker
from producers.requests import RequestProducer
from provisioning.settings import Settings
from provisioning.status import add_arguments, collect, render, run
from tests.builders import domain_create
from tests.conftest import TopicFactory, unique_name
from tests.services import Services

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

ALICE = "30000000-0000-4000-8000-000000000001"


def counts(rows: list[dict[str, Any]], *keys: str) -> dict[tuple[Any, ...], int]:
    return {tuple(row[k] for k in keys): row["count"] for row in rows}


@pytest.fixture
def settings(services: Services, provisioning_db: str, make_topic: TopicFactory) -> Settings:
    return Settings(
        kafka_bootstrap_servers=services.kafka_bootstrap,
        database_url=provisioning_db,  # pydantic coerces to SecretStr
        topic_orders=make_topic(partitions=2, prefix="orders"),
        topic_actions=make_topic(partitions=3, prefix="actions"),
        topic_outcomes=make_topic(partitions=1, prefix="outcomes"),
        group_ingest=unique_name("ingest"),
        group_order_service=unique_name("order-service"),
        executor_poll_seconds=0.2,
    )


def test_status_shows_lag_backlog_and_counts_through_ingest_and_execution(
    settings: Settings, provisioning_db: str
) -> None:
    with RequestProducer(settings) as producer:
        for i in range(4):
            producer.send(domain_create(f"status-{i}.com"))
        producer.send(domain_create("bad_name!.com"))

    waiting = collect(settings)
    ingest, order_service = waiting["consumer_groups"]
    assert (ingest["component"], ingest["group"]) == ("ingest", settings.group_ingest)
    assert ingest["lag"] == 5  # nothing committed yet: everything retained
    assert len(ingest["partitions"]) == 5  # 2 orders + 3 actions partitions
    assert {p["committed"] for p in ingest["partitions"]} == {None}
    assert order_service["lag"] == 0
    assert order_service["errors"] == []

    stats = ingest_loop(
        settings, [settings.topic_orders, settings.topic_actions], poll_timeout=0.25
    ).run(max_idle_polls=4)
    assert stats.counts["inserted"] == 4

    ingested = collect(settings)
    ingest = ingested["consumer_groups"][0]
    assert ingest["lag"] == 0
    assert {p["lag"] for p in ingest["partitions"]} == {0}
    consumed = [p for p in ingest["partitions"] if p["end"] > 0]
    assert sum(p["end"] for p in consumed) == 5
    assert all(p["committed"] == p["end"] for p in consumed)
    assert counts(ingested["provisions"], "type", "status") == {("provision_domain", "pending"): 4}
    assert counts(ingested["jobs"], "type", "status") == {("provision_domain", "queued"): 4}
    assert counts(ingested["rejections"], "type") == {("provision_domain",): 1}
    backlog = {row["outbox"]: row["unsent"] for row in ingested["outboxes"]}
    # the rejection's failed outcome
    assert backlog == {"outcomes": 1, "order-requests": 0, "action-requests": 0, "order-status": 0}
    assert ingested["orders"] == []

    backend = SandboxBackend(provisioning_db)
    try:
        Worker(settings, backend).run(until_idle=0.5)
    finally:
        backend.close()

    done = collect(settings)
    assert counts(done["provisions"], "type", "status") == {("provision_domain", "completed"): 4}
    assert counts(done["jobs"], "type", "status") == {("provision_domain", "completed"): 4}
    outcomes = next(row for row in done["outboxes"] if row["outbox"] == "outcomes")
    assert outcomes["unsent"] == 5
    assert outcomes["oldest_unsent_seconds"] >= 0

    text = render(done)
    assert f"consumer group {settings.group_ingest} (ingest)" in text
    assert "provision_domain  completed  4" in text


def test_run_prints_a_table_or_json(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in {
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "DATABASE_URL": settings.database_url.get_secret_value(),
        "TOPIC_ORDERS": settings.topic_orders,
        "TOPIC_ACTIONS": settings.topic_actions,
        "TOPIC_OUTCOMES": settings.topic_outcomes,
        "GROUP_INGEST": settings.group_ingest,
        "GROUP_ORDER_SERVICE": settings.group_order_service,
    }.items():
        monkeypatch.setenv(f"PROVISIONING_{name}", value)
    parser = argparse.ArgumentParser()
    add_arguments(parser)

    assert run(parser.parse_args(["--json"])) == 0
    status = json.loads(capsys.readouterr().out)
    assert set(status) == {
        "consumer_groups",
        "outboxes",
        "jobs",
        "provisions",
        "rejections",
        "orders",
    }
    assert [g["component"] for g in status["consumer_groups"]] == ["ingest", "order-service"]

    assert run(parser.parse_args([])) == 0
    text = capsys.readouterr().out
    assert f"consumer group {settings.group_order_service} (order-service)" in text
    assert "outboxes" in text
    assert "(none)" in text  # no jobs yet

    # --max-lag: exit 3 when a group lags by more, naming it on stderr (a monitoring check)
    assert run(parser.parse_args(["--max-lag", "0"])) == 0
    with RequestProducer(settings) as producer:
        producer.send(domain_create("lagging.com"))
    capsys.readouterr()
    assert run(parser.parse_args(["--json", "--max-lag", "0"])) == 3
    out, err = capsys.readouterr()
    assert json.loads(out)["consumer_groups"][0]["lag"] == 1
    assert err == f"provisioning: lag: ingest ({settings.group_ingest}) lags by 1 > 0\n"
    assert run(parser.parse_args(["--max-lag", "1"])) == 0

"""Metrics, health endpoints and structured logs, with the real components running."""

from __future__ import annotations

import http.client
import io
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import ThreadingHTTPServer
from typing import Any

import pytest
from confluent_kafka import Producer
from prometheus_client.parser import text_string_to_metric_families

from consumers.ingest import ingest_loop
from executors.backends.base import Backend
from executors.backends.sandbox import SandboxBackend
from executors.handlers import HANDLERS, Job
from executors.worker import Worker
from producers.requests import RequestProducer, new_traceparent
from provisioning.observability import configure_logging, log_context, serve
from provisioning.settings import Settings
from tests.builders import domain_create
from tests.conftest import TopicFactory, unique_name
from tests.db.helpers import Conn, insert_provision
from tests.services import Services

ALICE = "30000000-0000-4000-8000-000000000001"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def get(port: int, path: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def scrape(port: int) -> Samples:
    status, body = get(port, "/metrics")
    assert status == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    running = serve(0, "test", lambda: True)
    yield running
    running.shutdown()
    running.server_close()


@pytest.fixture
def json_logs() -> Iterator[Callable[[str], io.StringIO]]:
    """configure_logging(component) into a buffer; the root logger is restored afterwards."""
    root = logging.getLogger()
    level, installed = root.level, []

    def configure(component: str) -> io.StringIO:
        buffer = io.StringIO()
        installed.append(configure_logging(component, "DEBUG", json_output=True, stream=buffer))
        return buffer

    yield configure
    for handler in installed:
        root.removeHandler(handler)
    root.setLevel(level)


def records(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


# ---------------------------------------------------------------------- HTTP


def test_healthz_answers_200_or_503_with_the_reason_and_other_paths_404() -> None:
    mode = ["ok"]

    def health() -> bool:
        if mode[0] == "raise":
            raise RuntimeError("no batch committed for 300 s")
        return mode[0] == "ok"

    server = serve(0, "ingest", health)
    try:
        port = server.server_port
        assert port > 0
        assert get(port, "/healthz") == (200, "ok\n")
        mode[0] = "down"
        assert get(port, "/healthz") == (503, "ingest: not healthy\n")
        mode[0] = "raise"
        assert get(port, "/healthz") == (
            503,
            "ingest: RuntimeError: no batch committed for 300 s\n",
        )
        status, body = get(port, "/metrics")
        assert status == 200
        assert "provisioning_consumer_messages_consumed_total" in body
        assert get(port, "/")[0] == 404
        assert get(port, "/metrics/extra")[0] == 404
    finally:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------------- logs


def test_json_log_lines_carry_the_component_and_the_context(
    json_logs: Callable[[str], io.StringIO],
) -> None:
    buffer = json_logs("executor")
    log = logging.getLogger("tests.observability")
    log.info("outside")
    with log_context(request_id="r-1", order_id=None):
        with log_context(job_id="j-1", traceparent="00-aa-bb-01"):
            log.warning("inside %s", "both")
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("failed")
    log.info("after")
    outside, inside, failed, after = records(buffer)
    assert outside["component"] == "executor"
    assert outside["message"] == "outside"
    assert outside["level"] == "INFO"
    assert outside["logger"] == "tests.observability"
    assert "request_id" not in outside
    assert inside["message"] == "inside both"
    assert {k: inside[k] for k in ("request_id", "job_id", "traceparent")} == {
        "request_id": "r-1",
        "job_id": "j-1",
        "traceparent": "00-aa-bb-01",
    }
    assert "order_id" not in inside  # None is not a value
    assert failed["request_id"] == "r-1"
    assert "job_id" not in failed  # the inner block ended
    assert "ValueError: boom" in failed["exception"]
    assert set(after) == {"ts", "level", "logger", "message", "component"}


def test_text_logs_on_a_terminal_and_json_elsewhere(
    json_logs: Callable[[str], io.StringIO],
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    root = logging.getLogger()
    terminal, pipe = Terminal(), io.StringIO()
    try:
        configure_logging("relay", stream=terminal)
        with log_context(request_id="r-2"):
            logging.getLogger("x").info("hello")
        configure_logging("relay", stream=pipe)  # replaces the handler it installed
        logging.getLogger("x").info("again")
    finally:
        json_logs("relay")  # the fixture removes what is installed now
    line = terminal.getvalue().strip()
    assert line.endswith("INFO relay x hello request_id=r-2")
    assert json.loads(pipe.getvalue())["message"] == "again"
    assert sum(type(h).__name__ == "_ComponentHandler" for h in root.handlers) == 1


# ---------------------------------------------------------------------- components


@pytest.mark.kafka
@pytest.mark.postgres
def test_metrics_count_an_ingest_run(
    services: Services,
    provisioning_db: str,
    make_topic: TopicFactory,
    server: ThreadingHTTPServer,
    json_logs: Callable[[str], io.StringIO],
) -> None:
    settings = Settings(
        kafka_bootstrap_servers=services.kafka_bootstrap,
        database_url=provisioning_db,  # pydantic coerces to SecretStr
        topic_orders=make_topic(partitions=2, prefix="orders"),
        topic_actions=make_topic(partitions=2, prefix="actions"),
        group_ingest=unique_name("ingest"),
    )
    actions = settings.topic_actions
    traceparent = new_traceparent()
    with RequestProducer(settings) as producer:
        for i in range(5):
            producer.send(domain_create(f"metrics-{i}.com"))
        refused = producer.send(domain_create("bad_name!.com"), traceparent=traceparent)
    raw = Producer({"bootstrap.servers": services.kafka_bootstrap})
    raw.produce(actions, key=b"domain:corrupt", value=b"\x00not avro at all")
    assert raw.flush(30) == 0
    before = scrape(server.server_port)
    logs = json_logs("ingest")

    loop = ingest_loop(settings, [settings.topic_orders, actions], poll_timeout=0.25)
    running = threading.Thread(target=loop.run, name="ingest")
    running.start()
    try:  # scraped while it runs: a stopped consumer reports no lag for partitions it left
        consumed = "provisioning_consumer_messages_consumed_total"
        deadline = time.monotonic() + 60
        while True:
            after = scrape(server.server_port)
            lags = {
                dict(labels)["partition"]: sample
                for (name, labels), sample in after.items()
                if name == "provisioning_consumer_lag" and dict(labels)["topic"] == actions
            }
            if value(after, consumed, component="ingest", topic=actions) == 7 and lags:
                break
            assert time.monotonic() < deadline, "ingest did not drain the topic"
            time.sleep(0.2)
    finally:
        loop.stop()
        running.join(30)
    assert loop.stats.counts["inserted"] == 5
    assert set(lags.values()) == {0.0}
    after = scrape(server.server_port)  # the consumer closed: its partitions are not its own
    assert not any(
        name == "provisioning_consumer_lag" and dict(labels)["topic"] == actions
        for name, labels in after
    )

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert loop.component == "ingest"
    assert value(after, consumed, component="ingest", topic=actions) == 7
    handled = "provisioning_consumer_messages_handled_total"
    assert delta(handled, component="ingest", result="inserted") == 5
    assert delta(handled, component="ingest", result="rejected") == 1
    dead = "provisioning_consumer_messages_dead_lettered_total"
    assert value(after, dead, component="ingest", topic=actions) == 1
    assert delta("provisioning_consumer_batch_duration_seconds_count", component="ingest") >= 1
    assert delta("provisioning_consumer_event_age_seconds_count", component="ingest") == 6
    # the reject log line carries the request's id and trace context
    rejected = [r for r in records(logs) if r["message"].startswith("rejected request")]
    assert len(rejected) == 1
    assert rejected[0]["component"] == "ingest"
    assert rejected[0]["request_id"] == refused
    assert rejected[0]["traceparent"] == traceparent


@pytest.mark.postgres
def test_the_executor_runs_a_job_in_its_log_context_and_counts_it(
    db: Conn,
    provisioning_db: str,
    server: ThreadingHTTPServer,
    json_logs: Callable[[str], io.StringIO],
) -> None:
    order_id, traceparent = str(uuid.uuid4()), new_traceparent()
    row = insert_provision(
        db,
        "provision_domain",
        name="observed.com",
        order_metadata={"order_id": order_id},
        traceparent=traceparent,
    )
    work = logging.getLogger("tests.handler")

    def logged_create(job: Job, backend: Backend) -> dict[str, Any]:
        work.info("creating %s", job.data["name"])
        return HANDLERS["provision_domain"](job, backend)

    before = scrape(server.server_port)
    logs = json_logs("executor")
    backend = SandboxBackend(provisioning_db)
    try:
        settings = Settings(database_url=provisioning_db, executor_poll_seconds=0.2)
        worker = Worker(settings, backend, handlers={"provision_domain": logged_create})
        stats = worker.run(until_idle=0.5)
    finally:
        backend.close()
    assert stats.counts["completed"] == 1
    after = scrape(server.server_port)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    jobs = "provisioning_executor_jobs_total"
    assert delta(jobs, type="provision_domain", outcome="completed") == 1
    assert delta("provisioning_executor_job_duration_seconds_count", type="provision_domain") == 1
    assert delta("provisioning_executor_job_latency_seconds_count", type="provision_domain") == 1
    line = next(r for r in records(logs) if r["message"] == "creating observed.com")
    assert line["component"] == "executor"
    assert line["job_id"] == str(row["job_id"])
    assert line["request_id"] == str(row["request_id"])
    assert line["order_id"] == order_id
    assert line["traceparent"] == traceparent

"""Two ``provisioning dlq redrive`` of the same dead letters at once publish each once
(docs/dlq.md, "What a redrive records")."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import psycopg
import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import (  # type: ignore[attr-defined]  # re-export untyped
    AdminClient,
    NewTopic,
)

from consumers.dlq import read_topic
from producers.requests import RequestProducer
from provisioning.settings import Settings
from tests.builders import domain_create
from tests.conftest import TopicFactory
from tests.services import Services

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parent.parent
LETTERS = 12
PARTITIONS = 2


def dead_letter(settings: Settings, dlq: str, count: int) -> None:
    """``count`` requests on ``dlq`` as ingest writes its dead letters, over its partitions."""
    requests = RequestProducer(settings)
    raw = Producer({"bootstrap.servers": settings.kafka_bootstrap_servers})
    for index in range(count):
        request = requests.encode(
            domain_create(f"redriven-{index}.com"), topic=settings.topic_actions
        )
        raw.produce(
            dlq,
            key=request.key.encode(),
            value=request.value,
            partition=index % PARTITIONS,
            headers=[
                *request.headers,
                ("x-dlq-error-class", b"UnknownSchemaError"),
                ("x-dlq-error-message", b"schema fingerprint 0102030405060708 is unknown"),
                ("x-dlq-original-topic", settings.topic_actions.encode()),
                ("x-dlq-original-partition", b"0"),
                ("x-dlq-original-offset", str(index).encode()),
                ("x-dlq-original-timestamp", b"1700000000000"),
                ("x-dlq-consumer-group", b"ingest"),
            ],
        )
    assert raw.flush(30) == 0


def redrive_all(settings: Settings, database_url: str, dlq: str) -> subprocess.Popen[bytes]:
    variables = {
        "PROVISIONING_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "PROVISIONING_DATABASE_URL": database_url,
    }
    keep = {k: v for k, v in os.environ.items() if not k.startswith("PROVISIONING_")}
    return subprocess.Popen(
        [sys.executable, "-m", "provisioning.cli", "dlq", "redrive", dlq, "--all", "--execute"],
        env={**keep, **variables},
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def waiting_on_a_lock(db: psycopg.Connection[tuple[int]]) -> int:
    row = db.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND application_name = 'provisioning:dlq' AND wait_event_type = 'Lock'"
    ).fetchone()
    return row[0] if row else 0


def test_two_redrives_of_the_same_dead_letters_at_once_publish_each_once(
    services: Services,
    provisioning_db: str,
    make_topic: TopicFactory,
    kafka_admin: AdminClient,
    processes: list[subprocess.Popen[bytes]],
) -> None:
    """docs/dlq.md: "The check, the publishing and the record run in one transaction
    under an advisory lock per DLQ topic, so two operators redriving the same message at
    once publish it once"."""
    settings = Settings(
        kafka_bootstrap_servers=services.kafka_bootstrap,
        database_url=provisioning_db,  # pydantic coerces to SecretStr
        topic_actions=make_topic(prefix="actions"),
    )
    dlq = settings.dlq_topic(settings.topic_actions)
    kafka_admin.create_topics(
        [NewTopic(dlq, num_partitions=PARTITIONS, replication_factor=1)], operation_timeout=30
    )[dlq].result(timeout=30)
    dead_letter(settings, dlq, LETTERS)

    with (
        psycopg.connect(provisioning_db, autocommit=True) as db,
        psycopg.connect(provisioning_db, autocommit=True) as watcher,
    ):
        # Hold both redrives just before they read the redrive record, so that each has
        # read the DLQ and neither has published when they go on: they run at once.
        with db.transaction():
            db.execute("LOCK TABLE dlq_redrive IN ACCESS EXCLUSIVE MODE")
            processes += [redrive_all(settings, provisioning_db, dlq) for _ in range(2)]
            deadline = time.monotonic() + 60
            while waiting_on_a_lock(watcher) < 2:  # (pg_stat_activity is read once a transaction)
                assert all(p.poll() is None for p in processes), "a redrive ended early"
                assert time.monotonic() < deadline, "the redrives never got to the database"
                time.sleep(0.05)
        outputs = [proc.communicate(timeout=60)[0].decode() for proc in processes]
        recorded = db.execute(
            "SELECT partition, dlq_offset, redrive_count FROM dlq_redrive ORDER BY 1, 2"
        ).fetchall()

    assert [proc.returncode for proc in processes] == [0, 0], outputs
    places = [f"{dlq}[{i % PARTITIONS}]@{i // PARTITIONS}" for i in range(LETTERS)]
    # on the original topic, one copy of each dead letter
    copies = read_topic(settings, settings.topic_actions) or []
    assert Counter(copy.header("x-redriven-from") for copy in copies) == Counter(places)
    lines = [line for output in outputs for line in output.splitlines()]
    redriven = Counter(line.split()[1] for line in lines if line.startswith("redriven "))
    skipped = Counter(line.split()[1] for line in lines if line.startswith("skipped "))
    assert redriven == Counter(places)  # each by exactly one of the two
    assert skipped == Counter(places)  # ... and found redriven by the other
    assert recorded == sorted((i % PARTITIONS, i // PARTITIONS, 1) for i in range(LETTERS))

"""``provisioning dlq`` against the real Kafka and PostgreSQL: list, show, redrive."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import (  # type: ignore[attr-defined]  # re-export untyped
    AdminClient,
    NewTopic,
)

from consumers.dlq import DeadLetter, read_topic, topic_exists
from consumers.ingest import ingest_loop
from consumers.loop import LoopStats
from consumers.offsets import reset_offsets
from producers.requests import EncodedRequest, RequestProducer
from provisioning import cli
from provisioning.kafka import Headers
from provisioning.settings import Settings
from schemas.codec import SingleObjectCodec, schema_fingerprint
from schemas.registry import current
from schemas.requests import REQUEST, build_request, to_avro
from tests.builders import domain_create
from tests.conftest import TopicFactory, unique_name
from tests.services import Services

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

ALICE = "30000000-0000-4000-8000-000000000001"
CORRUPT = b"\x00not avro at all"


@dataclass
class Env:
    """Fresh topics, ingest group and database, also in PROVISIONING_* for the command."""

    settings: Settings
    database_url: str
    capsys: pytest.CaptureFixture[str]

    @property
    def actions(self) -> str:
        return self.settings.topic_actions

    @property
    def dlq(self) -> str:
        return self.settings.dlq_topic(self.settings.topic_actions)

    def raw(self) -> Producer:
        return Producer({"bootstrap.servers": self.settings.kafka_bootstrap_servers})

    def ingest(self, codec: SingleObjectCodec | None = None) -> LoopStats:
        loop = ingest_loop(self.settings, [self.actions], poll_timeout=0.25, codec=codec)
        return loop.run(max_idle_polls=4)

    def cli(self, *argv: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = cli.main(["dlq", *argv])
        out, err = self.capsys.readouterr()
        return code, out, err

    def messages(self, topic: str) -> list[DeadLetter]:
        return read_topic(self.settings, topic) or []

    def scalar(self, sql: str, *params: object) -> Any:
        with psycopg.connect(self.database_url) as conn:
            row = conn.execute(sql, params).fetchone()
        return None if row is None else row[0]


@pytest.fixture
def env(
    services: Services,
    provisioning_db: str,
    make_topic: TopicFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Env:
    settings = Settings(
        kafka_bootstrap_servers=services.kafka_bootstrap,
        database_url=provisioning_db,  # pydantic coerces to SecretStr
        topic_orders=make_topic(prefix="orders"),
        topic_actions=make_topic(prefix="actions"),
        topic_outcomes=make_topic(prefix="outcomes"),
        group_ingest=unique_name("ingest"),
    )
    for name, value in {
        "KAFKA_BOOTSTRAP_SERVERS": services.kafka_bootstrap,
        "DATABASE_URL": provisioning_db,
        "TOPIC_ORDERS": settings.topic_orders,
        "TOPIC_ACTIONS": settings.topic_actions,
        "TOPIC_OUTCOMES": settings.topic_outcomes,
        "GROUP_INGEST": settings.group_ingest,
    }.items():
        monkeypatch.setenv("PROVISIONING_" + name, value)
    return Env(settings, provisioning_db, capsys)


def create_topic(admin: AdminClient, name: str, **config: str) -> None:
    futures = admin.create_topics(
        [NewTopic(name, num_partitions=1, replication_factor=1, config=config)],
        operation_timeout=30,
    )
    futures[name].result(timeout=30)


def older_release_codec() -> SingleObjectCodec:
    """The codec of an ingest release from before the current ProvisionRequest schema:
    every other version decodes, a message written with the current one does not."""
    codec = SingleObjectCodec()
    newest = schema_fingerprint(current(REQUEST))
    codec._known = {print_: known for print_, known in codec._known.items() if print_ != newest}
    return codec


def dead_lettered_by_an_older_ingest(env: Env, request: EncodedRequest) -> None:
    """Publish ``request`` (to actions[0]@0) and run an ingest that cannot read it yet: the
    consumer loop itself writes it to the DLQ, with the x-dlq-* headers it writes."""
    raw = env.raw()
    raw.produce(
        env.actions, key=request.key.encode(), value=request.value, headers=list(request.headers)
    )
    assert raw.flush(30) == 0
    stats = env.ingest(older_release_codec())
    assert (stats.counts["dead_lettered"], stats.counts["inserted"]) == (1, 0)


def encode(env: Env, name: str) -> EncodedRequest:
    return RequestProducer(env.settings).encode(domain_create(name), topic=env.actions)


def test_a_corrupt_message_is_dead_lettered_listed_and_shown(env: Env) -> None:
    good = SingleObjectCodec().encode(REQUEST, to_avro(build_request(domain_create("good.com"))))
    raw = env.raw()
    raw.produce(env.actions, key=b"domain:corrupt", value=CORRUPT, headers=[("origin", b"test")])
    raw.produce(env.actions, key=b"domain:good.com", value=good)
    assert raw.flush(30) == 0

    stats = env.ingest()
    assert (stats.counts["inserted"], stats.counts["dead_lettered"]) == (1, 1)
    (dead,) = env.messages(env.dlq)
    reason = dead.reason
    assert reason

    code, out, _ = env.cli("list")  # the default topics; the missing DLQs are skipped
    assert code == 0
    line, total = out.splitlines()
    place, origin, error_class, redriven, shown = line.split("  ", 4)
    assert (place, origin, error_class, redriven) == (
        f"{env.dlq}[0]@0",
        f"{env.actions}[0]@0",
        "DecodeError",
        "-",
    )
    assert len(shown) <= 80
    assert " ".join(reason.split()).startswith(shown.removesuffix("..."))
    assert total == "1 dead-lettered message(s), 0 redriven"
    assert not topic_exists(env.settings, env.settings.dlq_topic(env.settings.topic_orders))

    code, out, _ = env.cli("show", env.dlq, "0", "0")
    assert code == 0
    lines = out.splitlines()
    for expected in (
        "  origin: test",
        "  x-dlq-error-class: DecodeError",
        f"  x-dlq-original-topic: {env.actions}",
        "  x-dlq-original-partition: 0",
        "  x-dlq-original-offset: 0",
        f"  x-dlq-consumer-group: {env.settings.group_ingest}",
        "key        domain:corrupt",
        f"value      {len(CORRUPT)} bytes",
        "redrive    never redriven",
    ):
        assert expected in lines, (expected, out)
    preview = [row for row in lines if row.startswith("  0000  00 6e 6f 74")]
    assert preview, out
    assert preview[0].endswith("|.not avro at all|")

    code, _, err = env.cli("show", env.dlq, "0", "5")
    assert code == 1
    assert f"no message at {env.dlq}[0]@5" in err


def test_a_redriven_message_whose_cause_was_fixed_is_ingested_once(
    env: Env, kafka_admin: AdminClient
) -> None:
    create_topic(kafka_admin, env.dlq)
    request = encode(env, "redriven.com")
    dead_lettered_by_an_older_ingest(env, request)
    (dead,) = env.messages(env.dlq)  # as the loop wrote it
    assert (dead.key, dead.value) == (request.key.encode(), request.value)
    assert (dead.error_class, dead.origin) == ("UnknownSchemaError", f"{env.actions}[0]@0")
    assert dead.header("x-dlq-consumer-group") == env.settings.group_ingest
    assert dead.headers[: len(request.headers)] == request.headers  # the original's first

    # the cause is fixed (an ingest that knows the schema); the message is redriven
    code, out, _ = env.cli("redrive", env.dlq, "--offset", "0:0")
    assert code == 0, out
    assert out.splitlines()[0] == f"redriven  {env.dlq}[0]@0  -> {env.actions}[0]@1"
    _original, copy = env.messages(env.actions)
    assert (copy.key, copy.value) == (request.key.encode(), request.value)
    assert copy.headers == (*request.headers, ("x-redriven-from", f"{env.dlq}[0]@0".encode()))

    stats = env.ingest()
    assert stats.counts["inserted"] == 1
    traceparent = dict(request.headers)["traceparent"].decode()
    assert (
        env.scalar(
            "SELECT traceparent FROM provision_domain WHERE request_id = %s", request.request_id
        )
        == traceparent
    )
    with psycopg.connect(env.database_url) as conn:
        row = conn.execute(
            "SELECT dlq_topic, partition, dlq_offset, original_topic, new_partition, new_offset,"
            " redriven_by = session_user, redrive_count FROM dlq_redrive"
        ).fetchall()
    assert row == [(env.dlq, 0, 0, env.actions, 0, 1, True, 1)]

    # A second redrive of the same message is refused, and publishes nothing.
    code, out, _ = env.cli("redrive", env.dlq, "--offset", "0:0")
    assert code == 1
    assert out.startswith(f"refused  {env.dlq}[0]@0  redriven ")
    assert "--force to redrive it again" in out
    assert len(env.messages(env.actions)) == 2  # the original and the one copy
    code, out, _ = env.cli("redrive", env.dlq, "--all", "--execute")  # skips the redriven
    assert code == 0
    skipped, summary = out.splitlines()
    assert skipped.startswith(f"skipped  {env.dlq}[0]@0  redriven ")
    assert summary == "1 skipped"
    assert len(env.messages(env.actions)) == 2

    # list and show say it was redriven, and where to.
    code, out, _ = env.cli("list", "--topic", env.dlq)
    assert code == 0
    line, total = out.splitlines()
    assert line.split("  ")[2:4] == ["UnknownSchemaError", "redriven(1)"]
    assert total == "1 dead-lettered message(s), 1 redriven"
    code, out, _ = env.cli("show", env.dlq, "0", "0")
    (history,) = [row for row in out.splitlines() if row.startswith("redrive ")]
    assert history.startswith("redrive    redriven ")
    assert history.endswith(f"-> {env.actions}[0]@1")

    # --force publishes it again; ingest counts the copy as a duplicate.
    code, out, _ = env.cli("redrive", env.dlq, "--offset", "0:0", "--force")
    assert code == 0, out
    assert out.splitlines()[0] == f"redriven  {env.dlq}[0]@0  -> {env.actions}[0]@2"
    stats = env.ingest()
    assert (stats.counts["inserted"], stats.counts["duplicates"]) == (0, 1)
    assert env.scalar("SELECT count(*) FROM provision_domain") == 1
    assert env.scalar("SELECT count(*) FROM job") == 1
    assert env.scalar("SELECT redrive_count || ':' || new_offset FROM dlq_redrive") == "2:2"


def test_a_dry_run_publishes_and_records_nothing(env: Env, kafka_admin: AdminClient) -> None:
    create_topic(kafka_admin, env.dlq)
    dead_lettered_by_an_older_ingest(env, encode(env, "dry-run.com"))
    raw = env.raw()
    raw.produce(env.dlq, key=b"who-knows", value=CORRUPT)  # no x-dlq-* headers at all
    assert raw.flush(30) == 0

    code, out, _ = env.cli("redrive", env.dlq, "--offset", "0:0", "--dry-run")
    assert code == 0
    would = f"would redrive  {env.dlq}[0]@0  -> {env.actions}"
    assert out.splitlines() == [would, "1 would redrive"]

    code, out, _ = env.cli("redrive", env.dlq, "--all", "--dry-run")
    assert code == 1  # the message without an origin cannot be redriven
    assert out.splitlines() == [
        would,
        f"refused  {env.dlq}[0]@1  no x-dlq-original-topic header",
        "1 refused, 1 would redrive",
    ]
    assert len(env.messages(env.actions)) == 1  # the original only
    assert env.scalar("SELECT count(*) FROM dlq_redrive") == 0


def test_redrive_all_prints_the_plan_until_executed_and_list_speaks_json(
    env: Env, kafka_admin: AdminClient
) -> None:
    create_topic(kafka_admin, env.dlq)
    dead_lettered_by_an_older_ingest(env, encode(env, "planned.com"))

    code, out, err = env.cli("list", "--topic", env.dlq, "--json")
    assert code == 0
    (line,) = out.splitlines()  # JSON Lines, no summary
    listed = json.loads(line)
    assert {k: listed[k] for k in ("topic", "partition", "offset", "original_topic")} == {
        "topic": env.dlq,
        "partition": 0,
        "offset": 0,
        "original_topic": env.actions,
    }
    assert (listed["error_class"], listed["redrive_count"], listed["redriven_to"]) == (
        "UnknownSchemaError",
        0,
        None,
    )

    # --all without --execute: the plan, on stdout; nothing published, nothing recorded
    code, out, err = env.cli("redrive", env.dlq, "--all")
    assert code == 0
    assert out.splitlines() == [
        f"would redrive  {env.dlq}[0]@0  -> {env.actions}",
        "1 would redrive",
    ]
    assert "--execute" in err
    assert len(env.messages(env.actions)) == 1
    assert env.scalar("SELECT count(*) FROM dlq_redrive") == 0

    code, out, _ = env.cli("redrive", env.dlq, "--all", "--execute")
    assert code == 0
    assert out.splitlines() == [f"redriven  {env.dlq}[0]@0  -> {env.actions}[0]@1", "1 redriven"]
    assert len(env.messages(env.actions)) == 2
    code, out, _ = env.cli("list", "--topic", env.dlq, "--json")
    listed = json.loads(out)
    assert (listed["redrive_count"], listed["redriven_to"]) == (1, f"{env.actions}[0]@1")

    with pytest.raises(SystemExit) as exit_:  # the two modes exclude each other
        cli.main(["dlq", "redrive", env.dlq, "--all", "--execute", "--dry-run"])
    assert exit_.value.code == 2


def test_bad_arguments_are_refused_before_anything_is_read(env: Env) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["dlq", "redrive", env.dlq, "--offset", "zero:1"])
    assert exit_.value.code == 2
    with pytest.raises(SystemExit):
        cli.main(["dlq", "redrive", env.dlq])  # neither --offset nor --all
    code, _, err = env.cli("redrive", env.dlq + ".missing", "--all")
    assert code == 1
    assert "does not exist" in err


def test_a_dead_letter_too_large_for_its_dlq_is_kept_in_the_database_and_redriven_whole(
    env: Env, kafka_admin: AdminClient
) -> None:
    # A DLQ topic created elsewhere with a small limit: the broker refuses the copy.
    create_topic(kafka_admin, env.dlq, **{"max.message.bytes": "100000"})
    value = b"\x00" + bytes(range(256)) * 800  # 204,801 bytes that do not decode
    headers: Headers = [("origin", b"big"), ("binary", bytes(range(256))), ("empty", None)]
    raw = env.raw()
    raw.produce(env.actions, key=b"big-key", value=value, headers=headers)
    assert raw.flush(30) == 0

    stats = env.ingest()

    assert stats.counts["dead_lettered"] == 1
    (copy,) = env.messages(env.dlq)
    assert copy.value is None
    assert copy.stored_id is not None
    assert copy.error_class == "DecodeError"
    assert copy.origin == f"{env.actions}[0]@0"
    assert env.scalar("SELECT length(stored_value) FROM dead_letter WHERE stored") == len(value)

    code, out, _ = env.cli("show", env.dlq, "0", "0")
    assert code == 0, out
    assert f"original in dead_letter {copy.stored_id}" in out

    code, out, _ = env.cli("redrive", env.dlq, "--offset", "0:0")
    assert code == 0, out
    assert out.splitlines()[0] == f"redriven  {env.dlq}[0]@0  -> {env.actions}[0]@1"
    _original, again = env.messages(env.actions)
    assert (again.key, again.value) == (b"big-key", value)
    assert again.headers == (
        ("origin", b"big"),
        ("binary", bytes(range(256))),
        ("empty", None),
        ("x-redriven-from", f"{env.dlq}[0]@0".encode()),
    )


def test_a_message_read_again_after_a_restart_is_not_dead_lettered_twice(env: Env) -> None:
    raw = env.raw()
    raw.produce(env.actions, key=b"corrupt", value=CORRUPT)
    assert raw.flush(30) == 0
    first = env.ingest()
    assert first.counts["dead_lettered"] == 1
    # As if the member died after the DLQ write and before its offsets were committed:
    # the group reads the message again.
    reset_offsets(env.settings, env.settings.group_ingest, datetime(2000, 1, 1, tzinfo=UTC))

    again = env.ingest()

    assert again.counts["dead_letter_repeats"] == 1
    assert again.counts["dead_lettered"] == 0
    assert len(env.messages(env.dlq)) == 1

"""Replay and offsets reset against the real Kafka and PostgreSQL."""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from consumers import replay
from consumers.ingest import ingest_loop
from consumers.loop import LoopStats
from consumers.offsets import (
    GroupActiveError,
    committed_offsets,
    parse_duration,
    require_stopped,
    reset_offsets,
    to_millis,
)
from consumers.replay import ReplayError, ReplayReport
from provisioning import cli
from provisioning.settings import Settings
from schemas.codec import SingleObjectCodec
from schemas.requests import REQUEST, build_request, to_avro
from tests.conftest import TopicFactory, unique_name
from tests.services import Services

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

ALICE = "30000000-0000-4000-8000-000000000001"
PARTITIONS = 4
PER_WINDOW = 10  # requests published in each of the windows A, B and C
CORRUPT = b"\x00not avro at all"


def _env(settings: Settings, database_url: str) -> dict[str, str]:
    return {
        "PROVISIONING_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "PROVISIONING_DATABASE_URL": database_url,
        "PROVISIONING_TOPIC_ORDERS": settings.topic_orders,
        "PROVISIONING_TOPIC_ACTIONS": settings.topic_actions,
        "PROVISIONING_GROUP_INGEST": settings.group_ingest,
    }


@dataclass
class World:
    """Fresh topics, ingest group and database, and requests published in three windows.

    A, B and C hold ``PER_WINDOW`` domain creates each on the actions topic, stamped
    three, two and one hour(s) ago, spread round-robin over the partitions.
    """

    settings: Settings
    database_url: str
    admin: AdminClient
    at: dict[str, datetime] = field(default_factory=dict)
    ids: dict[str, list[str]] = field(default_factory=dict)

    @property
    def topic(self) -> str:
        return self.settings.topic_actions

    def publish(self, window: str, at: datetime, *, corrupt: bool = False) -> None:
        """Publish window ``window``'s requests stamped ``at`` (and a corrupt message if asked)."""
        codec = SingleObjectCodec()
        producer = Producer({"bootstrap.servers": self.settings.kafka_bootstrap_servers})
        self.at[window], self.ids[window] = at, []
        for i in range(PER_WINDOW):
            name = f"{window.lower()}-{i}-{unique_name('d').replace('_', '-')}.com"
            datum = build_request(
                {
                    "action": "provision_domain",
                    "tenant_customer_id": ALICE,
                    "accreditation": "alpha-registry",
                    "payload": {"name": name},
                }
            )
            value = codec.encode(REQUEST, to_avro(datum))
            producer.produce(
                self.topic,
                key=f"domain:{name}".encode(),
                value=value,
                partition=i % PARTITIONS,
                timestamp=to_millis(at),
            )
            self.ids[window].append(datum["request_id"])
        if corrupt:
            producer.produce(
                self.topic,
                key=b"domain:corrupt",
                value=CORRUPT,
                partition=0,
                timestamp=to_millis(at),
            )
        assert producer.flush(30) == 0

    def publish_windows(self, *, corrupt: bool = False) -> None:
        now = datetime.now(UTC).replace(microsecond=0)
        self.publish("A", now - timedelta(hours=3))
        self.publish("B", now - timedelta(hours=2), corrupt=corrupt)
        self.publish("C", now - timedelta(hours=1))

    def ingest(self) -> LoopStats:
        loop = ingest_loop(
            self.settings, [self.topic, self.settings.topic_orders], poll_timeout=0.25
        )
        return loop.run(max_idle_polls=4)

    def replay(self, start: datetime, end: datetime | None = None, **options: Any) -> ReplayReport:
        return replay.replay(self.settings, self.topic, start, end, poll_timeout=0.25, **options)

    def forget(self, window: str) -> None:
        """Lose window's provisions, as a database restored from an older backup would."""
        with psycopg.connect(self.database_url) as conn:
            ids = {"ids": self.ids[window]}
            conn.execute("DELETE FROM outbox WHERE request_id = ANY(%(ids)s::UUID[])", ids)
            conn.execute(
                "DELETE FROM provision_rejection WHERE request_id = ANY(%(ids)s::UUID[])", ids
            )
            conn.execute("DELETE FROM request_ids WHERE request_id = ANY(%(ids)s::UUID[])", ids)
            jobs = [
                row[0]
                for row in conn.execute(
                    "DELETE FROM class.provision WHERE request_id = ANY(%(ids)s::UUID[])"
                    " RETURNING job_id",
                    ids,
                )
            ]
            conn.execute(
                "DELETE FROM job WHERE id = ANY(%(jobs)s) OR parent_id = ANY(%(jobs)s)",
                {"jobs": jobs},
            )
        assert len(jobs) == PER_WINDOW

    def recorded(self) -> set[str]:
        with psycopg.connect(self.database_url) as conn:
            return {str(row[0]) for row in conn.execute("SELECT request_id FROM provision_domain")}

    def count(self, table: str) -> int:
        with psycopg.connect(self.database_url) as conn:
            row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608
        assert row is not None
        return int(row[0])

    def end_offsets(self, topic: str) -> list[int]:
        """Where each partition of ``topic`` ends."""
        consumer = Consumer(
            {
                "bootstrap.servers": self.settings.kafka_bootstrap_servers,
                "group.id": unique_name("ends"),
            }
        )
        try:
            partitions = sorted(consumer.list_topics(topic, timeout=10).topics[topic].partitions)
            ends = [TopicPartition(topic, p) for p in partitions]
            return [consumer.get_watermark_offsets(tp, timeout=10, cached=False)[1] for tp in ends]
        finally:
            consumer.close()


@pytest.fixture
def world(services: Services, provisioning_db: str, make_topic: TopicFactory) -> World:
    settings = Settings(
        kafka_bootstrap_servers=services.kafka_bootstrap,
        database_url=provisioning_db,  # pydantic coerces to SecretStr
        topic_orders=make_topic(partitions=PARTITIONS, prefix="orders"),
        topic_actions=make_topic(partitions=PARTITIONS, prefix="actions"),
        group_ingest=unique_name("ingest"),
    )
    admin = AdminClient({"bootstrap.servers": services.kafka_bootstrap})
    return World(settings, provisioning_db, admin)


def _all_ids(world: World) -> set[str]:
    return {request_id for ids in world.ids.values() for request_id in ids}


def test_replaying_an_ingested_range_adds_nothing(world: World) -> None:
    world.publish_windows(corrupt=True)
    world.ingest()
    assert world.recorded() == _all_ids(world)

    report = world.replay(world.at["A"])

    assert report.complete
    counts = report.counts
    assert (counts.read, counts.new, counts.duplicates) == (3 * PER_WINDOW + 1, 0, 3 * PER_WINDOW)
    assert (counts.rejected, counts.dead_lettered, counts.undecodable) == (0, 0, 1)
    assert world.count("provision_domain") == 3 * PER_WINDOW
    assert world.count("job") == 3 * PER_WINDOW
    assert world.count("outbox") == 0
    # Every offset of every partition was covered, from the first to the last.
    ends = world.end_offsets(world.topic)
    assert [(s.first, s.last) for s in report.partitions] == [(0, end - 1) for end in ends]
    # The undecodable message went to the DLQ again, saying the replay sent it.
    dlq = world.settings.dlq_topic(world.topic)
    assert world.end_offsets(dlq)[0] == 2
    consumer = Consumer(
        {
            "bootstrap.servers": world.settings.kafka_bootstrap_servers,
            "group.id": unique_name("dlq-check"),
        }
    )
    try:
        consumer.assign([TopicPartition(dlq, 0, 1)])
        message = consumer.poll(30)
    finally:
        consumer.close()
    assert message is not None
    assert message.value() == CORRUPT
    headers = {entry[0]: entry[1] for entry in message.headers() or []}
    assert headers["x-dlq-consumer-group"] == report.group_id.encode()


def test_a_replay_restores_the_provisions_a_restored_database_lost(world: World) -> None:
    world.publish_windows()
    world.ingest()
    world.forget("B")
    assert world.recorded() == set(world.ids["A"]) | set(world.ids["C"])

    report = world.replay(world.at["A"])

    assert (report.counts.new, report.counts.duplicates) == (PER_WINDOW, 2 * PER_WINDOW)
    assert report.counts.rejected == report.counts.undecodable == 0
    assert world.recorded() == _all_ids(world)
    assert world.count("job") == 3 * PER_WINDOW
    with psycopg.connect(world.database_url) as conn:
        missing_jobs = conn.execute(
            "SELECT count(*) FROM provision_domain p LEFT JOIN job j ON j.id = p.job_id"
            " WHERE j.id IS NULL"
        ).fetchone()
    assert missing_jobs == (0,)


def test_only_the_time_range_is_read(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    world.publish_windows()
    for name, value in _env(world.settings, world.database_url).items():
        monkeypatch.setenv(name, value)
    at = world.at["B"].isoformat()  # both ends are inclusive

    assert cli.main(["replay", "--topic", "actions", "--from", at, "--to", at]) == 0

    assert world.recorded() == set(world.ids["B"])  # nothing before --from or after --to
    out = capsys.readouterr().out
    assert f"read {PER_WINDOW}: new {PER_WINDOW}, duplicate 0, rejected 0" in out
    assert "partition 0: offsets 3..5 (3 read)" in out


def test_a_dry_run_writes_nothing(world: World) -> None:
    world.publish_windows(corrupt=True)
    world.ingest()
    world.forget("B")
    dlq = world.settings.dlq_topic(world.topic)
    dead_before = world.end_offsets(dlq)
    audit_before = world.count("audit_trail_log")

    report = world.replay(world.at["A"], dry_run=True)

    assert report.dry_run
    assert (report.counts.new, report.counts.duplicates) == (PER_WINDOW, 2 * PER_WINDOW)
    assert report.counts.undecodable == 1
    assert world.recorded() == set(world.ids["A"]) | set(world.ids["C"])
    assert world.count("job") == 2 * PER_WINDOW
    assert world.count("audit_trail_log") == audit_before
    assert world.end_offsets(dlq) == dead_before
    assert "would be new 10" in report.summary()


def test_a_replay_leaves_the_live_groups_offsets_alone(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.publish_windows()
    world.ingest()
    group = world.settings.group_ingest
    before = committed_offsets(world.admin, group)
    assert sum(before.values()) == 3 * PER_WINDOW
    world.forget("C")
    for name, value in _env(world.settings, world.database_url).items():
        monkeypatch.setenv(name, value)

    assert cli.main(["replay", "--topic", world.topic, "--from", "-1d"]) == 0  # relative, bare

    assert world.recorded() == _all_ids(world)
    assert committed_offsets(world.admin, group) == before
    groups = world.admin.list_consumer_groups(request_timeout=30).result()
    replay_groups = [g.group_id for g in groups.valid if g.group_id.startswith(f"{group}-replay")]
    assert replay_groups == []  # the replay committed nothing, so left no group behind


def test_a_replay_refuses_what_it_cannot_read(world: World) -> None:
    with pytest.raises(ReplayError, match="cannot be read"):
        replay.replay(world.settings, unique_name("missing"), datetime.now(UTC))
    with pytest.raises(ReplayError, match="is before"):
        world.replay(datetime.now(UTC), datetime.now(UTC) - timedelta(hours=1))
    with pytest.raises(ReplayError, match="not a request topic"):
        replay.request_topic(world.settings, world.settings.topic_outcomes)


def _member(world: World) -> Consumer:
    """A consumer that has joined the ingest group and holds its partitions."""
    consumer = Consumer(
        {
            "bootstrap.servers": world.settings.kafka_bootstrap_servers,
            "group.id": world.settings.group_ingest,
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([world.topic])
    deadline = time.monotonic() + 30
    while not consumer.assignment() and time.monotonic() < deadline:
        consumer.poll(0.2)
    assert consumer.assignment()
    return consumer


def _wait_until_stopped(admin: AdminClient, group: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            return require_stopped(admin, group)
        except GroupActiveError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_offsets_reset_refuses_a_running_group_and_moves_a_stopped_one(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    world.publish_windows()
    world.ingest()
    group = world.settings.group_ingest
    end = committed_offsets(world.admin, group)
    for name, value in _env(world.settings, world.database_url).items():
        monkeypatch.setenv(name, value)
    to = world.at["B"].isoformat()

    member = _member(world)
    try:
        with pytest.raises(GroupActiveError, match="has 1 member"):
            reset_offsets(world.settings, group, world.at["B"])
        reset = ["offsets", "reset", "--group", group, "--to", to, "--execute"]
        assert cli.main(reset) == 1  # a refusal is a failure, not a usage error
        assert "stop its consumers first" in capsys.readouterr().err
    finally:
        member.close()  # leaves the group
    _wait_until_stopped(world.admin, group)
    assert committed_offsets(world.admin, group) == end

    # without --execute, the plan only (--dry-run is the same, kept for older scripts)
    for plan_only in ([], ["--dry-run"]):
        assert cli.main(["offsets", "reset", "--group", group, "--to", to, *plan_only]) == 0
        out = capsys.readouterr().out
        assert "would move" in out
        assert "--execute" in out
        assert f"{world.topic}[0]: {end[world.topic, 0]} → 3" in out
        assert committed_offsets(world.admin, group) == end

    assert cli.main(["offsets", "reset", "--group", group, "--to", to, "--execute"]) == 0

    # B starts, on each partition, after A's messages there (round-robin: 3, 3, 2, 2).
    a_counts = Counter(i % PARTITIONS for i in range(PER_WINDOW))
    expected = {(world.topic, p): a_counts[p] for p in range(PARTITIONS)}
    assert committed_offsets(world.admin, group) == expected
    out = capsys.readouterr().out
    assert f"{world.topic}[0]: {end[world.topic, 0]} → 3" in out
    # The group's next consumer re-reads from there: B and C, not A.
    stats = world.ingest()
    assert (stats.counts["inserted"], stats.counts["duplicates"]) == (0, 2 * PER_WINDOW)
    assert committed_offsets(world.admin, group) == end


def test_offsets_reset_targets_as_kafka_consumer_groups_names_them(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    world.publish_windows()
    world.ingest()
    group = world.settings.group_ingest
    end = committed_offsets(world.admin, group)
    for name, value in _env(world.settings, world.database_url).items():
        monkeypatch.setenv(name, value)
    a_counts = Counter(i % PARTITIONS for i in range(PER_WINDOW))
    after_a = {(world.topic, p): a_counts[p] for p in range(PARTITIONS)}
    zero = dict.fromkeys(end, 0)

    def reset(*argv: str) -> dict[str, Any]:
        capsys.readouterr()
        command = ["offsets", "reset", "--group", group, "--topic", "actions", "--json"]
        assert cli.main([*command, *argv]) == 0
        report: dict[str, Any] = json.loads(capsys.readouterr().out)
        return report

    # --json: the plan, as data; nothing moved
    plan = reset("--to-earliest")
    assert (plan["group"], plan["to"], plan["executed"]) == (group, "earliest", False)
    assert {(m["topic"], m["partition"]): (m["old"], m["new"]) for m in plan["moves"]} == {
        key: (offset, 0) for key, offset in end.items()
    }
    assert committed_offsets(world.admin, group) == end

    assert reset("--to-earliest", "--execute")["executed"] is True
    assert committed_offsets(world.admin, group) == zero
    assert reset("--to-latest", "--execute")["to"] == "latest"
    assert committed_offsets(world.admin, group) == end
    # now minus 2h30m: B (2h ago) and C are re-read, A is not
    moved = reset("--by-duration", "PT2H30M", "--execute")
    assert committed_offsets(world.admin, group) == after_a
    assert world.at["A"].isoformat() < moved["to"] < world.at["B"].isoformat()
    reset("--to-latest", "--execute")
    moved = reset("--by-duration", "150m", "--execute")  # the short form
    assert {(m["topic"], m["partition"]): (m["old"], m["new"]) for m in moved["moves"]} == {
        key: (end[key], offset) for key, offset in after_a.items()
    }
    reset("--to-latest", "--execute")
    reset("--to-datetime", world.at["B"].isoformat(), "--execute")
    assert committed_offsets(world.admin, group) == after_a

    # one target at a time, and --execute with --dry-run is refused: usage errors
    for bad in (
        ["--to-earliest", "--to-latest"],
        ["--to-latest", "--execute", "--dry-run"],
        ["--by-duration", "two hours"],
        [],
    ):
        with pytest.raises(SystemExit) as exit_:
            cli.main(["offsets", "reset", "--group", group, *bad])
        assert exit_.value.code == 2, bad


def test_durations_are_read_as_kafka_and_as_short_forms() -> None:
    assert parse_duration("PT2H30M") == timedelta(hours=2, minutes=30)
    assert parse_duration("P1DT1S") == timedelta(days=1, seconds=1)
    assert parse_duration("PT0.5S") == timedelta(seconds=0.5)
    assert parse_duration("p2d") == timedelta(days=2)
    assert parse_duration("45m") == timedelta(minutes=45)
    for bad in ("P", "PT", "2 hours", "-2h", "P1H", ""):
        with pytest.raises(ValueError, match="is not a duration"):
            parse_duration(bad)

"""The request outbox (producers/outbox.py) against the real Kafka and PostgreSQL: a
component's own write and its provisioning request commit or roll back together,
through a SQLAlchemy Connection, a SQLAlchemy Session (ORM) or a plain psycopg
connection; the relay publishes what committed to the actions topic once, whenever
it runs, and after a crash between the commit and the publish."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, create_engine, insert
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.pool import NullPool

from producers import parked
from producers.outbox import Target, enqueue_request
from producers.relay import ACTION_REQUESTS, Relay
from producers.requests import CONTENT_TYPE as REQUEST_CONTENT_TYPE
from provisioning.errors import InvalidRequest
from provisioning.settings import Settings
from tests.conftest import TopicFactory, unique_name
from tests.db.helpers import ALICE, ALPHA_REGISTRY, TRACEPARENT, Conn, fetch_all, scalar
from tests.services import Services
from tests.test_relay import (
    Record,
    between_batches,
    millis,
    read_request,
    read_topic,
    wait_for,
)

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parent.parent
PARTITIONS = 2
KINDS = ["connection", "session", "psycopg"]  # what the component writes through


class Base(DeclarativeBase):
    pass


class Invoice(Base):
    """The component's own table: a control panel's invoice for a domain it renews."""

    __tablename__ = "panel_invoice"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[uuid.UUID]
    domain: Mapped[str]


@dataclass(frozen=True)
class Env:
    settings: Settings
    owner_url: str  # the schema owner: the tests look with it
    component_url: str  # the component's own login: its table + provisioning_requester
    role: str
    bootstrap: str

    def relay(self, **options: Any) -> Relay:
        options.setdefault("poll_seconds", 0.2)
        return Relay(self.settings, ACTION_REQUESTS, **options)

    def published(self) -> list[Record]:
        return read_topic(self.bootstrap, self.settings.topic_actions, PARTITIONS)

    def engine(self) -> Engine:
        url = self.component_url.replace("postgresql://", "postgresql+psycopg://", 1)
        return create_engine(url, poolclass=NullPool)


@pytest.fixture
def env(services: Services, provisioning_db: str, make_topic: TopicFactory) -> Iterator[Env]:
    """A provisioning database with a component in it: its table, and its own login role
    holding its rights on that table and provisioning_requester (INHERIT)."""
    role = unique_name("panel")
    with psycopg.connect(provisioning_db, autocommit=True) as owner:
        owner.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{role}'")
        owner.execute(f"GRANT provisioning_requester TO {role}")
        owner.execute(
            "CREATE TABLE panel_invoice (id BIGSERIAL PRIMARY KEY,"
            " request_id UUID NOT NULL, domain TEXT NOT NULL)"
        )
        owner.execute(f"GRANT SELECT, INSERT ON panel_invoice TO {role}")
        owner.execute(f"GRANT USAGE ON SEQUENCE panel_invoice_id_seq TO {role}")
    settings = Settings(
        kafka_bootstrap_servers=services.kafka_bootstrap,
        database_url=provisioning_db,  # pydantic coerces to SecretStr
        topic_actions=make_topic(partitions=PARTITIONS, prefix="actions"),
    )
    database = provisioning_db.rsplit("/", 1)[1]
    component_url = (
        f"postgresql://{role}:{role}@{services.postgres_host}:{services.postgres_port}/{database}"
    )
    yield Env(settings, provisioning_db, component_url, role, services.kafka_bootstrap)
    with psycopg.connect(provisioning_db, autocommit=True) as owner:
        owner.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", [role]
        )
        owner.execute(f"DROP OWNED BY {role}")
        owner.execute(f"DROP ROLE {role}")


@pytest.fixture
def db(env: Env) -> Iterator[Conn]:
    with psycopg.connect(env.owner_url, autocommit=True) as conn:
        yield conn


@contextmanager
def transaction(env: Env, kind: str) -> Iterator[Target]:
    """One transaction of the component: committed when the block ends, rolled back when
    it raises."""
    if kind == "psycopg":
        with psycopg.connect(env.component_url) as conn:  # commit on exit, rollback on error
            yield conn
        return
    engine = env.engine()
    try:
        if kind == "connection":
            with engine.begin() as connection:
                yield connection
        else:
            with Session(engine) as session, session.begin():
                yield session
    finally:
        engine.dispose()


def record_invoice(target: Target, domain: str, request_id: str) -> None:
    """The component's own write, the way each kind of caller writes."""
    if isinstance(target, Session):
        target.add(Invoice(request_id=uuid.UUID(request_id), domain=domain))  # flushed at commit
    elif isinstance(target, psycopg.Connection):
        target.execute(
            "INSERT INTO panel_invoice (request_id, domain) VALUES (%s, %s)", [request_id, domain]
        )
    else:
        target.execute(insert(Invoice).values(request_id=uuid.UUID(request_id), domain=domain))


def renewal(domain: str, **extra: Any) -> dict[str, Any]:
    return {
        "action": "provision_domain_renew",
        "request_id": str(uuid.uuid4()),
        "tenant_customer_id": str(ALICE),
        "accreditation": ALPHA_REGISTRY,
        "payload": {"name": domain, "period": 1},
        "order_metadata": {"invoice": "panel"},
        **extra,
    }


def renew_and_invoice(env: Env, kind: str, domain: str) -> dict[str, Any]:
    """The component's unit of work: an invoice and the renewal it pays for, one
    transaction."""
    request = renewal(domain)
    with transaction(env, kind) as tx:
        record_invoice(tx, domain, request["request_id"])
        assert enqueue_request(tx, request, traceparent=TRACEPARENT) == request["request_id"]
    return request


def invoices(db: Conn) -> list[str]:
    return [row["domain"] for row in fetch_all(db, "SELECT domain FROM panel_invoice ORDER BY id")]


def outbox_rows(db: Conn) -> list[dict[str, Any]]:
    return fetch_all(db, "SELECT * FROM action_request_outbox ORDER BY id")


def unsent(db: Conn) -> int:
    return int(scalar(db, "SELECT count(*) FROM action_request_outbox WHERE sent_date IS NULL"))


def assert_published_once(env: Env, db: Conn, request: dict[str, Any]) -> None:
    """The request is on the actions topic exactly once, as RequestProducer would send it."""
    (row,) = outbox_rows(db)
    assert row["sent_date"] is not None
    (record,) = env.published()
    assert record.key == f"domain:{request['payload']['name']}"
    assert record.headers == {
        "content-type": REQUEST_CONTENT_TYPE.encode(),
        "traceparent": TRACEPARENT.encode(),
    }
    sent = read_request(record.value)
    assert str(sent.pop("request_id")) == request["request_id"]
    assert str(sent.pop("tenant_customer_id")) == request["tenant_customer_id"]
    # stored by enqueue_request: a re-sent request is byte-for-byte the same
    stored = datetime.fromisoformat(row["request"]["requested_at"])
    assert sent.pop("requested_at") == millis(stored)
    assert sent == {
        "accreditation": ALPHA_REGISTRY,
        "action": "provision_domain_renew",
        "payload": {"name": request["payload"]["name"], "period": 1, "current_expiry_date": None},
        "order_item_plan_ids": [],
        "order_metadata": {"invoice": "panel"},
    }


# ---------------------------------------------------------------------- commit, rollback


@pytest.mark.parametrize("kind", KINDS)
def test_a_committed_request_is_published_once_woken_by_its_commit(
    env: Env, db: Conn, kind: str
) -> None:
    relay = env.relay(poll_seconds=3600.0)  # only the commit's NOTIFY can wake it in time
    thread = threading.Thread(target=relay.run, name="relay", daemon=True)
    thread.start()
    try:
        assert relay.listening.wait(30)
        wait_for(lambda: between_batches(db, relay), timeout=30, what="the relay to wait")
        request = renew_and_invoice(env, kind, "renewed.com")
        assert invoices(db) == ["renewed.com"]  # the component's write and...
        wait_for(lambda: unsent(db) == 0, timeout=30, what="the relay to publish")
    finally:
        relay.stop()
        thread.join(30)
    assert not thread.is_alive()
    assert relay.counts["published"] == 1
    assert env.relay().run(until_idle=0.5)["published"] == 0  # ...its request, sent once
    assert_published_once(env, db, request)


@pytest.mark.parametrize("kind", KINDS)
def test_a_rolled_back_transaction_writes_nothing_and_sends_nothing(
    env: Env, db: Conn, kind: str
) -> None:
    class Refused(Exception):
        pass

    def renew_but_decline(tx: Target) -> None:
        request = renewal("refused.com")
        record_invoice(tx, "refused.com", request["request_id"])
        enqueue_request(tx, request)
        if isinstance(tx, Session):
            tx.flush()  # the invoice reached the database too before the rollback
        raise Refused  # e.g. the payment was declined after both were written

    with pytest.raises(Refused), transaction(env, kind) as tx:
        renew_but_decline(tx)

    assert invoices(db) == []
    assert outbox_rows(db) == []
    assert env.relay().run(until_idle=0.5)["published"] == 0
    assert env.published() == []


# ---------------------------------------------------------------------- the relay down


@pytest.mark.parametrize("kind", KINDS)
def test_a_request_committed_while_no_relay_runs_is_sent_once_when_one_starts(
    env: Env, db: Conn, kind: str
) -> None:
    request = renew_and_invoice(env, kind, "later.com")
    assert unsent(db) == 1  # committed, nobody publishing

    assert env.relay().run(until_idle=0.5)["published"] == 1
    assert env.relay().run(until_idle=0.5)["published"] == 0  # a relay started again
    assert_published_once(env, db, request)


def _dead_broker() -> str:
    """host:port where nothing listens: a relay there reads rows it can never deliver."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


def _relay_process(env: Env, bootstrap: str, log: Path) -> subprocess.Popen[bytes]:
    variables = {
        "PROVISIONING_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "PROVISIONING_DATABASE_URL": env.owner_url,
        "PROVISIONING_TOPIC_ACTIONS": env.settings.topic_actions,
    }
    keep = {k: v for k, v in os.environ.items() if not k.startswith("PROVISIONING_")}
    argv = ["relay", "--outbox", "action-requests", "--poll-seconds", "0.2"]
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "provisioning.cli", *argv],
            env={**keep, **variables},
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _holding_the_row(db: Conn) -> bool:
    """The relay process is in a window: lock taken, rows fetched (its last statement),
    and for half a second waiting for Kafka's acknowledgement."""
    found = scalar(
        db,
        "SELECT count(*) FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid"
        " WHERE a.application_name = 'provisioning-relay:action-requests'"
        " AND a.state = 'idle in transaction' AND l.locktype = 'advisory' AND l.granted"
        " AND a.query LIKE '%%FROM action_request_outbox o%%'"
        " AND now() - a.state_change > interval '0.5 seconds'"
        " AND a.datname = current_database()",
    )
    return bool(found)


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_a_relay_killed_between_the_commit_and_the_publish_loses_nothing(
    env: Env, db: Conn, kind: str, processes: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    log = tmp_path / "relay.log"
    processes.append(_relay_process(env, _dead_broker(), log))
    request = renew_and_invoice(env, kind, "crash.com")
    wait_for(lambda: _holding_the_row(db), timeout=60, what="the relay to take the row")
    processes[0].send_signal(signal.SIGKILL)  # after the commit, before any publish
    processes[0].wait(10)
    wait_for(lambda: not _holding_the_row(db), timeout=30, what="its session to end")
    assert unsent(db) == 1, log.read_text()

    assert env.relay().run(until_idle=0.5)["published"] == 1  # the relay back
    assert_published_once(env, db, request)


# ---------------------------------------------------------------------- bad requests


BAD_REQUESTS: list[tuple[dict[str, Any], dict[str, Any], str]] = [
    # (changes to a good request, enqueue_request's keywords, the error)
    ({"action": "provision_everything"}, {}, "action 'provision_everything' is not one of"),
    ({"tenant_customer_id": None}, {}, "tenant_customer_id is required"),
    ({"request_id": "not-a-uuid"}, {}, "request_id: 'not-a-uuid' is not a UUID"),
    ({"payload": {"name": "x.com", "period": "two"}}, {}, "does not fit its schema"),
    ({"order_item_plan_ids": [str(uuid.uuid4())]}, {}, "accepted only on the order service"),
    ({"payload": {"name": "x" * 1001 + ".com"}}, {}, "longer than 1000 characters"),
    ({}, {"traceparent": "not-a-trace"}, "is not a W3C trace context"),
]


@pytest.mark.parametrize("kind", KINDS)
def test_an_invalid_request_raises_writes_nothing_and_leaves_the_transaction_usable(
    env: Env, db: Conn, kind: str
) -> None:
    with transaction(env, kind) as tx:
        record_invoice(tx, "kept.com", str(uuid.uuid4()))
        for changes, keywords, error in BAD_REQUESTS:
            with pytest.raises(InvalidRequest, match=error):
                enqueue_request(tx, {**renewal("bad.com"), **changes}, **keywords)
        good = renewal("good.com")
        enqueue_request(tx, good)  # the transaction goes on: nothing failed in it

    assert invoices(db) == ["kept.com"]
    assert [row["request_id"] for row in outbox_rows(db)] == [uuid.UUID(good["request_id"])]


def test_something_that_is_not_a_connection_is_refused(env: Env) -> None:
    engine = env.engine()
    try:
        with pytest.raises(TypeError, match="not Engine"):
            enqueue_request(engine, renewal("engine.com"))  # type: ignore[arg-type]
    finally:
        engine.dispose()


# ---------------------------------------------------------------------- the relay's rules


def test_one_keys_requests_arrive_in_commit_order_on_one_partition(env: Env, db: Conn) -> None:
    sent: dict[str, list[str]] = {"one.com": [], "two.com": []}
    for index in range(12):
        domain = "one.com" if index % 3 else "two.com"
        sent[domain].append(renew_and_invoice(env, KINDS[index % 3], domain)["request_id"])

    assert env.relay(batch_size=5).run(until_idle=0.5)["published"] == 12
    records = env.published()  # offset order within each partition
    partitions = {r.key: {x.partition for x in records if x.key == r.key} for r in records}
    assert all(len(found) == 1 for found in partitions.values())
    for domain, ids in sent.items():
        order = [str(read_request(r.value)["request_id"]) for r in records]
        assert [i for i in order if i in ids] == ids, domain


def test_a_row_that_cannot_be_published_is_parked_and_holds_only_its_key(
    env: Env, db: Conn
) -> None:
    # a row the relay cannot encode (written past enqueue_request, by the owner)
    db.execute(
        "INSERT INTO action_request_outbox (request_id, message_key, request)"
        " VALUES (gen_random_uuid(), 'domain:stuck.com', '{\"action\": \"nope\"}')"
    )
    behind = renew_and_invoice(env, "psycopg", "stuck.com")  # same key: waits behind it
    other = renew_and_invoice(env, "psycopg", "free.com")  # another key: goes on
    settings = env.settings.model_copy(update={"relay_max_attempts": 1})

    counts = Relay(settings, ACTION_REQUESTS, poll_seconds=0.2).run(until_idle=0.5)

    assert (counts["published"], counts["parked"]) == (1, 1)
    (row,) = parked.parked(settings, "action-requests")
    assert (row["message_key"], row["attempts"]) == ("domain:stuck.com", 1)
    assert [str(read_request(r.value)["request_id"]) for r in env.published()] == [
        other["request_id"]
    ]

    parked.drop(settings, "action-requests", row["row_id"])  # the operator gives up on it
    assert Relay(settings, ACTION_REQUESTS, poll_seconds=0.2).run(until_idle=0.5)["published"] == 1
    assert unsent(db) == 0
    assert sorted(str(read_request(r.value)["request_id"]) for r in env.published()) == sorted(
        [other["request_id"], behind["request_id"]]
    )


def test_the_requester_may_only_insert_and_the_relay_only_read_and_mark_sent(
    env: Env, db: Conn
) -> None:
    renew_and_invoice(env, "psycopg", "roles.com")

    def refused(conn: Conn, sql: str) -> None:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(sql)

    with psycopg.connect(env.component_url, autocommit=True) as component:
        refused(component, "SELECT * FROM action_request_outbox")
        refused(component, "UPDATE action_request_outbox SET sent_date = now()")
        refused(component, "DELETE FROM action_request_outbox")
        refused(
            component,
            "INSERT INTO action_request_outbox (request_id, message_key, request, sent_date)"
            " VALUES (gen_random_uuid(), 'domain:x.com', '{}', now())",
        )
        refused(component, "SELECT * FROM outbox")
        # SET ROLE to the requester would lose the component's own rights: don't
        component.execute("SET ROLE provisioning_requester")
        refused(
            component,
            "INSERT INTO panel_invoice (request_id, domain) VALUES (gen_random_uuid(), 'x.com')",
        )
    with psycopg.connect(env.owner_url, autocommit=True) as relay:
        relay.execute("SET ROLE provisioning_relay")
        assert scalar(relay, "SELECT count(*) FROM action_request_outbox") == 1
        relay.execute("UPDATE action_request_outbox SET sent_date = now()")
        refused(relay, "UPDATE action_request_outbox SET request = '{}'")
        refused(relay, "DELETE FROM action_request_outbox")
        refused(
            relay,
            "INSERT INTO action_request_outbox (request_id, message_key, request)"
            " VALUES (gen_random_uuid(), 'domain:x.com', '{}')",
        )
    assert unsent(db) == 0


def test_the_same_request_id_twice_is_written_once(env: Env, db: Conn) -> None:
    request = renewal("twice.com")
    with transaction(env, "connection") as tx:
        enqueue_request(tx, request)
    with transaction(env, "session") as tx:
        enqueue_request(tx, request)  # a retry of the same unit of work
    assert len(outbox_rows(db)) == 1

"""The relay's hot standby (docs/relay.md, "One active relay per outbox"): two relay
processes, the active one SIGKILLed in the middle of a window, the other takes over.

Which process is active changes between windows, so the test pins the moment: it
freezes a relay (SIGSTOP) and looks at who holds the relay's advisory lock. When the
frozen relay holds it inside an open transaction, that relay is the active one, in the
middle of a window: it is SIGKILLed there.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
import pytest

from consumers.dlq import read_topic
from provisioning.settings import Settings
from schemas.codec import SingleObjectCodec
from schemas.requests import OUTCOME
from tests.conftest import TopicFactory
from tests.services import Services

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
ROWS = 2000
WINDOW = 10  # rows per relay transaction: many windows, so a relay is nearly always in one
RELAY = "provisioning-relay:outcomes"  # the work connection's application_name


def wait_until(predicate: Callable[[], bool], what: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def start_relay(settings: Settings, database_url: str, log: Path) -> subprocess.Popen[bytes]:
    variables = {
        "PROVISIONING_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "PROVISIONING_DATABASE_URL": database_url,
        "PROVISIONING_TOPIC_OUTCOMES": settings.topic_outcomes,
    }
    keep = {k: v for k, v in os.environ.items() if not k.startswith("PROVISIONING_")}
    argv = ["relay", "--outbox", "outcomes", "--batch-size", str(WINDOW)]
    argv += ["--window", str(WINDOW), "--poll-seconds", "0.2"]
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "provisioning.cli", *argv],
            env={**keep, **variables},
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def relay_backends(db: psycopg.Connection[Any]) -> set[int]:
    rows = db.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        " AND application_name = %s",
        (RELAY,),
    ).fetchall()
    return {int(pid) for (pid,) in rows}


def lock_holder(db: psycopg.Connection[Any]) -> tuple[int, str] | None:
    """The backend holding the outcomes relay's advisory lock, and its state."""
    row = db.execute(
        "SELECT l.pid, a.state FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
        " WHERE l.locktype = 'advisory' AND l.granted"
        " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    ).fetchone()
    return None if row is None else (int(row[0]), str(row[1]))


def one_more_backend(db: psycopg.Connection[Any], before: set[int]) -> bool:
    return len(relay_backends(db) - before) == 1


def unsent(db: psycopg.Connection[Any]) -> int:
    row = db.execute("SELECT count(*) FROM outbox WHERE sent_date IS NULL").fetchone()
    return int(row[0]) if row else 0


def frozen_in_a_window(db: psycopg.Connection[Any], mine: int) -> bool:
    """Whether the stopped relay whose backend is ``mine`` holds the lock in an open
    transaction. Waits for the statement it may have been running to end first."""
    held = lock_holder(db)
    deadline = time.monotonic() + 10
    while held is not None and held[0] == mine and held[1] != "idle in transaction":
        assert time.monotonic() < deadline, f"the frozen relay's session stayed {held[1]}"
        time.sleep(0.02)
        held = lock_holder(db)
    return held == (mine, "idle in transaction")


def test_the_standby_relay_takes_over_when_the_active_one_is_killed(
    services: Services,
    provisioning_db: str,
    make_topic: TopicFactory,
    processes: list[subprocess.Popen[bytes]],
    tmp_path: Path,
) -> None:
    """docs/relay.md: "Run as many relay processes as you like: one publishes, the others
    … stand by (hot standby: one of them takes over … once PostgreSQL has ended the dead
    relay's session)"; "At least once … A crash, a SIGKILL … leaves the row unsent, and it
    is published again: duplicates are possible, loss is not"; per-key order: "the last
    copy of every message on the topic is in id order"."""
    settings = Settings(
        kafka_bootstrap_servers=services.kafka_bootstrap,
        database_url=provisioning_db,  # pydantic coerces to SecretStr
        topic_outcomes=make_topic(partitions=4, prefix="outcomes"),
    )
    log = tmp_path / "relays.log"
    db = psycopg.connect(provisioning_db, autocommit=True)
    try:
        # two relays; each one's work connection is known by its backend pid
        backend: dict[int, int] = {}  # relay process pid -> its backend's pid
        for _ in range(2):
            before = relay_backends(db)
            proc = start_relay(settings, provisioning_db, log)
            processes.append(proc)
            wait_until(partial(one_more_backend, db, before), "a relay to connect")
            (backend[proc.pid],) = relay_backends(db) - before

        db.execute(  # a backlog, in one transaction: both relays wake to it
            "SELECT provision_reject(gen_random_uuid(), NULL, 'provision_domain', 'bad period',"
            " 'PV004', NULL, NULL, jsonb_build_object('order_id', 'order-' || i %% 13), NULL)"
            " FROM generate_series(1, %s) AS i",
            (ROWS,),
        )
        wait_until(lambda: unsent(db) <= ROWS - 5 * WINDOW, "the relays to start publishing")

        # freeze a relay; if it holds the lock inside a window, kill it there
        killed: subprocess.Popen[bytes] | None = None
        deadline = time.monotonic() + 60
        attempts = 0
        while killed is None:
            assert time.monotonic() < deadline, "never caught the active relay mid-window"
            assert unsent(db) > 0, "the backlog was gone before the active relay was caught"
            proc = processes[attempts % 2]
            attempts += 1
            os.kill(proc.pid, signal.SIGSTOP)
            if not frozen_in_a_window(db, backend[proc.pid]):
                os.kill(proc.pid, signal.SIGCONT)
                continue
            unsent_at_kill = [
                (row_id, str(event_id))
                for row_id, event_id in db.execute(
                    "SELECT id, event_id FROM outbox WHERE sent_date IS NULL ORDER BY id"
                ).fetchall()
            ]
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(30)
            killed = proc
        (survivor,) = [p for p in processes if p is not killed]

        wait_until(lambda: unsent(db) == 0, "the standby to publish the rest")
        survivor.send_signal(signal.SIGTERM)
        assert survivor.wait(30) == 0, log.read_text()
        rows = db.execute("SELECT id, event_id, message_key FROM outbox ORDER BY id").fetchall()
    finally:
        db.close()

    # the killed relay was stopped inside a window: the standby published what was left
    assert 0 < len(unsent_at_kill) < ROWS
    messages = read_topic(settings, settings.topic_outcomes) or []
    codec = SingleObjectCodec()
    published = [
        (m.partition, m.offset, m.key, str(codec.decode(OUTCOME, m.value or b"")["event_id"]))
        for m in messages
    ]
    copies = Counter(event for *_, event in published)
    assert set(copies) == {str(event) for _, event, _ in rows}  # nothing lost
    # duplicates only of rows in the killed relay's window: the first unsent at its death
    duplicated = {event for event, count in copies.items() if count > 1}
    window_in_hand = {event for _, event in unsent_at_kill[:WINDOW]}
    assert duplicated <= window_in_hand, duplicated - window_in_hand
    assert max(copies.values()) <= 2
    # per key, the last copy of each row is in id order
    last: dict[str, int] = {}
    partition_of: dict[bytes | None, set[int]] = defaultdict(set)
    for partition, offset, key, event in published:
        last[event] = offset
        partition_of[key].add(partition)
    assert all(len(parts) == 1 for parts in partition_of.values())  # one key, one partition
    by_key: dict[str, list[str]] = defaultdict(list)
    for _, event, message_key in rows:
        by_key[message_key].append(str(event))
    for message_key, events in by_key.items():
        assert sorted(events, key=last.__getitem__) == events, message_key

"""Two sessions racing with requests for one object: the second waits for the first
and then sees it (advisory locks, the request_ids primary key, and fresh snapshots in
the validation triggers)."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import psycopg
import pytest

from tests.db.helpers import BOB, counts, insert_provision, scalar

pytestmark = [pytest.mark.postgres]


def _wait_until_blocked(url: str, timeout: float = 10.0) -> None:
    """Until some session waits for a lock: an advisory lock (one object), or the first
    session's transaction (the same request_id in request_ids)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as watcher:
        while time.monotonic() < deadline:
            waiting = scalar(
                watcher,
                "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                " WHERE l.locktype IN ('advisory', 'transactionid') AND NOT l.granted"
                " AND a.datname = current_database()",
            )
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("the second session never waited for the lock")


def _race(url: str, table: str, first: dict[str, Any], second: dict[str, Any]) -> psycopg.Error:
    """The first request stays uncommitted while the second is inserted; then the first
    commits. Returns the error the second insert raised."""
    outcome: dict[str, BaseException] = {}
    with (
        psycopg.connect(url) as holder,  # a transaction, left open
        psycopg.connect(url, autocommit=True) as racer,
    ):
        insert_provision(holder, table, **first)

        def insert_second() -> None:
            try:
                insert_provision(racer, table, **second)
            except BaseException as exc:  # noqa: BLE001 - inspected by the main thread
                outcome["error"] = exc

        thread = threading.Thread(target=insert_second)
        thread.start()
        _wait_until_blocked(url)
        holder.commit()
        thread.join(timeout=30)
        assert not thread.is_alive()
        error = outcome.get("error")
        assert isinstance(error, psycopg.Error), f"the second insert did not fail: {error!r}"
        assert counts(racer)["class.provision"] == 1
        return error


def test_concurrent_creates_of_one_name(provisioning_db: str) -> None:
    error = _race(
        provisioning_db,
        "provision_domain",
        {"name": "race.com"},
        {"name": "race.com", "tenant_customer_id": BOB},
    )
    assert error.sqlstate == "PV005"
    assert "already has a pending provision_domain request" in str(error.diag.message_primary)


def test_concurrent_replays_of_one_request(provisioning_db: str) -> None:
    request_id = uuid.uuid4()
    error = _race(
        provisioning_db,
        "provision_contact",
        {
            "request_id": request_id,
            "handle": "race-1",
            "name": "R",
            "email": "r@example.net",
            "city": "X",
            "country_code": "DE",
        },
        {
            "request_id": request_id,
            "handle": "race-2",
            "name": "R",
            "email": "r@example.net",
            "city": "X",
            "country_code": "DE",
        },
    )
    assert error.sqlstate == "23505"
    assert f"duplicate request: request_id {request_id} already exists" in str(
        error.diag.message_primary
    )

"""Claiming jobs: concurrent claimers never share a job, expired leases are taken back,
heartbeats keep them, and only runnable jobs of the asked types are handed out."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import datetime, timedelta

import psycopg
import pytest

from tests.db.helpers import (
    ALICE,
    Conn,
    claim,
    claim_job,
    complete,
    fetch_all,
    heartbeat,
    insert_provision,
    job,
    provision,
    reclaim_expired,
    scalar,
)

pytestmark = [pytest.mark.postgres]


def wait_until_past(conn: Conn, moment: datetime, timeout: float = 30.0) -> None:
    """Until the database's clock (``now()``, which leases are compared with) is past ``moment``."""
    deadline = time.monotonic() + timeout
    while not scalar(conn, "SELECT now() > %(at)s", {"at": moment}):
        assert time.monotonic() < deadline, f"the database's clock never passed {moment}"
        time.sleep(0.05)


def _insert_contacts(conn: Conn, how_many: int) -> list[uuid.UUID]:
    """``how_many`` provision_contact requests in one statement; returns their job ids."""
    conn.execute(
        "INSERT INTO provision_contact (request_id, tenant_customer_id, accreditation_id,"
        " handle, name, email, city, country_code)"
        " SELECT gen_random_uuid(), %(tc)s, accreditation_id_from_name('alpha-registry'),"
        " 'load-' || i, 'Load ' || i, 'load' || i || '@example.net', 'Berlin', 'DE'"
        " FROM generate_series(1, %(n)s) AS i",
        {"tc": ALICE, "n": how_many},
    )
    return [row["job_id"] for row in fetch_all(conn, "SELECT job_id FROM provision_contact")]


@pytest.mark.parametrize("claimers", [2, 4])
def test_concurrent_claimers_never_get_the_same_job(provisioning_db: str, claimers: int) -> None:
    with psycopg.connect(provisioning_db, autocommit=True) as setup:
        job_ids = _insert_contacts(setup, 300)
    assert len(set(job_ids)) == 300

    claimed: dict[str, list[uuid.UUID]] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(claimers)

    def work(owner: str) -> None:
        mine: list[uuid.UUID] = []
        claimed[owner] = mine
        try:
            with psycopg.connect(provisioning_db, autocommit=True) as conn:
                start.wait(timeout=30)
                while batch := claim(conn, owner, limit=3):
                    for j in batch:
                        mine.append(j["id"])
                        assert complete(conn, j["id"], owner, {"roid": f"C-{j['id']}"})
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"claimer-{i}",)) for i in range(claimers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=100)
    assert errors == []

    every_claim = [job_id for owned in claimed.values() for job_id in owned]
    assert len(every_claim) == len(set(every_claim))  # nobody got a job twice
    assert sorted(every_claim) == sorted(job_ids)  # and every job was claimed
    assert all(claimed.values()), "every claimer got work"
    with psycopg.connect(provisioning_db) as conn:
        assert scalar(
            conn, "SELECT count(*) FROM job WHERE attempts = 1 AND lease_owner LIKE 'claimer-%%'"
        ) == len(job_ids)
        assert scalar(conn, "SELECT count(*) FROM contact") == len(job_ids)
        assert scalar(conn, "SELECT count(DISTINCT provision_id) FROM outbox") == len(job_ids)
        owners = fetch_all(
            conn, "SELECT lease_owner, count(*) AS n FROM job GROUP BY lease_owner ORDER BY 1"
        )
        assert {row["lease_owner"]: row["n"] for row in owners} == {
            owner: len(ids) for owner, ids in claimed.items()
        }


def test_an_expired_lease_is_reclaimed_and_claimed_again(db: Conn) -> None:
    row = insert_provision(db, "provision_domain", name="lease.com")
    claimed = claim_job(db, row["job_id"], owner="slow", lease=timedelta(seconds=2))
    assert reclaim_expired(db) == 0  # still leased
    wait_until_past(db, claimed["lease_expires_at"])

    assert reclaim_expired(db) == 1

    j = job(db, row["job_id"])
    assert j["status_name"] == "queued"
    assert (j["lease_owner"], j["lease_expires_at"]) == (None, None)
    assert j["attempts"] == 1
    assert j["result_message"] == "lease expired (owner slow) on attempt 1 of 5; retrying"
    assert scalar(
        db, "SELECT start_date - updated_date FROM job WHERE id = %(id)s", {"id": row["job_id"]}
    ) == timedelta(seconds=1)
    assert claim(db, "other") == []  # backing off
    assert provision(db, row["request_id"])["status"] == "processing"

    db.execute("UPDATE job SET start_date = now() WHERE id = %(id)s", {"id": row["job_id"]})
    again = claim_job(db, row["job_id"], owner="other")
    assert (again["attempts"], again["lease_owner"]) == (2, "other")
    assert provision(db, row["request_id"])["attempt_count"] == 2
    assert complete(db, row["job_id"], "other", {})
    assert complete(db, row["job_id"], "slow", {}) is False


def test_reclaim_backs_off_exponentially(db: Conn) -> None:
    row = insert_provision(db, "provision_domain", name="lease.com")
    for attempt in (1, 2, 3):
        claim_job(db, row["job_id"], owner="flaky")
        db.execute(
            "UPDATE job SET lease_expires_at = now() - INTERVAL '1 second' WHERE id = %(id)s",
            {"id": row["job_id"]},
        )
        assert reclaim_expired(db, timedelta(seconds=10)) == 1
        assert scalar(
            db,
            "SELECT start_date - updated_date FROM job WHERE id = %(id)s",
            {"id": row["job_id"]},
        ) == timedelta(seconds=10 * 2 ** (attempt - 1))
        db.execute("UPDATE job SET start_date = now() WHERE id = %(id)s", {"id": row["job_id"]})


def test_heartbeat_extends_the_lease(db: Conn) -> None:
    row = insert_provision(db, "provision_domain", name="beat.com")
    claim_job(db, row["job_id"], owner="worker", lease=timedelta(seconds=1))
    first = job(db, row["job_id"])["lease_expires_at"]

    assert heartbeat(db, "worker", [row["job_id"], uuid.uuid4()], timedelta(minutes=10)) == 1

    extended = job(db, row["job_id"])["lease_expires_at"]
    assert extended - first > timedelta(minutes=9)
    in_ten_minutes = scalar(
        db, "SELECT %(at)s::TIMESTAMPTZ - now() > INTERVAL '9 minutes'", {"at": extended}
    )
    assert in_ten_minutes is True
    wait_until_past(db, first)  # the first lease would have expired by now
    assert reclaim_expired(db) == 0
    assert job(db, row["job_id"])["lease_owner"] == "worker"
    # someone else's heartbeat extends nothing
    assert heartbeat(db, "intruder", [row["job_id"]], timedelta(hours=1)) == 0
    assert job(db, row["job_id"])["lease_expires_at"] == extended


def test_claim_hands_out_only_runnable_jobs_of_the_asked_types_oldest_first(db: Conn) -> None:
    later = insert_provision(db, "provision_domain", name="later.com")
    db.execute(
        "UPDATE job SET start_date = now() + INTERVAL '1 hour' WHERE id = %(id)s",
        {"id": later["job_id"]},
    )
    first = insert_provision(db, "provision_domain", name="first.com")
    second = insert_provision(db, "provision_domain", name="second.com")
    host = insert_provision(db, "provision_host", name="ns1.elsewhere.example")

    assert [j["id"] for j in claim(db, limit=10, types=["provision_ssl"])] == []
    hosts = claim(db, limit=10, types=["provision_host"])
    assert [j["id"] for j in hosts] == [host["job_id"]]
    domains = claim(db, limit=10, types=["provision_domain", "provision_contact"])
    assert [j["id"] for j in domains] == [first["job_id"], second["job_id"]]
    assert claim(db, limit=10) == []  # later.com is not runnable yet
    assert job(db, later["job_id"])["status_name"] == "queued"


@pytest.mark.parametrize(
    ("owner", "limit", "lease"),
    [("", 1, timedelta(seconds=1)), ("x", 0, timedelta(seconds=1)), ("x", 1, timedelta(0))],
    ids=["no-owner", "no-limit", "no-lease"],
)
def test_claim_refuses_bad_arguments(db: Conn, owner: str, limit: int, lease: timedelta) -> None:
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="job_claim"):
        claim(db, owner, limit, lease)


def test_a_job_inserted_or_requeued_notifies_executors(db: Conn, provisioning_db: str) -> None:
    with psycopg.connect(provisioning_db, autocommit=True) as listener:
        listener.execute("LISTEN job_runnable")
        listener.execute("LISTEN outbox")
        row = insert_provision(db, "provision_domain", name="notify.com")
        claim_job(db, row["job_id"])
        assert complete(db, row["job_id"], result={})
        received = [(n.channel, n.payload) for n in listener.notifies(timeout=1.0, stop_after=2)]
    assert received == [("job_runnable", "provision_domain"), ("outbox", "")]

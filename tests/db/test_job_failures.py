"""Failed jobs: the provision fails with the reason and one failed outcome; retries back
off exponentially until the attempts are spent; a zombie executor changes nothing."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest

from tests.db.helpers import (
    Conn,
    Row,
    claim,
    claim_job,
    complete,
    counts,
    fail,
    fetch_one,
    heartbeat,
    insert_provision,
    job,
    outbox,
    provision,
    reclaim_expired,
    register_domain,
    scalar,
)

pytestmark = [pytest.mark.postgres]


def _make_runnable(conn: Conn, job_id: object) -> None:
    """Skip the backoff wait: the test asserted start_date already."""
    conn.execute("UPDATE job SET start_date = now() WHERE id = %(id)s", {"id": job_id})


def _backoff(conn: Conn, job_id: object) -> timedelta:
    """start_date minus the time of the job's last update (job_fail's now())."""
    value = scalar(
        conn, "SELECT start_date - updated_date FROM job WHERE id = %(id)s", {"id": job_id}
    )
    assert isinstance(value, timedelta)
    return value


def _assert_failed_once(conn: Conn, row: Row, message: str, data: object) -> None:
    failed = provision(conn, row["request_id"])
    assert failed["status"] == "failed"
    assert failed["result_message"] == message
    assert failed["result_data"] == data
    assert failed["provisioned_date"] is None
    events = outbox(conn, row["request_id"])
    assert len(events) == 1
    assert events[0]["status"] == "failed"
    assert events[0]["result_message"] == message
    assert events[0]["result_data"] == data
    assert events[0]["provision_id"] == row["id"]
    assert events[0]["order_item_plan_ids"] == row["order_item_plan_ids"]
    assert events[0]["message_key"] == "domain:fail.com"


def test_a_non_retryable_failure_fails_at_once(db: Conn) -> None:
    row = insert_provision(db, "provision_domain", name="fail.com", order_item_plan_ids=[])
    claim_job(db, row["job_id"])
    data = {"code": 2302, "reason": "object exists"}

    outcome = fail(db, row["job_id"], message="2302 object exists", data=data, retryable=False)

    assert outcome == "failed"
    j = job(db, row["job_id"])
    assert (j["status_name"], j["attempts"], j["result_message"]) == (
        "failed",
        1,
        "2302 object exists",
    )
    assert j["end_date"] is not None
    _assert_failed_once(db, row, "2302 object exists", data)
    assert provision(db, row["request_id"])["attempt_count"] == 1
    assert scalar(db, "SELECT count(*) FROM domain") == 0


def test_retries_back_off_exponentially_until_attempts_are_spent(db: Conn) -> None:
    row = insert_provision(db, "provision_domain", name="fail.com")
    max_attempts = job(db, row["job_id"])["max_attempts"]
    assert max_attempts == 5
    base = timedelta(seconds=2)

    for attempt in range(1, max_attempts):
        claimed = claim_job(db, row["job_id"])
        assert claimed["attempts"] == attempt
        assert provision(db, row["request_id"])["attempt_count"] == attempt

        assert fail(db, row["job_id"], message=f"timeout {attempt}", backoff_base=base) == "retry"

        j = job(db, row["job_id"])
        assert j["status_name"] == "queued"
        assert (j["lease_owner"], j["lease_expires_at"]) == (None, None)
        assert j["result_message"] == f"timeout {attempt}"
        assert _backoff(db, row["job_id"]) == base * 2 ** (attempt - 1)  # 2, 4, 8, 16 s
        # not runnable before start_date; the provision keeps processing, no outcome yet
        assert claim(db, types=["provision_domain"]) == []
        p = provision(db, row["request_id"])
        assert p["status"] == "processing"
        assert outbox(db, row["request_id"]) == []
        _make_runnable(db, row["job_id"])

    claim_job(db, row["job_id"])
    assert fail(db, row["job_id"], message="timeout 5", backoff_base=base) == "failed"
    j = job(db, row["job_id"])
    assert (j["status_name"], j["attempts"]) == ("failed", 5)
    _assert_failed_once(db, row, "timeout 5", None)
    assert provision(db, row["request_id"])["attempt_count"] == 5


def test_the_backoff_is_capped(db: Conn) -> None:
    row = insert_provision(db, "provision_domain", name="fail.com")
    delays = []
    for _ in range(3):
        claim_job(db, row["job_id"])
        outcome = fail(
            db,
            row["job_id"],
            backoff_base=timedelta(minutes=1),
            backoff_max=timedelta(seconds=150),
        )
        assert outcome == "retry"
        delays.append(_backoff(db, row["job_id"]))
        _make_runnable(db, row["job_id"])
    assert delays == [timedelta(minutes=1), timedelta(minutes=2), timedelta(seconds=150)]


def test_the_default_backoff_is_one_second_doubling(db: Conn) -> None:
    row = insert_provision(db, "provision_domain", name="fail.com")
    claim_job(db, row["job_id"])
    assert (
        scalar(
            db,
            "SELECT job_fail(%(id)s, 'test-executor', 'busy')",
            {"id": row["job_id"]},
        )
        == "retry"
    )
    assert _backoff(db, row["job_id"]) == timedelta(seconds=1)


def test_a_zombie_executor_changes_nothing(db: Conn) -> None:
    row = insert_provision(db, "provision_domain", name="zombie.com")
    claim_job(db, row["job_id"], owner="zombie")
    # the zombie stalls past its lease; the job is taken back and claimed again
    db.execute(
        "UPDATE job SET lease_expires_at = now() - INTERVAL '1 second' WHERE id = %(id)s",
        {"id": row["job_id"]},
    )
    assert reclaim_expired(db, timedelta(0)) == 1
    claim_job(db, row["job_id"], owner="healthy")
    before_job = job(db, row["job_id"])
    before_counts = counts(db)

    assert complete(db, row["job_id"], "zombie", {"roid": "ZOMBIE"}) is False
    assert fail(db, row["job_id"], "zombie", "zombie gives up", retryable=False) == "lost"
    assert heartbeat(db, "zombie", [row["job_id"]], timedelta(minutes=5)) == 0

    assert job(db, row["job_id"]) == before_job
    assert counts(db) == before_counts
    p = provision(db, row["request_id"])
    assert (p["status"], p["attempt_count"]) == ("processing", 2)
    assert outbox(db, row["request_id"]) == []

    # the lease holder still completes it
    assert complete(db, row["job_id"], "healthy", {"roid": "D-OK"})
    assert provision(db, row["request_id"])["roid"] == "D-OK"
    assert len(outbox(db, row["request_id"])) == 1


def test_a_finished_job_cannot_be_completed_or_failed_again(db: Conn) -> None:
    row = insert_provision(db, "provision_domain", name="twice.com")
    claim_job(db, row["job_id"])
    assert complete(db, row["job_id"], result={"roid": "D-1"})
    before = counts(db)
    assert complete(db, row["job_id"], result={"roid": "D-2"}) is False
    assert fail(db, row["job_id"], message="late failure") == "lost"
    assert counts(db) == before
    assert provision(db, row["request_id"])["status"] == "completed"
    assert fetch_one(db, "SELECT roid FROM domain")["roid"] == "D-1"


def test_a_failed_completion_rolls_back_and_leaves_the_job_processing(db: Conn) -> None:
    """The completion runs in job_complete's transaction: when it cannot create the
    object (here: the result carries an invalid date), nothing is written."""
    row = insert_provision(db, "provision_domain", name="broken.com")
    claim_job(db, row["job_id"])
    before = counts(db)
    with pytest.raises(psycopg.errors.InvalidDatetimeFormat, match="next tuesday"):
        complete(db, row["job_id"], result={"expiry_date": "next tuesday"})
    assert counts(db) == before
    assert job(db, row["job_id"])["status_name"] == "processing"
    assert provision(db, row["request_id"])["status"] == "processing"


def test_reclaim_with_attempts_spent_fails_the_provision(db: Conn) -> None:
    row = insert_provision(db, "provision_domain", name="fail.com")
    db.execute("UPDATE job SET max_attempts = 1 WHERE id = %(id)s", {"id": row["job_id"]})
    claim_job(db, row["job_id"], owner="gone")
    db.execute(
        "UPDATE job SET lease_expires_at = now() - INTERVAL '1 second' WHERE id = %(id)s",
        {"id": row["job_id"]},
    )

    assert reclaim_expired(db) == 1

    j = job(db, row["job_id"])
    assert j["status_name"] == "failed"
    message = "lease expired (owner gone) on attempt 1 of 1; giving up"
    assert j["result_message"] == message
    assert j["end_date"] is not None
    failed = provision(db, row["request_id"])
    assert (failed["status"], failed["result_message"]) == ("failed", message)
    events = outbox(db, row["request_id"])
    assert [(e["status"], e["result_message"]) for e in events] == [("failed", message)]
    register_domain(db, "fail.com")  # the name is free again


def test_a_parent_waits_for_its_child_and_fails_with_it(db: Conn) -> None:
    parent = insert_provision(db, "provision_domain", name="parent.com")
    child_id = scalar(
        db,
        "INSERT INTO job (type_id, parent_id, data)"
        " VALUES (tc_id_from_name('job_type', 'provision_contact'), %(p)s, '{}') RETURNING id",
        {"p": parent["job_id"]},
    )
    # only the child is runnable while it is unfinished
    assert [j["id"] for j in claim(db, limit=10)] == [child_id]

    assert fail(db, child_id, message="contact refused", retryable=False) == "failed"

    j = job(db, parent["job_id"])
    assert j["status_name"] == "failed"
    assert (
        j["result_message"] == f"child job {child_id} (provision_contact) failed: contact refused"
    )
    p = provision(db, parent["request_id"])
    assert (p["status"], p["result_message"]) == ("failed", j["result_message"])
    assert [e["status"] for e in outbox(db, parent["request_id"])] == ["failed"]

"""Roles: each service role may do its part and nothing else (SQLSTATE 42501)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import psycopg
import pytest

from tests.db.helpers import (
    OWNER,
    Conn,
    claim,
    claim_job,
    complete,
    domain,
    fail,
    fetch_all,
    heartbeat,
    insert_provision,
    job,
    named,
    outbox,
    provision,
    reclaim_expired,
    request_params,
    scalar,
)

pytestmark = [pytest.mark.postgres]


@contextmanager
def as_role(url: str, role: str) -> Iterator[Conn]:
    """A connection that has done SET ROLE ``role``."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"SET ROLE {role}")
        assert scalar(conn, "SELECT current_user") == role
        yield conn


def _refused(action: Callable[[], object]) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege) as raised:
        action()
    assert raised.value.sqlstate == "42501"


def test_ingest_records_requests_but_cannot_run_jobs(db: Conn, provisioning_db: str) -> None:
    queued = insert_provision(db, "provision_domain", name="queued.com")
    claim_job(db, queued["job_id"])
    with as_role(provisioning_db, "provisioning_ingest") as ingest:
        # may: record a request (the triggers create its job) and read it back
        row = insert_provision(ingest, "provision_domain", name="ingested.com")
        assert row["status"] == "pending"
        assert row["job_id"] is not None
        # may not: any job function, the job and outbox tables, updates
        _refused(lambda: complete(ingest, queued["job_id"], OWNER, {}))
        _refused(lambda: fail(ingest, queued["job_id"], OWNER, "no"))
        _refused(lambda: claim(ingest))
        _refused(lambda: heartbeat(ingest, OWNER, [queued["job_id"]], timedelta(seconds=5)))
        _refused(lambda: reclaim_expired(ingest))
        _refused(lambda: fetch_all(ingest, "SELECT * FROM job"))
        _refused(lambda: fetch_all(ingest, "SELECT * FROM outbox"))
        _refused(
            lambda: ingest.execute(
                "UPDATE provision_domain SET name = 'x.com' WHERE id = %(id)s", {"id": row["id"]}
            )
        )
        _refused(lambda: ingest.execute("DELETE FROM provision_domain"))
    created = job(db, row["job_id"])
    assert (created["type_name"], created["status_name"]) == ("provision_domain", "queued")
    assert created["data"]["name"] == "ingested.com"
    assert job(db, queued["job_id"])["status_name"] == "processing"


def test_ingest_records_rejections(provisioning_db: str) -> None:
    with as_role(provisioning_db, "provisioning_ingest") as ingest:
        rows = named(
            ingest,
            "provision",
            "reject",
            request_id=uuid.uuid4(),
            action="provision_domain",
            message="name is required",
            sqlstate="PV001",
        )
        assert rows[0]["event_id"] is not None


def test_executor_runs_jobs_but_cannot_record_requests(db: Conn, provisioning_db: str) -> None:
    row = insert_provision(db, "provision_domain", name="executed.com")
    with as_role(provisioning_db, "provisioning_executor") as executor:
        _refused(lambda: insert_provision(executor, "provision_domain", name="sneaky.com"))
        _refused(
            lambda: executor.execute(
                "INSERT INTO provision_domain (request_id, tenant_customer_id, accreditation_id,"
                " name) VALUES (%(request_id)s, %(tenant_customer_id)s,"
                " accreditation_id_from_name(%(accreditation)s), 'sneaky.com')",
                request_params("provision_domain"),
            )
        )
        _refused(
            lambda: named(
                executor,
                "provision",
                "reject",
                request_id=uuid.uuid4(),
                action="provision_domain",
                message="x",
                sqlstate="PV001",
            )
        )
        _refused(lambda: fetch_all(executor, "SELECT * FROM outbox"))
        _refused(lambda: executor.execute("UPDATE job SET attempts = 0"))

        # may: claim, heartbeat, complete
        (claimed,) = claim(executor, "executor-1", limit=5)
        assert claimed["id"] == row["job_id"]
        assert claimed["type_name"] == "provision_domain"
        assert heartbeat(executor, "executor-1", [claimed["id"]], timedelta(minutes=1)) == 1
        assert complete(executor, claimed["id"], "executor-1", {"roid": "D-EXEC"})
        assert reclaim_expired(executor) == 0
    assert provision(db, row["request_id"])["status"] == "completed"
    assert domain(db, "executed.com")["roid"] == "D-EXEC"
    assert [e["status"] for e in outbox(db, row["request_id"])] == ["completed"]


def test_executor_fails_jobs(db: Conn, provisioning_db: str) -> None:
    row = insert_provision(db, "provision_domain", name="failing.com")
    with as_role(provisioning_db, "provisioning_executor") as executor:
        claim(executor, "executor-1")
        assert fail(executor, row["job_id"], "executor-1", "no", retryable=False) == "failed"
    assert provision(db, row["request_id"])["status"] == "failed"


def test_relay_reads_the_outbox_and_marks_it_sent_only(db: Conn, provisioning_db: str) -> None:
    row = insert_provision(db, "provision_domain", name="relayed.com")
    claim_job(db, row["job_id"])
    assert complete(db, row["job_id"], result={})
    with as_role(provisioning_db, "provisioning_relay") as relay:
        with relay.transaction():
            assert named(relay, "outbox", "try_lock_relay")[0]["locked"] is True
            unsent = named(relay, "outbox", "fetch_unsent", limit=10)
            assert [u["request_id"] for u in unsent] == [str(row["request_id"])]  # read as text
            named(relay, "outbox", "mark_sent", ids=[u["id"] for u in unsent])
        assert named(relay, "outbox", "count_unsent")[0]["unsent"] == 0
        _refused(lambda: relay.execute("UPDATE outbox SET status = 'failed'"))
        _refused(lambda: relay.execute("DELETE FROM outbox"))
        _refused(
            lambda: relay.execute(
                "UPDATE provision_domain"
                " SET status_id = tc_id_from_name('provision_status', 'failed')"
            )
        )
        _refused(lambda: fetch_all(relay, "SELECT * FROM job"))
        _refused(lambda: claim(relay))
    assert outbox(db, row["request_id"])[0]["sent_date"] is not None


def test_order_service_owns_orders_only(db: Conn, provisioning_db: str) -> None:
    with as_role(provisioning_db, "provisioning_order_service") as orders:
        request_id = uuid.uuid4()
        order_id = named(orders, "orders", "create_order", tenant_customer_id=uuid.uuid4())[0]["id"]
        item_id = named(
            orders,
            "orders",
            "create_order_item",
            order_id=order_id,
            product="domain",
            action="create",
            object_name="o.com",
        )[0]["id"]
        plan_id = named(
            orders,
            "orders",
            "create_order_item_plan",
            order_item_id=item_id,
            action="provision_domain",
            request_id=request_id,
        )[0]["id"]
        applied = named(
            orders,
            "orders",
            "apply_outcome",
            event_id=uuid.uuid4(),
            request_id=request_id,
            plan_ids=[plan_id],
            status="completed",
        )
        assert applied[0]["applied"] is True
        assert named(orders, "orders", "get_order_status", order_id=order_id)[0]["status"] == (
            "successful"
        )
        _refused(lambda: fetch_all(orders, "SELECT * FROM outbox"))
        _refused(lambda: insert_provision(orders, "provision_domain", name="o.com"))
        _refused(lambda: claim(orders))
        _refused(lambda: fetch_all(orders, "SELECT * FROM job"))
        _refused(lambda: orders.execute("UPDATE job SET attempts = 0"))
        _refused(lambda: orders.execute("DELETE FROM orders.processed_event"))


def test_the_components_login_can_do_nothing_but_turn_into_a_component(
    provisioning_db: str,
) -> None:
    """provisioning_app (the login in `stack env` and docker-compose.yml) has no rights of
    its own: a component gets its rights only by SET ROLE to its own role."""
    login = provisioning_db.replace("://postgres@", "://provisioning_app@", 1)
    with psycopg.connect(login, autocommit=True) as app:
        assert scalar(app, "SELECT current_user") == "provisioning_app"
        _refused(lambda: fetch_all(app, "SELECT * FROM provision_domain"))
        _refused(lambda: insert_provision(app, "provision_domain", name="nobody.com"))
        _refused(lambda: claim(app))
        _refused(lambda: fetch_all(app, "SELECT * FROM outbox"))
        _refused(lambda: fetch_all(app, 'SELECT * FROM orders."order"'))
        app.execute("SET ROLE provisioning_ingest")
        assert insert_provision(app, "provision_domain", name="somebody.com")["status"] == (
            "pending"
        )
        _refused(lambda: claim(app))

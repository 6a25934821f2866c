"""Child jobs: a provision that needs several registry calls, and how they roll up.

A domain delete deletes the hosts under the domain first (a chain of child jobs,
the deepest removing them from the domain's own name servers); a domain update
adding glue creates the new hosts first (children side by side). The rules
(docs/executors.md, "Child jobs"): the parent runs only once every child is
final; a child's hard failure fails the provision with the step's reason and
the parent never runs; a soft failure does not; a no-op parent completes with
its last child; children retry and lose leases as any job.
"""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.db.helpers import (
    Conn,
    Row,
    claim,
    claim_job,
    complete,
    domain,
    fail,
    fetch_all,
    insert_provision,
    job,
    outbox,
    provision,
    provision_and_complete,
    reclaim_expired,
    register_domain,
    run_job,
    scalar,
)

pytestmark = [pytest.mark.postgres]


def children(conn: Conn, parent_id: uuid.UUID) -> list[Row]:
    return fetch_all(
        conn,
        "SELECT j.*, t.name AS type_name, s.name AS status_name FROM job j"
        " JOIN job_type t ON t.id = j.type_id JOIN job_status s ON s.id = j.status_id"
        " WHERE j.parent_id = %(p)s ORDER BY j.data ->> 'name'",
        {"p": parent_id},
    )


def hosts(conn: Conn) -> list[str]:
    return [r["name"] for r in fetch_all(conn, "SELECT name FROM host ORDER BY name")]


def zone_with_hosts(conn: Conn, name: str = "zone.com") -> None:
    """``name`` with two hosts under it, both its own name servers, and one out-of-zone."""
    register_domain(conn, name)
    for label in ("ns1", "ns2"):
        provision_and_complete(
            conn, "provision_host", name=f"{label}.{name}", addresses=["192.0.2.1"]
        )
    provision_and_complete(conn, "provision_host", name="ns.elsewhere.example")
    conn.execute(
        "UPDATE domain SET nameservers = %(ns)s WHERE name = %(name)s",
        {"ns": [f"ns1.{name}", "ns.elsewhere.example", f"ns2.{name}"], "name": name},
    )


def chain_of(conn: Conn, parent_id: uuid.UUID) -> list[Row]:
    """The jobs under ``parent_id``, parent first, deepest last."""
    found: list[Row] = []
    below = children(conn, parent_id)
    while below:
        assert len(below) == 1, below
        found.append(below[0])
        below = children(conn, below[0]["id"])
    return found


def test_a_domain_delete_deletes_its_hosts_first_one_after_the_other(db: Conn) -> None:
    zone_with_hosts(db)
    row = insert_provision(db, "provision_domain_delete", name="zone.com")

    steps = chain_of(db, row["job_id"])
    assert [s["type_name"] for s in steps] == [
        "domain_delete_host",
        "domain_delete_host",
        "domain_delete_unlink_hosts",
    ]
    assert [s["data"]["step"] for s in steps] == [
        "delete host ns1.zone.com",
        "delete host ns2.zone.com",
        "remove hosts ns1.zone.com, ns2.zone.com from the name servers of zone.com",
    ]
    unlink = steps[-1]
    assert unlink["data"]["nameservers"] == ["ns.elsewhere.example"]
    for step in steps:
        assert step["reference_id"] == row["id"]  # every step works for the one provision
        assert step["data"]["client_ref"] == str(
            scalar(
                db,
                "SELECT provision_child_job_ref(%(p)s, %(s)s)",
                {"p": row["id"], "s": step["data"]["step"]},
            )
        )
    assert len({s["data"]["client_ref"] for s in steps}) == len(steps)

    # only the deepest step is runnable, then the next, the parent last
    for step in reversed(steps):
        assert [j["id"] for j in claim(db, limit=10)] == [step["id"]]
        result = {"nameservers": ["ns.elsewhere.example"]} if step is unlink else {}
        assert complete(db, step["id"], result=result)
        assert provision(db, row["request_id"])["status"] == "processing"
        if step is unlink:
            assert domain(db, "zone.com")["nameservers"] == ["ns.elsewhere.example"]
    assert hosts(db) == ["ns.elsewhere.example"]
    assert outbox(db, row["request_id"]) == []

    run_job(db, row["job_id"])
    done = provision(db, row["request_id"])
    assert done["status"] == "completed"
    assert scalar(db, "SELECT status FROM domain WHERE name = 'zone.com'") == "redemption"
    assert [e["status"] for e in outbox(db, row["request_id"])] == ["completed"]


def test_a_domain_without_hosts_under_it_gets_no_child_job(db: Conn) -> None:
    register_domain(db, "plain.com", nameservers=["ns1.elsewhere.example"])
    row = insert_provision(db, "provision_domain_delete", name="plain.com")
    assert children(db, row["job_id"]) == []


def test_a_hard_failure_of_a_host_step_fails_the_provision_and_keeps_the_domain(
    db: Conn,
) -> None:
    zone_with_hosts(db)
    row = insert_provision(db, "provision_domain_delete", name="zone.com")
    steps = chain_of(db, row["job_id"])
    run_job(db, steps[2]["id"], {"nameservers": ["ns.elsewhere.example"]})
    run_job(db, steps[1]["id"])  # ns2 deleted

    claim_job(db, steps[0]["id"])
    message = "StatusProhibits: host ns1.zone.com is in use: domain foreign.com names it"
    assert fail(db, steps[0]["id"], message=message, retryable=False) == "failed"

    failed = provision(db, row["request_id"])
    assert failed["status"] == "failed"
    assert failed["result_message"] == f"delete host ns1.zone.com failed: {message}"
    parent = job(db, row["job_id"])
    assert parent["status_name"] == "failed"
    assert parent["attempts"] == 0  # it never ran
    assert domain(db, "zone.com")["status"] == "ok"
    assert hosts(db) == ["ns.elsewhere.example", "ns1.zone.com"]
    [event] = outbox(db, row["request_id"])
    assert (event["status"], event["result_message"]) == ("failed", failed["result_message"])
    assert claim(db, limit=10) == []


def test_a_soft_failure_of_a_child_lets_the_parent_run(db: Conn) -> None:
    zone_with_hosts(db, "soft.com")
    db.execute("UPDATE domain SET nameservers = '{}' WHERE name = 'soft.com'")
    row = insert_provision(db, "provision_domain_delete", name="soft.com")
    steps = chain_of(db, row["job_id"])
    assert [s["type_name"] for s in steps] == ["domain_delete_host", "domain_delete_host"]
    db.execute("UPDATE job SET child_failure = 'soft' WHERE id = %(id)s", {"id": steps[1]["id"]})

    claim_job(db, steps[1]["id"])
    assert fail(db, steps[1]["id"], message="not found", retryable=False) == "failed"
    assert provision(db, row["request_id"])["status"] == "processing"
    assert job(db, row["job_id"])["status_name"] == "queued"

    run_job(db, steps[0]["id"])
    run_job(db, row["job_id"])
    assert provision(db, row["request_id"])["status"] == "completed"
    assert hosts(db) == ["ns.elsewhere.example", "ns2.soft.com"]


def test_a_no_op_parent_completes_with_its_last_child(db: Conn) -> None:
    zone_with_hosts(db, "noop.com")
    db.execute("UPDATE domain SET nameservers = '{}' WHERE name = 'noop.com'")
    row = insert_provision(db, "provision_domain_delete", name="noop.com")
    db.execute("UPDATE job SET is_noop = TRUE WHERE id = %(id)s", {"id": row["job_id"]})
    steps = chain_of(db, row["job_id"])

    run_job(db, steps[1]["id"])
    assert job(db, row["job_id"])["status_name"] == "queued"
    run_job(db, steps[0]["id"])

    parent = job(db, row["job_id"])
    assert (parent["status_name"], parent["attempts"]) == ("completed", 0)
    assert provision(db, row["request_id"])["status"] == "completed"
    assert scalar(db, "SELECT status FROM domain WHERE name = 'noop.com'") == "redemption"


def glue_update(db: Conn) -> Row:
    register_domain(db, "glue.com", nameservers=["ns1.elsewhere.example", "ns2.elsewhere.example"])
    return insert_provision(
        db,
        "provision_domain_update",
        name="glue.com",
        nameservers=["NS1.glue.com", "ns2.glue.com", "ns1.elsewhere.example"],
        new_hosts=Jsonb({"NS1.Glue.com": ["192.0.2.1"], "ns2.glue.com": ["2001:db8::2"]}),
    )


def test_glue_hosts_are_created_side_by_side_before_the_update(db: Conn) -> None:
    row = glue_update(db)
    steps = children(db, row["job_id"])
    assert [(s["type_name"], s["data"]["name"], s["data"]["addresses"]) for s in steps] == [
        ("domain_update_host", "ns1.glue.com", ["192.0.2.1"]),
        ("domain_update_host", "ns2.glue.com", ["2001:db8::2"]),
    ]
    # both children are runnable at once; the parent waits for the last of them
    assert sorted(j["id"] for j in claim(db, limit=10)) == sorted(s["id"] for s in steps)
    assert complete(db, steps[0]["id"], result={"roid": "H-1"})
    assert claim(db, limit=10) == []
    assert complete(db, steps[1]["id"], result={"roid": "H-2"})
    assert hosts(db) == ["ns1.glue.com", "ns2.glue.com"]
    glue = fetch_all(db, "SELECT roid, domain_id FROM host ORDER BY name")
    assert [g["roid"] for g in glue] == ["H-1", "H-2"]
    assert {g["domain_id"] for g in glue} == {domain(db, "glue.com")["id"]}

    assert [j["id"] for j in claim(db, limit=10)] == [row["job_id"]]
    assert complete(db, row["job_id"], result={})
    assert provision(db, row["request_id"])["status"] == "completed"
    assert domain(db, "glue.com")["nameservers"] == [
        "ns1.glue.com",
        "ns2.glue.com",
        "ns1.elsewhere.example",
    ]


def test_children_retry_and_lose_leases_as_any_job(db: Conn) -> None:
    row = glue_update(db)
    first, second = children(db, row["job_id"])

    claim_job(db, first["id"])
    assert fail(db, first["id"], message="timeout", backoff_base=timedelta(0)) == "retry"
    retried = job(db, first["id"])
    assert (retried["status_name"], retried["attempts"]) == ("queued", 1)
    assert provision(db, row["request_id"])["status"] == "processing"
    assert job(db, row["job_id"])["status_name"] == "queued"

    claimed = claim(db, limit=10, lease=timedelta(milliseconds=1))
    assert sorted(j["id"] for j in claimed) == sorted([first["id"], second["id"]])
    db.execute("SELECT pg_sleep(0.01)")
    assert reclaim_expired(db, timedelta(0)) == 2
    assert {job(db, c["id"])["status_name"] for c in claimed} == {"queued"}

    again = claim(db, limit=10)
    assert sorted(j["id"] for j in again) == sorted([first["id"], second["id"]])
    for child in again:
        assert complete(db, child["id"], result={"roid": "H"})
    assert job(db, first["id"])["attempts"] == 3  # the same job, its client_ref unchanged
    assert job(db, first["id"])["data"]["client_ref"] == first["data"]["client_ref"]
    assert [j["id"] for j in claim(db, limit=10)] == [row["job_id"]]


def test_siblings_finishing_at_once_complete_their_no_op_parent(
    db: Conn, provisioning_db: str
) -> None:
    row = glue_update(db)
    db.execute("UPDATE job SET is_noop = TRUE WHERE id = %(id)s", {"id": row["job_id"]})
    first, second = children(db, row["job_id"])
    assert len(claim(db, limit=10)) == 2
    finished = threading.Event()

    with psycopg.connect(provisioning_db) as a, psycopg.connect(provisioning_db) as b:
        assert complete(a, first["id"], result={"roid": "H-1"})  # not committed yet

        def complete_second() -> None:
            assert complete(b, second["id"], result={"roid": "H-2"})
            b.commit()
            finished.set()

        other = threading.Thread(target=complete_second)
        other.start()
        # each sees the other unfinished in its own snapshot: the later one waits
        # for the earlier to commit, then finds both final
        assert not finished.wait(0.3)
        a.commit()
        other.join(10)
        assert finished.is_set()

    parent = job(db, row["job_id"])
    assert (parent["status_name"], parent["attempts"]) == ("completed", 0)
    assert provision(db, row["request_id"])["status"] == "completed"

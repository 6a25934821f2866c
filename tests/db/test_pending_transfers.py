"""The database side of pending transfers and the end of redemption (issue 16).

A transfer job whose result says pending leaves its provision in pending_action
with an outcome; provision_domain_transfer_resolve completes (with the new auth
code) or fails it once, with its final outcome; the new code lands in the domain
row only; domain_redemption_sweep ends redemption periods that are over.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import psycopg
import pytest

from tests.db.helpers import (
    ALPHA_COM,
    Conn,
    fetch_all,
    fetch_one,
    insert_provision,
    named,
    provision,
    run_job,
    scalar,
)

pytestmark = [pytest.mark.postgres]

NEW_CODE = "Registry-New-Code-77"


def _pending_transfer(db: Conn, name: str) -> dict[str, Any]:
    row = insert_provision(
        db,
        "provision_domain_transfer",
        name=name,
        pw="Used-Code-1",
        order_item_plan_ids=[uuid.uuid4()],
    )
    run_job(db, row["job_id"], {"pending": True, "name": name, "statuses": ["pendingTransfer"]})
    return provision(db, row["request_id"])


def _resolve(db: Conn, name: str, status: str, result: dict[str, Any]) -> Any:
    rows = named(
        db,
        "registry_poll",
        "resolve_transfer",
        accreditation="alpha-registry",
        name=name,
        status=status,
        result=json.dumps(result),
        message=f"transfer {status}",
    )
    return rows[0]["status"]


def _outbox(db: Conn, request_id: uuid.UUID) -> list[dict[str, Any]]:
    return fetch_all(
        db,
        "SELECT status, result_data FROM outbox WHERE request_id = %(r)s ORDER BY id",
        {"r": request_id},
    )


def test_a_pending_transfer_waits_then_completes_once_with_the_registrys_new_code(
    db: Conn,
) -> None:
    waiting = _pending_transfer(db, "waits.com")
    assert waiting["status"] == "pending_action"
    assert [o["status"] for o in _outbox(db, waiting["request_id"])] == ["pending_action"]
    assert scalar(db, "SELECT count(*) FROM domain WHERE name = 'waits.com'") == 0
    # another request for the name waits too: the transfer is not final
    with pytest.raises(psycopg.Error) as blocked:
        insert_provision(db, "provision_domain", name="waits.com")
    assert blocked.value.sqlstate == "PV005"

    assert _resolve(db, "other.com", "approved", {}) is None  # nothing waits for that name
    result = {"roid": "D9-SANDBOX", "auth_info": NEW_CODE, "transfer_status": "clientApproved"}
    assert _resolve(db, "waits.com", "approved", result) == "completed"
    assert _resolve(db, "waits.com", "approved", result) is None  # a second delivery: nothing

    done = provision(db, waiting["request_id"])
    assert done["status"] == "completed"
    domain = fetch_one(db, "SELECT * FROM domain WHERE name = 'waits.com'")
    assert domain["auth_info"] == NEW_CODE
    assert domain["roid"] == "D9-SANDBOX"
    assert domain["accreditation_tld_id"] == ALPHA_COM
    outcomes = _outbox(db, waiting["request_id"])
    assert [o["status"] for o in outcomes] == ["pending_action", "completed"]
    assert "pending" not in outcomes[1]["result_data"]
    published = str(fetch_all(db, "SELECT * FROM outbox")) + str(
        fetch_all(db, "SELECT result_data FROM job")
    )
    assert NEW_CODE not in published
    assert NEW_CODE not in str(fetch_all(db, "SELECT old_value, new_value FROM audit_trail_log"))


def test_a_rejected_transfer_fails_and_an_immediate_one_stores_the_new_code(db: Conn) -> None:
    waiting = _pending_transfer(db, "refused.com")
    assert _resolve(db, "refused.com", "rejected", {"auth_info": NEW_CODE}) == "failed"
    failed = provision(db, waiting["request_id"])
    assert failed["status"] == "failed"
    assert failed["result_message"] == "transfer rejected"
    assert [o["status"] for o in _outbox(db, waiting["request_id"])] == ["pending_action", "failed"]
    assert scalar(db, "SELECT count(*) FROM domain WHERE name = 'refused.com'") == 0

    row = insert_provision(db, "provision_domain_transfer", name="atonce.com", pw="Used-Code-2")
    run_job(db, row["job_id"], {"roid": "D10-SANDBOX", "auth_info": NEW_CODE})
    assert provision(db, row["request_id"])["status"] == "completed"
    assert scalar(db, "SELECT auth_info FROM domain WHERE name = 'atonce.com'") == NEW_CODE
    job = fetch_one(db, "SELECT result_data FROM job WHERE id = %(j)s", {"j": row["job_id"]})
    assert job["result_data"] == {"roid": "D10-SANDBOX"}
    assert NEW_CODE not in str(_outbox(db, row["request_id"]))


def test_the_sweep_ends_only_redemptions_that_are_over(db: Conn) -> None:
    for name in ("over.com", "running.com"):
        row = insert_provision(db, "provision_domain", name=name)
        run_job(db, row["job_id"], {"roid": f"D-{name}"})
        deleted = insert_provision(db, "provision_domain_delete", name=name)
        run_job(db, deleted["job_id"], {"purged": False})
    db.execute(
        "UPDATE domain SET redemption_end_date = now() - interval '1 second'"
        " WHERE name = 'over.com' AND status = 'redemption'"
    )
    assert named(db, "registry_poll", "redemption_sweep", limit=1000)[0]["ended"] == 1
    statuses = dict(
        db.execute(
            "SELECT name, status FROM domain WHERE name IN ('over.com', 'running.com')"
        ).fetchall()
    )
    assert statuses == {"over.com": "deleted", "running.com": "redemption"}
    assert named(db, "registry_poll", "redemption_sweep", limit=1000)[0]["ended"] == 0


def test_a_cancel_request_fails_the_transfer_it_cancels_and_bad_ops_are_refused(
    db: Conn,
) -> None:
    waiting = _pending_transfer(db, "change-of-mind.com")
    for op, sqlstate in (("approve", "PV008"), ("", "PV008")):
        with pytest.raises(psycopg.Error) as refused:
            insert_provision(db, "provision_domain_transfer_action", name="x.com", op=op)
        assert refused.value.sqlstate == sqlstate
    with pytest.raises(psycopg.Error) as nothing:
        insert_provision(db, "provision_domain_transfer_action", name="idle.com", op="cancel")
    assert nothing.value.sqlstate == "PV007"

    cancel = insert_provision(
        db, "provision_domain_transfer_action", name="change-of-mind.com", op="cancel"
    )
    assert cancel["status"] == "pending"
    run_job(db, cancel["job_id"], {"status": "clientCancelled", "name": "change-of-mind.com"})
    assert provision(db, cancel["request_id"])["status"] == "completed"
    cancelled = provision(db, waiting["request_id"])
    assert cancelled["status"] == "failed"
    assert cancelled["result_message"] == f"transfer cancelled by request {cancel['request_id']}"
    assert [o["status"] for o in _outbox(db, waiting["request_id"])] == ["pending_action", "failed"]
    # the registry's later message about it finds nothing waiting
    assert _resolve(db, "change-of-mind.com", "cancelled", {}) is None

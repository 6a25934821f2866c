"""provision_reject: a request that failed validation becomes one failed outcome,
idempotently by request_id."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest

from tests.db.helpers import (
    TRACEPARENT,
    Conn,
    claim_job,
    complete,
    counts,
    fetch_one,
    insert_provision,
    named,
    outbox,
)

pytestmark = [pytest.mark.postgres]


def reject(conn: Conn, request_id: uuid.UUID, **params: Any) -> uuid.UUID | None:
    values: dict[str, Any] = {
        "action": "provision_domain",
        "message": "registration_period 11 is outside 1..10 for .com",
        "sqlstate": "PV004",
    }
    values.update(params)
    event_id = named(conn, "provision", "reject", request_id=request_id, **values)[0]["event_id"]
    assert event_id is None or isinstance(event_id, uuid.UUID)
    return event_id


def test_a_rejection_is_one_failed_outcome_and_idempotent(db: Conn) -> None:
    request_id = uuid.uuid4()
    plan_ids = [uuid.uuid4()]
    before = counts(db)

    event_id = reject(
        db,
        request_id,
        message_key="domain:new.com",
        order_item_plan_ids=plan_ids,
        order_metadata={"order_id": "order-42"},
        traceparent=TRACEPARENT,
    )

    (event,) = outbox(db, request_id)
    assert event["event_id"] == event_id
    assert event["status"] == "failed"
    assert event["provision_id"] is None
    assert event["action"] == "provision_domain"
    assert event["order_item_plan_ids"] == plan_ids
    assert event["message_key"] == "order-42"  # the order id wins over the given key
    assert event["traceparent"] == TRACEPARENT
    assert event["result_message"] == "registration_period 11 is outside 1..10 for .com"
    assert event["result_data"] == {
        "reason": "validation",
        "sqlstate": "PV004",
        "message": "registration_period 11 is outside 1..10 for .com",
    }
    rejection = named(db, "provision", "get_rejection", request_id=request_id)[0]
    assert (rejection["event_id"], rejection["sqlstate"]) == (event_id, "PV004")
    after = counts(db)
    assert after["outbox"] == before["outbox"] + 1
    assert after["provision_rejection"] == before["provision_rejection"] + 1

    # again, even with other details: the same event, nothing written
    assert reject(db, request_id, message="something else", sqlstate="PV001") == event_id
    assert counts(db) == after
    assert len(outbox(db, request_id)) == 1

    # and the request can no longer be recorded as a provision
    with pytest.raises(psycopg.errors.UniqueViolation, match="was already rejected"):
        insert_provision(db, "provision_domain", request_id=request_id, name="new.com")
    assert counts(db) == after


@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({"message_key": "domain:new.com"}, "domain:new.com"),
        ({"message_key": "", "order_metadata": {"order_id": ""}}, "provision_domain:{rid}"),
        ({}, "provision_domain:{rid}"),
    ],
    ids=["given-key", "empty-values", "fallback"],
)
def test_the_message_key_of_a_rejection(db: Conn, params: dict[str, Any], key: str) -> None:
    request_id = uuid.uuid4()
    reject(db, request_id, **params)
    (event,) = outbox(db, request_id)
    assert event["message_key"] == key.format(rid=request_id)


def test_ingest_flow_validation_error_then_reject(db: Conn) -> None:
    """What ingest does: try the insert, record the PV error as a rejection."""
    request_id = uuid.uuid4()
    with pytest.raises(psycopg.Error) as raised:
        insert_provision(db, "provision_domain", request_id=request_id, name="bad_name.com")
    error = raised.value
    assert error.sqlstate == "PV001"
    event_id = reject(
        db,
        request_id,
        message=error.diag.message_primary,
        sqlstate=error.sqlstate,
        message_key="domain:bad_name.com",
    )
    (event,) = outbox(db, request_id)
    assert event["event_id"] == event_id
    assert event["result_data"]["sqlstate"] == "PV001"
    assert "may only contain letters" in event["result_message"]


def test_rejecting_an_accepted_request_writes_nothing(db: Conn) -> None:
    row = insert_provision(db, "provision_domain", name="accepted.com")
    before = counts(db)
    assert reject(db, row["request_id"]) is None  # its outcome is not there yet
    assert counts(db) == before

    claim_job(db, row["job_id"])
    assert complete(db, row["job_id"], result={})
    (event,) = outbox(db, row["request_id"])
    assert reject(db, row["request_id"]) == event["event_id"]
    assert len(outbox(db, row["request_id"])) == 1
    assert fetch_one(db, "SELECT count(*) AS n FROM provision_rejection")["n"] == 0


@pytest.mark.parametrize(
    ("request_id", "action"), [(None, "provision_domain"), (uuid.uuid4(), "")], ids=["id", "action"]
)
def test_a_rejection_needs_request_id_and_action(
    db: Conn, request_id: uuid.UUID | None, action: str
) -> None:
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="provision_reject"):
        named(db, "provision", "reject", request_id=request_id, action=action, message="x")

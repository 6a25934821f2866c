"""Every outcome can be published: what a requester controls is bounded where the
outbox row is written (message key, message, result data)."""

from __future__ import annotations

import uuid

import pytest

from tests.db.helpers import Conn, claim_job, fail, insert_provision, named, outbox

pytestmark = [pytest.mark.postgres]

HUGE = "x" * 400_000


def test_a_rejection_of_a_request_with_a_huge_order_id_and_reason_is_bounded(db: Conn) -> None:
    request_id = uuid.uuid4()
    named(
        db,
        "provision",
        "reject",
        request_id=request_id,
        action="provision_domain",
        message="name " + HUGE + " is not valid",
        sqlstate="PV001",
        order_metadata={"order_id": HUGE},
    )
    (event,) = outbox(db, request_id)
    assert event["message_key"] == "x" * 1000
    assert len(event["result_message"]) == 2000
    assert len(event["result_data"]["message"]) == 2000


def test_a_provision_outcome_with_a_huge_order_id_message_and_result_is_bounded(
    db: Conn,
) -> None:
    row = insert_provision(
        db, "provision_domain", name="bounded.com", order_metadata={"order_id": HUGE}
    )
    claim_job(db, row["job_id"])
    fail(db, row["job_id"], message=HUGE, data={"detail": HUGE}, retryable=False)
    (event,) = outbox(db, row["request_id"])
    assert event["message_key"] == "x" * 1000
    assert len(event["result_message"]) == 2000
    assert event["result_data"]["truncated"] is True
    assert event["result_data"]["bytes"] > 400_000

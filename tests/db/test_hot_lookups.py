"""Every lookup a request makes is an index lookup once the tables hold history.

Every provision type runs once (its rows become the template of the history),
every table a request touches then gets copies of its rows (bench/history.py)
and is analyzed, and every provision type runs again with ``auto_explain``
logging the plan of each statement the trigger chain, the job API and the
outbox run. A sequential scan of a table holding more than a few pages is a
lookup whose cost grows with the history: the test names it and its query.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
import pytest

from bench.history import grow
from tests.db.helpers import TRACEPARENT, Conn, claim_job, complete, insert_provision, named
from tests.db.test_provision_lifecycle import CASES, Case

pytestmark = [pytest.mark.postgres]

COPIES = 200  # every template row 200 times: thousands of rows per table
BIG = 1000  # rows from which a sequential scan is a defect

_SEQ_SCAN = re.compile(r"Seq Scan on (\S+)")


@dataclass(frozen=True)
class Plan:
    query: str
    text: str


def run_case(
    db: Conn, case: Case, watch: list[bool] | None = None, *, batched: bool = False
) -> None:
    """The request of ``case``, its job claimed and completed: the whole chain.

    ``watch[0]`` is set while the chain runs (not while the case prepares).
    ``batched``: completed as the executor completes a batch (``complete_many``).
    """
    prepared = case.prepare(db)
    if watch is not None:
        watch[0] = True
    params = dict(prepared.params)
    metadata = dict(params.pop("order_metadata", None) or {})
    row = insert_provision(
        db,
        case.table,
        order_item_plan_ids=[uuid.uuid4()],
        order_metadata={**metadata, "order_id": str(uuid.uuid4())},
        traceparent=TRACEPARENT,
        **params,
    )
    claim_job(db, row["job_id"])
    if batched:
        done = named(
            db,
            "job",
            "complete_many",
            owner="test-executor",
            job_ids=[row["job_id"]],
            results=[json.dumps(prepared.result or {})],
        )
        assert [r["completed"] for r in done] == [True]
    else:
        assert complete(db, row["job_id"], "test-executor", prepared.result)
    # what ingest asks before inserting, and what the relay does with the outcome
    named(db, "ingest", "existing_request_ids", request_ids=[row["request_id"]])
    unsent = named(db, "outbox", "fetch_unsent", limit=500)
    # the relay's later fetches in a window start after the last id it read
    named(db, "outbox", "fetch_unsent", limit=500, after=unsent[0]["id"] if unsent else 0)
    named(db, "outbox", "mark_sent", ids=[outcome["id"] for outcome in unsent])
    if watch is not None:
        watch[0] = False


def capture_plans(db: Conn, watch: list[bool]) -> list[Plan]:
    """Log the plan of every statement, nested ones too, while ``watch[0]``."""
    plans: list[Plan] = []

    def on_notice(notice: psycopg.errors.Diagnostic) -> None:
        text = notice.message_primary or ""
        if watch[0] and "Query Text:" in text:
            query = text.split("Query Text:", 1)[1].split("\n", 1)[0].strip()
            plans.append(Plan(query, text))

    db.add_notice_handler(on_notice)
    db.execute("LOAD 'auto_explain'")
    db.execute("SET auto_explain.log_min_duration = 0")
    db.execute("SET auto_explain.log_nested_statements = on")
    db.execute("SET auto_explain.log_level = notice")
    db.execute("SET client_min_messages = notice")
    return plans


def test_every_hot_lookup_is_an_index_lookup_on_a_table_with_history(db: Conn) -> None:
    cases: list[Case] = [param.values[0] for param in CASES]  # type: ignore[misc]
    for case in cases:  # the template rows of the history
        run_case(db, case)
    written = grow(db, COPIES)
    assert written["provision_domain"] >= 2 * COPIES, written
    sizes = {
        str(name): int(rows)
        for name, rows in db.execute(
            "SELECT c.relname, c.reltuples FROM pg_class c WHERE c.relkind = 'r'"
        ).fetchall()
    }
    big = {name for name, rows in sizes.items() if rows >= BIG}
    assert {"provision_domain", "job", "audit_trail_log", "domain"} <= big, sizes

    watch = [False]
    plans = capture_plans(db, watch)
    for index, case in enumerate(cases):
        run_case(db, case, watch, batched=index % 2 == 1)
    # the executors' periodic registry work (executors/registry_poll.py)
    watch[0] = True
    named(db, "registry_poll", "redemption_sweep", limit=1000)
    named(
        db,
        "registry_poll",
        "resolve_transfer",
        accreditation="alpha-registry",
        name="nothing-waits.com",
        status="approved",
        result="{}",
        message=None,
    )
    named(
        db,
        "registry_poll",
        "transferred_away",
        accreditation="alpha-registry",
        name="nothing-held.com",
        action_date=datetime.now(UTC),
    )
    watch[0] = False

    assert len(plans) > 100  # the chain was observed
    scans = [
        f"{table} ({sizes[table]} rows) in: {plan.query[:160]}"
        for plan in plans
        for table in _SEQ_SCAN.findall(plan.text)
        if table in big
    ]
    assert scans == [], "\n".join(sorted(set(scans)))

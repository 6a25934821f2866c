"""Shared helpers of the database tests: the demo seed's ids, requests through
ingest's insert statements, jobs run to completion, and small typed reads."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from provisioning.sqlfiles import query

Conn = psycopg.Connection[Any]
Row = dict[str, Any]

# db/seed/demo.sql
ALICE = uuid.UUID("30000000-0000-4000-8000-000000000001")  # alpha/alice
BOB = uuid.UUID("30000000-0000-4000-8000-000000000002")  # alpha/bob
CAROL = uuid.UUID("30000000-0000-4000-8000-000000000003")  # beta/carol
ALPHA_REGISTRY = "alpha-registry"
ALPHA_SSL = "alpha-ssl"
BETA_REGISTRY = "beta-registry"
ALPHA_REGISTRY_ID = uuid.UUID("40000000-0000-4000-8000-000000000001")
ALPHA_SSL_ID = uuid.UUID("40000000-0000-4000-8000-000000000002")
ALPHA_COM = uuid.UUID("60000000-0000-4000-8000-000000000001")  # alpha-registry, .com
ALPHA_NET = uuid.UUID("60000000-0000-4000-8000-000000000002")
ALPHA_ORG = uuid.UUID("60000000-0000-4000-8000-000000000003")
ALPHA_IO = uuid.UUID("60000000-0000-4000-8000-000000000004")
ALPHA_DEV = uuid.UUID("60000000-0000-4000-8000-000000000005")

OWNER = "test-executor"
LEASE = timedelta(seconds=30)
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

# the provision tables, each with its batch insert db/queries/ingest.sql insert_<table>
PROVISION_TABLES = (
    "provision_domain",
    "provision_domain_renew",
    "provision_domain_transfer",
    "provision_domain_restore",
    "provision_domain_delete",
    "provision_domain_update",
    "provision_contact",
    "provision_host",
    "provision_ssl",
    "provision_host_update",
    "provision_host_delete",
    "provision_contact_update",
    "provision_contact_delete",
)


_PARAM = re.compile(r"%\((\w+)\)s")


def _adapt(value: Any) -> Any:
    """Dicts travel as JSONB; everything else as psycopg adapts it."""
    return Jsonb(value) if isinstance(value, dict) else value


def fetch_all(conn: Conn, sql: str, params: Mapping[str, Any] | None = None) -> list[Row]:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(sql, {k: _adapt(v) for k, v in (params or {}).items()})
        return cur.fetchall() if cur.description is not None else []


def fetch_one(conn: Conn, sql: str, params: Mapping[str, Any] | None = None) -> Row:
    rows = fetch_all(conn, sql, params)
    assert len(rows) == 1, f"expected one row, got {len(rows)}: {sql}"
    return rows[0]


def scalar(conn: Conn, sql: str, params: Mapping[str, Any] | None = None) -> Any:
    row = fetch_one(conn, sql, params)
    assert len(row) == 1, sql
    return next(iter(row.values()))


def named(conn: Conn, group: str, name: str, /, **params: Any) -> list[Row]:
    """Run the named query ``group.name``; parameters it names but are not given are NULL."""
    sql = query(group, name)
    values: dict[str, Any] = dict.fromkeys(_PARAM.findall(sql))
    unknown = set(params) - set(values)
    assert not unknown, f"{group}.{name} has no parameters {sorted(unknown)}"
    values.update(params)
    return fetch_all(conn, sql, values)


# --- provisions -------------------------------------------------------------


def request_params(table: str, **params: Any) -> dict[str, Any]:
    """The parameters of the insert query of ``table``: a new request_id, alice, the
    accreditation the table needs, then ``params``."""
    values: dict[str, Any] = {
        "request_id": uuid.uuid4(),
        "tenant_customer_id": ALICE,
        "accreditation": ALPHA_SSL if table == "provision_ssl" else ALPHA_REGISTRY,
    }
    values.update(params)
    return values


def _json_value(value: object) -> object:
    """JSON for what tests pass: Jsonb as its object; UUIDs, dates and the rest as text."""
    return value.obj if isinstance(value, Jsonb) else str(value)


_RECORD_COLUMNS = re.compile(r"AS r\((.*?)\)\s*ORDER BY", re.DOTALL)


def insert_provision(conn: Conn, table: str, **params: Any) -> Row:
    """Insert one request through ingest's batch insert (a batch of one); returns the
    provision row (``provision.get_by_request_id``, with the job_id its trigger set)."""
    values = request_params(table, **params)
    sql = query("ingest", f"insert_{table}")
    record = _RECORD_COLUMNS.search(sql)
    assert record is not None, f"ingest.insert_{table} reads no record"
    columns = {column.split()[0] for column in record.group(1).split(",")}
    unknown = set(values) - columns
    assert not unknown, f"ingest.insert_{table} has no fields {sorted(unknown)}"
    row = json.dumps([{"ord": 0, **values}], default=_json_value)
    fetch_all(conn, sql, {"rows": row})
    return provision(conn, values["request_id"])


def provision(conn: Conn, request_id: uuid.UUID) -> Row:
    return fetch_one(conn, query("provision", "get_by_request_id"), {"request_id": request_id})


def provision_row(conn: Conn, table: str, provision_id: uuid.UUID) -> Row:
    """The full row of a provision table (every column)."""
    assert table in PROVISION_TABLES
    sql = f"SELECT * FROM {table} WHERE id = %(id)s"  # noqa: S608 - a known table name
    return fetch_one(conn, sql, {"id": provision_id})


def outbox(conn: Conn, request_id: uuid.UUID) -> list[Row]:
    return fetch_all(conn, query("outbox", "get_by_request_id"), {"request_id": request_id})


# --- jobs -------------------------------------------------------------------


def job(conn: Conn, job_id: uuid.UUID) -> Row:
    return fetch_one(conn, query("job", "get"), {"job_id": job_id})


def claim(
    conn: Conn,
    owner: str = OWNER,
    limit: int = 1,
    lease: timedelta = LEASE,
    types: Sequence[str] | None = None,
) -> list[Row]:
    return named(
        conn,
        "job",
        "claim",
        owner=owner,
        limit=limit,
        lease=lease,
        types=list(types) if types is not None else None,
    )


def heartbeat(conn: Conn, owner: str, job_ids: Sequence[uuid.UUID], lease: timedelta) -> int:
    rows = named(conn, "job", "heartbeat", owner=owner, job_ids=list(job_ids), lease=lease)
    return int(rows[0]["extended"])


def complete(
    conn: Conn,
    job_id: uuid.UUID,
    owner: str = OWNER,
    result: dict[str, Any] | None = None,
    message: str | None = None,
) -> bool:
    rows = named(
        conn, "job", "complete", job_id=job_id, owner=owner, result=result, message=message
    )
    return bool(rows[0]["completed"])


def fail(
    conn: Conn,
    job_id: uuid.UUID,
    owner: str = OWNER,
    message: str = "registry said no",
    *,
    data: dict[str, Any] | None = None,
    retryable: bool = True,
    backoff_base: timedelta = timedelta(seconds=1),
    backoff_max: timedelta = timedelta(minutes=5),
) -> str:
    rows = named(
        conn,
        "job",
        "fail",
        job_id=job_id,
        owner=owner,
        message=message,
        data=data,
        retryable=retryable,
        backoff_base=backoff_base,
        backoff_max=backoff_max,
    )
    return str(rows[0]["outcome"])


def reclaim_expired(conn: Conn, backoff_base: timedelta = timedelta(seconds=1)) -> int:
    return int(named(conn, "job", "reclaim_expired", backoff_base=backoff_base)[0]["reclaimed"])


def claim_job(conn: Conn, job_id: uuid.UUID, owner: str = OWNER, lease: timedelta = LEASE) -> Row:
    """Claim exactly this job (it must be the oldest runnable one of its type)."""
    type_name = job(conn, job_id)["type_name"]
    claimed = claim(conn, owner, 1, lease, [type_name])
    assert [c["id"] for c in claimed] == [job_id], "another job of this type is runnable"
    return claimed[0]


def run_job(
    conn: Conn, job_id: uuid.UUID, result: dict[str, Any] | None = None, owner: str = OWNER
) -> None:
    """Claim the job and complete it with ``result``."""
    claim_job(conn, job_id, owner)
    assert complete(conn, job_id, owner, result or {})


def provision_and_complete(
    conn: Conn, table: str, result: dict[str, Any] | None = None, **params: Any
) -> Row:
    """Insert a request and run its job to completion; returns the completed provision."""
    row = insert_provision(conn, table, **params)
    run_job(conn, row["job_id"], result)
    done = provision(conn, row["request_id"])
    assert done["status"] == "completed", done
    return done


def create_contact(
    conn: Conn,
    handle: str,
    tenant_customer_id: uuid.UUID = ALICE,
    accreditation: str = ALPHA_REGISTRY,
) -> Row:
    """A contact created through a completed provision_contact; returns the contact row."""
    provision_and_complete(
        conn,
        "provision_contact",
        {"roid": f"C-{handle}"},
        tenant_customer_id=tenant_customer_id,
        accreditation=accreditation,
        handle=handle,
        name=f"Contact {handle}",
        email=f"{handle}@example.net",
        city="Springfield",
        country_code="US",
    )
    return fetch_one(
        conn,
        "SELECT * FROM contact WHERE handle = %(handle)s AND accreditation_id ="
        " accreditation_id_from_name(%(accreditation)s)",
        {"handle": handle, "accreditation": accreditation},
    )


def register_domain(
    conn: Conn,
    name: str,
    tenant_customer_id: uuid.UUID = ALICE,
    accreditation: str = ALPHA_REGISTRY,
    result: dict[str, Any] | None = None,
    **params: Any,
) -> Row:
    """A domain registered through a completed provision_domain (roid ``D-<name>``
    unless ``result`` says otherwise); returns the domain row."""
    provision_and_complete(
        conn,
        "provision_domain",
        {"roid": f"D-{name}", **(result or {})},
        tenant_customer_id=tenant_customer_id,
        accreditation=accreditation,
        name=name,
        **params,
    )
    return domain(conn, name)


def delete_domain(conn: Conn, name: str, tenant_customer_id: uuid.UUID = ALICE) -> Row:
    """Delete the domain through a completed provision_domain_delete; returns the domain row."""
    provision_and_complete(
        conn, "provision_domain_delete", tenant_customer_id=tenant_customer_id, name=name
    )
    return fetch_one(
        conn,
        "SELECT * FROM domain WHERE name = %(name)s ORDER BY created_date DESC LIMIT 1",
        {"name": name},
    )


def domain(conn: Conn, name: str) -> Row:
    """The live (not deleted) domain called ``name``."""
    return fetch_one(
        conn, "SELECT * FROM domain WHERE name = %(name)s AND status <> 'deleted'", {"name": name}
    )


def set_domain(conn: Conn, name: str, **columns: Any) -> None:
    """Change a live domain directly (test set-up of states the pipeline reaches slowly)."""
    assignments = ", ".join(f"{column} = %({column})s" for column in columns)
    sql = f"UPDATE domain SET {assignments} WHERE name = %(name)s AND status <> 'deleted'"  # noqa: S608 - columns named by the test
    conn.execute(sql, {**{k: _adapt(v) for k, v in columns.items()}, "name": name})


COUNTED = (
    "class.provision",
    "job",
    "outbox",
    "audit_trail_log",
    "provision_rejection",
    "domain",
    "contact",
    "host",
    "certificate",
)


def counts(conn: Conn) -> dict[str, int]:
    """Row counts of everything a request can write."""
    sql = " UNION ALL ".join(
        f"SELECT '{t}' AS t, count(*) AS n FROM {t}"  # noqa: S608 - fixed table names
        for t in COUNTED
    )
    return {row["t"]: int(row["n"]) for row in fetch_all(conn, sql)}

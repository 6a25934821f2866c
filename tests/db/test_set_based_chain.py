"""The set-based parts of the trigger chain: jobs, audit rows and notifications
per statement; the TLD found by suffix; generated auth codes."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provisioning.sqlfiles import query
from tests.db.helpers import ALICE, ALPHA_REGISTRY, ALPHA_REGISTRY_ID, Conn, fetch_all, scalar

pytestmark = [pytest.mark.postgres]


def _insert_domains(conn: Conn, names: list[str]) -> list[uuid.UUID]:
    """One statement (ingest's batch insert) for all of ``names``; their request ids."""
    ids = [uuid.uuid4() for _ in names]
    rows = [
        {
            "ord": i,
            "request_id": str(request_id),
            "tenant_customer_id": str(ALICE),
            "accreditation": ALPHA_REGISTRY,
            "name": name,
        }
        for i, (request_id, name) in enumerate(zip(ids, names, strict=True))
    ]
    conn.execute(query("ingest", "insert_provision_domain"), {"rows": json.dumps(rows)})
    return ids


def test_one_statement_creates_one_complete_job_per_row_and_one_notification(
    db: Conn, provisioning_db: str
) -> None:
    names = ["batch-a.com", "batch-b.org", "batch-c.com"]
    with psycopg.connect(provisioning_db, autocommit=True) as listener:
        listener.execute("LISTEN job_runnable")
        request_ids = _insert_domains(db, names)
        received = [(n.channel, n.payload) for n in listener.notifies(timeout=1.0)]
    assert received == [("job_runnable", "provision_domain")]
    jobs = fetch_all(
        db,
        """SELECT p.name, p.job_id, j.reference_id = p.id AS points_back, j.max_attempts,
                  js.name AS status, jt.name AS type, j.attempts, j.data
             FROM provision_domain p
             JOIN job j ON j.id = p.job_id
             JOIN job_status js ON js.id = j.status_id
             JOIN job_type jt ON jt.id = j.type_id
            WHERE p.request_id = ANY(%(ids)s) ORDER BY p.name""",
        {"ids": request_ids},
    )
    assert [j["name"] for j in jobs] == names
    for job, tld in zip(jobs, ["com", "org", "com"], strict=True):
        assert job["points_back"] is True
        assert (job["type"], job["status"], job["attempts"], job["max_attempts"]) == (
            "provision_domain",
            "queued",
            0,
            5,
        )
        data = job["data"]
        assert (data["name"], data["tld"], data["action"], data["accreditation"]) == (
            job["name"],
            tld,
            "create",
            "alpha-registry",
        )
        assert re.fullmatch(r"\S{16}", data["auth_info"])


def test_each_row_of_a_statement_is_audited_once(db: Conn) -> None:
    request_ids = _insert_domains(db, ["audit-a.com", "audit-b.com"])
    logged = fetch_all(
        db,
        """SELECT l.operation, l.new_value ->> 'name' AS name, l.old_value
             FROM audit_trail_log l JOIN provision_domain p ON p.id = l.object_id
            WHERE p.request_id = ANY(%(ids)s) ORDER BY 2""",
        {"ids": request_ids},
    )
    assert logged == [
        {"operation": "INSERT", "name": "audit-a.com", "old_value": None},
        {"operation": "INSERT", "name": "audit-b.com", "old_value": None},
    ]


def test_a_refused_row_takes_the_jobs_of_its_whole_statement_with_it(db: Conn) -> None:
    jobs_before = scalar(db, "SELECT count(*) FROM job")
    with pytest.raises(psycopg.Error) as refused:
        _insert_domains(db, ["fine-one.com", "fine-two.com", "not served.example"])
    assert refused.value.sqlstate == "PV001"
    assert scalar(db, "SELECT count(*) FROM job") == jobs_before
    assert scalar(db, "SELECT count(*) FROM provision_domain") == 0


def test_a_provision_cannot_commit_naming_a_job_that_does_not_exist(db: Conn) -> None:
    (request_id,) = _insert_domains(db, ["dangling.com"])
    with pytest.raises(psycopg.errors.ForeignKeyViolation), db.transaction():
        db.execute(
            "UPDATE provision_domain SET job_id = gen_random_uuid() WHERE request_id = %(r)s",
            {"r": request_id},
        )


@pytest.mark.parametrize(
    ("name", "tld"),
    [("example.co.uk", "co.uk"), ("example.uk", "uk"), ("example.com", "com")],
)
def test_the_longest_tld_the_accreditation_serves_is_found(db: Conn, name: str, tld: str) -> None:
    _serve(db, ["uk", "co.uk"])
    found = scalar(
        db,
        "SELECT (provision_find_accreditation_tld(%(a)s, %(n)s)).tld_name",
        {"a": ALPHA_REGISTRY_ID, "n": name},
    )
    assert found == tld


def test_a_name_two_labels_under_a_tld_is_not_registrable(db: Conn) -> None:
    _serve(db, ["uk"])
    with pytest.raises(psycopg.Error, match="not a registrable name") as refused:
        scalar(
            db,
            "SELECT (provision_find_accreditation_tld(%(a)s, 'example.co.uk')).tld_name",
            {"a": ALPHA_REGISTRY_ID},
        )
    assert refused.value.sqlstate == "PV001"


def test_a_tld_the_accreditation_does_not_serve_is_refused(db: Conn) -> None:
    with pytest.raises(psycopg.Error, match="not served") as refused:
        scalar(
            db,
            "SELECT (provision_find_accreditation_tld(%(a)s, 'example.xyz')).tld_name",
            {"a": ALPHA_REGISTRY_ID},
        )
    assert refused.value.sqlstate == "PV003"


def _serve(conn: Conn, tlds: list[str]) -> None:
    for tld in tlds:
        conn.execute(
            """WITH t AS (INSERT INTO tld (name) VALUES (%(t)s) RETURNING id)
               INSERT INTO accreditation_tld (accreditation_id, tld_id) SELECT %(a)s, id FROM t""",
            {"t": tld, "a": ALPHA_REGISTRY_ID},
        )


@pytest.mark.parametrize(
    ("name", "suffixes"),
    [("a.b.co.uk", ["b.co.uk", "co.uk", "uk"]), ("example.com", ["com"]), ("com", [])],
)
def test_name_suffixes_longest_first(db: Conn, name: str, suffixes: list[str]) -> None:
    assert scalar(db, "SELECT tc_name_suffixes(%(n)s)", {"n": name}) == suffixes


AUTH_CODE = re.compile(r"[a-km-zA-HJ-NP-Z2-9!#*+\-=?]+")


# the database is only read: one for every example is fine
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(length=st.integers(min_value=1, max_value=80))
def test_generated_auth_codes_have_the_length_the_alphabet_and_every_class(
    provisioning_db: str, length: int
) -> None:
    with psycopg.connect(provisioning_db, autocommit=True) as conn:
        codes: list[Any] = [
            row[0]
            for row in conn.execute(
                "SELECT tc_gen_password(%(n)s) FROM generate_series(1, 20)", {"n": length}
            )
        ]
    for code in codes:
        assert len(code) == length
        assert AUTH_CODE.fullmatch(code), code
        if length >= 4:
            for character_class in ("[a-z]", "[A-Z]", "[0-9]", "[^a-zA-Z0-9]"):
                assert re.search(character_class, code), (character_class, code)
    if length >= 8:
        assert len(set(codes)) == len(codes)


def test_the_shared_status_lookup_keeps_its_own_search_path(db: Conn) -> None:
    """Called from functions with different search_paths in one session, a function
    without its own is re-planned at almost every call (43 µs instead of 8 µs)."""
    config = scalar(db, "SELECT proconfig FROM pg_proc WHERE proname = 'tc_id_from_name'")
    assert config == ["search_path=public, pg_temp"]

"""audit_trail_log: every insert and update of a provision row, with old and new values."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.db.helpers import (
    ALICE,
    OWNER,
    Conn,
    Row,
    claim_job,
    complete,
    fetch_all,
    insert_provision,
    scalar,
)

pytestmark = [pytest.mark.postgres]


def _log(conn: Conn, table: str, object_id: object) -> list[Row]:
    return fetch_all(
        conn,
        "SELECT * FROM audit_trail_log WHERE table_name = %(t)s AND object_id = %(id)s ORDER BY id",
        {"t": table, "id": object_id},
    )


def _status_id(conn: Conn, name: str) -> str:
    return str(scalar(conn, "SELECT tc_id_from_name('provision_status', %(n)s)", {"n": name}))


def test_insert_and_updates_of_a_provision_are_logged_with_old_and_new_values(db: Conn) -> None:
    row = insert_provision(
        db, "provision_domain", name="Audit-Me.com", registration_period=3, pw="Audit-Pw-1"
    )
    session_user = scalar(db, "SELECT session_user")

    (inserted,) = _log(db, "provision_domain", row["id"])
    # the insert: no old row; the new row as validated (normalised name, pending, its job)
    assert inserted["operation"] == "INSERT"
    assert inserted["old_value"] is None
    new = inserted["new_value"]
    assert new["id"] == str(row["id"])
    assert new["name"] == "audit-me.com"
    assert new["registration_period"] == 3
    assert new["pw"] == "redacted"  # the auth code never reaches the log
    assert new["tenant_customer_id"] == str(ALICE)
    assert new["request_id"] == str(row["request_id"])
    assert new["status_id"] == _status_id(db, "pending")
    assert new["job_id"] == str(row["job_id"])  # set before the row is written: no update
    assert new["created_by"] == session_user
    assert inserted["created_by"] == session_user

    claim_job(db, row["job_id"])
    assert complete(db, row["job_id"], OWNER, {"roid": "D-AUDIT"})
    claimed, completed = _log(db, "provision_domain", row["id"])[1:]
    assert claimed["old_value"]["status_id"] == _status_id(db, "pending")
    assert claimed["new_value"]["status_id"] == _status_id(db, "processing")
    assert (claimed["old_value"]["attempt_count"], claimed["new_value"]["attempt_count"]) == (0, 1)
    assert completed["old_value"]["status_id"] == _status_id(db, "processing")
    assert completed["new_value"]["status_id"] == _status_id(db, "completed")
    assert (completed["old_value"]["roid"], completed["new_value"]["roid"]) == (None, "D-AUDIT")
    assert completed["old_value"]["provisioned_date"] is None
    assert completed["new_value"]["provisioned_date"] is not None
    assert completed["new_value"]["result_data"] == {"roid": "D-AUDIT"}

    # the domain the completion created is logged too
    domain_id = scalar(db, "SELECT id FROM domain WHERE name = 'audit-me.com'")
    (domain_insert,) = _log(db, "domain", domain_id)
    assert domain_insert["operation"] == "INSERT"
    assert domain_insert["new_value"]["roid"] == "D-AUDIT"
    assert domain_insert["new_value"]["auth_info"] == "redacted"
    assert "Audit-Pw-1" not in scalar(
        db, "SELECT string_agg(new_value::TEXT, '') FROM audit_trail_log"
    )


def test_a_changed_auth_code_is_logged_as_changed_never_in_clear(db: Conn) -> None:
    row = insert_provision(
        db,
        "provision_contact",
        handle="audit-pw",
        name="Pw Owner",
        email="a@example.net",
        city="X",
        country_code="DE",
        pw="First-Secret-1",
    )
    db.execute(
        "UPDATE provision_contact SET pw = 'Second-Secret-2' WHERE id = %(id)s", {"id": row["id"]}
    )
    db.execute(
        "UPDATE provision_contact SET pw = pw, city = 'Y' WHERE id = %(id)s", {"id": row["id"]}
    )
    inserted, changed, kept = _log(db, "provision_contact", row["id"])
    assert inserted["new_value"]["pw"] == "redacted"
    # a change of the secret alone is still a logged change
    assert (changed["old_value"]["pw"], changed["new_value"]["pw"]) == (
        "redacted",
        "redacted (changed)",
    )
    assert (kept["old_value"]["pw"], kept["new_value"]["pw"]) == ("redacted", "redacted")
    everything = scalar(
        db, "SELECT string_agg(concat(old_value::TEXT, new_value::TEXT), '') FROM audit_trail_log"
    )
    assert "First-Secret-1" not in everything
    assert "Second-Secret-2" not in everything


def test_a_direct_update_is_logged_and_a_no_op_update_is_not(db: Conn) -> None:
    row = insert_provision(
        db,
        "provision_contact",
        handle="audit-c",
        name="Old Name",
        email="a@example.net",
        city="X",
        country_code="DE",
    )
    before = len(_log(db, "provision_contact", row["id"]))

    db.execute("UPDATE provision_contact SET city = city WHERE id = %(id)s", {"id": row["id"]})
    assert len(_log(db, "provision_contact", row["id"])) == before

    db.execute(
        "UPDATE provision_contact SET organization = 'New Org' WHERE id = %(id)s",
        {"id": row["id"]},
    )
    last = _log(db, "provision_contact", row["id"])[-1]
    assert last["operation"] == "UPDATE"
    assert (last["old_value"]["organization"], last["new_value"]["organization"]) == (
        None,
        "New Org",
    )
    assert last["old_value"]["name"] == last["new_value"]["name"] == "Old Name"
    updated = [
        datetime.fromisoformat(v["updated_date"]) for v in (last["old_value"], last["new_value"])
    ]
    assert updated[1] >= updated[0]


_SECRET = st.one_of(
    st.none(),
    st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12),
)


# one table per example would be slow: the examples share one, told apart by id
@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.tuples(_SECRET, _SECRET, st.booleans()), min_size=1, max_size=6))
def test_rows_inserted_in_a_statement_are_logged_as_audit_redact_makes_them(
    db: Conn, rows: list[tuple[str | None, str | None, bool]]
) -> None:
    """The statement-level insert trigger logs each row of a multi-row insert redacted as
    audit_redact makes it, whichever secret columns hold a value."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS audit_probe"
        " (id UUID PRIMARY KEY DEFAULT gen_random_uuid(), pw TEXT, auth_info TEXT, note TEXT)"
    )
    db.execute(
        "CREATE OR REPLACE TRIGGER trg_audit_inserts AFTER INSERT ON audit_probe"
        " REFERENCING NEW TABLE AS new_rows"
        " FOR EACH STATEMENT EXECUTE FUNCTION audit_trail_record_inserts()"
    )
    inserted = fetch_all(
        db,
        "INSERT INTO audit_probe (pw, auth_info, note)"
        " SELECT * FROM unnest(%(pw)s::TEXT[], %(auth)s::TEXT[], %(note)s::TEXT[])"
        " RETURNING id, audit_redact(to_jsonb(audit_probe.*)) AS expected",
        {
            "pw": [pw for pw, _, _ in rows],
            "auth": [auth for _, auth, _ in rows],
            "note": ["kept" if keep else None for _, _, keep in rows],
        },
    )
    for row in inserted:
        (logged,) = _log(db, "audit_probe", row["id"])
        assert logged["new_value"] == row["expected"]
        assert logged["operation"] == "INSERT"

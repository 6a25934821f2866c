-- Audit: every table that inherits class.audit_trail carries who/when
-- columns, and every INSERT, UPDATE and DELETE on it is logged in
-- audit_trail_log by the generic trigger function audit_trail_record()
-- (bound per table in db/triggers/10_audit.sql; triggers are not inherited).

CREATE TABLE class.audit_trail (
    created_date    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_date    TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by      TEXT NOT NULL DEFAULT session_user,
    updated_by      TEXT NOT NULL DEFAULT session_user
);

COMMENT ON TABLE class.audit_trail IS
    'Who/when columns inherited by audited tables; updated_* maintained by audit_trail_touch(). '
    '*_by hold the login role (session_user), which names the service even inside SECURITY DEFINER functions.';

CREATE TABLE audit_trail_log (
    id              BIGSERIAL PRIMARY KEY,
    table_name      TEXT NOT NULL,
    operation       TEXT NOT NULL CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE')),
    object_id       UUID,
    old_value       JSONB,
    new_value       JSONB,
    transaction_id  BIGINT NOT NULL DEFAULT txid_current(),
    statement_date  TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_date    TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    -- the login role (session_user): the trigger runs as SECURITY DEFINER,
    -- so current_user would always be the owner
    created_by      TEXT NOT NULL DEFAULT session_user
);

COMMENT ON TABLE audit_trail_log IS
    'One row per INSERT/UPDATE/DELETE on a table inheriting class.audit_trail (old and new row as JSONB).';

CREATE INDEX audit_trail_log_object_idx ON audit_trail_log (table_name, object_id);
CREATE INDEX audit_trail_log_created_date_idx ON audit_trail_log USING brin (created_date);

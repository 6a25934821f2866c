-- AFTER UPDATE OR DELETE row trigger for every table inheriting
-- class.audit_trail: logs the operation with the old and new row as JSONB
-- (inserts are logged per statement by audit_trail_record_inserts).
-- Secret columns are kept redacted (audit_redact).
-- SECURITY DEFINER: callers need no privilege on audit_trail_log.
CREATE OR REPLACE FUNCTION audit_trail_record()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_old JSONB;
    v_new JSONB;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        v_old := to_jsonb(OLD);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        v_new := audit_redact(to_jsonb(NEW), v_old);
    END IF;
    v_old := audit_redact(v_old);
    -- an UPDATE that changed nothing but the audit columns is not worth a row
    IF TG_OP = 'UPDATE'
       AND (v_old - 'updated_date' - 'updated_by') = (v_new - 'updated_date' - 'updated_by') THEN
        RETURN NULL;
    END IF;
    INSERT INTO audit_trail_log (table_name, operation, object_id, old_value, new_value)
    VALUES (TG_TABLE_NAME, TG_OP, (COALESCE(v_new, v_old) ->> 'id')::UUID, v_old, v_new);
    RETURN NULL;
END;
$$;

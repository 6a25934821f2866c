-- AFTER INSERT ... FOR EACH STATEMENT trigger (REFERENCING NEW TABLE AS
-- new_rows) for every table inheriting class.audit_trail: logs the inserted
-- rows with one INSERT ... SELECT instead of one INSERT per row, secret columns
-- redacted (audit_redact).
--
-- Inserts only: rows are always inserted into the table itself, whose statement
-- triggers fire. UPDATE and DELETE stay row-level (audit_trail_record), since a
-- statement through the parent (an UPDATE of class.provision) fires the
-- children's row triggers but not their statement triggers.
CREATE OR REPLACE FUNCTION audit_trail_record_inserts()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
    INSERT INTO audit_trail_log (table_name, operation, object_id, old_value, new_value)
    SELECT TG_TABLE_NAME, 'INSERT', (n.v ->> 'id')::UUID, NULL, n.v
      -- OFFSET 0: one audit_redact per row (a flattened subquery would run it
      -- for each use of n.v)
      FROM (SELECT audit_redact(to_jsonb(r)) AS v FROM new_rows r OFFSET 0) AS n;
    RETURN NULL;
END;
$$;

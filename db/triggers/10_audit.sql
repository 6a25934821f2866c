-- Audit triggers on every table inheriting class.audit_trail (triggers are
-- not inherited, so each table is bound here, the provision tables included).
--   trg_20_touch  BEFORE UPDATE                      maintain updated_date/updated_by
--   trg_30_audit  AFTER INSERT OR UPDATE OR DELETE   row into audit_trail_log

DO $$
DECLARE
    t REGCLASS;
BEGIN
    FOR t IN SELECT i.inhrelid::REGCLASS
               FROM pg_inherits i
              WHERE i.inhparent = 'class.audit_trail'::REGCLASS
              ORDER BY 1::TEXT LOOP
        EXECUTE format('CREATE OR REPLACE TRIGGER trg_20_touch BEFORE UPDATE ON %s
                            FOR EACH ROW EXECUTE FUNCTION audit_trail_touch()', t);
        EXECUTE format('CREATE OR REPLACE TRIGGER trg_30_audit AFTER INSERT OR UPDATE OR DELETE ON %s
                            FOR EACH ROW EXECUTE FUNCTION audit_trail_record()', t);
    END LOOP;
END;
$$;

-- Audit triggers on every table inheriting class.audit_trail (triggers are
-- not inherited, so each table is bound here, the provision tables included).
--   trg_20_touch          BEFORE UPDATE                        maintain updated_date/updated_by
--   trg_30_audit          AFTER UPDATE OR DELETE, per row      row into audit_trail_log
--   trg_30_audit_insert   AFTER INSERT, per statement          the inserted rows into audit_trail_log
--                                                              (one INSERT ... SELECT from the transition table)
-- A table a migration adds is bound when this file is re-applied after it
-- (provisioning/migrations.py re-applies every repeatable file after a migration).

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
        EXECUTE format('CREATE OR REPLACE TRIGGER trg_30_audit AFTER UPDATE OR DELETE ON %s
                            FOR EACH ROW EXECUTE FUNCTION audit_trail_record()', t);
        EXECUTE format('CREATE OR REPLACE TRIGGER trg_30_audit_insert AFTER INSERT ON %s
                            REFERENCING NEW TABLE AS new_rows
                            FOR EACH STATEMENT EXECUTE FUNCTION audit_trail_record_inserts()', t);
    END LOOP;
END;
$$;

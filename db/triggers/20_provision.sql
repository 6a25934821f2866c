-- The trigger chain of every provision table (same-timing triggers fire in
-- name order):
--   trg_10_request_validate  BEFORE INSERT   duplicate request_id (23505), reset system columns,
--                                            assign job_id, tenant_customer/accreditation (PV002)
--   trg_20_validate          BEFORE INSERT   the table's own rules (PV001..PV008)
--   trg_20_touch             BEFORE UPDATE   updated_date/updated_by      (10_audit.sql)
--   trg_30_audit_insert      AFTER INSERT, per statement   audit_trail_log (10_audit.sql)
--   trg_30_audit             AFTER UPDATE OR DELETE        audit_trail_log (10_audit.sql)
--   trg_40_create_jobs       AFTER INSERT, per statement   the jobs of the inserted rows (pre/)
--   trg_45_create_child_jobs AFTER INSERT, per statement   their child jobs (provision_domain_delete,
--                                                          provision_domain_update; pre/provision_child_jobs.sql)
--   trg_50_emit_outcome      AFTER UPDATE OF status_id     final status -> outbox row (post/)
-- Completion itself is driven by the job table (30_job.sql).

-- Every table a job type completes (job_type.reference_table) gets the same
-- chain, bound to its own <table>_validate and <table>_job_data functions.
-- A provision table a migration adds is bound when this file is re-applied
-- after it (provisioning/migrations.py re-applies every repeatable file after a
-- migration).
DO $$
DECLARE
    t TEXT;
BEGIN
    FOR t IN SELECT reference_table FROM job_type WHERE reference_table IS NOT NULL ORDER BY 1 LOOP
        EXECUTE format('CREATE OR REPLACE TRIGGER trg_10_request_validate BEFORE INSERT ON %I
                            FOR EACH ROW EXECUTE FUNCTION provision_request_validate()', t);
        EXECUTE format('CREATE OR REPLACE TRIGGER trg_20_validate BEFORE INSERT ON %I
                            FOR EACH ROW EXECUTE FUNCTION %I()', t, t || '_validate');
        -- before 2026-12-01 each row inserted its job from a BEFORE INSERT row trigger
        EXECUTE format('DROP TRIGGER IF EXISTS trg_40_create_job ON %I', t);
        EXECUTE format('DROP FUNCTION IF EXISTS %I()', t || '_create_job');
        EXECUTE format('CREATE OR REPLACE TRIGGER trg_40_create_jobs AFTER INSERT ON %I
                            REFERENCING NEW TABLE AS new_rows
                            FOR EACH STATEMENT EXECUTE FUNCTION provision_create_jobs()', t);
        EXECUTE format('CREATE OR REPLACE TRIGGER trg_50_emit_outcome AFTER UPDATE OF status_id ON %I
                            FOR EACH ROW WHEN (OLD.status_id IS DISTINCT FROM NEW.status_id)
                            EXECUTE FUNCTION provision_emit_outcome()', t);
    END LOOP;
END;
$$;
DROP FUNCTION IF EXISTS provision_job_create(TEXT, UUID, JSONB);
CREATE OR REPLACE TRIGGER trg_45_create_child_jobs AFTER INSERT ON provision_domain_delete
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION provision_create_child_jobs();
CREATE OR REPLACE TRIGGER trg_45_create_child_jobs AFTER INSERT ON provision_domain_update
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION provision_create_child_jobs();

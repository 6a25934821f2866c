-- The trigger chain of every provision table (same-timing triggers fire in
-- name order):
--   trg_10_request_validate  BEFORE INSERT   duplicate request_id (23505), reset system columns,
--                                            tenant_customer/accreditation (PV002)
--   trg_20_validate          BEFORE INSERT   the table's own rules (PV001..PV008)
--   trg_20_touch             BEFORE UPDATE   updated_date/updated_by
--   trg_30_audit             AFTER INSERT OR UPDATE OR DELETE   audit_trail_log
--   trg_40_create_job        BEFORE INSERT   create the job, set NEW.job_id (pre/)
--   trg_50_emit_outcome      AFTER UPDATE OF status_id   final status -> outbox row (post/)
-- Completion itself is driven by the job table (30_job.sql).

-- provision_domain
CREATE OR REPLACE TRIGGER trg_10_request_validate BEFORE INSERT ON provision_domain
    FOR EACH ROW EXECUTE FUNCTION provision_request_validate();
CREATE OR REPLACE TRIGGER trg_20_validate BEFORE INSERT ON provision_domain
    FOR EACH ROW EXECUTE FUNCTION provision_domain_validate();
CREATE OR REPLACE TRIGGER trg_20_touch BEFORE UPDATE ON provision_domain
    FOR EACH ROW EXECUTE FUNCTION audit_trail_touch();
CREATE OR REPLACE TRIGGER trg_30_audit AFTER INSERT OR UPDATE OR DELETE ON provision_domain
    FOR EACH ROW EXECUTE FUNCTION audit_trail_record();
CREATE OR REPLACE TRIGGER trg_40_create_job BEFORE INSERT ON provision_domain
    FOR EACH ROW EXECUTE FUNCTION provision_domain_create_job();
CREATE OR REPLACE TRIGGER trg_50_emit_outcome AFTER UPDATE OF status_id ON provision_domain
    FOR EACH ROW WHEN (OLD.status_id IS DISTINCT FROM NEW.status_id)
    EXECUTE FUNCTION provision_emit_outcome();

-- provision_domain_renew
CREATE OR REPLACE TRIGGER trg_10_request_validate BEFORE INSERT ON provision_domain_renew
    FOR EACH ROW EXECUTE FUNCTION provision_request_validate();
CREATE OR REPLACE TRIGGER trg_20_validate BEFORE INSERT ON provision_domain_renew
    FOR EACH ROW EXECUTE FUNCTION provision_domain_renew_validate();
CREATE OR REPLACE TRIGGER trg_20_touch BEFORE UPDATE ON provision_domain_renew
    FOR EACH ROW EXECUTE FUNCTION audit_trail_touch();
CREATE OR REPLACE TRIGGER trg_30_audit AFTER INSERT OR UPDATE OR DELETE ON provision_domain_renew
    FOR EACH ROW EXECUTE FUNCTION audit_trail_record();
CREATE OR REPLACE TRIGGER trg_40_create_job BEFORE INSERT ON provision_domain_renew
    FOR EACH ROW EXECUTE FUNCTION provision_domain_renew_create_job();
CREATE OR REPLACE TRIGGER trg_50_emit_outcome AFTER UPDATE OF status_id ON provision_domain_renew
    FOR EACH ROW WHEN (OLD.status_id IS DISTINCT FROM NEW.status_id)
    EXECUTE FUNCTION provision_emit_outcome();

-- provision_domain_transfer
CREATE OR REPLACE TRIGGER trg_10_request_validate BEFORE INSERT ON provision_domain_transfer
    FOR EACH ROW EXECUTE FUNCTION provision_request_validate();
CREATE OR REPLACE TRIGGER trg_20_validate BEFORE INSERT ON provision_domain_transfer
    FOR EACH ROW EXECUTE FUNCTION provision_domain_transfer_validate();
CREATE OR REPLACE TRIGGER trg_20_touch BEFORE UPDATE ON provision_domain_transfer
    FOR EACH ROW EXECUTE FUNCTION audit_trail_touch();
CREATE OR REPLACE TRIGGER trg_30_audit AFTER INSERT OR UPDATE OR DELETE ON provision_domain_transfer
    FOR EACH ROW EXECUTE FUNCTION audit_trail_record();
CREATE OR REPLACE TRIGGER trg_40_create_job BEFORE INSERT ON provision_domain_transfer
    FOR EACH ROW EXECUTE FUNCTION provision_domain_transfer_create_job();
CREATE OR REPLACE TRIGGER trg_50_emit_outcome AFTER UPDATE OF status_id ON provision_domain_transfer
    FOR EACH ROW WHEN (OLD.status_id IS DISTINCT FROM NEW.status_id)
    EXECUTE FUNCTION provision_emit_outcome();

-- provision_domain_restore
CREATE OR REPLACE TRIGGER trg_10_request_validate BEFORE INSERT ON provision_domain_restore
    FOR EACH ROW EXECUTE FUNCTION provision_request_validate();
CREATE OR REPLACE TRIGGER trg_20_validate BEFORE INSERT ON provision_domain_restore
    FOR EACH ROW EXECUTE FUNCTION provision_domain_restore_validate();
CREATE OR REPLACE TRIGGER trg_20_touch BEFORE UPDATE ON provision_domain_restore
    FOR EACH ROW EXECUTE FUNCTION audit_trail_touch();
CREATE OR REPLACE TRIGGER trg_30_audit AFTER INSERT OR UPDATE OR DELETE ON provision_domain_restore
    FOR EACH ROW EXECUTE FUNCTION audit_trail_record();
CREATE OR REPLACE TRIGGER trg_40_create_job BEFORE INSERT ON provision_domain_restore
    FOR EACH ROW EXECUTE FUNCTION provision_domain_restore_create_job();
CREATE OR REPLACE TRIGGER trg_50_emit_outcome AFTER UPDATE OF status_id ON provision_domain_restore
    FOR EACH ROW WHEN (OLD.status_id IS DISTINCT FROM NEW.status_id)
    EXECUTE FUNCTION provision_emit_outcome();

-- provision_domain_delete
CREATE OR REPLACE TRIGGER trg_10_request_validate BEFORE INSERT ON provision_domain_delete
    FOR EACH ROW EXECUTE FUNCTION provision_request_validate();
CREATE OR REPLACE TRIGGER trg_20_validate BEFORE INSERT ON provision_domain_delete
    FOR EACH ROW EXECUTE FUNCTION provision_domain_delete_validate();
CREATE OR REPLACE TRIGGER trg_20_touch BEFORE UPDATE ON provision_domain_delete
    FOR EACH ROW EXECUTE FUNCTION audit_trail_touch();
CREATE OR REPLACE TRIGGER trg_30_audit AFTER INSERT OR UPDATE OR DELETE ON provision_domain_delete
    FOR EACH ROW EXECUTE FUNCTION audit_trail_record();
CREATE OR REPLACE TRIGGER trg_40_create_job BEFORE INSERT ON provision_domain_delete
    FOR EACH ROW EXECUTE FUNCTION provision_domain_delete_create_job();
CREATE OR REPLACE TRIGGER trg_50_emit_outcome AFTER UPDATE OF status_id ON provision_domain_delete
    FOR EACH ROW WHEN (OLD.status_id IS DISTINCT FROM NEW.status_id)
    EXECUTE FUNCTION provision_emit_outcome();

-- provision_domain_update
CREATE OR REPLACE TRIGGER trg_10_request_validate BEFORE INSERT ON provision_domain_update
    FOR EACH ROW EXECUTE FUNCTION provision_request_validate();
CREATE OR REPLACE TRIGGER trg_20_validate BEFORE INSERT ON provision_domain_update
    FOR EACH ROW EXECUTE FUNCTION provision_domain_update_validate();
CREATE OR REPLACE TRIGGER trg_20_touch BEFORE UPDATE ON provision_domain_update
    FOR EACH ROW EXECUTE FUNCTION audit_trail_touch();
CREATE OR REPLACE TRIGGER trg_30_audit AFTER INSERT OR UPDATE OR DELETE ON provision_domain_update
    FOR EACH ROW EXECUTE FUNCTION audit_trail_record();
CREATE OR REPLACE TRIGGER trg_40_create_job BEFORE INSERT ON provision_domain_update
    FOR EACH ROW EXECUTE FUNCTION provision_domain_update_create_job();
CREATE OR REPLACE TRIGGER trg_50_emit_outcome AFTER UPDATE OF status_id ON provision_domain_update
    FOR EACH ROW WHEN (OLD.status_id IS DISTINCT FROM NEW.status_id)
    EXECUTE FUNCTION provision_emit_outcome();

-- provision_contact
CREATE OR REPLACE TRIGGER trg_10_request_validate BEFORE INSERT ON provision_contact
    FOR EACH ROW EXECUTE FUNCTION provision_request_validate();
CREATE OR REPLACE TRIGGER trg_20_validate BEFORE INSERT ON provision_contact
    FOR EACH ROW EXECUTE FUNCTION provision_contact_validate();
CREATE OR REPLACE TRIGGER trg_20_touch BEFORE UPDATE ON provision_contact
    FOR EACH ROW EXECUTE FUNCTION audit_trail_touch();
CREATE OR REPLACE TRIGGER trg_30_audit AFTER INSERT OR UPDATE OR DELETE ON provision_contact
    FOR EACH ROW EXECUTE FUNCTION audit_trail_record();
CREATE OR REPLACE TRIGGER trg_40_create_job BEFORE INSERT ON provision_contact
    FOR EACH ROW EXECUTE FUNCTION provision_contact_create_job();
CREATE OR REPLACE TRIGGER trg_50_emit_outcome AFTER UPDATE OF status_id ON provision_contact
    FOR EACH ROW WHEN (OLD.status_id IS DISTINCT FROM NEW.status_id)
    EXECUTE FUNCTION provision_emit_outcome();

-- provision_host
CREATE OR REPLACE TRIGGER trg_10_request_validate BEFORE INSERT ON provision_host
    FOR EACH ROW EXECUTE FUNCTION provision_request_validate();
CREATE OR REPLACE TRIGGER trg_20_validate BEFORE INSERT ON provision_host
    FOR EACH ROW EXECUTE FUNCTION provision_host_validate();
CREATE OR REPLACE TRIGGER trg_20_touch BEFORE UPDATE ON provision_host
    FOR EACH ROW EXECUTE FUNCTION audit_trail_touch();
CREATE OR REPLACE TRIGGER trg_30_audit AFTER INSERT OR UPDATE OR DELETE ON provision_host
    FOR EACH ROW EXECUTE FUNCTION audit_trail_record();
CREATE OR REPLACE TRIGGER trg_40_create_job BEFORE INSERT ON provision_host
    FOR EACH ROW EXECUTE FUNCTION provision_host_create_job();
CREATE OR REPLACE TRIGGER trg_50_emit_outcome AFTER UPDATE OF status_id ON provision_host
    FOR EACH ROW WHEN (OLD.status_id IS DISTINCT FROM NEW.status_id)
    EXECUTE FUNCTION provision_emit_outcome();

-- provision_ssl
CREATE OR REPLACE TRIGGER trg_10_request_validate BEFORE INSERT ON provision_ssl
    FOR EACH ROW EXECUTE FUNCTION provision_request_validate();
CREATE OR REPLACE TRIGGER trg_20_validate BEFORE INSERT ON provision_ssl
    FOR EACH ROW EXECUTE FUNCTION provision_ssl_validate();
CREATE OR REPLACE TRIGGER trg_20_touch BEFORE UPDATE ON provision_ssl
    FOR EACH ROW EXECUTE FUNCTION audit_trail_touch();
CREATE OR REPLACE TRIGGER trg_30_audit AFTER INSERT OR UPDATE OR DELETE ON provision_ssl
    FOR EACH ROW EXECUTE FUNCTION audit_trail_record();
CREATE OR REPLACE TRIGGER trg_40_create_job BEFORE INSERT ON provision_ssl
    FOR EACH ROW EXECUTE FUNCTION provision_ssl_create_job();
CREATE OR REPLACE TRIGGER trg_50_emit_outcome AFTER UPDATE OF status_id ON provision_ssl
    FOR EACH ROW WHEN (OLD.status_id IS DISTINCT FROM NEW.status_id)
    EXECUTE FUNCTION provision_emit_outcome();

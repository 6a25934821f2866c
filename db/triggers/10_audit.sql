-- Audit triggers on every table inheriting class.audit_trail (triggers are
-- not inherited, so each table is bound here). The provision tables get
-- theirs in 20_provision.sql.
--   trg_20_touch  BEFORE UPDATE                      maintain updated_date/updated_by
--   trg_30_audit  AFTER INSERT OR UPDATE OR DELETE   row into audit_trail_log

CREATE OR REPLACE TRIGGER trg_20_touch BEFORE UPDATE ON tenant
    FOR EACH ROW EXECUTE FUNCTION audit_trail_touch();
CREATE OR REPLACE TRIGGER trg_30_audit AFTER INSERT OR UPDATE OR DELETE ON tenant
    FOR EACH ROW EXECUTE FUNCTION audit_trail_record();

CREATE OR REPLACE TRIGGER trg_20_touch BEFORE UPDATE ON customer
    FOR EACH ROW EXECUTE FUNCTION audit_trail_touch();
CREATE OR REPLACE TRIGGER trg_30_audit AFTER INSERT OR UPDATE OR DELETE ON customer
    FOR EACH ROW EXECUTE FUNCTION audit_trail_record();

CREATE OR REPLACE TRIGGER trg_20_touch BEFORE UPDATE ON tenant_customer
    FOR EACH ROW EXECUTE FUNCTION audit_trail_touch();
CREATE OR REPLACE TRIGGER trg_30_audit AFTER INSERT OR UPDATE OR DELETE ON tenant_customer
    FOR EACH ROW EXECUTE FUNCTION audit_trail_record();

CREATE OR REPLACE TRIGGER trg_20_touch BEFORE UPDATE ON accreditation
    FOR EACH ROW EXECUTE FUNCTION audit_trail_touch();
CREATE OR REPLACE TRIGGER trg_30_audit AFTER INSERT OR UPDATE OR DELETE ON accreditation
    FOR EACH ROW EXECUTE FUNCTION audit_trail_record();

CREATE OR REPLACE TRIGGER trg_20_touch BEFORE UPDATE ON tld
    FOR EACH ROW EXECUTE FUNCTION audit_trail_touch();
CREATE OR REPLACE TRIGGER trg_30_audit AFTER INSERT OR UPDATE OR DELETE ON tld
    FOR EACH ROW EXECUTE FUNCTION audit_trail_record();

CREATE OR REPLACE TRIGGER trg_20_touch BEFORE UPDATE ON accreditation_tld
    FOR EACH ROW EXECUTE FUNCTION audit_trail_touch();
CREATE OR REPLACE TRIGGER trg_30_audit AFTER INSERT OR UPDATE OR DELETE ON accreditation_tld
    FOR EACH ROW EXECUTE FUNCTION audit_trail_record();

CREATE OR REPLACE TRIGGER trg_20_touch BEFORE UPDATE ON contact
    FOR EACH ROW EXECUTE FUNCTION audit_trail_touch();
CREATE OR REPLACE TRIGGER trg_30_audit AFTER INSERT OR UPDATE OR DELETE ON contact
    FOR EACH ROW EXECUTE FUNCTION audit_trail_record();

CREATE OR REPLACE TRIGGER trg_20_touch BEFORE UPDATE ON domain
    FOR EACH ROW EXECUTE FUNCTION audit_trail_touch();
CREATE OR REPLACE TRIGGER trg_30_audit AFTER INSERT OR UPDATE OR DELETE ON domain
    FOR EACH ROW EXECUTE FUNCTION audit_trail_record();

CREATE OR REPLACE TRIGGER trg_20_touch BEFORE UPDATE ON host
    FOR EACH ROW EXECUTE FUNCTION audit_trail_touch();
CREATE OR REPLACE TRIGGER trg_30_audit AFTER INSERT OR UPDATE OR DELETE ON host
    FOR EACH ROW EXECUTE FUNCTION audit_trail_record();

CREATE OR REPLACE TRIGGER trg_20_touch BEFORE UPDATE ON certificate
    FOR EACH ROW EXECUTE FUNCTION audit_trail_touch();
CREATE OR REPLACE TRIGGER trg_30_audit AFTER INSERT OR UPDATE OR DELETE ON certificate
    FOR EACH ROW EXECUTE FUNCTION audit_trail_record();

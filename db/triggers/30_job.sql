-- Triggers on job.
--   trg_10_set_defaults      BEFORE INSERT   max_attempts from job_type, start queued
--   trg_20_touch             BEFORE UPDATE   updated_date
--   trg_30_notify_runnable   AFTER INSERT OR UPDATE OF status_id   NOTIFY job_runnable (queued)
--   trg_40_status_changed    AFTER UPDATE OF status_id   final status -> complete/fail the provision (post/)

CREATE OR REPLACE TRIGGER trg_10_set_defaults BEFORE INSERT ON job
    FOR EACH ROW EXECUTE FUNCTION job_set_defaults();
CREATE OR REPLACE TRIGGER trg_20_touch BEFORE UPDATE ON job
    FOR EACH ROW EXECUTE FUNCTION job_touch();
CREATE OR REPLACE TRIGGER trg_30_notify_runnable AFTER INSERT OR UPDATE OF status_id ON job
    FOR EACH ROW EXECUTE FUNCTION job_notify_runnable();
CREATE OR REPLACE TRIGGER trg_40_status_changed AFTER UPDATE OF status_id ON job
    FOR EACH ROW WHEN (OLD.status_id IS DISTINCT FROM NEW.status_id)
    EXECUTE FUNCTION job_status_changed();

-- Triggers on job.
--   trg_10_set_defaults      BEFORE INSERT   max_attempts from job_type, start queued (jobs inserted without max_attempts)
--   trg_20_touch             BEFORE UPDATE   updated_date (unless the UPDATE set it)
--   trg_30_notify_inserted   AFTER INSERT, per statement   NOTIFY job_runnable, once per job type
--   trg_30_notify_runnable   AFTER UPDATE OF status_id     NOTIFY job_runnable (re-queued)
--   trg_40_status_changed    AFTER UPDATE OF status_id   final status -> complete/fail the provision (post/)
--
-- The two AFTER UPDATE triggers skip a claim (queued -> processing) without a
-- call: processing is the only status with a lease (lease_expires_at set), and
-- every change into queued, completed or failed clears it (job_fail,
-- job_complete, job_reclaim_expired, job_status_changed). Two PL/pgSQL calls
-- per claimed job were about a third of a claim's cost.

-- Only for a job inserted without max_attempts: provision_create_jobs (the only
-- writer of jobs; no component role may insert one) inserts them complete,
-- and skips a function call per job.
CREATE OR REPLACE TRIGGER trg_10_set_defaults BEFORE INSERT ON job
    FOR EACH ROW WHEN (NEW.max_attempts IS NULL) EXECUTE FUNCTION job_set_defaults();
-- The job API's own UPDATEs (job_claim, job_complete, job_complete_many) set
-- updated_date themselves and skip the call; any other UPDATE still gets it.
CREATE OR REPLACE TRIGGER trg_20_touch BEFORE UPDATE ON job
    FOR EACH ROW
    WHEN (NEW.updated_date IS NOT DISTINCT FROM OLD.updated_date
          OR NEW.created_date IS DISTINCT FROM OLD.created_date)
    EXECUTE FUNCTION job_touch();
CREATE OR REPLACE TRIGGER trg_30_notify_inserted AFTER INSERT ON job
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION job_notify_inserted();
CREATE OR REPLACE TRIGGER trg_30_notify_runnable AFTER UPDATE OF status_id ON job
    FOR EACH ROW WHEN (OLD.status_id IS DISTINCT FROM NEW.status_id AND NEW.lease_expires_at IS NULL)
    EXECUTE FUNCTION job_notify_runnable();
CREATE OR REPLACE TRIGGER trg_40_status_changed AFTER UPDATE OF status_id ON job
    FOR EACH ROW WHEN (OLD.status_id IS DISTINCT FROM NEW.status_id AND NEW.lease_expires_at IS NULL)
    EXECUTE FUNCTION job_status_changed();

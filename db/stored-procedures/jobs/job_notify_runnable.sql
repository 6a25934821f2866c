-- AFTER INSERT OR UPDATE OF status_id on job: NOTIFY job_runnable with the
-- job type name whenever a job is inserted or re-queued. Executors LISTEN
-- and then call job_claim (they also poll, since a retried job only becomes
-- runnable at its start_date).
CREATE OR REPLACE FUNCTION job_notify_runnable()
RETURNS TRIGGER
LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.status_id = tc_id_from_name('job_status', 'queued')
       AND (TG_OP = 'INSERT' OR OLD.status_id IS DISTINCT FROM NEW.status_id) THEN
        PERFORM pg_notify('job_runnable', (SELECT name FROM job_type WHERE id = NEW.type_id));
    END IF;
    RETURN NULL;
END;
$$;

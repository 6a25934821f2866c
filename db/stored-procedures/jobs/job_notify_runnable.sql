-- NOTIFY job_runnable with the job type's name whenever jobs are inserted or
-- re-queued. Executors LISTEN and then call job_claim (they also poll, since
-- a retried job only becomes runnable at its start_date).
--
-- job_notify_runnable:  AFTER UPDATE OF status_id, per row (a job re-queued).
-- job_notify_inserted:  AFTER INSERT, per statement: one NOTIFY per job type
--                       among the inserted rows, not one per row.
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

CREATE OR REPLACE FUNCTION job_notify_inserted()
RETURNS TRIGGER
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_notify('job_runnable', t.name)
       FROM job_type t
      WHERE t.id IN (SELECT n.type_id FROM new_rows n
                      WHERE n.status_id = tc_id_from_name('job_status', 'queued'));
    RETURN NULL;
END;
$$;

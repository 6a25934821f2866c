-- BEFORE INSERT on job, for a job inserted without max_attempts: max_attempts
-- defaults to the job type's; the job starts queued with no attempts, lease or
-- result. (provision_create_jobs inserts its jobs complete.)
CREATE OR REPLACE FUNCTION job_set_defaults()
RETURNS TRIGGER
LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.max_attempts IS NULL THEN
        SELECT max_attempts INTO NEW.max_attempts FROM job_type WHERE id = NEW.type_id;
    END IF;
    NEW.status_id := tc_id_from_name('job_status', 'queued');
    NEW.attempts := 0;
    NEW.lease_owner := NULL;
    NEW.lease_expires_at := NULL;
    NEW.end_date := NULL;
    NEW.start_date := COALESCE(NEW.start_date, now());
    NEW.data := COALESCE(NEW.data, '{}');
    RETURN NEW;
END;
$$;

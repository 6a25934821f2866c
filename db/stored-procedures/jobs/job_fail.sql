-- Reports a failed attempt of job p_job_id by p_owner.
--   'lost'   p_owner no longer holds the lease; nothing changed.
--   'retry'  p_retryable and attempts < max_attempts: the job is queued
--            again with start_date = now() + least(p_backoff_base *
--            2^(attempts-1), p_backoff_max); result_message/result_data
--            keep the last error.
--   'failed' otherwise: the job fails for good with p_message and p_data;
--            the provision fails with the same reason (job_status_changed).
CREATE OR REPLACE FUNCTION job_fail(
    p_job_id       UUID,
    p_owner        TEXT,
    p_message      TEXT,
    p_data         JSONB DEFAULT NULL,
    p_retryable    BOOLEAN DEFAULT TRUE,
    p_backoff_base INTERVAL DEFAULT '1 second',
    p_backoff_max  INTERVAL DEFAULT '5 minutes'
)
RETURNS TEXT
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_job   job;
    v_delay INTERVAL;
BEGIN
    SELECT * INTO v_job
      FROM job
     WHERE id = p_job_id
       AND lease_owner = p_owner
       AND status_id = tc_id_from_name('job_status', 'processing')
       FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 'lost';
    END IF;

    IF COALESCE(p_retryable, TRUE) AND v_job.attempts < v_job.max_attempts THEN
        v_delay := LEAST(COALESCE(p_backoff_base, INTERVAL '1 second')
                           * power(2, LEAST(GREATEST(v_job.attempts - 1, 0), 30)),
                         COALESCE(p_backoff_max, INTERVAL '5 minutes'));
        UPDATE job
           SET status_id = tc_id_from_name('job_status', 'queued'),
               start_date = now() + v_delay,
               lease_owner = NULL,
               lease_expires_at = NULL,
               result_message = p_message,
               result_data = p_data
         WHERE id = v_job.id;
        RETURN 'retry';
    END IF;

    UPDATE job
       SET status_id = tc_id_from_name('job_status', 'failed'),
           lease_expires_at = NULL,
           end_date = now(),
           result_message = COALESCE(p_message, 'job failed'),
           result_data = p_data
     WHERE id = v_job.id;
    RETURN 'failed';
END;
$$;

REVOKE ALL ON FUNCTION job_fail(UUID, TEXT, TEXT, JSONB, BOOLEAN, INTERVAL, INTERVAL) FROM PUBLIC;

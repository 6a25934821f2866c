-- Takes back processing jobs whose lease expired (the executor died or
-- stalled): queued again after a backoff of least(p_backoff_base *
-- 2^(attempts-1), 5 minutes), or failed for good when attempts reached
-- max_attempts, with result_message 'lease expired ...'. Returns how many
-- jobs were reclaimed. Jobs locked by a concurrent job_complete/job_fail
-- are skipped. Run it periodically (any executor may).
CREATE OR REPLACE FUNCTION job_reclaim_expired(p_backoff_base INTERVAL DEFAULT '1 second')
RETURNS INT
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_queued     UUID := tc_id_from_name('job_status', 'queued');
    v_processing UUID := tc_id_from_name('job_status', 'processing');
    v_failed     UUID := tc_id_from_name('job_status', 'failed');
    v_base       INTERVAL := COALESCE(p_backoff_base, INTERVAL '1 second');
    v_count      INT;
BEGIN
    WITH expired AS (
        SELECT id
          FROM job
         WHERE lease_expires_at < now()
           AND status_id = v_processing
           FOR UPDATE SKIP LOCKED
    )
    UPDATE job j
       SET status_id = CASE WHEN j.attempts >= j.max_attempts THEN v_failed ELSE v_queued END,
           start_date = CASE WHEN j.attempts >= j.max_attempts THEN j.start_date
                             ELSE now() + LEAST(v_base * power(2, LEAST(GREATEST(j.attempts - 1, 0), 30)),
                                                INTERVAL '5 minutes') END,
           end_date = CASE WHEN j.attempts >= j.max_attempts THEN now() END,
           result_message = CASE WHEN j.attempts >= j.max_attempts
                                 THEN format('lease expired (owner %s) on attempt %s of %s; giving up',
                                             j.lease_owner, j.attempts, j.max_attempts)
                                 ELSE format('lease expired (owner %s) on attempt %s of %s; retrying',
                                             j.lease_owner, j.attempts, j.max_attempts) END,
           lease_owner = NULL,
           lease_expires_at = NULL
      FROM expired
     WHERE j.id = expired.id;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END;
$$;

REVOKE ALL ON FUNCTION job_reclaim_expired(INTERVAL) FROM PUBLIC;

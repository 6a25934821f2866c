-- Extends to now() + p_lease the leases that p_owner still holds (job
-- processing and lease_owner = p_owner) among p_job_ids. Returns how many
-- were extended; a job missing from the count was lost (reclaimed) and the
-- executor should stop working on it.
CREATE OR REPLACE FUNCTION job_heartbeat(
    p_owner   TEXT,
    p_job_ids UUID[],
    p_lease   INTERVAL
)
RETURNS INT
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_count INT;
BEGIN
    IF p_lease IS NULL OR p_lease <= INTERVAL '0' THEN
        RAISE EXCEPTION 'job_heartbeat: p_lease must be positive, got %', p_lease USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE job
       SET lease_expires_at = now() + p_lease
     WHERE id = ANY (p_job_ids)
       AND lease_owner = p_owner
       AND status_id = tc_id_from_name('job_status', 'processing');
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END;
$$;

REVOKE ALL ON FUNCTION job_heartbeat(TEXT, UUID[], INTERVAL) FROM PUBLIC;

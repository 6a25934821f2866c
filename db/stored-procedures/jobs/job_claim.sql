-- Claims up to p_limit runnable jobs for executor p_owner: queued, with
-- start_date <= now(), of one of p_types (all types when NULL), with no
-- unfinished child job; oldest start_date first; FOR UPDATE SKIP LOCKED so
-- concurrent executors never get the same job. Each claimed job becomes
-- processing with attempts + 1, claimed_date now() and a lease until now() + p_lease; its
-- provision becomes processing (attempt_count = attempts).
CREATE OR REPLACE FUNCTION job_claim(
    p_owner TEXT,
    p_limit INT,
    p_lease INTERVAL,
    p_types TEXT[] DEFAULT NULL
)
RETURNS SETOF job
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_queued          UUID := tc_id_from_name('job_status', 'queued');
    v_processing      UUID := tc_id_from_name('job_status', 'processing');
    v_final           UUID[] := ARRAY(SELECT id FROM job_status WHERE is_final);
    v_prov_pending    UUID := tc_id_from_name('provision_status', 'pending');
    v_prov_processing UUID := tc_id_from_name('provision_status', 'processing');
BEGIN
    IF NULLIF(p_owner, '') IS NULL THEN
        RAISE EXCEPTION 'job_claim: p_owner is required' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_limit IS NULL OR p_limit < 1 THEN
        RAISE EXCEPTION 'job_claim: p_limit must be at least 1, got %', p_limit USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_lease IS NULL OR p_lease <= INTERVAL '0' THEN
        RAISE EXCEPTION 'job_claim: p_lease must be positive, got %', p_lease USING ERRCODE = 'invalid_parameter_value';
    END IF;

    RETURN QUERY
    WITH candidate AS (
        SELECT j.id
          FROM job j
         WHERE j.status_id = v_queued
           AND j.start_date <= now()
           AND (p_types IS NULL
                OR j.type_id IN (SELECT t.id FROM job_type t WHERE t.name = ANY (p_types)))
           AND NOT EXISTS (SELECT 1
                             FROM job c
                            WHERE c.parent_id = j.id
                              AND c.status_id <> ALL (v_final))
         ORDER BY j.start_date, j.created_date
         LIMIT p_limit
           FOR UPDATE OF j SKIP LOCKED
    ), claimed AS (
        UPDATE job j
           SET status_id = v_processing,
               attempts = j.attempts + 1,
               lease_owner = p_owner,
               lease_expires_at = now() + p_lease,
               claimed_date = now()
          FROM candidate c
         WHERE j.id = c.id
        RETURNING j.*
    ), provision AS (
        UPDATE class.provision p
           SET status_id = v_prov_processing,
               attempt_count = c.attempts
          FROM claimed c
         WHERE p.id = c.reference_id
           AND p.status_id IN (v_prov_pending, v_prov_processing)
    )
    SELECT * FROM claimed ORDER BY claimed.start_date, claimed.created_date;
END;
$$;

REVOKE ALL ON FUNCTION job_claim(TEXT, INT, INTERVAL, TEXT[]) FROM PUBLIC;

-- Completes several jobs in one statement, as River batches completions:
-- job p_job_ids[i] becomes completed with result p_results[i] where p_owner
-- still holds its lease; one row per given job, in the order given, with
-- completed = FALSE where the lease was lost (nothing changed for that job).
-- The same change as job_complete, so the same triggers complete each
-- provision in this transaction. One refused result fails the whole
-- statement: the executor then completes the jobs one by one.
CREATE OR REPLACE FUNCTION job_complete_many(
    p_owner   TEXT,
    p_job_ids UUID[],
    p_results JSONB[]
)
RETURNS TABLE (job_id UUID, completed BOOLEAN)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
-- one plan per session, as job_claim
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_processing UUID := tc_id_from_name('job_status', 'processing');
    v_completed  UUID := tc_id_from_name('job_status', 'completed');
BEGIN
    IF cardinality(p_job_ids) IS DISTINCT FROM cardinality(p_results) THEN
        RAISE EXCEPTION 'job_complete_many: % job ids but % results',
            cardinality(p_job_ids), cardinality(p_results)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY
    WITH done AS (
        UPDATE job j
           SET status_id = v_completed,
               result_data = r.result,
               result_message = NULL,
               lease_expires_at = NULL,
               end_date = now(),
               updated_date = now()
          FROM unnest(p_job_ids, p_results) AS r(id, result)
         WHERE j.id = r.id
           -- by primary key whatever the plan (a generic one cannot size the arrays)
           AND j.id = ANY (p_job_ids)
           AND j.lease_owner = p_owner
           AND j.status_id = v_processing
        RETURNING j.id
    )
    SELECT g.id, EXISTS (SELECT 1 FROM done d WHERE d.id = g.id)
      FROM unnest(p_job_ids) WITH ORDINALITY AS g(id, n)
     ORDER BY g.n;
END;
$$;

REVOKE ALL ON FUNCTION job_complete_many(TEXT, UUID[], JSONB[]) FROM PUBLIC;

-- Marks job p_job_id completed with p_result (JSONB, becomes
-- job.result_data) and p_message, if p_owner still holds its lease
-- (processing, lease_owner = p_owner). Returns FALSE otherwise - e.g. the
-- lease expired and the job was reclaimed - and changes nothing.
-- The completion (provision, object, outbox) runs in the same transaction
-- through the job_status_changed trigger.
CREATE OR REPLACE FUNCTION job_complete(
    p_job_id  UUID,
    p_owner   TEXT,
    p_result  JSONB,
    p_message TEXT DEFAULT NULL
)
RETURNS BOOLEAN
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
    UPDATE job
       SET status_id = tc_id_from_name('job_status', 'completed'),
           result_data = p_result,
           result_message = p_message,
           lease_expires_at = NULL,
           end_date = now(),
           updated_date = now()
     WHERE id = p_job_id
       AND lease_owner = p_owner
       AND status_id = tc_id_from_name('job_status', 'processing');
    RETURN FOUND;
END;
$$;

REVOKE ALL ON FUNCTION job_complete(UUID, TEXT, JSONB, TEXT) FROM PUBLIC;

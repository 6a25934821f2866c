-- Marks the provision row p_job.reference_id of p_table failed with the
-- job's result_message and result_data (unless it is already final).
-- Called by job_status_changed when a job fails for good.
CREATE OR REPLACE FUNCTION provision_fail(p_table TEXT, p_job job)
RETURNS VOID
LANGUAGE plpgsql
AS $$
BEGIN
    EXECUTE format(
        'UPDATE %I
            SET status_id = $1,
                result_message = $2,
                result_data = $3,
                attempt_count = GREATEST(attempt_count, $4)
          WHERE id = $5
            AND status_id IN (SELECT id FROM provision_status WHERE NOT is_final)', p_table)
      USING tc_id_from_name('provision_status', 'failed'),
            COALESCE(p_job.result_message, 'job failed'),
            p_job.result_data,
            p_job.attempts,
            p_job.reference_id;
END;
$$;

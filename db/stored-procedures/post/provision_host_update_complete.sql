-- Completion of a provision_host_update job: the host gets the new
-- addresses; the provision is completed.
CREATE OR REPLACE FUNCTION provision_host_update_complete(p_job job)
RETURNS VOID
LANGUAGE plpgsql
AS $$
DECLARE
    v_p provision_host_update;
BEGIN
    SELECT * INTO v_p FROM provision_host_update WHERE id = p_job.reference_id FOR UPDATE;
    IF NOT FOUND OR (SELECT is_final FROM provision_status WHERE id = v_p.status_id) THEN
        RETURN;
    END IF;
    UPDATE host SET addresses = v_p.addresses WHERE id = v_p.host_id;
    UPDATE provision_host_update
       SET status_id = tc_id_from_name('provision_status', 'completed'),
           provisioned_date = now(),
           roid = p_job.result_data ->> 'roid',
           result_message = p_job.result_message,
           result_data = p_job.result_data,
           attempt_count = GREATEST(attempt_count, p_job.attempts)
     WHERE id = v_p.id;
END;
$$;

-- Completion of a provision_domain_restore job: the domain is ok again
-- (out of redemption); the provision is completed. Reads from the job
-- result: expiry_date (default: unchanged).
CREATE OR REPLACE FUNCTION provision_domain_restore_complete(p_job job)
RETURNS VOID
LANGUAGE plpgsql
AS $$
DECLARE
    v_p      provision_domain_restore;
    v_r      JSONB := COALESCE(p_job.result_data, '{}');
    v_expiry TIMESTAMPTZ;
    v_roid   TEXT;
BEGIN
    SELECT * INTO v_p FROM provision_domain_restore WHERE id = p_job.reference_id FOR UPDATE;
    IF NOT FOUND OR (SELECT is_final FROM provision_status WHERE id = v_p.status_id) THEN
        RETURN;
    END IF;

    UPDATE domain
       SET status = 'ok',
           deleted_date = NULL,
           redemption_end_date = NULL,
           ry_expiry_date = COALESCE((v_r ->> 'expiry_date')::TIMESTAMPTZ, ry_expiry_date),
           ry_updated_date = now()
     WHERE id = v_p.domain_id
    RETURNING ry_expiry_date, roid INTO v_expiry, v_roid;

    UPDATE provision_domain_restore
       SET status_id = tc_id_from_name('provision_status', 'completed'),
           provisioned_date = now(),
           roid = v_roid,
           ry_expiry_date = v_expiry,
           result_message = p_job.result_message,
           result_data = p_job.result_data,
           attempt_count = GREATEST(attempt_count, p_job.attempts)
     WHERE id = v_p.id;
END;
$$;

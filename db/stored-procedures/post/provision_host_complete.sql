-- Completion of a provision_host job: creates the host; the provision is
-- completed. Reads from the job result: roid, created_date.
CREATE OR REPLACE FUNCTION provision_host_complete(p_job job)
RETURNS VOID
LANGUAGE plpgsql
AS $$
DECLARE
    v_p       provision_host;
    v_r       JSONB := COALESCE(p_job.result_data, '{}');
    v_host_id UUID;
BEGIN
    SELECT * INTO v_p FROM provision_host WHERE id = p_job.reference_id FOR UPDATE;
    IF NOT FOUND OR (SELECT is_final FROM provision_status WHERE id = v_p.status_id) THEN
        RETURN;
    END IF;

    INSERT INTO host (tenant_customer_id, accreditation_id, name, roid, addresses, domain_id, ry_created_date)
    VALUES (v_p.tenant_customer_id, v_p.accreditation_id, v_p.name, v_r ->> 'roid', v_p.addresses,
            v_p.domain_id, COALESCE((v_r ->> 'created_date')::TIMESTAMPTZ, now()))
    RETURNING id INTO v_host_id;

    UPDATE provision_host
       SET status_id = tc_id_from_name('provision_status', 'completed'),
           provisioned_date = now(),
           host_id = v_host_id,
           roid = v_r ->> 'roid',
           result_message = p_job.result_message,
           result_data = p_job.result_data,
           attempt_count = GREATEST(attempt_count, p_job.attempts)
     WHERE id = v_p.id;
END;
$$;

-- Completion of a provision_ssl job: creates the certificate; the
-- provision is completed. Reads from the job result: serial, not_before
-- (default now()), not_after (default not_before + validity_days),
-- certificate_pem, chain_pem, key_type (default the request's).
CREATE OR REPLACE FUNCTION provision_ssl_complete(p_job job)
RETURNS VOID
LANGUAGE plpgsql
AS $$
DECLARE
    v_p          provision_ssl;
    v_r          JSONB := COALESCE(p_job.result_data, '{}');
    v_not_before TIMESTAMPTZ;
    v_not_after  TIMESTAMPTZ;
    v_cert_id    UUID;
BEGIN
    SELECT * INTO v_p FROM provision_ssl WHERE id = p_job.reference_id FOR UPDATE;
    IF NOT FOUND OR (SELECT is_final FROM provision_status WHERE id = v_p.status_id) THEN
        RETURN;
    END IF;
    v_not_before := COALESCE((v_r ->> 'not_before')::TIMESTAMPTZ, now());
    v_not_after := COALESCE((v_r ->> 'not_after')::TIMESTAMPTZ, v_not_before + make_interval(days => v_p.validity_days));

    INSERT INTO certificate (tenant_customer_id, accreditation_id, common_name, sans, serial,
                             not_before, not_after, key_type, pem, chain_pem)
    VALUES (v_p.tenant_customer_id, v_p.accreditation_id, v_p.common_name, v_p.sans, v_r ->> 'serial',
            v_not_before, v_not_after, COALESCE(v_r ->> 'key_type', v_p.key_type),
            v_r ->> 'certificate_pem', v_r ->> 'chain_pem')
    RETURNING id INTO v_cert_id;

    UPDATE provision_ssl
       SET status_id = tc_id_from_name('provision_status', 'completed'),
           provisioned_date = now(),
           certificate_id = v_cert_id,
           result_message = p_job.result_message,
           result_data = p_job.result_data,
           attempt_count = GREATEST(attempt_count, p_job.attempts)
     WHERE id = v_p.id;
END;
$$;

-- Completion of a provision_domain_renew job: moves the domain's expiry and
-- marks the provision completed. Reads from the job result: expiry_date
-- (default: old expiry + period), updated_date.
CREATE OR REPLACE FUNCTION provision_domain_renew_complete(p_job job)
RETURNS VOID
LANGUAGE plpgsql
AS $$
DECLARE
    v_p      provision_domain_renew;
    v_d      domain;
    v_r      JSONB := COALESCE(p_job.result_data, '{}');
    v_expiry TIMESTAMPTZ;
BEGIN
    SELECT * INTO v_p FROM provision_domain_renew WHERE id = p_job.reference_id FOR UPDATE;
    IF NOT FOUND OR (SELECT is_final FROM provision_status WHERE id = v_p.status_id) THEN
        RETURN;
    END IF;
    SELECT * INTO v_d FROM domain WHERE id = v_p.domain_id FOR UPDATE;
    v_expiry := COALESCE((v_r ->> 'expiry_date')::TIMESTAMPTZ, v_d.ry_expiry_date + make_interval(years => v_p.period));

    UPDATE domain
       SET ry_expiry_date = v_expiry,
           ry_updated_date = COALESCE((v_r ->> 'updated_date')::TIMESTAMPTZ, now())
     WHERE id = v_d.id;

    UPDATE provision_domain_renew
       SET status_id = tc_id_from_name('provision_status', 'completed'),
           provisioned_date = now(),
           roid = v_d.roid,
           ry_expiry_date = v_expiry,
           result_message = p_job.result_message,
           result_data = p_job.result_data,
           attempt_count = GREATEST(attempt_count, p_job.attempts)
     WHERE id = v_p.id;
END;
$$;

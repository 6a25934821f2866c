-- Completion of a provision_domain job: creates the domain and marks the
-- provision completed. Reads from the job result: roid, created_date,
-- expiry_date (ISO 8601; defaults: now() and created_date + period).
CREATE OR REPLACE FUNCTION provision_domain_complete(p_job job)
RETURNS VOID
LANGUAGE plpgsql
AS $$
DECLARE
    v_p       provision_domain;
    v_r       JSONB := COALESCE(p_job.result_data, '{}');
    v_created TIMESTAMPTZ;
    v_expiry  TIMESTAMPTZ;
BEGIN
    SELECT * INTO v_p FROM provision_domain WHERE id = p_job.reference_id FOR UPDATE;
    IF NOT FOUND OR (SELECT is_final FROM provision_status WHERE id = v_p.status_id) THEN
        RETURN;
    END IF;
    v_created := COALESCE((v_r ->> 'created_date')::TIMESTAMPTZ, now());
    v_expiry := COALESCE((v_r ->> 'expiry_date')::TIMESTAMPTZ, v_created + make_interval(years => v_p.registration_period));

    INSERT INTO domain (tenant_customer_id, accreditation_tld_id, name, roid, auth_info,
                        ry_created_date, ry_expiry_date, status, nameservers,
                        registrant, admin_contact, tech_contact, billing_contact)
    VALUES (v_p.tenant_customer_id, v_p.accreditation_tld_id, v_p.name, v_r ->> 'roid', v_p.pw,
            v_created, v_expiry, 'ok', v_p.nameservers,
            v_p.registrant, v_p.admin_contact, v_p.tech_contact, v_p.billing_contact);

    UPDATE provision_domain
       SET status_id = tc_id_from_name('provision_status', 'completed'),
           provisioned_date = now(),
           is_complete = TRUE,
           roid = v_r ->> 'roid',
           ry_created_date = v_created,
           ry_expiry_date = v_expiry,
           result_message = p_job.result_message,
           result_data = p_job.result_data,
           attempt_count = GREATEST(attempt_count, p_job.attempts)
     WHERE id = v_p.id;
END;
$$;

-- Completion of a provision_contact job: creates the contact; the provision
-- is completed. Reads from the job result: roid, created_date.
CREATE OR REPLACE FUNCTION provision_contact_complete(p_job job)
RETURNS VOID
LANGUAGE plpgsql
AS $$
DECLARE
    v_p          provision_contact;
    v_r          JSONB := COALESCE(p_job.result_data, '{}');
    v_contact_id UUID;
BEGIN
    SELECT * INTO v_p FROM provision_contact WHERE id = p_job.reference_id FOR UPDATE;
    IF NOT FOUND OR (SELECT is_final FROM provision_status WHERE id = v_p.status_id) THEN
        RETURN;
    END IF;

    INSERT INTO contact (tenant_customer_id, accreditation_id, handle, roid, name, organization,
                         email, phone, fax, street1, street2, street3, city, state_province,
                         postal_code, country_code, auth_info, ry_created_date)
    VALUES (v_p.tenant_customer_id, v_p.accreditation_id, v_p.handle, v_r ->> 'roid', v_p.name, v_p.organization,
            v_p.email, v_p.phone, v_p.fax, v_p.street1, v_p.street2, v_p.street3, v_p.city, v_p.state_province,
            v_p.postal_code, v_p.country_code, v_p.pw, COALESCE((v_r ->> 'created_date')::TIMESTAMPTZ, now()))
    RETURNING id INTO v_contact_id;

    UPDATE provision_contact
       SET status_id = tc_id_from_name('provision_status', 'completed'),
           provisioned_date = now(),
           contact_id = v_contact_id,
           roid = v_r ->> 'roid',
           result_message = p_job.result_message,
           result_data = p_job.result_data,
           attempt_count = GREATEST(attempt_count, p_job.attempts)
     WHERE id = v_p.id;
END;
$$;

-- Completion of a provision_domain_transfer job.
--
-- The registry answered "pending" (result pending = true, EPP 1001): the
-- provision becomes pending_action (an outcome says so) and waits for the
-- registry's approval, rejection or cancellation, which the executors learn
-- from the poll queue (provision_domain_transfer_resolve).
--
-- Otherwise the domain now belongs to this tenant_customer through this
-- accreditation (row updated when the name is known here, created
-- otherwise) with the auth code the registry set (result auth_info; the one
-- used when the registry returned none); the provision is completed.
-- Reads from the job result: pending, auth_info, roid, created_date,
-- expiry_date (default: the known expiry, else the transfer date, +
-- transfer_adds_years), transfer_date, nameservers[], registrant,
-- admin_contact, tech_contact, billing_contact.
--
-- The new auth code is a secret: it goes into domain.auth_info only, and is
-- removed from the job's stored result and never copied into the provision's
-- result_data (which the outcome publishes).
CREATE OR REPLACE FUNCTION provision_domain_transfer_complete(p_job job)
RETURNS VOID
LANGUAGE plpgsql
AS $$
DECLARE
    v_p         provision_domain_transfer;
    v_at        v_accreditation_tld;
    v_d         domain;
    v_r         JSONB := COALESCE(p_job.result_data, '{}');
    v_public    JSONB := p_job.result_data - 'auth_info';
    v_transfer  TIMESTAMPTZ;
    v_created   TIMESTAMPTZ;
    v_expiry    TIMESTAMPTZ;
    v_ns        TEXT[];
    v_domain_id UUID;
BEGIN
    IF p_job.result_data ? 'auth_info' THEN
        UPDATE job SET result_data = result_data - 'auth_info' WHERE id = p_job.id;
    END IF;
    SELECT * INTO v_p FROM provision_domain_transfer WHERE id = p_job.reference_id FOR UPDATE;
    IF NOT FOUND OR (SELECT is_final FROM provision_status WHERE id = v_p.status_id) THEN
        RETURN;
    END IF;

    IF COALESCE((v_r ->> 'pending')::BOOLEAN, FALSE) THEN
        UPDATE provision_domain_transfer
           SET status_id = tc_id_from_name('provision_status', 'pending_action'),
               result_message = COALESCE(p_job.result_message,
                                         'transfer pending: waiting for the losing registrar'),
               result_data = v_public,
               attempt_count = GREATEST(attempt_count, p_job.attempts)
         WHERE id = v_p.id
           AND status_id <> tc_id_from_name('provision_status', 'pending_action');
        RETURN;
    END IF;

    SELECT * INTO v_at FROM v_accreditation_tld WHERE id = v_p.accreditation_tld_id;
    SELECT * INTO v_d FROM domain WHERE name = v_p.name AND status <> 'deleted' FOR UPDATE;

    v_transfer := COALESCE((v_r ->> 'transfer_date')::TIMESTAMPTZ, now());
    v_created := COALESCE((v_r ->> 'created_date')::TIMESTAMPTZ, v_d.ry_created_date);
    v_expiry := COALESCE((v_r ->> 'expiry_date')::TIMESTAMPTZ,
                         COALESCE(v_d.ry_expiry_date, v_transfer) + make_interval(years => v_at.transfer_adds_years));
    IF jsonb_typeof(v_r -> 'nameservers') = 'array' THEN
        v_ns := ARRAY(SELECT jsonb_array_elements_text(v_r -> 'nameservers'));
    END IF;

    IF v_d.id IS NOT NULL THEN
        UPDATE domain
           SET tenant_customer_id = v_p.tenant_customer_id,
               accreditation_tld_id = v_p.accreditation_tld_id,
               roid = COALESCE(v_r ->> 'roid', roid),
               auth_info = COALESCE(v_r ->> 'auth_info', v_p.pw),
               ry_created_date = v_created,
               ry_expiry_date = v_expiry,
               ry_transfered_date = v_transfer,
               ry_updated_date = v_transfer,
               status = 'ok',
               locks = '{}',
               nameservers = COALESCE(v_ns, nameservers),
               registrant = v_r ->> 'registrant',
               admin_contact = v_r ->> 'admin_contact',
               tech_contact = v_r ->> 'tech_contact',
               billing_contact = v_r ->> 'billing_contact'
         WHERE id = v_d.id;
        v_domain_id := v_d.id;
    ELSE
        INSERT INTO domain (tenant_customer_id, accreditation_tld_id, name, roid, auth_info,
                            ry_created_date, ry_expiry_date, ry_transfered_date, ry_updated_date,
                            status, nameservers, registrant, admin_contact, tech_contact, billing_contact)
        VALUES (v_p.tenant_customer_id, v_p.accreditation_tld_id, v_p.name, v_r ->> 'roid',
                COALESCE(v_r ->> 'auth_info', v_p.pw),
                v_created, v_expiry, v_transfer, v_transfer,
                'ok', COALESCE(v_ns, '{}'), v_r ->> 'registrant', v_r ->> 'admin_contact',
                v_r ->> 'tech_contact', v_r ->> 'billing_contact')
        RETURNING id INTO v_domain_id;
    END IF;

    UPDATE provision_domain_transfer
       SET status_id = tc_id_from_name('provision_status', 'completed'),
           provisioned_date = now(),
           domain_id = v_domain_id,
           roid = (SELECT roid FROM domain WHERE id = v_domain_id),
           ry_created_date = v_created,
           ry_expiry_date = v_expiry,
           ry_transfered_date = v_transfer,
           result_message = p_job.result_message,
           result_data = v_public,
           attempt_count = GREATEST(attempt_count, p_job.attempts)
     WHERE id = v_p.id;
END;
$$;

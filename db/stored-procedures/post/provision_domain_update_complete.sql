-- Completion of a provision_domain_update job: applies the requested
-- changes (nameservers, contacts, auth code, locks) to the domain; the
-- provision is completed. Reads from the job result: updated_date.
CREATE OR REPLACE FUNCTION provision_domain_update_complete(p_job job)
RETURNS VOID
LANGUAGE plpgsql
AS $$
DECLARE
    v_p    provision_domain_update;
    v_r    JSONB := COALESCE(p_job.result_data, '{}');
    v_roid TEXT;
BEGIN
    SELECT * INTO v_p FROM provision_domain_update WHERE id = p_job.reference_id FOR UPDATE;
    IF NOT FOUND OR (SELECT is_final FROM provision_status WHERE id = v_p.status_id) THEN
        RETURN;
    END IF;

    UPDATE domain
       SET nameservers = COALESCE(v_p.nameservers, nameservers),
           registrant = COALESCE(v_p.registrant, registrant),
           admin_contact = COALESCE(v_p.admin_contact, admin_contact),
           tech_contact = COALESCE(v_p.tech_contact, tech_contact),
           billing_contact = COALESCE(v_p.billing_contact, billing_contact),
           auth_info = COALESCE(v_p.pw, auth_info),
           locks = ARRAY(SELECT DISTINCT l
                           FROM unnest(locks || v_p.add_locks) l
                          WHERE l <> ALL (v_p.remove_locks)
                          ORDER BY l),
           ry_updated_date = COALESCE((v_r ->> 'updated_date')::TIMESTAMPTZ, now())
     WHERE id = v_p.domain_id
    RETURNING roid INTO v_roid;

    UPDATE provision_domain_update
       SET status_id = tc_id_from_name('provision_status', 'completed'),
           provisioned_date = now(),
           roid = v_roid,
           result_message = p_job.result_message,
           result_data = p_job.result_data,
           attempt_count = GREATEST(attempt_count, p_job.attempts)
     WHERE id = v_p.id;
END;
$$;

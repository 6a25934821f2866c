-- Completion of a provision_contact_update job: the contact gets the
-- requested fields (NULL: unchanged, '': cleared) and the new auth code; the
-- provision is completed.
CREATE OR REPLACE FUNCTION provision_contact_update_complete(p_job job)
RETURNS VOID
LANGUAGE plpgsql
AS $$
DECLARE
    v_p provision_contact_update;
BEGIN
    SELECT * INTO v_p FROM provision_contact_update WHERE id = p_job.reference_id FOR UPDATE;
    IF NOT FOUND OR (SELECT is_final FROM provision_status WHERE id = v_p.status_id) THEN
        RETURN;
    END IF;
    UPDATE contact c
       SET name           = COALESCE(v_p.name, c.name),
           organization   = CASE WHEN v_p.organization IS NULL THEN c.organization ELSE NULLIF(v_p.organization, '') END,
           email          = COALESCE(v_p.email, c.email),
           phone          = CASE WHEN v_p.phone IS NULL THEN c.phone ELSE NULLIF(v_p.phone, '') END,
           fax            = CASE WHEN v_p.fax IS NULL THEN c.fax ELSE NULLIF(v_p.fax, '') END,
           street1        = CASE WHEN v_p.street1 IS NULL THEN c.street1 ELSE NULLIF(v_p.street1, '') END,
           street2        = CASE WHEN v_p.street2 IS NULL THEN c.street2 ELSE NULLIF(v_p.street2, '') END,
           street3        = CASE WHEN v_p.street3 IS NULL THEN c.street3 ELSE NULLIF(v_p.street3, '') END,
           city           = COALESCE(v_p.city, c.city),
           state_province = CASE WHEN v_p.state_province IS NULL THEN c.state_province ELSE NULLIF(v_p.state_province, '') END,
           postal_code    = CASE WHEN v_p.postal_code IS NULL THEN c.postal_code ELSE NULLIF(v_p.postal_code, '') END,
           country_code   = COALESCE(v_p.country_code, c.country_code),
           auth_info      = COALESCE(v_p.pw, c.auth_info)
     WHERE c.id = v_p.contact_id;
    UPDATE provision_contact_update
       SET status_id = tc_id_from_name('provision_status', 'completed'),
           provisioned_date = now(),
           roid = p_job.result_data ->> 'roid',
           result_message = p_job.result_message,
           result_data = p_job.result_data,
           attempt_count = GREATEST(attempt_count, p_job.attempts)
     WHERE id = v_p.id;
END;
$$;

-- Job provision_contact_update: {..base, handle, changes{only the fields
-- requested of name, organization, email, phone, fax, address{street[],
-- city, state_province, postal_code, country_code}, auth_info}}. An optional
-- field being cleared is "" (NULL columns are not requested changes); the
-- address is sent whole when any of its fields changes.
CREATE OR REPLACE FUNCTION provision_contact_update_job_data(n provision_contact_update, p_accreditation TEXT, p_tld TEXT)
RETURNS JSONB
LANGUAGE sql
STABLE
AS $$
    SELECT provision_job_base('provision_contact_update', 'update', 'contact', n.id, n.request_id,
               p_accreditation,
               n.accreditation_id, n.tenant_customer_id, n.order_metadata, n.traceparent) || jsonb_build_object(
        'handle',  n.handle,
        'changes', jsonb_strip_nulls(jsonb_build_object(
            'name',         n.name,
            'organization', n.organization,
            'email',        n.email,
            'phone',        n.phone,
            'fax',          n.fax,
            'auth_info',    n.pw))
          || CASE WHEN num_nonnulls(n.street1, n.street2, n.street3, n.city, n.state_province,
                                    n.postal_code, n.country_code) = 0 THEN '{}'::JSONB
             ELSE jsonb_build_object('address', jsonb_build_object(
                      'street',         to_jsonb(array_remove(ARRAY[
                                            CASE WHEN n.street1 IS NULL THEN c.street1 ELSE NULLIF(n.street1, '') END,
                                            CASE WHEN n.street2 IS NULL THEN c.street2 ELSE NULLIF(n.street2, '') END,
                                            CASE WHEN n.street3 IS NULL THEN c.street3 ELSE NULLIF(n.street3, '') END], NULL)),
                      'city',           COALESCE(n.city, c.city),
                      'state_province', CASE WHEN n.state_province IS NULL THEN c.state_province ELSE NULLIF(n.state_province, '') END,
                      'postal_code',    CASE WHEN n.postal_code IS NULL THEN c.postal_code ELSE NULLIF(n.postal_code, '') END,
                      'country_code',   COALESCE(n.country_code, c.country_code)))
             END)
      FROM (SELECT 1) one
      LEFT JOIN contact c ON c.id = n.contact_id
$$;

-- Job provision_contact: {..base, handle, name, organization, email, phone, fax,
-- address{street[], city, state_province, postal_code, country_code}, auth_info}.
-- The job's data for a provision_contact row (provision_create_jobs):
-- one expression, which the planner inlines into provision_create_jobs' INSERT.
DROP FUNCTION IF EXISTS provision_contact_job_data(provision_contact);
CREATE OR REPLACE FUNCTION provision_contact_job_data(n provision_contact, p_accreditation TEXT, p_tld TEXT)
RETURNS JSONB
LANGUAGE sql
STABLE
AS $$
    SELECT provision_job_base('provision_contact', 'create', 'contact', n.id, n.request_id,
               p_accreditation,
               n.accreditation_id, n.tenant_customer_id, n.order_metadata, n.traceparent) || jsonb_build_object(
        'handle',       n.handle,
        'name',         n.name,
        'organization', n.organization,
        'email',        n.email,
        'phone',        n.phone,
        'fax',          n.fax,
        'address',      jsonb_build_object(
                            'street',         to_jsonb(array_remove(ARRAY[n.street1, n.street2, n.street3], NULL)),
                            'city',           n.city,
                            'state_province', n.state_province,
                            'postal_code',    n.postal_code,
                            'country_code',   n.country_code),
        'auth_info',    n.pw)
$$;

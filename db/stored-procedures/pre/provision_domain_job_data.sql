-- Job provision_domain: {..base, name, tld, period, auth_info,
-- contacts{registrant, admin, tech, billing}, nameservers[]}.
-- The job's data for a provision_domain row (provision_create_jobs):
-- one expression, which the planner inlines into provision_create_jobs' INSERT.
DROP FUNCTION IF EXISTS provision_domain_job_data(provision_domain);
CREATE OR REPLACE FUNCTION provision_domain_job_data(n provision_domain, p_accreditation TEXT, p_tld TEXT)
RETURNS JSONB
LANGUAGE sql
STABLE
AS $$
    SELECT provision_job_base('provision_domain', 'create', 'domain', n.id, n.request_id,
               p_accreditation,
               n.accreditation_id, n.tenant_customer_id, n.order_metadata, n.traceparent) || jsonb_build_object(
        'name',        n.name,
        'tld',         p_tld,
        'period',      n.registration_period,
        'auth_info',   n.pw,
        'contacts',    jsonb_build_object(
                           'registrant', n.registrant,
                           'admin',      n.admin_contact,
                           'tech',       n.tech_contact,
                           'billing',    n.billing_contact),
        'nameservers', to_jsonb(n.nameservers))
$$;

-- Job provision_domain_transfer: {..base, name, tld, period, auth_info}.
-- The job's data for a provision_domain_transfer row (provision_create_jobs):
-- one expression, which the planner inlines into provision_create_jobs' INSERT.
DROP FUNCTION IF EXISTS provision_domain_transfer_job_data(provision_domain_transfer);
CREATE OR REPLACE FUNCTION provision_domain_transfer_job_data(n provision_domain_transfer, p_accreditation TEXT, p_tld TEXT)
RETURNS JSONB
LANGUAGE sql
STABLE
AS $$
    SELECT provision_job_base('provision_domain_transfer', 'transfer_in', 'domain', n.id, n.request_id,
               p_accreditation,
               n.accreditation_id, n.tenant_customer_id, n.order_metadata, n.traceparent) || jsonb_build_object(
        'name',      n.name,
        'tld',       p_tld,
        'period',    n.period,
        'auth_info', n.pw)
$$;

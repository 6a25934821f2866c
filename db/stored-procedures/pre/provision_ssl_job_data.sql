-- Job provision_ssl: {..base, common_name, sans[], csr_pem, key_type, validity_days,
-- validation_method}.
-- The job's data for a provision_ssl row (provision_create_jobs):
-- one expression, which the planner inlines into provision_create_jobs' INSERT.
DROP FUNCTION IF EXISTS provision_ssl_job_data(provision_ssl);
CREATE OR REPLACE FUNCTION provision_ssl_job_data(n provision_ssl, p_accreditation TEXT, p_tld TEXT)
RETURNS JSONB
LANGUAGE sql
STABLE
AS $$
    SELECT provision_job_base('provision_ssl', 'create', 'ssl', n.id, n.request_id,
               p_accreditation,
               n.accreditation_id, n.tenant_customer_id, n.order_metadata, n.traceparent) || jsonb_build_object(
        'common_name',       n.common_name,
        'sans',              to_jsonb(n.sans),
        'csr_pem',           n.csr_pem,
        'key_type',          n.key_type,
        'validity_days',     n.validity_days,
        'validation_method', n.validation_method)
$$;

-- Job provision_domain_transfer_action: {..base, name, tld, op}.
-- The job's data for a provision_domain_transfer_action row (provision_create_jobs).
CREATE OR REPLACE FUNCTION provision_domain_transfer_action_job_data(
    n provision_domain_transfer_action, p_accreditation TEXT, p_tld TEXT)
RETURNS JSONB
LANGUAGE sql
STABLE
AS $$
    SELECT provision_job_base('provision_domain_transfer_action', n.op, 'domain', n.id, n.request_id,
               p_accreditation,
               n.accreditation_id, n.tenant_customer_id, n.order_metadata, n.traceparent) || jsonb_build_object(
        'name', n.name,
        'tld',  p_tld,
        'op',   n.op)
$$;

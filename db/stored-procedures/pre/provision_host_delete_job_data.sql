-- Job provision_host_delete: {..base, name}.
CREATE OR REPLACE FUNCTION provision_host_delete_job_data(n provision_host_delete, p_accreditation TEXT, p_tld TEXT)
RETURNS JSONB
LANGUAGE sql
STABLE
AS $$
    SELECT provision_job_base('provision_host_delete', 'delete', 'host', n.id, n.request_id,
               p_accreditation,
               n.accreditation_id, n.tenant_customer_id, n.order_metadata, n.traceparent) || jsonb_build_object(
        'name', n.name)
$$;

-- Job provision_host_update: {..base, name, addresses[] (the full new list)}.
CREATE OR REPLACE FUNCTION provision_host_update_job_data(n provision_host_update, p_accreditation TEXT, p_tld TEXT)
RETURNS JSONB
LANGUAGE sql
STABLE
AS $$
    SELECT provision_job_base('provision_host_update', 'update', 'host', n.id, n.request_id,
               p_accreditation,
               n.accreditation_id, n.tenant_customer_id, n.order_metadata, n.traceparent) || jsonb_build_object(
        'name',      n.name,
        'addresses', to_jsonb(ARRAY(SELECT host(a) FROM unnest(n.addresses) a)))
$$;

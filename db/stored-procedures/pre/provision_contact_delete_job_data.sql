-- Job provision_contact_delete: {..base, handle}.
CREATE OR REPLACE FUNCTION provision_contact_delete_job_data(n provision_contact_delete, p_accreditation TEXT, p_tld TEXT)
RETURNS JSONB
LANGUAGE sql
STABLE
AS $$
    SELECT provision_job_base('provision_contact_delete', 'delete', 'contact', n.id, n.request_id,
               p_accreditation,
               n.accreditation_id, n.tenant_customer_id, n.order_metadata, n.traceparent) || jsonb_build_object(
        'handle', n.handle)
$$;

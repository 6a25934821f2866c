-- Job provision_host: {..base, name, addresses[], domain (the superordinate domain's name)}.
-- The job's data for a provision_host row (provision_create_jobs);
-- PL/pgSQL for its lookup of the domain.
DROP FUNCTION IF EXISTS provision_host_job_data(provision_host);
CREATE OR REPLACE FUNCTION provision_host_job_data(n provision_host, p_accreditation TEXT, p_tld TEXT)
RETURNS JSONB
LANGUAGE plpgsql
STABLE
AS $$
BEGIN
    RETURN provision_job_base('provision_host', 'create', 'host', n.id, n.request_id,
               p_accreditation,
               n.accreditation_id, n.tenant_customer_id, n.order_metadata, n.traceparent) || jsonb_build_object(
        'name',      n.name,
        'addresses', to_jsonb(ARRAY(SELECT host(a) FROM unnest(n.addresses) a)),
        'domain',    (SELECT name FROM domain WHERE id = n.domain_id));
END;
$$;

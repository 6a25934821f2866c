-- Job provision_domain_restore: {..base, name, tld, roid, restore_report}.
-- The job's data for a provision_domain_restore row (provision_create_jobs);
-- PL/pgSQL for its lookup of the domain.
DROP FUNCTION IF EXISTS provision_domain_restore_job_data(provision_domain_restore);
CREATE OR REPLACE FUNCTION provision_domain_restore_job_data(n provision_domain_restore, p_accreditation TEXT, p_tld TEXT)
RETURNS JSONB
LANGUAGE plpgsql
STABLE
AS $$
BEGIN
    RETURN provision_job_base('provision_domain_restore', 'restore', 'domain', n.id, n.request_id,
               p_accreditation,
               n.accreditation_id, n.tenant_customer_id, n.order_metadata, n.traceparent) || jsonb_build_object(
        'name',           n.name,
        'tld',            p_tld,
        'roid',           (SELECT roid FROM domain WHERE id = n.domain_id),
        'restore_report', COALESCE(n.restore_report, 'null'::JSONB));
END;
$$;

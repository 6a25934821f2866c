-- Job provision_domain_renew: {..base, name, tld, roid, period, current_expiry_date}.
-- The job's data for a provision_domain_renew row (provision_create_jobs);
-- PL/pgSQL for its lookup of the domain.
DROP FUNCTION IF EXISTS provision_domain_renew_job_data(provision_domain_renew);
CREATE OR REPLACE FUNCTION provision_domain_renew_job_data(n provision_domain_renew, p_accreditation TEXT, p_tld TEXT)
RETURNS JSONB
LANGUAGE plpgsql
STABLE
AS $$
BEGIN
    RETURN provision_job_base('provision_domain_renew', 'renew', 'domain', n.id, n.request_id,
               p_accreditation,
               n.accreditation_id, n.tenant_customer_id, n.order_metadata, n.traceparent) || jsonb_build_object(
        'name',                n.name,
        'tld',                 p_tld,
        'roid',                (SELECT roid FROM domain WHERE id = n.domain_id),
        'period',              n.period,
        'current_expiry_date', to_char(n.current_expiry_date, 'YYYY-MM-DD'));
END;
$$;

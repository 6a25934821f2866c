-- Job provision_domain_update: {..base, name, tld, roid, changes{nameservers,
-- contacts, auth_info, add_locks, remove_locks}}, only what the request changes.
-- The job's data for a provision_domain_update row (provision_create_jobs);
-- PL/pgSQL for its lookup of the domain.
DROP FUNCTION IF EXISTS provision_domain_update_job_data(provision_domain_update);
CREATE OR REPLACE FUNCTION provision_domain_update_job_data(n provision_domain_update, p_accreditation TEXT, p_tld TEXT)
RETURNS JSONB
LANGUAGE plpgsql
STABLE
AS $$
BEGIN
    RETURN provision_job_base('provision_domain_update', 'update', 'domain', n.id, n.request_id,
               p_accreditation,
               n.accreditation_id, n.tenant_customer_id, n.order_metadata, n.traceparent) || jsonb_build_object(
        'name',    n.name,
        'tld',     p_tld,
        'roid',    (SELECT roid FROM domain WHERE id = n.domain_id),
        'changes', jsonb_strip_nulls(jsonb_build_object(
                       'nameservers',  to_jsonb(n.nameservers),
                       'contacts',     NULLIF(jsonb_strip_nulls(jsonb_build_object(
                                           'registrant', n.registrant,
                                           'admin',      n.admin_contact,
                                           'tech',       n.tech_contact,
                                           'billing',    n.billing_contact)), '{}'::JSONB),
                       'auth_info',    n.pw,
                       'add_locks',    CASE WHEN cardinality(n.add_locks) > 0 THEN to_jsonb(n.add_locks) END,
                       'remove_locks', CASE WHEN cardinality(n.remove_locks) > 0 THEN to_jsonb(n.remove_locks) END)));
END;
$$;

-- Completion of a domain_update_host child job (a glue host created before
-- the domain update that names it): the host row is created, even when the
-- update fails later (the registry has the host either way).
CREATE OR REPLACE FUNCTION domain_update_host_complete(p_job job)
RETURNS VOID
LANGUAGE plpgsql
AS $$
BEGIN
    INSERT INTO host (tenant_customer_id, accreditation_id, name, roid, addresses, domain_id, ry_created_date)
    VALUES ((p_job.data ->> 'tenant_customer_id')::UUID,
            (p_job.data ->> 'accreditation_id')::UUID,
            p_job.data ->> 'name',
            p_job.result_data ->> 'roid',
            ARRAY(SELECT jsonb_array_elements_text(p_job.data -> 'addresses'))::INET[],
            (p_job.data ->> 'domain_id')::UUID,
            COALESCE((p_job.result_data ->> 'created_date')::TIMESTAMPTZ, now()))
    ON CONFLICT (accreditation_id, name) DO NOTHING;
END;
$$;

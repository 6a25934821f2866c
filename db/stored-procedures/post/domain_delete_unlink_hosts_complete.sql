-- Completion of a domain_delete_unlink_hosts child job (the domain's own
-- subordinate hosts removed from its name servers, so that they can be
-- deleted): the domain keeps the name servers the registry returned.
CREATE OR REPLACE FUNCTION domain_delete_unlink_hosts_complete(p_job job)
RETURNS VOID
LANGUAGE plpgsql
AS $$
BEGIN
    UPDATE domain
       SET nameservers = ARRAY(SELECT jsonb_array_elements_text(
                                   COALESCE(p_job.result_data -> 'nameservers', p_job.data -> 'nameservers'))),
           ry_updated_date = COALESCE((p_job.result_data ->> 'updated_date')::TIMESTAMPTZ, now())
     WHERE id = (p_job.data ->> 'domain_id')::UUID;
END;
$$;

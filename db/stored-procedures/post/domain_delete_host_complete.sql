-- Completion of a domain_delete_host child job (a subordinate host deleted
-- before its domain): the host row is deleted. The domain delete provision
-- stays as it is; its own job completes it.
CREATE OR REPLACE FUNCTION domain_delete_host_complete(p_job job)
RETURNS VOID
LANGUAGE plpgsql
AS $$
BEGIN
    DELETE FROM host WHERE id = (p_job.data ->> 'host_id')::UUID;
END;
$$;

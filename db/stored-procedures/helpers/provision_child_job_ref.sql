-- The client_ref of a child job: md5(provision id, step) as a UUID, the same
-- every time the step is planned (provision_create_child_jobs).
CREATE OR REPLACE FUNCTION provision_child_job_ref(p_provision_id UUID, p_step TEXT)
RETURNS UUID
LANGUAGE sql
IMMUTABLE
AS $$
    SELECT md5(p_provision_id::TEXT || '/' || p_step)::UUID
$$;
